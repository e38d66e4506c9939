// The pages' words, from message catalogues (one JSON file per locale beside each page: locales/<locale>.json),
// never from code. Formats (dates, numbers) come from the browser's Intl in the same locale (time.js).
// t("panel.callbackCountdown", { time: "12:03 EST" }) → the catalogue's text with {time} filled in; a key missing in
// the locale's catalogue falls back to en-US's, and a key missing there shows as the key (a test checks none is).

export const LOCALES = ["en-US", "en-CA", "fr-CA", "en-GB", "da-DK", "en-AU"];
export const FALLBACK = "en-US";

let current = { locale: FALLBACK, messages: {}, fallback: {} };

/** The supported locale for a wish (the agent's or site's setting first, then the browser's languages). */
export function pickLocale(...wishes) {
  for (const wish of wishes.flat()) {
    if (!wish) continue;
    const exact = LOCALES.find((l) => l.toLowerCase() === String(wish).toLowerCase());
    if (exact) return exact;
    const language = String(wish).split("-")[0].toLowerCase();
    const same = LOCALES.find((l) => l.split("-")[0] === language);
    if (same) return same;
  }
  return FALLBACK;
}

/** Load the catalogue of `locale` (and en-US's beside it) from `base` (e.g. "locales/"); returns the locale. */
export async function load(locale, { base = "locales/", fetchImpl = globalThis.fetch } = {}) {
  const read = async (l) => {
    const r = await fetchImpl(`${base}${l}.json`, { credentials: "same-origin" });
    if (!r.ok) throw new Error(`catalogue ${l}: ${r.status}`);
    return r.json();
  };
  const fallback = await read(FALLBACK);
  const messages = locale === FALLBACK ? fallback : await read(locale).catch(() => fallback);
  use(locale, messages, fallback);
  return locale;
}

/** Use catalogues already at hand (tests, or a page that bundles them). */
export function use(locale, messages, fallback = messages) {
  current = { locale, messages, fallback };
  if (globalThis.document) document.documentElement.lang = locale;
}

export const locale = () => current.locale;

/** The text of `key` with each {name} replaced by params[name]. */
export function t(key, params = {}) {
  const text = current.messages[key] ?? current.fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/**
 * Translate the static page: every element with data-i18n="key" gets the text; data-i18n-attr="attr:key;attr:key"
 * sets attributes (aria-label, placeholder, title).
 */
export function translate(root = globalThis.document) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const pair of el.dataset.i18nAttr.split(";")) {
      const [attr, key] = pair.split(":").map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
}
