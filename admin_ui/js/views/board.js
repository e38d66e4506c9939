// The security desk's live emergency board (issue 21): every emergency call in progress and every open callback
// window, polled every second with the board's ETag (a 304 costs nothing). A new emergency is highlighted and, once
// the desk pressed "Enable sound" (browsers allow audio only after a gesture), beeps. Acknowledge per call.
import { ApiError, post, enc } from "../api.js";
import { h, heading, announce, timeEl } from "../dom.js";
import { formatTime } from "../../common/time.js";
import { locale, num, plural, t } from "../language.js";

const POLL_MS = 1000;
const NEW_FOR_MS = 15000;  // how long a new emergency stays highlighted
const ROLE = "EmergencyCalling.SecurityDesk";
let audio = null;  // one AudioContext per page, made by the "Enable sound" press

export async function boardView(ctx) {
  const state = { tag: null, seen: null, fresh: new Map(), last: null, stopped: false, view: null, offset: 0 };
  const list = h("ul", { class: "board-calls", "aria-label": t("board.calls") });
  const status = h("p", { class: "board-status" }, t("board.connecting"));
  const sound = h("button", { type: "button", class: "board-sound", onclick: enableSound },
    audio ? t("board.soundOn") : t("board.enableSound"));
  if (audio) sound.disabled = true;
  const root = h("section", { class: "board" }, heading(t("board.title")),
    h("p", { class: "lead" }, t("board.lead")),
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
      status.textContent = t("board.live", { time: formatTime(state.last, { locale: locale() }) });
      status.classList.remove("board-stale");
    } catch (error) {
      if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
        state.stopped = true;
        root.replaceChildren(heading(error.status === 401 ? t("app.signInRequired") : t("app.notAllowed")),
          h("p", { role: "alert" }, error.message),
          h("p", {}, t("board.needsRole", { role: ROLE })));
        return;
      }
      status.textContent = t("board.notUpdated", {
        time: state.last ? formatTime(state.last, { locale: locale() }) : t("board.pageOpened"),
        message: error.message || t("board.noAnswer") });
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
      : [h("li", { class: "board-empty" }, t("board.empty"))]));
    if (arrived.length) {
      beep();
      announce(arrived.map((c) => t(c.test ? "board.newCallTest" : "board.newCall",
        { agent: c.agentName, number: c.dialedNumber })).join(". "), "error");
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
  const where = [c.site, c.floor && t("board.floor", { floor: c.floor }), c.room && t("board.room", { room: c.room })]
    .filter(Boolean).join(", ");
  const acks = (n.acknowledgements || []).map((a) =>
    h("li", {}, t("board.ackBy", { by: a.by, channel: a.channel, seconds: a.secondsAfterDial ?? "?" })));
  const button = h("button", { type: "button", class: "board-ack", disabled: mine,
    onclick: async () => {
      button.disabled = true;
      try {
        await post(`manage/board/${enc(c.emergencyCallId)}/acknowledge`, {});
        announce(t("board.acknowledgedAnnounce", { agent: c.agentName }));
        button.textContent = t("board.ackedByYou");
        refresh();
      } catch (error) {
        button.disabled = false;
        announce(error.message, "error");
      }
    } }, mine ? t("board.ackedByYou") : t("board.acknowledge"));
  const ringing = c.callback && c.callback.status === "ringing";
  return h("li", { class: `board-call${isNew ? " board-new" : ""}${c.test ? " board-test" : ""}`,
    dataset: { callId: c.emergencyCallId } },
  h("article", { "aria-label": `${c.agentName}, ${c.dialedNumber}` },
    h("h2", {}, c.agentName, " · ", h("span", { class: "board-number" }, c.dialedNumber),
      c.test ? h("span", { class: "badge badge-test" }, t("board.test")) : null,
      isNew ? h("span", { class: "badge board-badge-new" }, t("board.new")) : null,
      ringing ? h("span", { class: "badge board-badge-ringing" }, t("board.ringing")) : null),
    h("dl", { class: "board-facts" },
      h("dt", {}, t("board.state")), h("dd", {}, c.inProgress ? t("board.onCall")
        : h("span", {}, t("board.windowOpen"), timeEl(c.callbackWindowEndsAt))),
      h("dt", {}, t("board.since")), h("dd", { class: "board-minutes", dataset: { dialedAt: c.dialedAt } }, ""),
      h("dt", {}, t("board.where")), h("dd", {}, where || "—"),
      h("dt", {}, t("board.location")), h("dd", {}, c.location || t("board.locationUnknown")),
      h("dt", {}, t("board.notified")), h("dd", {}, plural(n.notified ?? 0, "board.people.one", "board.people.other")
        + (n.failed ? t("board.failed", { count: num(n.failed) }) : "")
        + (n.pending ? t("board.sending", { count: num(n.pending) }) : "")),
      h("dt", {}, t("board.acknowledged")), h("dd", {}, acks.length ? h("ul", {}, acks) : t("board.nobody")),
      h("dt", {}, t("board.next")), h("dd", {}, c.escalation
        ? h("span", {}, t("board.stepAt", { name: c.escalation.name }), timeEl(c.escalation.dueAt)) : t("board.none"))),
    button));
}

// Minutes since each dial by the server's clock (its now comes with every answer, 304s included), updated in place.
function minutes(list, offset) {
  for (const el of list.querySelectorAll(".board-minutes")) {
    const since = Math.max(0, Math.floor((Date.now() + offset - Date.parse(el.dataset.dialedAt)) / 60000));
    const text = t("board.minutes", { count: num(since) });
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
  if (!Context) { announce(t("board.noSound"), "error"); return; }
  audio = audio || new Context();
  audio.resume();
  beep();
  event.currentTarget.textContent = t("board.soundOn");
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
