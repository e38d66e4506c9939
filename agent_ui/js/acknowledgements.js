// What the panel tells her about her contacts' acknowledgements of the emergency notification (issue 20): the
// emergency-state answer's `acknowledgements` (oldest first), `notified` (recipients the notification was
// accepted for) and, while nobody has acknowledged, `escalation` (the next step: who it tells, on which channels,
// when). Pure: the words only, so the browser tests can check them without a call.
import { clock } from "./dom.js";

// Who an escalation step tells, as she would say it (the policy's audiences).
const AUDIENCE_WORDS = { notified: "everyone notified", agent: "your emergency contacts",
  siteDesk: "the security desk", onCall: "the on-call team" };

/** 42 -> "0:42", 605 -> "10:05"; null when the value is not a number of seconds. */
export function minutesSeconds(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return null;
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** ["siteDesk", "onCall"] -> "the security desk and the on-call team"; "" for none. */
export function audiencesInWords(audiences) {
  const said = (Array.isArray(audiences) ? audiences : []).map((a) => AUDIENCE_WORDS[a] || a);
  if (said.length < 2) return said.join("");
  return `${said.slice(0, -1).join(", ")} and ${said[said.length - 1]}`;
}

/**
 * "No one has acknowledged yet — escalating to the security desk at 12:05" (" by phone" when the step only calls);
 * "" when the step says nothing usable.
 */
export function escalationText(step) {
  const who = audiencesInWords(step?.audiences);
  const due = step && !Number.isNaN(Date.parse(step.dueAt)) ? clock(step.dueAt) : "";
  if (!who || !due) return "";
  const byPhone = Array.isArray(step.channels) && step.channels.length === 1 && step.channels[0] === "voice";
  return `No one has acknowledged yet — escalating to ${who}${byPhone ? " by phone" : ""} at ${due}`;
}

/** What acknowledgementText says, as a word for styling: "acknowledged", "escalating", "notified" or "". */
export function acknowledgementKind(state) {
  const text = acknowledgementText(state);
  if (!text) return "";
  if (Array.isArray(state?.acknowledgements) && state.acknowledgements.length) return "acknowledged";
  return text.startsWith("No one has acknowledged yet — escalating") ? "escalating" : "notified";
}

/**
 * "g***@example.com acknowledged 0:42 after your call — help is on the way" (with ", and 2 others since" when
 * more did); while no one did, the escalation to come ("No one has acknowledged yet — escalating to the security
 * desk at 12:05") or, with none to come, "Your contacts have been notified; no one has acknowledged yet."; "" when
 * nobody was notified and no one else will be, or the answer says nothing of acknowledgements (an older backend).
 */
export function acknowledgementText(state) {
  const acks = Array.isArray(state?.acknowledgements) ? state.acknowledgements : [];
  if (acks.length) {
    const first = acks[0];
    const after = minutesSeconds(first.secondsAfterDial);
    const others = acks.length - 1;
    return `${first.by || "Someone"} acknowledged ${after ? `${after} after your call` : "your call"}`
      + (others ? `, and ${others} other${others === 1 ? "" : "s"} since` : "")
      + " — help is on the way";
  }
  const notified = Number(state?.notified) || 0;
  const next = state?.escalation;
  // With nobody notified, a step that tells only "everyone notified" tells nobody: it is not announced.
  const tellsSomeone = notified > 0 || (next?.audiences || []).some((a) => a !== "notified");
  const escalating = tellsSomeone ? escalationText(next) : "";
  if (escalating) return escalating;
  return notified > 0 ? "Your contacts have been notified; no one has acknowledged yet." : "";
}
