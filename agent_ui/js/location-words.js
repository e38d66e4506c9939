// What the location card says, in words (pure: no DOM, no clock of its own): the street line of a site, a place
// inside it, and how old her confirmation is. A confirmation older than CONFIRMED_FOR_MS counts as unconfirmed
// on a call (the backend's dispatchable.CONFIRMED_FOR), so the card says so in the same terms.
import { plural, t } from "./text.js";

export const CONFIRMED_FOR_MS = 12 * 3600_000;

// Where the street name comes before the house number ("Eksempelvej 12"), as shared/domain/addresses.py writes it.
const STREET_FIRST = new Set(["DK"]);

/** The street line of an RFC 5139 address: HNO (+ HNS) + RD + STS, e.g. "1 Example Plaza", "12A Example Street". */
export function streetLine(address) {
  const a = address ?? {};
  const suffix = a.HNS ?? "";
  const number = suffix ? (/^[A-Za-z]+$/.test(suffix) ? `${a.HNO ?? ""}${suffix}` : `${a.HNO ?? ""} ${suffix}`)
    : (a.HNO ?? "");
  const road = [a.RD, a.STS].filter(Boolean).join(" ");
  const parts = STREET_FIRST.has(a.country) ? [road, number] : [number, road];
  return parts.map((p) => String(p).trim()).filter(Boolean).join(" ");
}

/** A place inside a site, as the picker shows it: "Floor 3, room 301", "Floor 3, North wing". */
export function placeLabel(place) {
  const parts = [place?.floor && t("place.floor", { floor: place.floor }),
                 place?.wing && t("place.wing", { wing: place.wing }),
                 place?.room && t("place.room", { room: place.room })].filter(Boolean);
  const text = parts.join(t("place.separator"));
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** What a place puts in the Room field: the location API has floor and room only, so a wing goes with the room. */
export function placeRoom(place) {
  if (place?.wing && place?.room) {
    return [t("place.wing", { wing: place.wing }), t("place.room", { room: place.room })].join(t("place.separator"));
  }
  if (place?.wing) return t("place.wing", { wing: place.wing });
  return place?.room ?? "";
}

/**
 * How old her confirmation is, from its `reportedAt` (ISO) at `now` (ms): "confirmed just now", "confirmed 5 min
 * ago", "confirmed 2 h ago", "not confirmed in the last 12 hours" or "never confirmed".
 */
export function confirmationAge(reportedAt, now) {
  const at = reportedAt ? Date.parse(reportedAt) : NaN;
  if (Number.isNaN(at)) return t("age.never");
  const age = Math.max(0, now - at); // a clock a little ahead of the server's is not "in the future"
  if (age >= CONFIRMED_FOR_MS) return t("age.stale");
  if (age < 60_000) return t("age.justNow");
  if (age < 3600_000) return plural("age.minutes", Math.floor(age / 60_000));
  return plural("age.hours", Math.floor(age / 3600_000));
}

/** True when the confirmation counts on a call (12 hours at most). */
export function isFresh(reportedAt, now) {
  const at = reportedAt ? Date.parse(reportedAt) : NaN;
  return !Number.isNaN(at) && now - at < CONFIRMED_FOR_MS;
}

/** Her confirmed place in a few words: "1 Example Plaza, floor 3, room 301". */
export function placeWords(location) {
  if (!location) return "";
  return [location.address, location.floor && t("place.floorLower", { floor: location.floor }),
          location.room && t("place.room", { room: location.room })].filter(Boolean).join(t("place.separator"));
}
