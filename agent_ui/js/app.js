// The reference agent panel: presence, the dialer (the dialer contract through emergency-client.js), emergency
// mode, the callback window and a ringing callback, her call history and her location. Its words come from the
// message catalogues (text.js), loaded beside the dialer and never awaited by it.
import { acknowledgementKind, acknowledgementText } from "./acknowledgements.js";
import { createCallbackBanner } from "./callback-banner.js";
import { digitsLine, responderWords, windowWords } from "./callback-words.js";
import { chooseCalling } from "./calling/choose.js";
import { $, h, say } from "./dom.js";
import { createEmergencyClient } from "./emergency-client.js";
import { classify } from "./emergency-numbers.js";
import { createLocation } from "./location.js";
import { createDrill } from "./drill.js";
import { chooseLocale, clear, dateTime, show, showWith, t } from "./text.js";
import { createServerClock } from "../common/time.js";

const PRESENCE = { Available: "presence.available", Busy: "presence.busy", Away: "presence.away",
                   BeRightBack: "presence.beRightBack", DoNotDisturb: "presence.doNotDisturb",
                   Offline: "presence.offline" };
const ALERT_TITLES = { emergency: "alert.emergency", test: "alert.test", callback: "alert.callback" };
const CATALOGUE_WAIT_MS = 3000;
const DIRECTIONS = { inbound: "history.inbound", outbound: "history.outbound", unknown: "history.unknownDirection" };

// The agent API behind sign-in (/api/agent/...): a browser holds no function key.
const client = createEmergencyClient({ apiPath: "/api/agent", onConnection: (ok) => { $("offline").hidden = ok; } });
const calling = chooseCalling();
// The server's clock, synced from each emergency-state answer (X-Server-Now): the countdown runs on it.
const serverClock = createServerClock();
let me = null;
let place = null;
let call = null; // { id, number, country, emergency, test, callback, emergencyCallId, answer }
let lastState = null;
// The pre-dial hint of the number being typed: { key, id, held, until } (held: the id the backend confirmed).
let hint = null;
let lastDial = null; // { number, startedAt, answerMs, source, preDialed }
const banner = createCallbackBanner({ calling, serverNow: () => serverClock.now(), onAnswered: tookCallback,
                                      busy: () => !!call });

async function start() {
  // The dialer works before anything is known of her: it is wired first, and a failed sign-in lookup (storage
  // slow or down) is retried in the background while she can already dial. The catalogue loads meanwhile.
  for (const key of $("keypad").querySelectorAll("button[data-digit]")) {
    key.addEventListener("click", () => {
      $("number").value += key.dataset.digit;
      $("number").focus();
      hintIfEmergency();
    });
  }
  $("number").addEventListener("input", hintIfEmergency);
  $("dialer").addEventListener("submit", (e) => { e.preventDefault(); dial($("number").value.trim()); });
  $("end-call").addEventListener("click", endCall);
  // The other side hung up (the operator, the responder) or the network dropped the call: it ends here as with
  // End call (the backend is told; ACS's CallEnded tells it too, and a second end changes nothing).
  calling.onEnded?.((id) => {
    if (!call || call.id !== id) return;
    say(() => t("call.endedByOther"));
    endCall();
  });
  $("device-settings").addEventListener("click", toggleDeviceSettings);
  $("presence").replaceChildren(...Object.entries(PRESENCE).map(([status, key]) => {
    const option = h("option", { value: status });
    show(option, key);
    return option;
  }));
  $("presence-form").addEventListener("submit", setPresence);
  $("refresh").addEventListener("click", () => { loadHistory(); loadPresence(); });
  $("save").addEventListener("click", () => say(() => t("call.saved")));
  // For the demo and the tests: the simulated adapter's hook, and how long the last dial waited for its answer.
  globalThis.agentPanel = { calling, client, lastDial: () => lastDial, serverNow: () => serverClock.now() };
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Escape") return;
    if (call) endCall();
    else if (!$("device-panel").hidden) toggleDeviceSettings();
  });
  $("number").focus();
  while (!me) {
    const r = await client.request("GET", "/api/agent/me");
    if (r.ok) { me = r.body; break; }
    chooseLocale(navigator.languages); // until her profile can be read
    say(() => t("page.whoUnknown", { reason: r.body?.error ?? t("page.whoUnknownReason") }), "error");
    await sleep(5000);
  }
  // Her profile's locale, when it names one. The rest of the panel waits a moment for its catalogue (the dialer,
  // wired above, never does): what it writes is then in her language from the start.
  await Promise.race([chooseLocale(me.locale, navigator.languages), sleep(CATALOGUE_WAIT_MS)]);
  show($("title"), "page.titleFor", { name: me.displayName });
  show($("who"), "page.signedInAs", { user: me.user });
  // How old her confirmation is counts on the server's clock too.
  place = createLocation({ client, agentId: me.agentId, initial: me.location, now: () => serverClock.now().getTime() });
  createDrill({ client, agentId: me.agentId, dial, endCall, current: () => call, lastDial: () => lastDial });
  await Promise.all([loadPresence(), loadHistory()]);
  client.watchPanel(me.agentId, showState, { intervalMs: 1000 });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function toggleDeviceSettings() {
  const open = $("device-panel").hidden;
  $("device-panel").hidden = !open;
  $("device-settings").setAttribute("aria-expanded", String(open));
  if (!open) $("device-settings").focus();
}

