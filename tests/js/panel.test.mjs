// The agent panel's words and clocks (agent_ui/js): node --test tests/js (run by tests/unit/test_js.py).
// The panel imports the shared modules as the server serves them, at ../common/ (ui_common/ in the repository):
// a resolve hook maps them before the panel's modules are imported.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { test } from "node:test";

const HOOK = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith("../common/") && context.parentURL?.includes("/agent_ui/js/")) {
    return next(specifier.replace("../common/", "../../ui_common/"), context);
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(HOOK)}`);

const i18n = await import("../../ui_common/i18n.js");
const { createServerClock } = await import("../../ui_common/time.js");
const words = await import("../../agent_ui/js/callback-words.js");
const acks = await import("../../agent_ui/js/acknowledgements.js");
const { createSimulatedCalling } = await import("../../agent_ui/js/calling/simulated.js");
const { createEmergencyClient } = await import("../../agent_ui/js/emergency-client.js");

const catalogue = (locale) => JSON.parse(readFileSync(new URL(`../../agent_ui/locales/${locale}.json`,
                                                                import.meta.url)));
const EN = catalogue("en-US");
const inLocale = (locale) => i18n.use(locale, catalogue(locale), EN);

test("the callback number is said digit by digit in the agent's language", () => {
  inLocale("en-US");
  assert.equal(words.numberInWords("+12025550104"), "two zero two, five five five, zero one zero four");
  inLocale("fr-CA");
  assert.equal(words.digitsLine("+1 202 555 0104"),
               "Dites-le chiffre par chiffre : deux zéro deux, cinq cinq cinq, zéro un zéro quatre.");
  inLocale("da-DK");
  assert.equal(words.numberInWords("+4570100112"), "fire fem syv, nul en nul, nul en en to");
  assert.equal(words.digitsLine(null), "");
});

test("the minutes left count on the server's clock, whatever the screen's clock says", () => {
  inLocale("en-US");
  let mono = 0;
  const server = createServerClock({ monotonic: () => mono });
  server.sync("2026-12-07T17:20:00.000+00:00"); // the screen may say anything: only the server's now counts
  const ends = "2026-12-07T18:00:00+00:00";
  assert.equal(words.minutesLeft(ends, server.now()), 40);
  assert.equal(words.windowWords(ends, server.now()).left, "40 minutes left.");
  mono += 39.5 * 60_000;
  assert.equal(words.windowWords(ends, server.now()).left, "1 minute left.");
  mono += 10 * 60_000;
  assert.equal(words.minutesLeft(ends, server.now()), 0);
  inLocale("fr-CA");
  assert.equal(words.windowWords(ends, server.now()).left, "Il reste 0 minute.");
  inLocale("da-DK");
  assert.equal(words.windowWords(ends, server.now()).left, "0 minutter tilbage.");
});

test("the window's end is a local time with its zone, in the agent's locale", () => {
  inLocale("en-US");
  const until = words.windowWords("2026-12-07T17:03:00Z", new Date("2026-12-07T17:00:00Z")).until;
  assert.match(until, /^Emergency services may call you back until \d{1,2}:03\s?(AM|PM)? ?[A-Z][A-Za-z0-9+:-]*;/);
});

test("the callback line says how the responder reaches her on the call's path", () => {
  inLocale("en-US");
  const at = { callbackWindowEndsAt: "2026-12-07T17:03:00Z" };
  const offer = words.responderWords({ ...at, emergencyPath: "direct_offer", callbackNumber: "+12025550104" });
  assert.match(offer, /^a temporary number assigned by the emergency service .*; you can also give the responder /);
  assert.ok(offer.endsWith("+12025550104"));
  const pool = words.responderWords({ ...at, emergencyPath: "direct_routing", callbackNumber: "+12025550104",
                                      callbackNumberSource: "pool" });
  assert.match(pool, /^\+12025550104, which rings you directly until /);
  assert.equal(words.responderWords({ emergencyPath: "unknown", callbackNumber: "+12025550199",
                                      callbackNumberSource: "agent" }),
               "+12025550199, your own number (a callback on it follows the normal routing)");
  assert.match(words.responderWords({}), /^none was assigned/);
  assert.equal(words.callerWords("+12025550177"), "Calling from +12025550177.");
  assert.equal(words.callerWords(null), "The number calling is not known.");
});

test("acknowledgements are counted with the locale's plural rules and lists", () => {
  const by = (n) => Array.from({ length: n }, (_, i) => ({ by: `p${i}@example.com`, secondsAfterDial: 42 + i }));
  inLocale("en-US");
  assert.equal(acks.acknowledgementText({ acknowledgements: by(2) }),
               "p0@example.com acknowledged 0:42 after your call, and 1 other since — help is on the way");
  assert.equal(acks.audiencesInWords(["agent", "siteDesk", "onCall"]),
               "your emergency contacts, the security desk, and the on-call team");
  inLocale("en-GB");
  assert.equal(acks.audiencesInWords(["agent", "siteDesk", "onCall"]),
               "your emergency contacts, the security desk and the on-call team");
  inLocale("fr-CA");
  assert.equal(acks.acknowledgementText({ acknowledgements: by(3) }),
               "p0@example.com a confirmé la réception 0:42 après votre appel, et 2 autres personnes depuis — "
               + "les secours arrivent");
  inLocale("da-DK");
  assert.equal(acks.acknowledgementText({ acknowledgements: [], notified: 2 }),
               "Dine kontakter har fået besked; ingen har kvitteret endnu.");
});

test("a callback the backend routed rings the simulated adapter once per ring", () => {
  let n = 0;
  const calling = createSimulatedCalling({ uuid: () => `id-${++n}` });
  const rung = [];
  calling.onIncomingCall((call) => rung.push(call));
  const first = calling.routedCallback({ id: "corr-1", from: "+12025550177" });
  assert.equal(calling.routedCallback({ id: "corr-1", from: "+12025550177" }), first); // polled again: the same call
  calling.routedCallback({ id: "corr-2", from: null });
  assert.deepEqual(rung.map((c) => [c.callbackId, c.from]), [["corr-1", "+12025550177"], ["corr-2", null]]);
});

test("the panel's client reads the server's now from the emergency-state answer", async () => {
  const answer = { ok: true, status: 200, json: async () => ({ emergency: false }),
                   headers: new Map([["X-Server-Now", "2026-12-07T17:00:00.000+00:00"]]) };
  const client = createEmergencyClient({ fetch: async () => answer });
  const seen = await new Promise((resolve) => {
    const stop = client.watchPanel("alice", (state, serverNow) => { stop(); resolve({ state, serverNow }); });
  });
  assert.deepEqual(seen, { state: { emergency: false }, serverNow: "2026-12-07T17:00:00.000+00:00" });
  // an answer without the header (an older backend) says null: the screen's clock is used meanwhile
  const bare = createEmergencyClient({ fetch: async () => ({ ok: true, status: 200, json: async () => ({}) }) });
  assert.equal((await bare.request("GET", "/x")).serverNow, null);
});
