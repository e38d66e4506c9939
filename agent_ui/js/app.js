// The reference agent panel: presence, the dialer (the dialer contract through emergency-client.js), emergency
// mode, the callback window and a ringing callback, her call history and her location.
import { acknowledgementKind, acknowledgementText } from "./acknowledgements.js";
import { chooseCalling } from "./calling/choose.js";
import { $, clock, h, say } from "./dom.js";
import { createEmergencyClient } from "./emergency-client.js";
import { classify } from "./emergency-numbers.js";
import { createLocation } from "./location.js";
import { createDrill } from "./drill.js";

const PRESENCE = ["Available", "Busy", "Away", "BeRightBack", "DoNotDisturb", "Offline"];
const LABELS = { BeRightBack: "Be right back", DoNotDisturb: "Do not disturb" };
const KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#"];

// The agent API behind sign-in (/api/agent/...): a browser holds no function key.
const client = createEmergencyClient({ apiPath: "/api/agent", onConnection: (ok) => { $("offline").hidden = ok; } });
const calling = chooseCalling();
let me = null;
let place = null;
let call = null; // { id, number, country, emergency, test, emergencyCallId, answer }
let windowEndsAt = null;
let ringing = null;
// The pre-dial hint of the number being typed: { key, id, held, until } (held: the id the backend confirmed).
let hint = null;
let lastDial = null; // { number, startedAt, answerMs, source, preDialed }

async function start() {
  // The dialer works before anything is known of her: it is wired first, and a failed sign-in lookup (storage
  // slow or down) is retried in the background while she can already dial.
  $("keypad").replaceChildren(...KEYS.map((k) => h("button", { type: "button", "aria-label": `Digit ${k}`,
    onclick: () => { $("number").value += k; $("number").focus(); hintIfEmergency(); } }, k)));
  $("number").addEventListener("input", hintIfEmergency);
  $("dialer").addEventListener("submit", (e) => { e.preventDefault(); dial($("number").value.trim()); });
  $("end-call").addEventListener("click", endCall);
  $("device-settings").addEventListener("click", () => { $("device-panel").hidden = !$("device-panel").hidden; });
  $("presence").replaceChildren(...PRESENCE.map((p) => h("option", { value: p }, LABELS[p] ?? p)));
  $("presence-form").addEventListener("submit", setPresence);
  $("answer-callback").addEventListener("click", answerCallback);
  $("refresh").addEventListener("click", () => { loadHistory(); loadPresence(); });
  $("save").addEventListener("click", () => say("Saved."));
  calling.onIncomingCall((incoming) => { ringing = incoming; showRinging(true, incoming.from); });
  // For the demo and the tests: the simulated adapter's hook, and how long the last dial waited for its answer.
  globalThis.agentPanel = { calling, client, lastDial: () => lastDial };
  document.addEventListener("keydown", (e) => { if (e.key === "Escape" && call) endCall(); });
  $("number").focus();
  while (!me) {
    const r = await client.request("GET", "/api/agent/me");
    if (r.ok) { me = r.body; break; }
    say(`${r.body?.error ?? "Could not tell who is signed in."} You can still dial; retrying…`, "error");
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
  $("title").textContent = `Agent panel: ${me.displayName}`;
  $("who").textContent = `Signed in as ${me.user}`;
  place = createLocation({ client, agentId: me.agentId, initial: me.location });
  createDrill({ client, agentId: me.agentId, dial, endCall, current: () => call, lastDial: () => lastDial });
  await Promise.all([loadPresence(), loadHistory()]);
  client.watchPanel(me.agentId, showState, { intervalMs: 1000 });
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
  if (!number) { $("number-error").textContent = "Type a number first."; $("number").focus(); return; }
  if (call) return;
  $("number-error").textContent = "";
  const country = place?.country() ?? null;
  const local = classify(number, country);
  const started = performance.now();
  const held = local.emergency ? heldFor(number, country) : null;
  hint = null;
  clearTimeout(hintTimer);
  call = { number, country, emergency: local.emergency, test: local.test };
  let answer = { dial: true, emergency: local.emergency, test: local.test };
  try { // nothing before the call is placed may keep it from being placed
    if (local.emergency) enterEmergency(local.test); // at once: never waits on the backend to know 911 is 911
    showInCall(`Calling ${number}…`);
    answer = await client.beforeDial({ agentId: me?.agentId ?? null, number, countryCode: country,
                                       location: place?.location() ?? null, held });
    lastDial = { number, startedAt: started, answerMs: performance.now() - started, source: answer.source,
                 preDialed: !!held };
    Object.assign(call, { answer, emergencyCallId: answer.emergencyCallId });
    if (answer.emergency && !call.emergency) { call.emergency = true; call.test = answer.test; enterEmergency(answer.test); }
    showAnswer(answer);
    answer.late?.then((late) => { if (late && call?.emergencyCallId === late.emergencyCallId) showAnswer(late); });
  } catch (error) {
    say(`The server could not be told about this call (${error?.message ?? error}); it is placed anyway.`, "error");
  }
  const placed = await calling.placeCall({ number, callerId: answer.callerId ?? null, countryCode: country,
                                           emergency: call.emergency });
  call.id = placed.id;
  showInCall(call.emergency ? `On the line with ${call.test ? "the test number" : "emergency services"} (${number})`
                            : `On a call with ${number}`);
  if (call.emergencyCallId) {
    const ids = await placed.ids;
    client.callIds(call.emergencyCallId, { agentId: me?.agentId ?? null, ...ids });
  }
}

// What she reads to the operator, who asks for both: where she is and the number to call back on.
function showWhere(location) {
  const line = location?.readout;
  const unconfirmed = location?.source && location.source !== "confirmed";
  $("tell-where").textContent = line
    ? `Tell the operator: ${line}${unconfirmed ? " (not confirmed recently: make sure it is where you are)" : ""}`
    : "No location is known for you: tell the operator your address, floor and room.";
}

const DIGIT_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];

