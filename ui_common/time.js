// One way of showing time on every page: the viewer's local time with its zone abbreviation ("12:03 EST",
// "7 Dec 2026, 12:03 GMT"), in the page's locale, through the browser's Intl. The API sends RFC 3339 (`Z` or an
// offset); counting (a countdown, minutes since a dial) runs on the server's clock, never the screen's.

const zoneOf = (timeZone) => (timeZone ? { timeZone } : {});

/** "12:03 EST" (or "12:03:58 EST" with `seconds`: a timeline): the time of day with the zone, for an RFC 3339
 * string or a Date; "" for nothing. */
export function formatTime(value, { locale, timeZone, seconds = false } = {}) {
  const when = toDate(value);
  if (!when) return "";
  return new Intl.DateTimeFormat(locale, { hour: "numeric", minute: "2-digit",
                                           ...(seconds ? { second: "2-digit" } : {}), timeZoneName: "short",
                                           ...zoneOf(timeZone) }).format(when);
}

/** "7 Dec 2026, 12:03 GMT": the date and time with the zone. */
export function formatDateTime(value, { locale, timeZone, seconds = false } = {}) {
  const when = toDate(value);
  if (!when) return "";
  return new Intl.DateTimeFormat(locale, { year: "numeric",
                                           month: "short", day: "numeric", hour: "numeric", minute: "2-digit",
                                           ...(seconds ? { second: "2-digit" } : {}), timeZoneName: "short",
                                           ...zoneOf(timeZone) }).format(when);
}

/** "7 Dec 2026": a date alone (a YYYY-MM-DD date is a calendar day, shown as it is, never shifted by a zone). */
export function formatDate(value, { locale, timeZone } = {}) {
  if (typeof value === "string" && /^\d{4}-\d{2}-\d{2}$/.test(value)) {
    const [y, m, d] = value.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric", timeZone: "UTC" })
      .format(new Date(Date.UTC(y, m - 1, d)));
  }
  const when = toDate(value);
  if (!when) return "";
  return new Intl.DateTimeFormat(locale, { year: "numeric", month: "short", day: "numeric",
                                           ...zoneOf(timeZone) }).format(when);
}

/** "59:07" or "1:02:03": a duration in whole seconds, never negative. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Whether an API time string is RFC 3339 (a `T`, seconds, and `Z` or an offset). */
export function isRfc3339(value) {
  return typeof value === "string"
    && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);
}

/**
 * The server's clock as seen from this page: `sync(serverNow)` with the server's RFC 3339 now (a header or a field)
 * each time an answer comes; `now()` is the server's now estimated from the screen's monotonic clock since then.
 * A screen whose clock is wrong by an hour still counts down the right minutes.
 */
export function createServerClock({ monotonic = () => performance.now() } = {}) {
  let offset = null; // server epoch ms minus the monotonic clock
  return {
    sync(serverNow) {
      const when = toDate(serverNow);
      if (when) offset = when.getTime() - monotonic();
    },
    known: () => offset !== null,
    now: () => new Date(offset === null ? Date.now() : monotonic() + offset),
  };
}

function toDate(value) {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value !== "string" || !value) return null;
  const when = new Date(value);
  return Number.isNaN(when.getTime()) ? null : when;
}
