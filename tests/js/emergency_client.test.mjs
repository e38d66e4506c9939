// The dialer contract in the browser: node --test tests/js (run by tests/unit/test_js.py in `make test`).
import assert from "node:assert/strict";
import { test } from "node:test";

import { createEmergencyClient } from "../../agent_ui/js/emergency-client.js";
import { classify } from "../../agent_ui/js/emergency-numbers.js";

const ANSWER = { dial: true, emergency: true, test: false, emergencyCallId: "id-1", callerId: "+12025550100",
                 callbackNumber: "+12025550100", emergencyPath: "direct_routing", panel: {} };

function fakeFetch(respond) {
  const requests = [];
  const fetch = (url, init) => {
    requests.push({ url, ...init, body: init.body ? JSON.parse(init.body) : undefined });
    return respond(url, init);
  };
  return { fetch, requests };
}

const json = (status, body) => Promise.resolve({ ok: status < 300, status, json: async () => body });
const never = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => {
  const error = new Error("aborted"); error.name = "AbortError"; reject(error);
}));

test("the browser knows the emergency numbers of every supported country", () => {
  for (const [number, country] of [["911", "US"], ["911", "PR"], ["911", "CA"], ["112", "DK"], ["112", "GB"],
                                   ["999", "GB"], ["000", "AU"], ["9 1 1", "US"], ["+911", "US"], ["911", null]]) {
    assert.equal(classify(number, country).emergency, true, `${number} in ${country}`);
  }
  assert.deepEqual([classify("933", "US").emergency, classify("933", "US").test], [true, true]);
  for (const [number, country] of [["9911", "US"], ["9,911", "US"], ["112", "US"], ["+1 202 555 0150", "US"]]) {
    assert.equal(classify(number, country).emergency, false, `${number} in ${country}`);
  }
});

test("beforeDial sends the contract's body with an id of its own and uses the backend's answer", async () => {
  const { fetch, requests } = fakeFetch(() => json(200, ANSWER));
  const client = createEmergencyClient({ fetch, uuid: () => "id-1" });
  const answer = await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US" });
  assert.equal(answer.source, "backend");
  assert.equal(answer.callerId, "+12025550100");
  assert.deepEqual(requests[0].body, { agentId: "alice", dialedNumber: "911", countryCode: "US",
                                       emergencyCallId: "id-1" });
  assert.equal(requests[0].url, "/api/outbound-calls");
});

test("an emergency dial waits for a silent backend no longer than its time limit, then says dial", async () => {
  const { fetch } = fakeFetch(never);
  const client = createEmergencyClient({ fetch, uuid: () => "id-2", emergencyTimeoutMs: 50,
                                        timeoutMs: 100, answerTimeoutMs: 100 });
  const started = Date.now();
  const answer = await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US" });
  const waited = Date.now() - started;
  assert.ok(waited < 300, `waited ${waited} ms`);
  assert.equal(answer.dial, true);
  assert.equal(answer.emergency, true);
  assert.equal(answer.emergencyCallId, "id-2");
  assert.equal(answer.warnings[0].code, "backend_timeout");
  assert.ok(answer.late instanceof Promise);
});

test("a late answer still arrives for the panel to show the callback number", async () => {
  let release;
  const { fetch } = fakeFetch(() => new Promise((resolve) => { release = () => resolve(json(200, ANSWER)); }));
  const client = createEmergencyClient({ fetch, uuid: () => "id-1", emergencyTimeoutMs: 20 });
  const answer = await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US" });
  assert.equal(answer.source, "browser");
  release();
  assert.equal((await answer.late).callbackNumber, "+12025550100");
});

test("errors and a lost connection never throw and still say dial", async () => {
  for (const respond of [() => json(500, { error: "internal error" }), () => json(403, { error: "no" }),
                         () => Promise.reject(new TypeError("Failed to fetch")), () => json(200, null)]) {
    const seen = [];
    const client = createEmergencyClient({ fetch: fakeFetch(respond).fetch, onConnection: (ok) => seen.push(ok) });
    const answer = await client.beforeDial({ agentId: "alice", number: "112", countryCode: "DK" });
    assert.equal(answer.dial, true);
    assert.equal(answer.emergency, true);
    assert.ok(answer.warnings.length === 1, JSON.stringify(answer));
  }
});