// An emergency number typed: the backend holds its callback number before Call (never awaited by the dial: a
// hint whose answer has not come is not used, and a hold no dial claims lapses on its own). Sent once the field has
// rested HINT_AFTER_MS (not for every prefix of a longer number); used for 90 s (the backend holds it for 2 min).
const HINT_AFTER_MS = 150;
const HINT_USABLE_MS = 90_000;
let hintTimer = null;

function hintIfEmergency() {
  clearTimeout(hintTimer);
  hintTimer = setTimeout(sendHint, HINT_AFTER_MS);
}

function sendHint() {
  const number = $("number").value.trim();
  const country = place?.country() ?? null;
  if (call || !me || !classify(number, country).emergency) return;
  const key = hintKey(number, country);
  if (hint?.key === key) return;
  const id = hint?.id ?? client.newCallId(); // one id while she types: a new number moves the same hold
  const mine = { key, id, held: null, until: 0 };
  hint = mine;
  client.preDial({ agentId: me.agentId, number, countryCode: country, emergencyCallId: id })
    .then((held) => { mine.held = held; mine.until = Date.now() + HINT_USABLE_MS; });
}

const hintKey = (number, country) => `${number}|${country}`;

/** The id of a hold the backend confirmed for exactly this number and country, still in time; else null. */
function heldFor(number, country) {
  const usable = hint?.held && hint.key === hintKey(number, country) && Date.now() < hint.until;
  return usable ? hint.held : null;
}

async function dial(number) {
  if (!number) { show($("number-error"), "call.numberMissing"); $("number").focus(); return; }
  if (call) return;
  clear($("number-error"));
  const country = place?.country() ?? null;
  const local = classify(number, country);
  const started = performance.now();
  const held = local.emergency ? heldFor(number, country) : null;
  hint = null;
  clearTimeout(hintTimer);
  const mine = { number, country, emergency: local.emergency, test: local.test, answered: false };
  call = mine;
  let answer = { dial: true, emergency: local.emergency, test: local.test };
  try { // nothing before the call is placed may keep it from being placed
    if (local.emergency) enterEmergency(local.test ? "test" : "emergency"); // at once: 911 is 911 without the backend
    showInCall("call.calling", { number });
    answer = await client.beforeDial({ agentId: me?.agentId ?? null, number, countryCode: country,
                                       location: place?.location() ?? null, held });
    lastDial = { number, startedAt: started, answerMs: performance.now() - started, source: answer.source,
                 preDialed: !!held };
    Object.assign(mine, { answer, emergencyCallId: answer.emergencyCallId, answered: true });
    if (call !== mine) { // she hung up before the call was placed: none is placed, and the backend is told
      if (mine.emergencyCallId) tellEnded(mine);
      return;
    }
    if (answer.emergency && !mine.emergency) {
      mine.emergency = true;
      mine.test = answer.test;
      enterEmergency(answer.test ? "test" : "emergency");
    }
    showAnswer(answer);
    answer.late?.then((late) => { if (late && call?.emergencyCallId === late.emergencyCallId) showAnswer(late); });
  } catch (error) {
    say(() => t("call.notTold", { reason: error?.message ?? String(error) }), "error");
  }
  if (call !== mine) return;
  const placed = await calling.placeCall({ number, callerId: answer.callerId ?? null, countryCode: country,
                                           emergency: mine.emergency });
  mine.id = placed.id;
  if (call !== mine) { calling.endCall(placed.id); return; } // she hung up while it was being placed
  if (!mine.emergency) showInCall("call.onNormal", { number });
  else showInCall(mine.test ? "call.onTest" : "call.onEmergency", { number });
  if (mine.emergencyCallId) {
    const ids = await placed.ids;
    client.callIds(mine.emergencyCallId, { agentId: me?.agentId ?? null, ...ids });
  }
}

