// What the panel says of her callback number: how the responder reaches her on the call's path (during the call
// and for the whole window after it), the number digit by digit, and the window's end and minutes left, counted on
// the server's clock. Pure: the words only (text.js), no DOM and no clock of its own.
import { clockTime, plural, t } from "./text.js";

const DIGITS = ["digit.0", "digit.1", "digit.2", "digit.3", "digit.4", "digit.5", "digit.6", "digit.7", "digit.8",
                "digit.9"];

/** "+1 202 555 0104" -> "one, two zero two, five five five, zero one zero four": digits an operator can write. */
export function numberInWords(number) {
  const digits = String(number ?? "").replace(/\D/g, "");
  if (!digits) return "";
  const national = digits.length === 11 && digits.startsWith("1") ? digits.slice(1) : digits;
  const groups = national.length === 10 ? [national.slice(0, 3), national.slice(3, 6), national.slice(6)]
    : national.match(/.{1,3}/g);
  return groups.map((g) => [...g].map((d) => t(DIGITS[Number(d)])).join(" ")).join(", ");
}

/** "Say it digit by digit: …." for a number; "" for none. */
export function digitsLine(number) {
  const words = numberInWords(number);
  return words ? t("callback.digits", { digits: words }) : "";
}

/**
 * What follows "Callback number:" on the call's path (as shared/domain/emergency_path.py responder_reach says it),
 * from the dial's answer or the emergency-state answer: `emergencyPath`, `callbackNumber`, `callbackNumberSource`,
 * `callbackWindowEndsAt`.
 */
export function responderWords({ emergencyPath, callbackNumber, callbackNumberSource, callbackWindowEndsAt } = {}) {
  const until = callbackWindowEndsAt ? clockTime(callbackWindowEndsAt) : t("callback.windowEnd");
  if (emergencyPath === "direct_offer") {
    return t("callback.directOffer", { until })
      + (callbackNumber ? t("callback.alsoGive", { number: callbackNumber }) : "");
  }
  if (callbackNumber && callbackNumberSource === "pool") return t("callback.pool", { number: callbackNumber, until });
  if (callbackNumber) return t("callback.own", { number: callbackNumber });
  return t("callback.none");
}

/** Whole minutes left until `endsAt` (RFC 3339) at `now` (a Date on the server's clock), never negative. */
export function minutesLeft(endsAt, now) {
  const ms = Date.parse(endsAt) - now.getTime();
  return Number.isNaN(ms) ? 0 : Math.max(0, Math.ceil(ms / 60_000));
}

/** "Emergency services may call you back until 12:03 PM EST; …" and "59 minutes left." */
export function windowWords(endsAt, now) {
  return { until: t("window.until", { time: clockTime(endsAt) }),
           left: plural("window.minutesLeft", minutesLeft(endsAt, now)) };
}

/** Who is calling her back, from the backend's `callback` (or the calling adapter's `from`). */
export function callerWords(from) {
  return from ? t("ringing.from", { number: from }) : t("ringing.fromUnknown");
}