/** "+1 202 555 0104" -> "one, two zero two, five five five, zero one zero four": digits an operator can write. */
function numberInWords(number) {
  const digits = String(number ?? "").replace(/\D/g, "");
  if (!digits) return "";
  const national = digits.length === 11 && digits.startsWith("1") ? digits.slice(1) : digits;
  const groups = national.length === 10 ? [national.slice(0, 3), national.slice(3, 6), national.slice(6)]
    : national.match(/.{1,3}/g);
  return groups.map((g) => [...g].map((d) => DIGIT_WORDS[Number(d)]).join(" ")).join(", ");
}

function showAnswer(answer) {
  if (!answer.emergency) return;
  showWhere(answer.location);
  const readable = answer.callbackNumber ? numberInWords(answer.callbackNumber) : "";
  $("callback-words").textContent = readable ? `Say it digit by digit: ${readable}.` : "";
  // The server's phrase says what the responder sees on this call's path (on direct offer that is the emergency
  // service's temporary number, not a number of ours), so it is the callback line itself.
  $("emergency-callback").textContent = answer.responderCallback ?? answer.callbackNumber ?? (answer.source === "browser"
    ? "not known yet (no answer from the server)" : "assigned by the emergency service");
  if ((answer.warnings ?? []).some((w) => w.code === "not_recorded")) {
    say("The server could not record this call: your contacts may not be told. Tell your supervisor.", "error");
  }
}

async function endCall() {
  if (!call) return;
  const ending = call;
  call = null;
  if (ending.id) await calling.endCall(ending.id);
  showInCall(null);
  if (!ending.emergencyCallId) { leaveEmergency(); loadHistory(); return; }
  leaveEmergency();
  const r = await client.end(ending.emergencyCallId, { agentId: me?.agentId ?? null, dialedNumber: ending.number,
                                                       countryCode: ending.country });
  if (r?.ok && r.body?.callbackWindowEndsAt) showWindow(r.body.callbackWindowEndsAt);
}

function enterEmergency(test) {
  if (call && !call.callback) showAcknowledged(null); // a new call: an earlier call's acknowledgements are not hers
  document.body.classList.add("emergency");
  $("emergency").hidden = false;
  $("emergency").classList.toggle("test", !!test);
  $("emergency-title").textContent = test ? "Test call (933) in progress" : "Emergency call in progress";
  $("emergency-detail").textContent = "Stay on the line. Only device settings and End call are available.";
  $("end-call").hidden = false;
  $("window").hidden = true;
  $("end-call").focus();
}

function leaveEmergency() {
  document.body.classList.remove("emergency");
  $("number").value = "";
  $("presence").removeAttribute("aria-invalid");
  $("presence-error").textContent = "";
  $("emergency").hidden = true;
  $("end-call").hidden = !call;
  loadPresence();
}

function showInCall(text) {
  $("in-call").hidden = !text;
  $("call-status").textContent = text ?? "";
  $("end-call").hidden = !text && !call;
  $("call").disabled = !!text;
}

let lastEmergency = null;
let presenceReads = 0;

