// The security desk's live emergency board (issue 21): every emergency call in progress and every open callback
// window, polled every second with the board's ETag (a 304 costs nothing). A new emergency is highlighted and, once
// the desk pressed "Enable sound" (browsers allow audio only after a gesture), beeps. Acknowledge per call.
import { ApiError, post, enc } from "../api.js";
import { h, heading, announce, timeEl } from "../dom.js";

const POLL_MS = 1000;
const NEW_FOR_MS = 15000;  // how long a new emergency stays highlighted
const ROLE = "EmergencyCalling.SecurityDesk";
let audio = null;  // one AudioContext per page, made by the "Enable sound" press

export async function boardView(ctx) {
  const state = { tag: null, seen: null, fresh: new Map(), last: null, stopped: false, view: null, offset: 0 };
  const list = h("ul", { class: "board-calls", "aria-label": "Emergency calls" });
  const status = h("p", { class: "board-status" }, "Connecting…");
  const sound = h("button", { type: "button", class: "board-sound", onclick: enableSound },
    audio ? "Sound on" : "Enable sound");
  if (audio) sound.disabled = true;
  const root = h("section", { class: "board" }, heading("Emergency board"),
    h("p", { class: "lead" }, "Emergency calls in progress and open callback windows, live. Normal calls never show."),
    h("div", { class: "board-bar" }, sound, status), list);

  async function poll() {
    if (state.stopped) return;
    if (!root.isConnected && state.last !== null) { state.stopped = true; return; }  // the user left the board
    try {
      const answer = await fetchBoard(state.tag);
      if (answer.serverNow) state.offset = answer.serverNow - Date.now();
      if (answer.status === 200) {
        state.tag = answer.tag;
        render(answer.body);
      } else if (expired(state.fresh)) {
        render(state.view);  // a highlight's time is up
      }
      minutes(list, state.offset);
      state.last = new Date();
      status.textContent = `Live · checked ${state.last.toLocaleTimeString()}`;
      status.classList.remove("board-stale");
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        state.stopped = true;
        root.replaceChildren(heading(error.status === 401 ? "Sign in required" : "Not allowed"),
          h("p", { role: "alert" }, error.message),
          h("p", {}, `The emergency board needs the app role ${ROLE} (or EmergencyCalling.Admin or `
            + "EmergencyCalling.Auditor). Ask an administrator to assign it to you."));
        return;
      }
      status.textContent = `Not updated since ${state.last ? state.last.toLocaleTimeString() : "the page opened"}: `
        + (error.message || "no answer") + ". Trying again…";
      status.classList.add("board-stale");
    }
    setTimeout(poll, POLL_MS);
  }

  function render(view) {
    state.view = view;
    const ids = view.calls.map((c) => c.emergencyCallId);
    const now = Date.now();
    const arrived = state.seen === null ? [] : view.calls.filter((c) => !state.seen.has(c.emergencyCallId));
    for (const c of arrived) state.fresh.set(c.emergencyCallId, now);
    state.seen = new Set(ids);
    list.replaceChildren(...(view.calls.length ? view.calls.map((c) => card(c, state.fresh, ctx, refresh))
      : [h("li", { class: "board-empty" }, "No emergency call in progress and no open callback window.")]));
    if (arrived.length) {
      beep();
      announce(arrived.map((c) => `New emergency call: ${c.agentName}, ${c.dialedNumber}${c.test ? " (TEST)" : ""}`)
        .join(". "), "error");
    }
  }

  function refresh() { state.tag = null; }  // after an acknowledgement: the next poll redraws whatever the tag

  await poll();
  return root;
}

