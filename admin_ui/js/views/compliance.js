// The monthly compliance summary (Admin or Auditor): calls and tests, median and worst dial-to-notification and
// dial-to-acknowledgement, per site and per day. Charts by Chart.js, served by the app itself (no CDN); each chart
// has its figures in a table beside it for screen readers and for copying.
import { get, enc, ApiError } from "../api.js";
import { clearErrors, field, h, heading, showErrors, table } from "../dom.js";
import { locale, num, t } from "../language.js";

const CHART_SCRIPT = "/api/manage/ui/vendor/chart.umd.min.js";
const COLORS = { median: "#0969da", worst: "#cf222e", calls: "#14213d", tests: "#bf8700" };
let chartLibrary = null;

/** Chart.js, loaded once as a classic script from the app (the page's CSP allows scripts from 'self' only). */
export function loadCharts() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLibrary ??= new Promise((resolve, reject) => {
    const script = h("script", { src: CHART_SCRIPT });
    script.addEventListener("load", () => resolve(window.Chart));
    script.addEventListener("error", () => { chartLibrary = null; reject(new Error(t("compliance.chartFailed"))); });
    document.head.append(script);
  });
  return chartLibrary;
}

export async function complianceView() {
  const month = Object.assign(h("input", { type: "month", required: true }), { name: "month" });
  month.value = new Date().toISOString().slice(0, 7);
  const results = h("div", { id: "compliance-results", "aria-live": "polite" });
  const form = h("form", { class: "filters", role: "search", "aria-label": t("compliance.period"),
    onsubmit: (e) => { e.preventDefault(); load(); } },
  h("div", { class: "form-error" }), field(t("compliance.month"), month, { hint: t("compliance.monthHint") }),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("compliance.show"))));
  const charts = [];

  async function load() {
    clearErrors(form);
    charts.splice(0).forEach((c) => c.destroy());
    let summary;
    try {
      summary = await get(`manage/compliance?month=${enc(month.value)}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 400) throw error;
      showErrors(form, error);
      results.replaceChildren();
      return;
    }
    results.replaceChildren(...summaryParts(summary));
    const Chart = await loadCharts().catch(() => null);
    if (!Chart) {
      results.prepend(h("p", { role: "alert" }, t("compliance.noCharts")));
      return;
    }
    charts.push(siteChart(Chart, results.querySelector("#chart-sites"), summary),
      dayChart(Chart, results.querySelector("#chart-days"), summary));
  }
  await load();
  return h("section", {}, heading(t("compliance.title")),
    h("p", { class: "lead" }, t("compliance.lead")),
    form, results);
}

function summaryParts(s) {
  const n = s.dialToNotification, a = s.dialToAcknowledgement;
  const tn = s.testCalls?.dialToNotification ?? {}, ta = s.testCalls?.dialToAcknowledgement ?? {};
  return [
    h("ul", { class: "summary" },
      figure(num(s.calls), t("compliance.calls")), figure(num(s.tests), t("compliance.tests")),
      figure(seconds(n.medianSeconds), t("compliance.medianNotif")),
      figure(seconds(n.worstSeconds), t("compliance.worstNotif"), n.worstSeconds > 60 ? "summary-warning" : ""),
      figure(seconds(a.medianSeconds), t("compliance.medianAck")),
      figure(seconds(a.worstSeconds), t("compliance.worstAck"))),
    h("p", { class: "muted", id: "test-timings" }, t("compliance.testTimings",
      { notification: pair(tn), acknowledgement: pair(ta) })),
    h("h2", { id: "sites-title" }, t("compliance.perSite")),
    h("figure", { class: "chart" },
      h("canvas", { id: "chart-sites", role: "img",
        "aria-label": t("compliance.sitesChart") }),
      h("figcaption", {}, t("compliance.sitesCaption"))),
    table(t("compliance.sitesTable"), [t("compliance.col.site"), t("compliance.col.calls"), t("compliance.col.tests"),
      t("compliance.col.notif"), t("compliance.col.ack"), t("compliance.col.notNotified"), t("compliance.col.drills")],
    s.sites.map((site) => h("tr", { dataset: { site: site.siteId || "" } },
      h("th", { scope: "row" }, site.siteName), h("td", {}, site.calls), h("td", {}, site.tests),
      h("td", {}, pair(site.dialToNotification)), h("td", {}, pair(site.dialToAcknowledgement)),
      h("td", {}, site.notNotified),
      h("td", {}, site.drills ? `${site.drills.passed}/${site.drills.total}` : t("compliance.noDrills")))),
    { empty: t("compliance.noCalls"), captionHidden: true }),
    h("h2", { id: "days-title" }, t("compliance.perDay")),
    h("figure", { class: "chart" },
      h("canvas", { id: "chart-days", role: "img", "aria-label": t("compliance.daysChart", { month: s.month }) }),
      h("figcaption", {}, t("compliance.daysCaption"))),
    h("h2", {}, t("compliance.drills")),
    h("p", { class: "muted", id: "drills" }, s.drills && s.drills.text ? s.drills.text : t("compliance.noDrills")),
  ];
}

function figure(value, label, className = "") {
  return h("li", { class: className }, h("span", { class: "summary-number" }, value ?? "—"), " ", label);
}

function seconds(value) {
  return Number.isFinite(value) ? t("compliance.seconds", { seconds: num(value) }) : "—";
}

function pair(t) {
  return t.count ? `${seconds(t.medianSeconds)} / ${seconds(t.worstSeconds)}` : "—";
}

function siteChart(Chart, canvas, s) {
  const data = (key) => s.sites.map((site) => site.dialToNotification[key]);
  return new Chart(canvas, {
    type: "bar",
    data: { labels: s.sites.map((site) => site.siteName),
      datasets: [{ label: t("compliance.median"), data: data("medianSeconds"), backgroundColor: COLORS.median },
        { label: t("compliance.worst"), data: data("worstSeconds"), backgroundColor: COLORS.worst }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, locale: locale(),
      scales: { y: { beginAtZero: true, title: { display: true, text: t("compliance.axis") } } } },
  });
}

function dayChart(Chart, canvas, s) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: s.days.map((d) => d.date.slice(8)),
      datasets: [{ label: t("compliance.emergencyCalls"), data: s.days.map((d) => d.calls),
        backgroundColor: COLORS.calls },
      { label: t("compliance.testCalls"), data: s.days.map((d) => d.tests), backgroundColor: COLORS.tests }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false, locale: locale(),
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
