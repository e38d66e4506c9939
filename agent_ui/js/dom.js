// Small DOM helpers: text only (never innerHTML), so what the server sends can never become markup.
import { showWith } from "./text.js";

export const $ = (id) => document.getElementById(id);

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/** A passing message: `words()` answers its text (again when the catalogue changes while it shows). */
export function say(words, kind = "ok") {
  const region = $("messages");
  const message = h("p", { class: `message message-${kind}` });
  showWith(message, words);
  region.replaceChildren(message);
  setTimeout(() => { if (message.isConnected) region.replaceChildren(); }, 8000);
}

/** Show the server's validation message beside its field (and clear the others of `form`). */
export function fieldError(form, field, message) {
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  const input = field ? form.querySelector(`[name="${CSS.escape(field)}"]`) : null;
  if (!input) return false;
  input.setAttribute("aria-invalid", "true");
  $(`${input.id}-error`).textContent = message;
  input.focus();
  return true;
}
