// Small DOM helpers: elements are built with textContent only (never innerHTML), so data can't become markup.
import { formatDateTime } from "../common/time.js";
import { locale, t } from "../common/i18n.js";

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else if (name === "dataset") Object.assign(el.dataset, value);
    else if (name in el && typeof value !== "string") el[name] = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let messageTimer = null;

/** Tell the user something in the live region (read out by screen readers). */
export function announce(text, kind = "ok") {
  const region = document.getElementById("messages");
  clear(region);
  region.append(h("p", { class: `message message-${kind}` }, text));
  clearTimeout(messageTimer);
  messageTimer = setTimeout(() => clear(region), 8000);
}

const STATUS_TEXT = () => ({ pass: t("status.pass"), warning: t("status.warning"), fail: t("status.fail") });
const STATE_TEXT = () => ({ free: t("pool.state.free"), leased: t("pool.state.leased"),
  quarantined: t("pool.state.quarantined"), retired: t("pool.state.retired") });

export function statusBadge(status) {
  return h("span", { class: `badge badge-${status}` }, STATUS_TEXT()[status] || status);
}

export function stateBadge(state) {
  return h("span", { class: `badge state-${state}` }, STATE_TEXT()[state] || state);
}

/** "7 Dec 2026, 12:03 EST": every date and time of the page, in the viewer's zone with its abbreviation
 * (common/time.js: the agent's panel shows time the same way); an unreadable value is shown as it came. */
export function fmtTime(iso) {
  if (!iso) return "";
  return formatDateTime(iso, { locale: locale() }) || String(iso);
}

export function timeEl(iso) {
  return iso ? h("time", { datetime: iso }, fmtTime(iso)) : "";
}

/** Text for screen readers only, e.g. the header of a column of buttons (an empty header names nothing). */
export function visuallyHidden(text) {
  return h("span", { class: "visually-hidden" }, text);
}

export function table(caption, headers, rows, { empty = null, captionHidden = false } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty ?? t("table.empty"));
  return h("div", { class: "table-wrap" },
    h("table", {},
      h("caption", { class: captionHidden ? "visually-hidden" : "" }, caption),
      h("thead", {}, h("tr", {}, headers.map((text) => h("th", { scope: "col" }, text)))),
      h("tbody", {}, rows)));
}

let fieldCounter = 0;

/** A labelled form field with a hint and an error slot wired with aria-describedby. */
export function field(label, control, { hint = "", className = "" } = {}) {
  const id = control.id || `f${++fieldCounter}`;
  control.id = id;
  const hintEl = hint ? h("p", { class: "hint", id: `${id}-hint` }, hint) : null;
  const errorEl = h("div", { class: "field-error", id: `${id}-error` });
  control.setAttribute("aria-describedby", [hintEl ? `${id}-hint` : "", `${id}-error`].join(" ").trim());
  const isCheck = control.type === "checkbox";
  return h("div", { class: `field ${isCheck ? "field-check" : ""} ${className}`, dataset: { field: control.name } },
    isCheck ? [control, h("label", { for: id }, label)] : [h("label", { for: id }, label), control],
    hintEl, errorEl);
}

/** Show the server's 400 on the form: under the field it names (with each bad item), else at the top. */
export function showErrors(form, error) {
  clearErrors(form);
  const names = [error.field, ...(error.aliases || [])];
  const control = names.map((n) => n && form.querySelector(`[name="${CSS.escape(n)}"]`)).find(Boolean);
  const target = control ? form.querySelector(`#${CSS.escape(control.id)}-error`) : form.querySelector(".form-error");
  const lines = (error.details || []).map((d) => describeDetail(d));
  const summary = lines.length ? t("form.pleaseCorrect") : error.message;
  append(target, [h("p", {}, control || !error.field ? summary : `${error.field}: ${summary}`),
    lines.length ? h("ul", {}, lines.map((l) => h("li", {}, l))) : null]);
  target.setAttribute("role", "alert");
  if (control) {
    control.setAttribute("aria-invalid", "true");
    control.focus();
  }
}

/** One line of a 400's details: “item” (item N): reason, or field line N: message. */
export function describeDetail(d) {
  if (d.item !== undefined) return t("form.badItem", { item: d.item, position: d.position, reason: d.reason });
  if (d.line !== undefined) {
    return d.line ? t("form.badLine", { field: d.field, line: d.line, message: d.message })
      : `${d.field}: ${d.message}`;
  }
  return JSON.stringify(d);
}

export function clearErrors(form) {
  form.querySelectorAll(".field-error, .form-error").forEach((el) => { clear(el); el.removeAttribute("role"); });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
}

export function heading(text) {
  return h("h1", { tabindex: "-1" }, text);
}
