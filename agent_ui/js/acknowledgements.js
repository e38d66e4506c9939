// What the panel tells her about her contacts' acknowledgements of the emergency notification (issue 20): the
// emergency-state answer's `acknowledgements` (oldest first), `notified` (recipients the notification was
// accepted for) and, while nobody has acknowledged, `escalation` (the next step: who it tells, on which channels,
// when). Pure: the words only, so the browser tests can check them without a call.
import { clockTime, list, plural, t } from "./text.js";

// Who an escalation step tells, as she would say it (the policy's audiences).
const AUDIENCE_WORDS = { notified: "audience.notified", agent: "audience.agent", siteDesk: "audience.siteDesk",
                         onCall: "audience.onCall" };

/** 42 -> "0:42", 605 -> "10:05"; null when the value is not a number of seconds. */
export function minutesSeconds(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return null;
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** ["siteDesk", "onCall"] -> "the security desk and the on-call team" (joined as the locale joins); "" for none. */
export function audiencesInWords(audiences) {
  const said = (Array.isArray(audiences) ? audiences : []).map((a) => (AUDIENCE_WORDS[a] ? t(AUDIENCE_WORDS[a]) : a));
  return said.length ? list(said) : "";
}

/**
 * "No one has acknowledged yet — escalating to the security desk at 12:05 PM EST" ("… by phone at …" when the
 * step only calls); "" when the step says nothing usable.
 */
export function escalationText(step) {
  const who = audiencesInWords(step?.audiences);
  const due = step && !Number.isNaN(Date.parse(step.dueAt)) ? clockTime(step.dueAt) : "";
  if (!who || !due) return "";
  const byPhone = Array.isArray(step.channels) && step.channels.length === 1 && step.channels[0] === "voice";
  return byPhone ? t("ack.escalatingByPhone", { who, time: due }) : t("ack.escalating", { who, time: due });
}

/** What acknowledgementText says, as a word for styling: "acknowledged", "escalating", "notified" or "". */
export function acknowledgementKind(state) {
  const text = acknowledgementText(state);
  if (!text) return "";
  if (Array.isArray(state?.acknowledgements) && state.acknowledgements.length) return "acknowledged";
  return escalation(state) ? "escalating" : "notified";
}

/** The escalation step to come, said only when it tells someone (with nobody notified, "everyone notified" is
 * nobody); "" otherwise. */
function escalation(state) {
  const notified = Number(state?.notified) || 0;
  const next = state?.escalation;
  const tellsSomeone = notified > 0 || (next?.audiences || []).some((a) => a !== "notified");
  return tellsSomeone ? escalationText(next) : "";
}

/**
 * "g***@example.com acknowledged 0:42 after your call — help is on the way" (with ", and 2 others since" when
 * more did); while no one did, the escalation to come ("No one has acknowledged yet — escalating to the security
 * desk at 12:05 PM EST") or, with none to come, "Your contacts have been notified; no one has acknowledged yet.";
 * "" when nobody was notified and no one else will be, or the answer says nothing of acknowledgements (an older
 * backend). In the locale in use (text.js).
 */
export function acknowledgementText(state) {
  const acks = Array.isArray(state?.acknowledgements) ? state.acknowledgements : [];
  if (acks.length) {
    const first = acks[0];
    const who = first.by || t("ack.someone");
    const after = minutesSeconds(first.secondsAfterDial);
    const others = acks.length - 1;
    const params = { who, after };
    if (!others) return t(after ? "ack.byAfter" : "ack.by", params);
    return plural(after ? "ack.byAfterAndOthers" : "ack.byAndOthers", others, params);
  }
  const escalating = escalation(state);
  if (escalating) return escalating;
  return (Number(state?.notified) || 0) > 0 ? t("ack.notified") : "";
}
