// Views that show what changes during a call (agents, pool, incidents) read it again while they are open: every few
// seconds while the tab is visible, never after the view is left. Nothing is redrawn when nothing changed, and a
// redraw keeps the keyboard where it was.
import { h } from "./dom.js";
import { formatTime } from "../common/time.js";
import { locale, t } from "../common/i18n.js";

const NEVER_SHOWN_AFTER_MS = 30000;  // a view the user left before it was shown never starts polling

/**
 * Call `load()` every `ms` while `element` is on the page; `load` answers the data and `show(data)` draws it, only
 * when it differs from the last. Answers the status line to put in the view ("Updated 12:03 EST").
 */
export function keepFresh(element, ms, load, show, first) {
  const status = h("p", { class: "refresh-status muted" });
  let last = JSON.stringify(first);
  let attached = false;
  const born = Date.now();
  stamp(status, new Date());

  async function tick() {
    if (!element.isConnected) {
      if (attached || Date.now() - born > NEVER_SHOWN_AFTER_MS) return;  // the view was left: stop for good
      setTimeout(tick, ms);
      return;
    }
    attached = true;
    if (!document.hidden) {
      try {
        const data = await load();
        if (!element.isConnected) return;
        const text = JSON.stringify(data);
        if (text !== last) {
          last = text;
          keepFocus(element, () => show(data));
        }
        stamp(status, new Date());
      } catch (error) {
        status.textContent = t("refresh.failed", { time: status.dataset.at, message: error.message });
      }
    }
    setTimeout(tick, ms);
  }
  setTimeout(tick, ms);
  return status;
}

function stamp(status, when) {
  status.dataset.at = formatTime(when, { locale: locale() });
  status.textContent = t("refresh.updated", { time: status.dataset.at });
}

/** Redraw inside `element` and give the focus back to the element with the same data-focus-key, if any. */
export function keepFocus(element, redraw) {
  const active = document.activeElement;
  const key = active && element.contains(active) ? active.dataset.focusKey : null;
  redraw();
  if (!key || element.contains(document.activeElement)) return;
  const again = element.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
  if (again) again.focus();
}