function card(c, fresh, ctx, refresh) {
  const since = fresh.get(c.emergencyCallId);
  const isNew = since !== undefined && Date.now() - since < NEW_FOR_MS;
  const n = c.notification || {};
  const mine = ctx.me && (n.deskMembers || []).includes(ctx.me.userId);
  const where = [c.site, c.floor && `floor ${c.floor}`, c.room && `room ${c.room}`].filter(Boolean).join(", ");
  const acks = (n.acknowledgements || []).map((a) =>
    h("li", {}, `${a.by} (${a.channel}, ${a.secondsAfterDial ?? "?"} s after the dial)`));
  const button = h("button", { type: "button", class: "board-ack", disabled: mine,
    onclick: async () => {
      button.disabled = true;
      try {
        await post(`manage/board/${enc(c.emergencyCallId)}/acknowledge`, {});
        announce(`Acknowledged: ${c.agentName}'s call. Your name is recorded.`);
        button.textContent = "Acknowledged by you";
        refresh();
      } catch (error) {
        button.disabled = false;
        announce(error.message, "error");
      }
    } }, mine ? "Acknowledged by you" : "Acknowledge");
  const ringing = c.callback && c.callback.status === "ringing";
  return h("li", { class: `board-call${isNew ? " board-new" : ""}${c.test ? " board-test" : ""}`,
    dataset: { callId: c.emergencyCallId } },
  h("article", { "aria-label": `${c.agentName}, ${c.dialedNumber}` },
    h("h2", {}, c.agentName, " · ", h("span", { class: "board-number" }, c.dialedNumber),
      c.test ? h("span", { class: "badge badge-test" }, "TEST") : null,
      isNew ? h("span", { class: "badge board-badge-new" }, "NEW") : null,
      ringing ? h("span", { class: "badge board-badge-ringing" }, "Responder calling back") : null),
    h("dl", { class: "board-facts" },
      h("dt", {}, "State"), h("dd", {}, c.inProgress ? "On the call"
        : h("span", {}, "Call ended · callback window open until ", timeEl(c.callbackWindowEndsAt))),
      h("dt", {}, "Since the dial"), h("dd", { class: "board-minutes", dataset: { dialedAt: c.dialedAt } }, ""),
      h("dt", {}, "Where"), h("dd", {}, where || "—"),
      h("dt", {}, "Location"), h("dd", {}, c.location || "not known: ask the agent"),
      h("dt", {}, "Notified"), h("dd", {}, `${n.notified ?? 0} ${n.notified === 1 ? "person" : "people"}`
        + (n.failed ? ` · ${n.failed} failed` : "") + (n.pending ? ` · ${n.pending} sending` : "")),
      h("dt", {}, "Acknowledged"), h("dd", {}, acks.length ? h("ul", {}, acks) : "nobody yet"),
      h("dt", {}, "Next escalation"), h("dd", {}, c.escalation
        ? h("span", {}, `${c.escalation.name} at `, timeEl(c.escalation.dueAt)) : "none")),
    button));
}

// Minutes since each dial by the server's clock (its now comes with every answer, 304s included), updated in place.
function minutes(list, offset) {
  for (const el of list.querySelectorAll(".board-minutes")) {
    const since = Math.max(0, Math.floor((Date.now() + offset - Date.parse(el.dataset.dialedAt)) / 60000));
    const text = `${since} min`;
    if (el.textContent !== text) el.textContent = text;
  }
}

function expired(fresh) {
  let any = false;
  for (const [id, since] of fresh) {
    if (Date.now() - since >= NEW_FOR_MS) { fresh.delete(id); any = true; }
  }
  return any;
}

async function fetchBoard(tag) {
  const headers = { Accept: "application/json" };
  if (tag) headers["If-None-Match"] = tag;
  const response = await fetch("/api/manage/board", { credentials: "same-origin", headers, cache: "no-store" });
  const serverNow = Date.parse(response.headers.get("X-Server-Now") || "") || null;
  if (response.status === 304) return { status: 304, serverNow };
  const text = await response.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { body = { error: text }; }
  if (!response.ok) throw new ApiError(response.status, body);
  return { status: 200, body, tag: response.headers.get("ETag"), serverNow };
}

function enableSound(event) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) { announce("This browser cannot play sounds.", "error"); return; }
  audio = audio || new Context();
  audio.resume();
  beep();
  event.currentTarget.textContent = "Sound on";
  event.currentTarget.disabled = true;
}

function beep() {
  if (!audio || audio.state !== "running") return;
  const tone = audio.createOscillator();
  const gain = audio.createGain();
  tone.type = "square";
  tone.frequency.value = 880;
  gain.gain.setValueAtTime(0.2, audio.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
  tone.connect(gain).connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.6);
  window.boardBeeps = (window.boardBeeps || 0) + 1;  // what the browser test counts
}
