// Unsaved edits are never lost without asking: each form registers what it holds (`track`), and leaving it — another
// view of the page, a link, Back, closing or reloading the tab — asks first while what it holds differs from what
// was loaded or saved.
import { h } from "./dom.js";
import { confirmAction } from "./dialog.js";
import { t } from "../common/i18n.js";
import { joinWords } from "./language.js";

const tracked = new Set();

/**
 * Track the form `element` under `name` ("the notification template"); `snapshot()` answers what it holds now.
 * Answers {reset, dirty}: call reset() once what it holds is loaded or saved.
 */
export function track(name, element, snapshot) {
  let baseline = JSON.stringify(snapshot());
  const entry = { name, element, dirty: () => element.isConnected && JSON.stringify(snapshot()) !== baseline };
  tracked.add(entry);
  return {
    reset() { baseline = JSON.stringify(snapshot()); },
    dirty: entry.dirty,
    release() { tracked.delete(entry); },
  };
}

/** The names of the forms with unsaved changes on the page now. */
export function unsavedNames() {
  return [...tracked].filter((entry) => entry.dirty()).map((entry) => entry.name);
}

/** Forget the forms no longer on the page (the router calls it once a view is shown). */
export function forgetDetached() {
  for (const entry of tracked) if (!entry.element.isConnected) tracked.delete(entry);
}

/** Ask whether to leave `names` unsaved: true to leave (their changes lost), false to stay. */
export async function confirmLeaving(names, what = t("unsaved.leavePage")) {
  const left = await confirmAction({
    title: t("unsaved.title"),
    intro: [h("p", {}, t("unsaved.notSaved", { list: joinWords(names) })),
      h("p", {}, t("unsaved.lost", { what }))],
    confirmLabel: t("unsaved.leave"), cancelLabel: t("unsaved.stay"),
    action: async () => true,
  });
  return left === true;
}

/** The browser's own question when the tab is closed or reloaded with unsaved changes. */
export function guardUnload() {
  window.addEventListener("beforeunload", (event) => {
    if (!unsavedNames().length) return;
    event.preventDefault();
    event.returnValue = "";  // Chromium asks only when returnValue is set
  });
}
