// The emergency numbers ACS supports, recognised in the browser so that a dial never waits for the backend to say
// that 911 is 911. Mirrors shared/domain/numbers.py (the backend's answer still decides the callback number).
export const EMERGENCY_NUMBERS = Object.freeze({
  US: ["911"], PR: ["911"], CA: ["911"], DK: ["112"], GB: ["999", "112"], AU: ["000"],
});
export const TEST_NUMBERS = Object.freeze({ US: ["933"] });
export const SUPPORTED_COUNTRIES = Object.freeze(Object.keys(EMERGENCY_NUMBERS));
const ALL_EMERGENCY = new Set(Object.values(EMERGENCY_NUMBERS).flat());
// Visual separators only; a comma pause, *, # or letters make it another number ("9,911" is not 911).
const SEPARATORS = /[\s\-.()/\u00a0]/g;

/** The digits of a plainly typed short number ("+ 9 1 1" -> "911"), or null. */
export function normalizeDialed(dialed) {
  let compact = String(dialed ?? "").replace(SEPARATORS, "");
  if (compact.startsWith("+")) compact = compact.slice(1);
  return /^[0-9]{1,32}$/.test(compact) ? compact : null;
}

/** { emergency, test, number, country } for what the agent typed in `country` (ISO alpha-2 or null). */
export function classify(dialed, country) {
  const digits = normalizeDialed(dialed);
  const code = /^[A-Za-z]{2}$/.test(country ?? "") ? country.toUpperCase() : null;
  const none = { emergency: false, test: false, number: digits, country: code };
  if (digits === null) return none;
  if (code && (TEST_NUMBERS[code] ?? []).includes(digits)) return { ...none, emergency: true, test: true };
  if (code && EMERGENCY_NUMBERS[code]) return { ...none, emergency: EMERGENCY_NUMBERS[code].includes(digits) };
  // No usable or an unsupported country: any number ACS treats as emergency somewhere still counts.
  return { ...none, emergency: ALL_EMERGENCY.has(digits) };
}
