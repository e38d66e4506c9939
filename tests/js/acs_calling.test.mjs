// The ACS Calling Web SDK adapter against a fake of the SDK's CallClient / CallAgent / Call surface.
import assert from "node:assert/strict";
import { test } from "node:test";

import { createAcsCalling } from "../../agent_ui/js/calling/acs.js";
import { createSimulatedCalling } from "../../agent_ui/js/calling/simulated.js";

class Emitter {
  constructor() { this.listeners = {}; }
  on(name, f) { (this.listeners[name] ??= new Set()).add(f); }
  off(name, f) { this.listeners[name]?.delete(f); }
  emit(name, arg) { [...(this.listeners[name] ?? [])].forEach((f) => f(arg)); }
}

class FakeCall extends Emitter {
  constructor(id) {
    super(); this.id = id; this.state = "Connecting"; this.hungUp = false;
    this.info = { getServerCallId: async () => `server-${id}` };
  }
  connect() { this.state = "Connected"; this.emit("stateChanged"); }
  async hangUp() { this.hungUp = true; this.state = "Disconnected"; this.emit("stateChanged"); }
}

class FakeCallAgent extends Emitter {
  constructor(options) { super(); this.options = options; this.started = []; this.disposed = false; }
  startCall(participants, options) {
    const call = new FakeCall(`call-${this.started.length + 1}`);
    this.started.push({ participants, options, call });
    return call;
  }
  async dispose() { this.disposed = true; }
}

function fakeCallClient() {
  const agents = [];
  return {
    agents,
    async createCallAgent(credential, options) {
      assert.equal(credential, "token");
      const agent = new FakeCallAgent(options);
      agents.push(agent);
      return agent;
    },
  };
}

test("an emergency call sets the country on the call agent and presents the backend's caller ID", async () => {
  const client = fakeCallClient();
  const calling = createAcsCalling({ callClient: client, tokenCredential: "token", displayName: "Alice" });
  const placed = await calling.placeCall({ number: "911", callerId: "+12025550100", countryCode: "US",
                                           emergency: true });
  const [agent] = client.agents;
  assert.deepEqual(agent.options, { displayName: "Alice", emergencyCallOptions: { countryCode: "US" } });
  assert.deepEqual(agent.started[0].participants, [{ phoneNumber: "911" }]);
  assert.deepEqual(agent.started[0].options, { alternateCallerId: { phoneNumber: "+12025550100" } });
  agent.started[0].call.connect();
  assert.deepEqual(await placed.ids, { serverCallId: "server-call-1", correlationId: "call-1" });
});

test("without a caller ID from the backend the call is placed all the same", async () => {
  const client = fakeCallClient();
  await createAcsCalling({ callClient: client, tokenCredential: "token" }).placeCall({ number: "911" });
  assert.deepEqual(client.agents[0].started[0].options, {});
  assert.deepEqual(client.agents[0].options, {});
});

test("a new country makes a new call agent, but never while a call is live", async () => {
  const client = fakeCallClient();
  const calling = createAcsCalling({ callClient: client, tokenCredential: "token" });
  const first = await calling.placeCall({ number: "911", countryCode: "US" });
  await calling.placeCall({ number: "112", countryCode: "DK" });
  assert.equal(client.agents.length, 1, "disposed during a call");
  await calling.endCall(first.id);
  await calling.endCall("call-2");
  await calling.prepare("DK");
  assert.equal(client.agents.length, 2);
  assert.equal(client.agents[0].disposed, true);
  assert.deepEqual(client.agents[1].options, { emergencyCallOptions: { countryCode: "DK" } });
});

test("endCall hangs the call up", async () => {
  const client = fakeCallClient();
  const calling = createAcsCalling({ callClient: client, tokenCredential: "token" });
  const placed = await calling.placeCall({ number: "+12025550150", countryCode: "US" });
  await calling.endCall(placed.id);
  assert.equal(client.agents[0].started[0].call.hungUp, true);
});

test("the responder's callback rings through the call agent's incomingCall event", async () => {
  const client = fakeCallClient();
  const calling = createAcsCalling({ callClient: client, tokenCredential: "token" });
  const rung = [];
  calling.onIncomingCall((incoming) => rung.push(incoming));
  await calling.prepare("US");
  const accepted = new FakeCall("in-1");
  client.agents[0].emit("incomingCall", { incomingCall: {
    id: "in-1", callerInfo: { identifier: { phoneNumber: "+12025550177" } },
    accept: async () => accepted, reject: async () => {} } });
  assert.equal(rung.length, 1);
  assert.equal(rung[0].from, "+12025550177");
  assert.equal(await rung[0].accept(), accepted);
  await calling.endCall("in-1");
  assert.equal(accepted.hungUp, true);
});

test("the simulated adapter has the same interface and rings on its hook", async () => {
  const calling = createSimulatedCalling();
  const rung = [];
  calling.onIncomingCall((c) => rung.push(c));
  const placed = await calling.placeCall({ number: "911", callerId: "+12025550100", emergency: true });
  assert.equal((await placed.ids).correlationId, placed.id);
  await calling.endCall(placed.id);
  assert.equal(calling.live.size, 0);
  calling.simulateIncomingCall({ from: "+12025550177" });
  assert.equal(rung[0].from, "+12025550177");
});

test("the other side hanging up is told through onEnded, her own hang-up is not", async () => {
  const client = fakeCallClient();
  const calling = createAcsCalling({ callClient: client, tokenCredential: "token" });
  const ended = [];
  calling.onEnded((id) => ended.push(id));
  const mine = await calling.placeCall({ number: "933", countryCode: "US" });
  const theirs = await calling.placeCall({ number: "+12025550150", countryCode: "US" });
  const [first, second] = client.agents[0].started.map((s) => s.call);
  first.connect();
  second.connect();
  await calling.endCall(mine.id);
  assert.deepEqual(ended, [], "her own End call is no hang-up of the other side");
  second.state = "Disconnected"; // the operator hung up
  second.emit("stateChanged");
  second.emit("stateChanged"); // the SDK may say it twice: told once
  assert.deepEqual(ended, [theirs.id]);
  await calling.endCall(theirs.id); // End call after it: nothing left to hang up
  assert.equal(second.hungUp, false);
});

test("the simulated adapter's other side hangs up on its hook, once", async () => {
  const calling = createSimulatedCalling();
  const ended = [];
  calling.onEnded((id) => ended.push(id));
  const placed = await calling.placeCall({ number: "933", emergency: true });
  calling.simulateRemoteHangUp(placed.id);
  calling.simulateRemoteHangUp(placed.id);
  assert.deepEqual(ended, [placed.id]);
  assert.equal(calling.live.size, 0);
  const other = await calling.placeCall({ number: "933", emergency: true });
  await calling.endCall(other.id);
  assert.deepEqual(ended, [placed.id]);
});