function showState(state) {
  // Presence follows the emergency call (DND, then restored by the backend): read it again when that flips,
  // and for a few seconds after, while the restore is on its way.
  if (state.emergency !== lastEmergency) { lastEmergency = state.emergency; presenceReads = 5; }
  if (presenceReads > 0) { presenceReads -= 1; loadPresence(); }
  if (state.emergency && !document.body.classList.contains("emergency")) {
    enterEmergency(state.test); // e.g. the page was opened again during the call
    $("emergency-callback").textContent = state.responderCallback ?? state.callbackNumber
      ?? "assigned by the emergency service";
    showWhere(state.location);
    $("callback-words").textContent = state.callbackNumber
      ? `Say it digit by digit: ${numberInWords(state.callbackNumber)}.` : "";
  } else if (!state.emergency && !call?.emergency && document.body.classList.contains("emergency")) {
    leaveEmergency();
  }
  if (!state.emergency && state.callbackWindowOpen && state.callbackWindowEndsAt) showWindow(state.callbackWindowEndsAt);
  if (!state.callbackWindowOpen) { windowEndsAt = null; $("window").hidden = true; }
  const status = state.callback?.status;
  if (status === "ringing") showRinging(true, null);
  else if (!ringing) showRinging(false);
  if (state.emergency) $("presence-now").textContent = LABELS.DoNotDisturb;
  showAcknowledged(state);
}

// Who of her contacts acknowledged the notification, during the call and while her callback window runs. On a
// call she dialed, only that call's (the state may still name the previous window's until the backend catches up).
function showAcknowledged(state) {
  const own = call?.emergency && !call.callback;
  const current = own ? !!call.emergencyCallId && state?.emergencyCallId === call.emergencyCallId
    : !!(state?.emergency || state?.callbackWindowOpen);
  const text = current ? acknowledgementText(state) : "";
  // Written only when it changes: the state is polled every second, and a polite region reads each change.
  if ($("acknowledged").textContent !== text) $("acknowledged").textContent = text;
  $("acknowledged").dataset.kind = current ? acknowledgementKind(state) : "";
}

function showWindow(endsAt) {
  windowEndsAt = endsAt;
  $("window").hidden = false;
  $("window-text").textContent = `Emergency services may call you back until ${clock(endsAt)}; `
    + "the call will ring through whatever your status.";
  tickWindow();
}

function tickWindow() {
  if (!windowEndsAt) return;
  const minutes = Math.max(0, Math.ceil((new Date(windowEndsAt) - Date.now()) / 60_000));
  $("window-left").textContent = `${minutes} minute${minutes === 1 ? "" : "s"} left.`;
}
setInterval(tickWindow, 15_000);

function showRinging(on, from) {
  const wasHidden = $("ringing").hidden;
  $("ringing").hidden = !on;
  if (on && from) $("ringing-detail").textContent = `From ${from}. The call rings through whatever your status.`;
  if (on && wasHidden) $("answer-callback").focus();
}

async function answerCallback() {
  if (ringing) {
    const answered = await ringing.accept();
    call = { id: answered.id, number: ringing.from, emergency: true, test: false, callback: true };
    ringing = null;
    enterEmergency(false);
    $("emergency-title").textContent = "Emergency callback in progress";
    showInCall(`On the line with emergency services (callback)`);
  }
  showRinging(false);
}

async function loadPresence() {
  if (!me) return;
  const r = await client.request("GET", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/presence`);
  if (!r.ok) return;
  $("presence-now").textContent = LABELS[r.body.status] ?? r.body.status;
  $("presence").value = r.body.status;
}

async function setPresence(event) {
  event.preventDefault();
  const status = $("presence").value;
  if (!me) { $("presence-error").textContent = "Not changed: the panel does not know who you are yet."; return; }
  const r = await client.request("PUT", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/presence`, { status });
  if (r.ok) {
    $("presence").removeAttribute("aria-invalid");
    $("presence-error").textContent = "";
    $("presence-now").textContent = LABELS[r.body.status] ?? r.body.status;
    say(`Presence set to ${LABELS[status] ?? status}.`);
    return;
  }
  const reason = r.body?.error ?? (r.status ? `refused (${r.status})` : "no connection to the server");
  $("presence").setAttribute("aria-invalid", "true");
  $("presence-error").textContent = `Not changed: ${reason}`;
  loadPresence();
}

async function loadHistory() {
  if (!me) return;
  const r = await client.request("GET", `${client.apiPath}/agents/${encodeURIComponent(me.agentId)}/call-history`);
  if (!r.ok) return;
  const rows = r.body.calls.map((c) => h("tr", {}, h("td", {}, c.at ? new Date(c.at).toLocaleString() : ""),
    h("td", {}, c.number ?? "unknown"), h("td", {}, c.direction ?? "")));
  $("history").replaceChildren(...rows);
  $("history-empty").hidden = rows.length > 0;
}

start();
