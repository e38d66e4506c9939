// The calling adapter for the ACS Calling Web SDK (@azure/communication-calling), behind the interface of
// simulated.js. The SDK is passed in (no CDN, no build step here): the embedding desktop bundles it and gives
// `callClient` (new CallClient()) and `tokenCredential` (new AzureCommunicationTokenCredential(token)).
//
// Where each emergency detail goes in the SDK:
// - the caller's country: CallAgentOptions.emergencyCallOptions.countryCode, given to createCallAgent (ISO alpha-2;
//   without it ACS guesses from the IP address). A changed country makes a new call agent, never during a call.
// - the caller ID to present: StartCallOptions.alternateCallerId = { phoneNumber } (the backend's `callerId`).
// - the responder's callback: the call agent's 'incomingCall' event ({ incomingCall }).
// - the other side hanging up: the call's 'stateChanged' to "Disconnected" that no endCall asked for (onEnded).
export function createAcsCalling({ callClient, tokenCredential, displayName = undefined }) {
  const handlers = new Set();
  const endedHandlers = new Set();
  const calls = new Map();
  const hangingUp = new Set(); // ids endCall hangs up: their "Disconnected" is hers, not the other side's
  let agent = null;
  let agentCountry;

  async function callAgent(countryCode) {
    if (agent && (agentCountry === countryCode || calls.size > 0)) return agent;
    if (agent) await (await agent).dispose();
    agentCountry = countryCode;
    const options = { ...(displayName ? { displayName } : {}),
                      ...(countryCode ? { emergencyCallOptions: { countryCode } } : {}) };
    agent = callClient.createCallAgent(tokenCredential, options).then((created) => {
      created.on("incomingCall", ({ incomingCall }) => ring(incomingCall));
      return created;
    });
    return agent;
  }

  function ring(incomingCall) {
    const from = incomingCall.callerInfo?.identifier?.phoneNumber ?? incomingCall.callerInfo?.displayName ?? null;
    const wrapped = {
      id: incomingCall.id, from,
      accept: async () => track(await incomingCall.accept()),
      reject: () => incomingCall.reject(),
    };
    handlers.forEach((h) => h(wrapped));
  }

  // The id the panel knows the call by is the one it had when placed or answered (the SDK may change call.id).
  function track(call) {
    const id = call.id;
    calls.set(id, call);
    call.on("stateChanged", () => {
      if (call.state !== "Disconnected" || !calls.has(id)) return;
      calls.delete(id);
      if (!hangingUp.delete(id)) endedHandlers.forEach((h) => h(id));
    });
    return call;
  }

  async function placeCall({ number, callerId = null, countryCode = null }) {
    const created = await callAgent(countryCode);
    const options = callerId ? { alternateCallerId: { phoneNumber: callerId } } : {};
    const call = created.startCall([{ phoneNumber: number }], options);
    const id = call.id;
    track(call);
    return { id, ids: serverIds(call) };
  }

  // The server call id exists once the call is connected; call.id is the SDK's call id (support's "call ID").
  function serverIds(call) {
    return new Promise((resolve) => {
      const report = () => {
        if (call.state !== "Connected") return;
        call.off?.("stateChanged", report);
        call.info.getServerCallId().then(
          (serverCallId) => resolve({ serverCallId, correlationId: call.id }),
          () => resolve({ serverCallId: null, correlationId: call.id }));
      };
      call.on("stateChanged", report);
      report();
    });
  }

  async function endCall(id) {
    const call = calls.get(id);
    if (!call) return;
    hangingUp.add(id);
    try {
      await call.hangUp();
    } finally {
      if (!calls.has(id)) hangingUp.delete(id);
    }
  }

  /** `handler(id)` when a call ends without endCall: the other side hung up, or the network dropped it. */
  function onEnded(handler) {
    endedHandlers.add(handler);
    return () => endedHandlers.delete(handler);
  }

  function onIncomingCall(handler) {
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  /** Create the call agent ahead of the first dial (with the country from the location prerequisite). */
  function prepare(countryCode) {
    return callAgent(countryCode);
  }

  return { kind: "acs", placeCall, endCall, onIncomingCall, onEnded, prepare };
}
