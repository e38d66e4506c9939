// What the panel tells her about her contacts' acknowledgements of the emergency notification (issue 20): the
// emergency-state answer's `acknowledgements` (oldest first) and `notified` (recipients the notification was
// accepted for). Pure: the words only, so the browser tests can check them without a call.

/** 42 -> "0:42", 605 -> "10:05"; null when the value is not a number of seconds. */
export function minutesSeconds(seconds) {
  if (typeof seconds !== "number" || !Number.isFinite(seconds)) return null;
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * "g***@example.com acknowledged 0:42 after your call — help is on the way" (with ", and 2 others since" when
 * more did), "Your contacts have been notified; no one has acknowledged yet." when none did, "" when nobody was
 * notified or the answer says nothing of acknowledgements (an older backend).
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
  return notified > 0 ? "Your contacts have been notified; no one has acknowledged yet." : "";
}