// What she reads to the operator, who asks for both: where she is and the number to call back on.
function showWhere(location) {
  const line = location?.readout;
  const unconfirmed = location?.source && location.source !== "confirmed";
  if (!line) show($("tell-where"), "alert.noLocation");
  else show($("tell-where"), unconfirmed ? "alert.tellWhereUnconfirmed" : "alert.tellWhere", { line });
}

/** The callback line of the alert, from the dial's answer or an emergency-state answer. */
function showCallbackLine(answer) {
  showWith($("callback-words"), () => digitsLine(answer.callbackNumber));
  // On direct offer what the responder sees is the emergency service's temporary number, not one of ours: the
  // path decides the words. With no answer from the server, nothing is known yet.
  if (answer.source === "browser") show($("emergency-callback"), "alert.callbackUnknown");
  else showWith($("emergency-callback"), () => responderWords(answer));
}

function showAnswer(answer) {
  if (!answer.emergency) return;
  showWhere(answer.location);
  showCallbackLine(answer);
  if ((answer.warnings ?? []).some((w) => w.code === "not_recorded")) say(() => t("call.notRecorded"), "error");
}

async function endCall() {
  if (!call) return;
  const ending = call;
  call = null;
  if (ending.emergencyCallId) ended.add(ending.emergencyCallId);
  // A hang-up the calling SDK refuses (the call already gone, the network) still ends the call for her: the page
  // leaves emergency mode and the backend is told, never an emergency mode or a Do Not Disturb she cannot leave.
  try {
    if (ending.id) await calling.endCall(ending.id);
  } catch (error) {
    console.error("the hang-up failed; the call is ended here all the same", error);
  }
  showInCall(null);
  leaveEmergency();
  // A dial whose answer has not come yet tells the backend itself, once it knows the call's id.
  if (ending.answered && ending.emergencyCallId) await tellEnded(ending);
  else if (ending.answered || ending.callback) loadHistory();
}

/** The backend is told the emergency call ended; her window shows at once from its answer. */
async function tellEnded(ending) {
  ended.add(ending.emergencyCallId);
  const r = await client.end(ending.emergencyCallId, { agentId: me?.agentId ?? null, dialedNumber: ending.number,
                                                       countryCode: ending.country });
  if (r?.ok && r.body?.callbackWindowEndsAt && !call?.emergency) {
    showWindow({ ...(ending.answer ?? {}), ...(lastState?.emergencyCallId === ending.emergencyCallId ? lastState : {}),
                 callbackWindowEndsAt: r.body.callbackWindowEndsAt });
  }
}

/** Emergency mode: `kind` "emergency", "test" or "callback" (the alert's title). */
function enterEmergency(kind) {
  if (call && !call.callback) showAcknowledged(null); // a new call: an earlier call's acknowledgements are not hers
  document.body.classList.add("emergency");
  $("emergency").hidden = false;
  $("emergency").classList.toggle("test", kind === "test");
  show($("emergency-title"), ALERT_TITLES[kind]);
  $("end-call").hidden = false;
  $("window").hidden = true;
  $("end-call").focus();
}

function leaveEmergency() {
  document.body.classList.remove("emergency");
  $("number").value = "";
  $("presence").removeAttribute("aria-invalid");
  clear($("presence-error"));
  $("emergency").hidden = true;
  $("end-call").hidden = !call;
  if (lastState?.callbackWindowOpen && lastState.callbackWindowEndsAt) showWindow(lastState);
  $("number").focus();
  loadPresence();
}

function showInCall(key, params = {}) {
  $("in-call").hidden = !key;
  if (key) show($("call-status"), key, params); else clear($("call-status"));
  $("end-call").hidden = !key && !call;
  $("call").disabled = !!key;
}

let lastEmergency = null;
let presenceReads = 0;
// The calls she ended: a poll answered before the backend had the end still says they are in progress.
const ended = new Set();