test("a normal number is not an emergency when the backend cannot say", async () => {
  const client = createEmergencyClient({ fetch: fakeFetch(() => json(503, {})).fetch });
  const answer = await client.beforeDial({ agentId: "alice", number: "+1 202 555 0150", countryCode: "US" });
  assert.deepEqual([answer.dial, answer.emergency, answer.emergencyCallId], [true, false, null]);
});

test("end is repeated on a 5xx and stops on the first answer", async () => {
  const statuses = [503, 500, 200];
  const { fetch, requests } = fakeFetch(() => json(statuses.shift(), { endedAt: "t" }));
  const client = createEmergencyClient({ fetch, retryDelayMs: 1 });
  const result = await client.end("id-1", { agentId: "alice", dialedNumber: "911", countryCode: "US" });
  assert.equal(result.status, 200);
  assert.equal(requests.length, 3);
  assert.equal(requests[0].url, "/api/outbound-calls/id-1/end");
  assert.deepEqual(requests[0].body, { agentId: "alice", dialedNumber: "911", countryCode: "US" });
  // the hang-up outlives the page (End call, then the tab closed at once); a dial or a poll is not kept alive
  assert.ok(requests.every((r) => r.keepalive === true));
});

test("only the hang-up is sent keepalive", async () => {
  const { fetch, requests } = fakeFetch(() => json(200, ANSWER));
  const client = createEmergencyClient({ fetch, uuid: () => "id-1" });
  await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US" });
  await client.request("GET", "/api/agents/alice/emergency-state");
  assert.deepEqual(requests.map((r) => r.keepalive), [undefined, undefined]);
});

test("callIds reports the placed call's ids", async () => {
  const { fetch, requests } = fakeFetch(() => json(200, { linked: true }));
  await createEmergencyClient({ fetch }).callIds("id 1", { agentId: "alice", serverCallId: "srv", correlationId: "c" });
  assert.equal(requests[0].url, "/api/outbound-calls/id%201/call-ids");
  assert.deepEqual(requests[0].body, { agentId: "alice", serverCallId: "srv", correlationId: "c" });
});

test("watchPanel polls the agent's emergency state until stopped", async () => {
  const { fetch, requests } = fakeFetch(() => json(200, { emergency: true }));
  const states = [];
  const stop = createEmergencyClient({ fetch }).watchPanel("alice", (s) => states.push(s), { intervalMs: 10 });
  await new Promise((r) => setTimeout(r, 45));
  stop();
  const polled = requests.length;
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(states.length >= 2 && states[0].emergency === true);
  assert.equal(requests.length, polled);
  assert.equal(requests[0].url, "/api/agents/alice/emergency-state");
});

test("preDial asks the backend to hold a number for an emergency number typed, and the dial claims it", async () => {
  const { fetch, requests } = fakeFetch((url) => json(200, url.endsWith("/pre-dial")
    ? { preDial: true, emergencyCallId: "id-7" } : ANSWER));
  const client = createEmergencyClient({ fetch, uuid: () => "id-7", apiPath: "/api/agent" });
  const held = await client.preDial({ agentId: "alice", number: "911", countryCode: "US" });
  assert.equal(held, "id-7");
  assert.equal(requests[0].url, "/api/agent/outbound-calls/id-7/pre-dial");
  assert.deepEqual(requests[0].body, { agentId: "alice", dialedNumber: "911", countryCode: "US" });
  await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US", held });
  assert.deepEqual(requests[1].body, { agentId: "alice", dialedNumber: "911", countryCode: "US",
                                       emergencyCallId: "id-7", preDialed: true });
});

test("preDial never asks for a normal number and says null when nothing is held or the backend fails", async () => {
  const answers = [json(200, { preDial: false, reason: "direct_offer" }), json(503, { error: "down" })];
  const { fetch, requests } = fakeFetch(() => answers.shift() ?? Promise.reject(new TypeError("offline")));
  const client = createEmergencyClient({ fetch, uuid: () => "id-8" });
  assert.equal(await client.preDial({ agentId: "alice", number: "+1 202 555 0150", countryCode: "US" }), null);
  assert.equal(requests.length, 0);
  for (let i = 0; i < 3; i += 1) {
    assert.equal(await client.preDial({ agentId: "alice", number: "911", countryCode: "US" }), null);
  }
  const answer = await client.beforeDial({ agentId: "alice", number: "911", countryCode: "US" });
  assert.equal(answer.dial, true); // the dial without a hold: an id of its own, no preDialed
  assert.equal(requests.length, 4);
});
