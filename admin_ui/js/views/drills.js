// Drills (issue 21): every 933 drill with its result, what failed and why; the schedules that ask agents (one, or a
// site's) to run one between two dates, with each agent's state; admins add and delete schedules.
import { get, post, del, enc } from "../api.js";
import { h, heading, announce, table, timeEl, field, showErrors, clearErrors, visuallyHidden } from "../dom.js";
import { formatDate } from "../../common/time.js";
import { confirmAction } from "../dialog.js";
import { locale, t } from "../language.js";

const STATE = () => ({ passed: t("drill.passed"), failed: t("drill.failed"), running: t("drill.running"),
  due: t("drill.due"), missed: t("drill.missed"), upcoming: t("drill.upcoming") });
const RESULT = STATE;  // a drill's result is one of its states
const STEP = () => ({ pass: t("drill.step.pass"), fail: t("drill.step.fail"), pending: t("drill.step.pending") });

export async function drillsView(ctx) {
  const listBox = h("div");
  const scheduleBox = h("div");
  const reportBox = h("section", { class: "panel drill-report", "aria-labelledby": "drill-report-title",
    tabindex: "-1", hidden: true });

  async function render() {
    const body = await get("manage/drills");
    listBox.replaceChildren(table(t("drills.caption"), [t("drills.col.agent"), t("drills.col.started"),
      t("drills.col.result"), t("drills.col.failed"), visuallyHidden(t("drills.col.report"))],
    body.drills.map(drillRow), { empty: t("drills.empty"), captionHidden: true }));
    scheduleBox.replaceChildren(table(t("drills.schedulesCaption"), [t("drills.col.for"), t("drills.col.from"),
      t("drills.col.to"), t("drills.col.note"), t("drills.col.agents"),
      ...(ctx.canChange ? [visuallyHidden(t("drills.col.actions"))] : [])], body.schedules.map(scheduleRow),
    { empty: t("drills.noSchedule"), captionHidden: true }));
  }

  function drillRow(d) {
    const failed = d.failed.length
      ? h("ul", { class: "drill-failed" }, d.failed.map((f) => h("li", {}, h("strong", {}, f.title), `: ${f.reason}`)))
      : (d.status === "running" ? t("drills.waiting") : t("drills.nothing"));
    return h("tr", { dataset: { drill: d.drillId } },
      h("td", {}, d.agentName || d.agentId), h("td", {}, timeEl(d.startedAt)),
      h("td", {}, h("span", { class: `badge drill-${d.status}` }, RESULT()[d.status] || d.status)),
      h("td", {}, failed),
      h("td", {}, h("button", { type: "button", onclick: () => showReport(d) },
        t("drills.report"), visuallyHidden(t("drills.reportOf", { agent: d.agentName || d.agentId })))));
  }

  function showReport(d) {
    const rows = d.steps.map((s) => h("tr", { class: `step-${s.status}` },
      h("td", {}, s.title), h("td", {}, h("span", { class: `badge drill-${s.status}` }, STEP()[s.status] || s.status)),
      h("td", {}, s.ms === null ? "" : t("drills.seconds", { seconds: new Intl.NumberFormat(locale(),
        { minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(s.ms / 1000) })),
      h("td", {}, s.reason)));
    reportBox.replaceChildren(
      h("h2", { id: "drill-report-title" }, t("drills.reportTitle", { agent: d.agentName || d.agentId,
        result: RESULT()[d.status] })),
      h("p", {}, t("drills.started"), timeEl(d.startedAt),
        d.emergencyCallId ? t("drills.call", { id: d.emergencyCallId }) : ""),
      table(t("drills.steps"), [t("drills.col.step"), t("drills.col.result"), t("drills.col.after"),
        t("drills.col.why")], rows, { empty: t("drills.noStep") }));
    reportBox.hidden = false;
    reportBox.focus();
  }

  function scheduleRow(s) {
    const agents = s.agents.length
      ? h("ul", { class: "drill-agents" }, s.agents.map((a) => h("li", {}, `${a.displayName}: `,
        h("span", { class: `badge drill-${a.state}` }, STATE()[a.state] || a.state))))
      : t("drills.noAgent");
    return h("tr", {},
      h("td", {}, t(s.scope === "site" ? "drills.site" : "drills.agent", { target: s.target })),
      h("td", {}, formatDate(s.starts, { locale: locale() })),
      h("td", {}, formatDate(s.ends, { locale: locale() })), h("td", {}, s.note), h("td", {}, agents),
      ctx.canChange ? h("td", {}, h("button", { type: "button", class: "danger", onclick: () => confirmAction({
        title: t("drills.deleteTitle", { target: s.target }),
        intro: t("drills.deleteIntro"),
        confirmLabel: t("drills.deleteConfirm", { target: s.target }),
        action: async () => {
          await del(`manage/drills/schedules/${enc(s.scheduleId)}`);
          announce(t("drills.deleted", { target: s.target }));
          await render();
        },
        focusAfter: () => document.querySelector("main h1"),
      }) }, t("drills.delete"), visuallyHidden(t("drills.deleteHidden", { target: s.target })))) : null);
  }

  await render();
  return h("section", {},
    heading(t("drills.title")),
    h("p", { class: "lead" }, t("drills.lead")),
    listBox, reportBox,
    h("h2", {}, t("drills.schedules")),
    scheduleBox,
    ctx.canChange ? scheduleForm(render) : null);
}

function scheduleForm(render) {
  const scope = h("select", { name: "scope" }, h("option", { value: "agent" }, t("drills.oneAgent")),
    h("option", { value: "site" }, t("drills.siteAgents")));
  const target = h("input", { name: "target", required: true, autocomplete: "off" });
  const starts = h("input", { name: "starts", type: "date", required: true });
  const ends = h("input", { name: "ends", type: "date", required: true });
  const note = h("input", { name: "note", maxlength: "200" });
  const form = h("form", { class: "drill-schedule", novalidate: true },
    h("h3", {}, t("drills.scheduleTitle")),
    h("div", { class: "form-error" }),
    field(t("drills.for"), scope), field(t("drills.target"), target, { hint: t("drills.targetHint") }),
    field(t("drills.from"), starts), field(t("drills.to"), ends), field(t("drills.note"), note),
    h("button", { type: "submit", class: "primary" }, t("drills.schedule")));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearErrors(form);
    try {
      await post("manage/drills/schedules", { scope: scope.value, target: target.value.trim(),
        starts: starts.value, ends: ends.value, note: note.value });
      announce(t("drills.scheduled", { target: target.value.trim() }));
      form.reset();
      await render();
    } catch (error) {
      showErrors(form, error);
    }
  });
  return form;
}
