// The audit log: who changed which field of what, when, from what to what.
import { get } from "../api.js";
import { h, heading, field, table, timeEl } from "../dom.js";

// As shared/domain/audit.py's ENTITIES.
const ENTITIES = ["agent", "template", "callback-number", "capacity-profile", "outbound-profile", "resource-number",
  "routing-rule", "site", "notification-rules"];

export async function auditView() {
  const entity = h("select", { name: "entity" }, h("option", { value: "" }, "Everything"),
    ENTITIES.map((e) => h("option", { value: e }, e)));
  const entityId = h("input", { name: "entityId", autocomplete: "off" });
  const results = h("div", { "aria-live": "polite" });

  async function load() {
    const query = new URLSearchParams({ limit: "200" });
    if (entity.value) query.set("entity", entity.value);
    if (entityId.value.trim()) query.set("entityId", entityId.value.trim());
    const { entries } = await get(`manage/audit?${query}`);
    results.replaceChildren(table("Audit log entries", ["When", "Who", "What", "Field", "Old value", "New value"],
      changeRows(entries, { showEntity: true }), { empty: "No change matches.", captionHidden: true }));
  }
  await load();

  return h("section", {}, heading("Audit log"),
    h("p", { class: "lead" }, "Every change made here or through the admin API, newest first."),
    h("form", { class: "filters", role: "search", onsubmit: (e) => { e.preventDefault(); load(); } },
      field("Entity", entity), field("ID or number", entityId),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Show"))),
    results);
}

export function changeRows(entries, { showEntity }) {
  return entries.map((e, i) => h("tr", { class: i > 0 && entries[i - 1].changeId === e.changeId ? "same-change" : "" },
    h("td", {}, timeEl(e.at)),
    h("td", {}, h("span", { title: e.actor.userId }, e.actor.name || e.actor.userId)),
    showEntity ? h("td", {}, `${e.action} ${e.entity} `, h("code", {}, e.entityId)) : null,
    h("th", { scope: "row" }, e.field),
    h("td", {}, value(e.old)),
    h("td", {}, value(e.new))));
}

function value(text) {
  if (text === null || text === undefined) return h("span", { class: "muted" }, "(none)");
  if (text.length <= 160) return h("span", { class: "value" }, text);
  // Focusable: a long value scrolls, and the keyboard must scroll it too.
  return h("details", {}, h("summary", {}, `${text.slice(0, 120)}…`),
    h("pre", { class: "value-full", tabindex: "0" }, text));
}