function showState(answer, serverNow) {
  serverClock.sync(serverNow);
  const state = answer.emergency && ended.has(answer.emergencyCallId) ? { ...answer, emergency: false } : answer;
  lastState = state;
  // Presence follows the emergency call (DND, then restored by the backend): read it again when that flips,
  // and for a few seconds after, while the restore is on its way.
  if (state.emergency !== lastEmergency) { lastEmergency = state.emergency; presenceReads = 5; }
  if (presenceReads > 0) { presenceReads -= 1; loadPresence(); }
  if (state.emergency && !document.body.classList.contains("emergency")) {
    enterEmergency(state.test ? "test" : "emergency"); // e.g. the page was opened again during the call
    showWhere(state.location);
    showCallbackLine(state);
  } else if (!state.emergency && !call?.emergency && document.body.classList.contains("emergency")) {
    leaveEmergency();
  }
  if (!state.emergency && !call?.emergency && state.callbackWindowOpen && state.callbackWindowEndsAt) {
    showWindow(state);
  }
  if (!state.callbackWindowOpen) { windowShown = null; $("window").hidden = true; }
  banner.fromState(state.callback ?? null);
  if (state.emergency) showPresence("DoNotDisturb");
  showAcknowledged(state);
}

// Who of her contacts acknowledged the notification, during the call and while her callback window runs. On a
// call she dialed, only that call's (the state may still name the previous window's until the backend catches up).
function showAcknowledged(state) {
  const own = call?.emergency && !call.callback;
  const current = own ? !!call.emergencyCallId && state?.emergencyCallId === call.emergencyCallId
    : !!(state?.emergency || state?.callbackWindowOpen);
  if (current) showWith($("acknowledged"), () => acknowledgementText(state)); else clear($("acknowledged"));
  $("acknowledged").dataset.kind = current ? acknowledgementKind(state) : "";
}

// The callback window after the call: her callback number (in figures and in words), until when emergency services
// may call back and the minutes left, on the server's clock. Shown from End call's answer at once, then from each
// emergency-state answer while the window is open.
let windowShown = null; // { endsAt }

function showWindow(state) {
  const endsAt = state.callbackWindowEndsAt;
  windowShown = { endsAt };
  $("window").hidden = false;
  showWith($("window-number"), () => state.callbackNumber ?? responderWords(state));
  showWith($("window-words"), () => digitsLine(state.callbackNumber));
  tickWindow();
}

function tickWindow() {
  if (!windowShown || $("window").hidden) return;
  const { endsAt } = windowShown;
  showWith($("window-text"), () => windowWords(endsAt, serverClock.now()).until);
  showWith($("window-left"), () => windowWords(endsAt, serverClock.now()).left);
}
setInterval(tickWindow, 5000);

function tookCallback({ id, from }) {
  call = { id, number: from, emergency: true, test: false, callback: true };
  enterEmergency("callback");
  showInCall("call.onCallback");
}

function showPresence(status) {
  showWith($("presence-now"), () => (PRESENCE[status] ? t(PRESENCE[status]) : status));
}

async function loadPresence() {
  if (!me) return;
  const r = await client.request("GET", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/presence`);
  if (!r.ok) return;
  showPresence(r.body.status);
  $("presence").value = r.body.status;
}

async function setPresence(event) {
  event.preventDefault();
  const status = $("presence").value;
  if (!me) { show($("presence-error"), "presence.notKnown"); return; }
  const r = await client.request("PUT", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/presence`, { status });
  if (r.ok) {
    $("presence").removeAttribute("aria-invalid");
    clear($("presence-error"));
    showPresence(r.body.status);
    say(() => t("presence.changed", { status: t(PRESENCE[status] ?? "presence.unknown") }));
    return;
  }
  const reason = r.body?.error
    ?? (r.status ? t("presence.refused", { status: r.status }) : t("presence.noConnection"));
  $("presence").setAttribute("aria-invalid", "true");
  show($("presence-error"), "presence.notChanged", { reason });
  loadPresence();
}

async function loadHistory() {
  if (!me) return;
  const r = await client.request("GET", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/call-history`);
  if (!r.ok) return;
  const rows = r.body.calls.map((c) => {
    const cells = [h("td"), h("td"), h("td")];
    showWith(cells[0], () => (c.at ? dateTime(c.at) : ""));
    if (c.number) cells[1].textContent = c.number; else show(cells[1], "history.unknownNumber");
    if (DIRECTIONS[c.direction]) show(cells[2], DIRECTIONS[c.direction]); else cells[2].textContent = c.direction ?? "";
    return h("tr", {}, ...cells);
  });
  $("history").replaceChildren(...rows);
  $("history-empty").hidden = rows.length > 0;
}

start();
