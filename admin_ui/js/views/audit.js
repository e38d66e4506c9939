// The audit log: one row per change — who, when, what was done to which entity, and each field old → new in
// words — filtered on the server by entity, ID, who and dates (the viewer's days, sent with their offset).
import { get, ApiError } from "../api.js";
import { h, heading, field, table, timeEl, showErrors, clearErrors, visuallyHidden } from "../dom.js";
import { entityLabel, fieldLabel, readable } from "../words.js";
import { formatDate } from "../../common/time.js";
import { locale, num, plural, t } from "../language.js";

const LIMIT = 200;
const ACTION_WORDS = () => ({ created: t("audit.action.created"), updated: t("audit.action.updated"),
  deleted: t("audit.action.deleted"), added: t("audit.action.added"), retired: t("audit.action.retired"),
  reinstated: t("audit.action.reinstated"), returned: t("audit.action.returned"), saved: t("audit.action.saved"),
  restored: t("audit.action.restored"), exported: t("audit.action.exported"), purged: t("audit.action.purged") });

export async function auditView() {
  const entity = h("select", { name: "entity" }, h("option", { value: "" }, t("audit.everything")));
  const entityId = h("input", { name: "entityId", autocomplete: "off" });
  const actor = h("input", { name: "actor", autocomplete: "off", list: "audit-actors" });
  const actors = h("datalist", { id: "audit-actors" });
  const from = h("input", { name: "from", type: "date" });
  const to = h("input", { name: "to", type: "date" });
  const count = h("p", { class: "muted", id: "audit-count", "aria-live": "polite" });
  const results = h("div", { id: "audit-results" });
  const form = h("form", { class: "filters audit-filters", role: "search", "aria-label": t("audit.filter"),
    novalidate: true, onsubmit: (e) => { e.preventDefault(); load(); } },
  h("div", { class: "form-error" }),
  field(t("audit.entity"), entity), field(t("audit.id"), entityId, { hint: t("audit.idHint") }),
  field(t("audit.who"), actor, { hint: t("audit.whoHint") }), actors,
  field(t("audit.from"), from, { hint: t("audit.fromHint") }), field(t("audit.to"), to, { hint: t("audit.toHint") }),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("audit.show"))));

  async function load() {
    clearErrors(form);
    const query = new URLSearchParams({ limit: String(LIMIT) });
    for (const el of [entity, entityId, actor]) if (el.value.trim()) query.set(el.name, el.value.trim());
    // The viewer's local days: from the start of `from` to the start of the day after `to`, with their offset.
    if (from.value) query.set("from", localMidnight(from.value, 0));
    if (to.value) query.set("to", localMidnight(to.value, 1));
    let answer;
    try {
      answer = await get(`manage/audit?${query}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 400) throw error;
      showErrors(form, error);
      results.replaceChildren();
      count.textContent = "";
      return;
    }
    if (entity.options.length === 1) {
      entity.append(...answer.entities.map((e) => h("option", { value: e }, entityLabel(e))));
    }
    const names = new Set([...actors.options].map((o) => o.value));
    for (const c of answer.changes) {
      if (c.actor.name && !names.has(c.actor.name)) { names.add(c.actor.name); actors.append(h("option", { value: c.actor.name })); }
    }
    count.textContent = answer.truncated
      ? t("audit.truncated", { count: num(answer.changes.length) })
      : plural(answer.changes.length, "audit.count.one", "audit.count.other")
        + `${from.value || to.value ? ` ${dateRange(from.value, to.value)}` : ""}.`;
    results.replaceChildren(table(t("audit.caption"),
      [t("audit.col.when"), t("audit.col.who"), t("audit.col.what"), t("audit.col.changes")],
      changeRows(answer.changes, { showEntity: true }), { empty: t("audit.noMatch"), captionHidden: true }));
  }
  await load();

  return h("section", {}, heading(t("audit.title")),
    h("p", { class: "lead" }, t("audit.lead")),
    form, count, results);
}

/** One row per change: when, who, what (unless the page is about one entity), and each field old → new. */
export function changeRows(changes, { showEntity }) {
  const actions = ACTION_WORDS();
  return changes.map((c) => h("tr", { dataset: { change: c.changeId } },
    h("td", {}, timeEl(c.at)),
    h("td", {}, h("span", { title: c.actor.userId }, c.actor.name || c.actor.userId)),
    h("th", { scope: "row" }, `${actions[c.action] || c.action}`,
      showEntity ? [` ${entityLabel(c.entity).toLowerCase()} `, h("code", {}, c.entityId)] : null),
    h("td", {}, h("ul", { class: "field-changes" }, c.fields.map((f) => h("li", { dataset: { field: f.field } },
      h("span", { class: "field-name" }, fieldLabel(f.field, c.entity)), ": ", oldToNew(c.action, f)))))));
}

/** "old → new"; a created record's field as its value alone, a deleted one's as the value it had. */
function oldToNew(action, f) {
  if (f.old === null && ["created", "added", "exported"].includes(action)) return readable(f.new, f.field);
  if (f.new === null && action === "deleted") return [readable(f.old, f.field), t("audit.deleted")];
  return [readable(f.old, f.field), h("span", { class: "arrow", "aria-hidden": "true" }, " → "),
    visuallyHidden(t("audit.changedTo")), readable(f.new, f.field)];
}

function localMidnight(day, daysAfter) {
  const [y, m, d] = day.split("-").map(Number);
  return new Date(y, m - 1, d + daysAfter).toISOString();
}

function dateRange(fromDay, toDay) {
  const day = (value) => formatDate(value, { locale: locale() });
  if (fromDay && toDay) return t("audit.range.both", { from: day(fromDay), to: day(toDay) });
  return fromDay ? t("audit.range.from", { from: day(fromDay) }) : t("audit.range.to", { to: day(toDay) });
}
