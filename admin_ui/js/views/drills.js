// Drills (issue 21): every 933 drill with its result, what failed and why; the schedules that ask agents (one, or a
// site's) to run one between two dates, with each agent's state; admins add and delete schedules.
import { get, post, del, enc } from "../api.js";
import { h, heading, announce, table, timeEl, field, showErrors, clearErrors, visuallyHidden } from "../dom.js";

const RESULT = { passed: "Passed", failed: "Failed", running: "Running" };
const STATE = { passed: "Passed", failed: "Failed", running: "Running", due: "Due", missed: "Missed",
  upcoming: "Upcoming" };

export async function drillsView(ctx) {
  const listBox = h("div");
  const scheduleBox = h("div");
  const reportBox = h("section", { class: "panel drill-report", "aria-labelledby": "drill-report-title",
    tabindex: "-1", hidden: true });

  async function render() {
    const body = await get("manage/drills");
    listBox.replaceChildren(table("Drills", ["Agent", "Started", "Result", "What failed", visuallyHidden("Report")],
      body.drills.map(drillRow), { empty: "No drill yet. Agents start one from their panel (Test my emergency " +
        "calling), or schedule one below.", captionHidden: true }));
    scheduleBox.replaceChildren(table("Schedules", ["For", "From", "To", "Note", "Agents",
      ...(ctx.canChange ? [visuallyHidden("Actions")] : [])], body.schedules.map(scheduleRow),
    { empty: "No drill scheduled.", captionHidden: true }));
  }

  function drillRow(d) {
    const failed = d.failed.length
      ? h("ul", { class: "drill-failed" }, d.failed.map((f) => h("li", {}, h("strong", {}, f.title), `: ${f.reason}`)))
      : (d.status === "running" ? "Waiting for its steps" : "Nothing");
    return h("tr", { dataset: { drill: d.drillId } },
      h("td", {}, d.agentName || d.agentId), h("td", {}, timeEl(d.startedAt)),
      h("td", {}, h("span", { class: `badge drill-${d.status}` }, RESULT[d.status] || d.status)),
      h("td", {}, failed),
      h("td", {}, h("button", { type: "button", onclick: () => showReport(d) },
        "Report", visuallyHidden(` of ${d.agentName || d.agentId}'s drill`))));
  }

  function showReport(d) {
    const rows = d.steps.map((s) => h("tr", { class: `step-${s.status}` },
      h("td", {}, s.title), h("td", {}, h("span", { class: `badge drill-${s.status}` }, s.status)),
      h("td", {}, s.ms === null ? "" : `${(s.ms / 1000).toFixed(1)} s`), h("td", {}, s.reason)));
    reportBox.replaceChildren(
      h("h2", { id: "drill-report-title" }, `Drill of ${d.agentName || d.agentId}: ${RESULT[d.status]}`),
      h("p", {}, "Started ", timeEl(d.startedAt), d.emergencyCallId ? ` — 933 call ${d.emergencyCallId}` : ""),
      table("Steps", ["Step", "Result", "After the dial", "Why"], rows, { empty: "No step judged yet." }));
    reportBox.hidden = false;
    reportBox.focus();
  }

  function scheduleRow(s) {
    const agents = s.agents.length
      ? h("ul", { class: "drill-agents" }, s.agents.map((a) => h("li", {}, `${a.displayName}: `,
        h("span", { class: `badge drill-${a.state}` }, STATE[a.state] || a.state))))
      : "No agent in scope";
    return h("tr", {},
      h("td", {}, `${s.scope === "site" ? "Site" : "Agent"} ${s.target}`), h("td", {}, s.starts),
      h("td", {}, s.ends), h("td", {}, s.note), h("td", {}, agents),
      ctx.canChange ? h("td", {}, h("button", { type: "button", class: "danger", onclick: async () => {
        await del(`manage/drills/schedules/${enc(s.scheduleId)}`);
        announce(`Deleted the drill schedule for ${s.target}.`);
        await render();
      } }, "Delete", visuallyHidden(` schedule for ${s.target}`))) : null);
  }

  await render();
  return h("section", {},
    heading("Drills"),
    h("p", { class: "lead" }, "A drill is a 933 test call through the whole product. Its report checks each step " +
      "against the contract: the dial answered, Do Not Disturb applied and restored, the callback number, each " +
      "notification sent, delivered and acknowledged, the location sent, the panel in test mode."),
    listBox, reportBox,
    h("h2", {}, "Schedules"),
    scheduleBox,
    ctx.canChange ? scheduleForm(render) : null);
}

function scheduleForm(render) {
  const scope = h("select", { name: "scope" }, h("option", { value: "agent" }, "One agent"),
    h("option", { value: "site" }, "Every agent of a site"));
  const target = h("input", { name: "target", required: true, autocomplete: "off" });
  const starts = h("input", { name: "starts", type: "date", required: true });
  const ends = h("input", { name: "ends", type: "date", required: true });
  const note = h("input", { name: "note", maxlength: "200" });
  const form = h("form", { class: "drill-schedule", novalidate: true },
    h("h3", {}, "Schedule a drill"),
    h("div", { class: "form-error" }),
    field("For", scope), field("Agent or site ID", target, { hint: "e.g. alice, or a site's ID" }),
    field("From", starts), field("To", ends), field("Note", note),
    h("button", { type: "submit", class: "primary" }, "Schedule"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await post("manage/drills/schedules", { scope: scope.value, target: target.value.trim(),
        starts: starts.value, ends: ends.value, note: note.value });
      announce(`Scheduled a drill for ${target.value.trim()}.`);
      form.reset();
      await render();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}
