// Confirmation dialogs: a modal <dialog> (the page behind it is inert), the safe choice focused first, Tab kept
// inside, Escape cancels, focus back where it was. A destructive action shows what it would change first (the
// server's impact answer), and a refusal (409) is said inside the dialog, never lost behind it.
import { h } from "./dom.js";
import { t } from "../common/i18n.js";

let dialogs = 0;
const FOCUSABLE = "button:not([disabled]):not([hidden]), [href], input:not([disabled]), select, textarea, [tabindex]";

/**
 * Ask before an action. `title`: the question; `intro`: what it means (text or nodes); `confirmLabel`: the action's
 * button; `impact`: an async function answering the impact ({allowed, refusal, summary, usedBy, agents}), shown before
 * the action can be confirmed; `action`: async, run on confirmation (its error is shown in the dialog, which stays);
 * `focusAfter`: a function answering the element to focus once the action is done (cancelled: the opener).
 * Resolves to the action's result, or null when cancelled.
 */
export function confirmAction({ title, intro, confirmLabel, cancelLabel = t("dialog.cancel"), impact = null, action,
  focusAfter = null, danger = true }) {
  const n = ++dialogs;
  const opener = document.activeElement;
  const titleId = `dialog-${n}-title`;
  const body = h("div", { id: `dialog-${n}-body` }, typeof intro === "string" ? h("p", {}, intro) : intro);
  const impactBox = h("div", { class: "impact", id: `dialog-${n}-impact` });
  const error = h("div", { class: "form-error", id: `dialog-${n}-error` });
  const confirm = h("button", { type: "button", class: danger ? "danger" : "primary" }, confirmLabel);
  const cancel = h("button", { type: "button" }, cancelLabel);
  const element = h("dialog", { class: "confirm", "aria-labelledby": titleId,
    "aria-describedby": `dialog-${n}-body dialog-${n}-impact dialog-${n}-error` },
  h("h2", { id: titleId }, title), body, impactBox, error, h("div", { class: "actions" }, confirm, cancel));
  let result = null;
  let busy = false;

  return new Promise((resolve) => {
    element.addEventListener("keydown", (e) => { if (e.key === "Tab") trap(element, e); });
    element.addEventListener("cancel", (e) => { if (busy) e.preventDefault(); });  // Escape, unless it is running
    element.addEventListener("close", () => {
      element.remove();
      const target = (result !== null && focusAfter && focusAfter()) || again(opener);
      if (target && target.isConnected) target.focus();
      resolve(result);
    });
    cancel.addEventListener("click", () => element.close());
    confirm.addEventListener("click", async () => {
      busy = true;
      confirm.disabled = cancel.disabled = true;
      error.replaceChildren();
      error.removeAttribute("role");
      try {
        result = (await action()) ?? true;
      } catch (failed) {
        error.append(h("p", {}, t("dialog.notDone", { message: failed.message })));
        error.setAttribute("role", "alert");  // read out from the dialog: the page behind it is inert
        busy = false;
        confirm.disabled = cancel.disabled = false;
        cancel.focus();
        return;
      }
      busy = false;
      element.close();
    });
    (document.getElementById("main") || document.body).append(element);
    element.showModal();
    cancel.focus();  // the safe choice first
    if (impact) loadImpact();
  });

  async function loadImpact() {
    confirm.hidden = true;
    impactBox.setAttribute("aria-busy", "true");
    impactBox.replaceChildren(h("p", { class: "muted" }, t("dialog.checking")));
    let answer;
    try {
      answer = await impact();
    } catch (failed) {
      impactBox.replaceChildren(h("p", { role: "alert" }, t("dialog.checkFailed", { message: failed.message })));
      cancel.textContent = t("dialog.close");
      return;
    } finally {
      impactBox.removeAttribute("aria-busy");
    }
    impactBox.replaceChildren(...impactView(answer));
    if (answer.allowed) {
      confirm.hidden = false;
    } else {
      cancel.textContent = t("dialog.close");
    }
    if (element.contains(document.activeElement) || document.activeElement === document.body) cancel.focus();
  }
}

const STATUS_WORDS = () => ({ pass: t("readiness.pass"), warning: t("readiness.warning"), fail: t("readiness.fail") });
const USED_BY = () => ({ agent: t("dialog.usedBy.agent"), "outbound-profile": t("dialog.usedBy.outboundProfile") });
const FIELD_WORDS = () => ({ capacityProfile: t("dialog.field.capacityProfile"),
  outboundProfile: t("dialog.field.outboundProfile"), capacityProfiles: t("dialog.field.capacityProfiles") });

/** The impact answer in words: the summary, who uses the item, each agent's checks that get worse, the refusal. */
export function impactView(impact) {
  const [status, usedBy, fields] = [STATUS_WORDS(), USED_BY(), FIELD_WORDS()];
  return [
    h("p", { class: "impact-summary" }, impact.summary),
    impact.usedBy.length ? [h("h3", {}, t("dialog.usedByTitle")), h("ul", { class: "compact" }, impact.usedBy.map((u) =>
      h("li", {}, t("dialog.usedBy", { kind: usedBy[u.kind] || u.kind, name: u.name, id: u.id,
        field: fields[u.field] || u.field }))))]
      : null,
    impact.agents.length ? [h("h3", {}, t("dialog.readinessTitle")), h("ul", { class: "compact" },
      impact.agents.map((a) => h("li", { dataset: { agent: a.agentId } },
        `${a.displayName}: ${status[a.before] || a.before} → ${status[a.after] || a.after}`,
        h("ul", {}, a.checks.map((c) => h("li", {}, `${c.title}: ${c.reason}`))))))] : null,
    impact.allowed ? null : h("p", { class: "impact-refusal", role: "alert" }, impact.refusal),
  ].flat().filter(Boolean);
}

/** The opener, or the element that replaced it while the dialog was open (a view that refreshed redraws its rows;
 * the same button has the same data-focus-key). */
function again(opener) {
  if (!opener || opener.isConnected || !opener.dataset || !opener.dataset.focusKey) return opener;
  return document.querySelector(`[data-focus-key="${CSS.escape(opener.dataset.focusKey)}"]`);
}

/** Keep Tab and Shift+Tab inside the dialog. */
function trap(element, e) {
  const items = [...element.querySelectorAll(FOCUSABLE)].filter((el) => !el.hidden && el.offsetParent !== null);
  if (!items.length) return;
  const first = items[0];
  const last = items[items.length - 1];
  if (e.shiftKey && (document.activeElement === first || !element.contains(document.activeElement))) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (document.activeElement === last || !element.contains(document.activeElement))) {
    e.preventDefault();
    first.focus();
  }
}
