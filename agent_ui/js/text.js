// The panel's words and formats in the agent's locale: the message catalogues (locales/<locale>.json, loaded with
// common/i18n.js) and times through common/time.js (the viewer's local time with its zone abbreviation).
//
// Nothing here stands between the agent and a dial: the catalogues load in the background (again and again until
// they come), the page's own English (index.html) stands meanwhile and is what t() answers for a key the page
// carries, and every text set through show() is written again when a catalogue arrives or the locale changes.
import * as i18n from "../common/i18n.js";
import * as time from "../common/time.js";

const BASE = new URL("../locales/", import.meta.url).href;
const RETRY_MS = 5000;
// The words of each element shown through show(): written again on a new catalogue. Pruned once out of the page.
const bound = new Map();
// The English index.html carries (data-i18n, and the emergency call's words in template#english-words), for t()
// until a catalogue has loaded.
const english = new Map();
let loaded = false;
let wanted = null;
let queue = Promise.resolve();

const doc = globalThis.document;
for (const root of [doc, doc?.getElementById("english-words")?.content]) {
  for (const el of root?.querySelectorAll("[data-i18n]") ?? []) {
    english.set(el.dataset.i18n, el.textContent.replace(/\s+/g, " ").trim());
  }
}

/** The catalogue's text of `key` with its {placeholders} filled; the page's English until a catalogue is loaded. */
export function t(key, params = {}) {
  if (loaded || !english.has(key)) return i18n.t(key, params);
  return english.get(key).replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The plural form of `key` for `count` (`key.one` / `key.other`, by the locale's rules), {count} formatted. */
export function plural(key, count, params = {}) {
  const form = new Intl.PluralRules(locale()).select(count) === "one" ? "one" : "other";
  return t(`${key}.${form}`, { ...params, count: number(count) });
}

export const locale = () => i18n.locale();

/** Show `key`'s text in `el` now and again whenever the catalogue changes; written only when it differs. */
export function show(el, key, params = {}) {
  showWith(el, () => t(key, params));
}

/** Show what `render()` answers in `el`, now and again whenever the catalogue changes. */
export function showWith(el, render) {
  bound.set(el, render);
  write(el, render());
}

/** Empty `el` and forget its words. */
export function clear(el) {
  bound.delete(el);
  write(el, "");
}

function write(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

/**
 * Choose the locale from the wishes in order (her profile's locale, then the browser's languages) and load its
 * catalogue in the background; resolves once it is in use (or another locale was chosen meanwhile). Never rejects.
 */
export function chooseLocale(...wishes) {
  const chosen = i18n.pickLocale(...wishes);
  if (chosen === wanted) return queue;
  wanted = chosen;
  queue = queue.then(() => loadUntilLoaded(chosen));
  return queue;
}

async function loadUntilLoaded(chosen) {
  while (wanted === chosen) {
    try {
      await i18n.load(chosen, { base: BASE });
      loaded = true;
      i18n.translate(globalThis.document);
      for (const [el, render] of bound) {
        if (el.isConnected) write(el, render()); else bound.delete(el);
      }
      return;
    } catch (error) {
      console.warn(`catalogue ${chosen} not loaded; the page's English stands meanwhile`, error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

// ---- formats (Intl, in the locale in use) -------------------------------------------------------------------

/** "12:03 PM EST": a time of day with its zone. */
export const clockTime = (value) => time.formatTime(value, { locale: locale() });
/** "Dec 7, 2026, 12:03 PM EST": a date and time with its zone. */
export const dateTime = (value) => time.formatDateTime(value, { locale: locale() });
/** "Dec 7, 2026": a date. */
export const date = (value) => time.formatDate(value, { locale: locale() });
export const number = (value, options = {}) => new Intl.NumberFormat(locale(), options).format(value);

/** ["a", "b", "c"] -> "a, b and c" (as the locale joins a list). */
export function list(items) {
  return new Intl.ListFormat(locale(), { style: "long", type: "conjunction" }).format(items);
}

/** "US" -> "United States" (in the locale); the code itself when Intl does not know it. */
export function region(code) {
  try {
    return new Intl.DisplayNames([locale()], { type: "region" }).of(code) ?? code;
  } catch {
    return code;
  }
}

/** Whether two instants fall on the same calendar day where the viewer is. */
export function sameDay(a, b) {
  const day = (value) => time.formatDate(value, { locale: "en-CA" });
  return day(a) === day(b);
}
