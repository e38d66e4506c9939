// The admin's own language for this page (not an agent's, which her profile sets): chosen in the header, kept in
// this browser (localStorage), else the browser's languages; en-US when none is supported. Words come from
// locales/<locale>.json (common/i18n.js), dates and numbers from Intl in the same locale.
import { FALLBACK, load, locale, pickLocale, t, translate, use } from "../common/i18n.js";

const KEY = "emergency-admin.locale";
const BASE = "/api/manage/ui/locales/";

function stored() {
  try { return localStorage.getItem(KEY); } catch { return null; }  // storage refused: the browser's languages
}

/** Load the catalogue of the remembered (or the browser's) language and translate the static page. */
export async function startLanguage() {
  try {
    await load(pickLocale(stored(), navigator.languages), { base: BASE });
  } catch {
    use(FALLBACK, {});  // no catalogue: the page's English stays, and each view says its keys
  }
  translate();
  return locale();
}

/** The header's selector: `mayChange()` is asked first (false: keep the language shown), `changed()` redraws after,
 * `failed(error)` says why a catalogue did not load (the language shown stays). */
export function languageSelector(select, { mayChange, changed, failed }) {
  select.value = locale();
  select.addEventListener("change", async () => {
    const wanted = select.value;
    if (!(await mayChange())) {
      select.value = locale();
      return;
    }
    try { localStorage.setItem(KEY, wanted); } catch { /* kept for this page only */ }
    try {
      await load(wanted, { base: BASE });
    } catch (error) {
      select.value = locale();
      failed(error);
      return;
    }
    translate();
    await changed();
  });
}

/** A number as the page's locale writes it ("1,234", "1 234", "1.234"). */
export function num(value) {
  return Number.isFinite(value) ? new Intl.NumberFormat(locale()).format(value) : String(value ?? "");
}

/** The text of `one` or `other` for `count` by the locale's plural rules ({count} is filled in, as a number). */
export function plural(count, one, other, params = {}) {
  const key = new Intl.PluralRules(locale()).select(count) === "one" ? one : other;
  return t(key, { ...params, count: num(count) });
}

/** "a, b and c" in the page's language. */
export function joinWords(list) {
  if (list.length < 2) return list.join("");
  return t("words.and", { first: list.slice(0, -1).join(", "), last: list[list.length - 1] });
}

export { locale, t };
