// Small DOM helpers: text only (never innerHTML), so what the server sends can never become markup.
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

export function say(text, kind = "ok") {
  const region = $("messages");
  region.replaceChildren(h("p", { class: `message message-${kind}` }, text));
  setTimeout(() => { if (region.textContent === text) region.replaceChildren(); }, 8000);
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

export function clock(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
}
