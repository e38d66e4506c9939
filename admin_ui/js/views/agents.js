// Agents: readiness at a glance, search, and a way to add an agent.
import { get } from "../api.js";
import { h, heading, statusBadge, table, field } from "../dom.js";

const STATUS_WORDS = { pass: "ready", warning: "at risk", fail: "not ready" };
const PATH_WORDS = {
  direct_offer: "Direct offer (Microsoft)", direct_routing: "Direct routing (carrier)",
  direct_offer_fallback: "Falls back to direct offer", mixed: "Mixed", unknown: "Unknown",
};

export async function agentsView(ctx) {
  const readiness = await get("manage/readiness");
  const agents = readiness.agents;
  const search = h("input", { type: "search", name: "q", autocomplete: "off",
    placeholder: "Name, ID or number" });
  const statusFilter = h("select", { name: "status" },
    h("option", { value: "" }, "All"), ["fail", "warning", "pass"].map((s) =>
      h("option", { value: s }, `${s[0].toUpperCase()}${s.slice(1)} (${STATUS_WORDS[s]})`)));
  const results = h("div", { id: "agent-results" });
  const count = h("p", { class: "result-count", "aria-live": "polite" });

  function render() {
    const q = search.value.trim().toLowerCase();
    const wanted = statusFilter.value;
    const shown = agents.filter((a) => (!wanted || a.status === wanted) &&
      [a.agentId, a.displayName, a.outboundNumber || ""].some((v) => v.toLowerCase().includes(q)));
    count.textContent = `${shown.length} of ${agents.length} agents shown`;
    results.replaceChildren(table("Agents and their emergency-call readiness",
      ["Agent", "Outbound number", "Emergency path", "Readiness", "Needs attention"],
      shown.map(row), { empty: "No agent matches." }));
  }
  search.addEventListener("input", render);
  statusFilter.addEventListener("change", render);
  render();

  const newId = h("input", { name: "agentId", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._@:\\-]{0,127}",
    autocomplete: "off" });
  const addForm = h("form", { class: "inline-form", onsubmit: (e) => {
    e.preventDefault();
    if (newId.reportValidity()) location.hash = `#/agents/${encodeURIComponent(newId.value.trim())}`;
  } }, h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, "Add an agent"),
    field("Agent ID", newId, { hint: "Letters, digits and . _ @ : - (as in the contact center)" }),
    h("button", { type: "submit" }, "Create agent…")));

  return h("section", {},
    heading("Agents"),
    h("p", { class: "lead" }, "Whether each agent's emergency call would work, checked against the voice setup, " +
      "the agent's browser location, the notification recipients and the callback pool."),
    summary(readiness.counts, agents.length),
    h("div", { class: "filters", role: "search" },
      field("Search agents", search), field("Readiness", statusFilter)),
    count, results, addForm);
}

function summary(counts, total) {
  return h("ul", { class: "summary", "aria-label": "Readiness counts" },
    ["fail", "warning", "pass"].map((s) => h("li", { class: `summary-${s}` },
      h("span", { class: "summary-number" }, counts[s] ?? 0), ` ${STATUS_WORDS[s]}`)),
    h("li", {}, h("span", { class: "summary-number" }, total), " agents"));
}

function row(a) {
  const problems = a.checks.filter((c) => c.status !== "pass");
  return h("tr", { dataset: { agent: a.agentId } },
    h("th", { scope: "row" }, h("a", { href: `#/agents/${encodeURIComponent(a.agentId)}` }, a.displayName),
      h("div", { class: "muted" }, a.agentId)),
    h("td", {}, a.outboundNumber || h("span", { class: "muted" }, "none")),
    h("td", {}, PATH_WORDS[a.path.kind] || a.path.kind),
    h("td", {}, statusBadge(a.status)),
    h("td", {}, problems.length ? h("ul", { class: "compact" }, problems.map((c) =>
      h("li", {}, statusBadge(c.status), " ", c.title))) : h("span", { class: "muted" }, "—")));
}
