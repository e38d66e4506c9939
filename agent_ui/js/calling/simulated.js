// A calling adapter with no telephony: for the local stack, the demo and the tests. Same interface as acs.js:
//   placeCall({ number, callerId, countryCode, emergency }) -> Promise<{ id, ids: Promise<{serverCallId, correlationId}> }>
//   endCall(id) -> Promise<void>;  onIncomingCall(handler) -> unsubscribe;  handler({ id, from, accept, reject })
//   onEnded(handler) -> unsubscribe;  handler(id) when a call ends without endCall (the other side hung up)
// and, with no telephony to ring the browser, routedCallback({ id, from }) (acs.js has none: ACS rings it).
export function createSimulatedCalling({ uuid = () => globalThis.crypto.randomUUID() } = {}) {
  const handlers = new Set();
  const endedHandlers = new Set();
  const live = new Map();
  const placed = [];

  async function placeCall({ number, callerId = null, countryCode = null, emergency = false }) {
    const id = uuid();
    const call = { id, number, callerId, countryCode, emergency, state: "Connected", serverCallId: `sim-srv-${id}` };
    live.set(id, call);
    placed.push(call);
    return { id, ids: Promise.resolve({ serverCallId: call.serverCallId, correlationId: id }) };
  }

  async function endCall(id) {
    const call = live.get(id);
    if (call) call.state = "Disconnected";
    live.delete(id);
  }

  function onIncomingCall(handler) {
    handlers.add(handler);
    return () => handlers.delete(handler);
  }

  function onEnded(handler) {
    endedHandlers.add(handler);
    return () => endedHandlers.delete(handler);
  }

  /** The hook a test or the demo uses for the other side hanging up (the operator, the responder). */
  function simulateRemoteHangUp(id) {
    const call = live.get(id);
    if (!call) return;
    call.state = "Disconnected";
    live.delete(id);
    endedHandlers.forEach((h) => h(id));
  }

  /** The hook a test or the demo uses to ring this browser (the responder's callback reaching her identity). */
  function simulateIncomingCall({ from = "+12025550177", callbackId = null } = {}) {
    const incoming = { id: uuid(), from, callbackId, state: "Ringing" };
    incoming.accept = async () => { incoming.state = "Connected"; live.set(incoming.id, incoming); return incoming; };
    incoming.reject = async () => { incoming.state = "Disconnected"; };
    handlers.forEach((h) => h(incoming));
    return incoming;
  }

  // The backend routed a responder's callback to her identity (the panel reads it in emergency-state, `callback`):
  // on ACS the redirected call reaches the call agent as its incomingCall event; with no telephony it rings here,
  // once per callback (the same id again answers the same call).
  const routed = new Map();
  function routedCallback({ id, from = null }) {
    if (!routed.has(id)) routed.set(id, simulateIncomingCall({ from, callbackId: id }));
    return routed.get(id);
  }

  return { kind: "simulated", placeCall, endCall, onIncomingCall, onEnded, simulateIncomingCall, simulateRemoteHangUp,
           routedCallback, placed, live };
}
