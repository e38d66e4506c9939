// Agents: readiness at a glance (read again every few seconds while open), search, and a way to add an agent.
import { get } from "../api.js";
import { h, heading, statusBadge, table, field } from "../dom.js";
import { keepFresh } from "../refresh.js";
import { num, t } from "../language.js";

const REFRESH_MS = 15000;  // each read asks the routing engine about every agent: not more often

const STATUS_WORDS = () => ({ pass: t("readiness.pass"), warning: t("readiness.warning"), fail: t("readiness.fail") });
const PATH_WORDS = () => ({
  direct_offer: t("path.direct_offer"), direct_routing: t("path.direct_routing"),
  direct_offer_fallback: t("path.direct_offer_fallback"), mixed: t("path.mixed"), unknown: t("path.unknown"),
});

export async function agentsView(ctx) {
  let readiness = await get("manage/readiness");
  let agents = readiness.agents;
  const counts = h("div");
  const search = h("input", { type: "search", name: "q", autocomplete: "off",
    placeholder: t("agents.searchPlaceholder") });
  const statusFilter = h("select", { name: "status" },
    h("option", { value: "" }, t("agents.all")), ["fail", "warning", "pass"].map((s) =>
      h("option", { value: s }, t("agents.statusOption", { status: statusBadge(s).textContent,
        words: STATUS_WORDS()[s] }))));
  const results = h("div", { id: "agent-results" });
  const count = h("p", { class: "result-count", "aria-live": "polite" });

  function render() {
    const q = search.value.trim().toLowerCase();
    const wanted = statusFilter.value;
    const shown = agents.filter((a) => (!wanted || a.status === wanted) &&
      [a.agentId, a.displayName, a.outboundNumber || ""].some((v) => v.toLowerCase().includes(q)));
    const shownText = t("agents.shown", { shown: num(shown.length), total: num(agents.length) });
    if (count.textContent !== shownText) count.textContent = shownText;
    results.replaceChildren(table(t("agents.caption"),
      [t("agents.col.agent"), t("agents.col.number"), t("agents.col.path"), t("agents.col.readiness"),
        t("agents.col.attention")],
      shown.map(row), { empty: t("agents.noMatch") }));
    counts.replaceChildren(summary(readiness.counts, agents.length));
  }
  // The time of the check changes on every read: only a change of what it found is drawn again.
  const found = (answer) => ({ ...answer, checkedAt: undefined });
  const status = keepFresh(results, REFRESH_MS, () => get("manage/readiness").then(found), (answer) => {
    readiness = answer;
    agents = answer.agents;
    render();
  }, found(readiness));
  search.addEventListener("input", render);
  statusFilter.addEventListener("change", render);
  render();

  const newId = h("input", { name: "agentId", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._@:\\-]{0,127}",
    autocomplete: "off" });
  const addForm = h("form", { class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    if (newId.reportValidity()) location.hash = `#/agents/${encodeURIComponent(newId.value.trim())}`;
  } }, h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, t("agents.add")),
    field(t("agents.newId"), newId, { hint: t("agents.newIdHint") }),
    h("button", { type: "submit" }, t("agents.create"))));

  return h("section", {},
    heading(t("agents.title")),
    h("p", { class: "lead" }, t("agents.lead")),
    counts,
    h("div", { class: "filters", role: "search" },
      field(t("agents.search"), search), field(t("agents.readiness"), statusFilter)),
    status, count, results, addForm);
}

function summary(counts, total) {
  const words = STATUS_WORDS();
  return h("ul", { class: "summary", "aria-label": t("agents.counts") },
    ["fail", "warning", "pass"].map((s) => h("li", { class: `summary-${s}` },
      h("span", { class: "summary-number" }, num(counts[s] ?? 0)), ` ${words[s]}`)),
    h("li", {}, h("span", { class: "summary-number" }, num(total)), t("agents.countsAgents")));
}

function row(a) {
  const problems = a.checks.filter((c) => c.status !== "pass");
  return h("tr", { dataset: { agent: a.agentId } },
    h("th", { scope: "row" }, h("a", { href: `#/agents/${encodeURIComponent(a.agentId)}`,
      dataset: { focusKey: `agent-${a.agentId}` } }, a.displayName),
      h("div", { class: "muted" }, a.agentId)),
    h("td", {}, a.outboundNumber || h("span", { class: "muted" }, t("agents.none"))),
    h("td", {}, PATH_WORDS()[a.path.kind] || a.path.kind),
    h("td", {}, statusBadge(a.status)),
    h("td", {}, problems.length ? h("ul", { class: "compact" }, problems.map((c) =>
      h("li", {}, statusBadge(c.status), " ", c.title))) : h("span", { class: "muted" }, "—")));
}
