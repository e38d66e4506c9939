// The monthly compliance summary (Admin or Auditor): calls and tests, median and worst dial-to-notification and
// dial-to-acknowledgement, per site and per day. Charts by Chart.js, served by the app itself (no CDN); each chart
// has its figures in a table beside it for screen readers and for copying.
import { get, enc, ApiError } from "../api.js";
import { clearErrors, field, h, heading, showErrors, table } from "../dom.js";

const CHART_SCRIPT = "/api/manage/ui/vendor/chart.umd.min.js";
const COLORS = { median: "#0969da", worst: "#cf222e", calls: "#14213d", tests: "#bf8700" };
let chartLibrary = null;

/** Chart.js, loaded once as a classic script from the app (the page's CSP allows scripts from 'self' only). */
export function loadCharts() {
  if (window.Chart) return Promise.resolve(window.Chart);
  chartLibrary ??= new Promise((resolve, reject) => {
    const script = h("script", { src: CHART_SCRIPT });
    script.addEventListener("load", () => resolve(window.Chart));
    script.addEventListener("error", () => { chartLibrary = null; reject(new Error("the chart library did not load")); });
    document.head.append(script);
  });
  return chartLibrary;
}

export async function complianceView() {
  const month = Object.assign(h("input", { type: "month", required: true }), { name: "month" });
  month.value = new Date().toISOString().slice(0, 7);
  const results = h("div", { id: "compliance-results", "aria-live": "polite" });
  const form = h("form", { class: "filters", role: "search", "aria-label": "Period",
    onsubmit: (e) => { e.preventDefault(); load(); } },
  h("div", { class: "form-error" }), field("Month", month, { hint: "UTC" }),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "Show")));
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
      results.prepend(h("p", { role: "alert" }, "The charts could not be drawn; the tables hold the same figures."));
      return;
    }
    charts.push(siteChart(Chart, results.querySelector("#chart-sites"), summary),
      dayChart(Chart, results.querySelector("#chart-days"), summary));
  }
  await load();
  return h("section", {}, heading("Compliance summary"),
    h("p", { class: "lead" }, "How fast the notification followed each emergency call, and how fast someone "
      + "acknowledged it: the month's calls and 933 tests, overall and per site."),
    form, results);
}

function summaryParts(s) {
  const n = s.dialToNotification, a = s.dialToAcknowledgement;
  const tn = s.testCalls?.dialToNotification ?? {}, ta = s.testCalls?.dialToAcknowledgement ?? {};
  return [
    h("ul", { class: "summary" },
      figure(s.calls, "emergency calls"), figure(s.tests, "test calls (933)"),
      figure(seconds(n.medianSeconds), "median dial to notification (emergency calls)"),
      figure(seconds(n.worstSeconds), "worst dial to notification (emergency calls)",
        n.worstSeconds > 60 ? "summary-warning" : ""),
      figure(seconds(a.medianSeconds), "median dial to acknowledgement (emergency calls)"),
      figure(seconds(a.worstSeconds), "worst dial to acknowledgement (emergency calls)")),
    h("p", { class: "muted", id: "test-timings" }, "933 tests, timed apart: dial to notification "
      + `${pair(tn)}, dial to acknowledgement ${pair(ta)}.`),
    h("h2", { id: "sites-title" }, "Per site"),
    h("figure", { class: "chart" },
      h("canvas", { id: "chart-sites", role: "img",
        "aria-label": "Median and worst seconds from the dial to the notification, per site; the table below "
          + "holds the figures" }),
      h("figcaption", {}, "Seconds from the dial to the first notification, per site")),
    table("Figures per site", ["Site", "Calls", "Tests", "Dial to notification (median / worst, emergency calls)",
      "Dial to acknowledgement (median / worst, emergency calls)", "Emergency calls not notified", "Drills passed"],
    s.sites.map((site) => h("tr", { dataset: { site: site.siteId || "" } },
      h("th", { scope: "row" }, site.siteName), h("td", {}, site.calls), h("td", {}, site.tests),
      h("td", {}, pair(site.dialToNotification)), h("td", {}, pair(site.dialToAcknowledgement)),
      h("td", {}, site.notNotified), h("td", {}, site.drills ? `${site.drills.passed}/${site.drills.total}` : "no drills yet"))),
    { empty: "No emergency call this month.", captionHidden: true }),
    h("h2", { id: "days-title" }, "Per day"),
    h("figure", { class: "chart" },
      h("canvas", { id: "chart-days", role: "img", "aria-label": `Emergency and test calls per day in ${s.month}` }),
      h("figcaption", {}, "Calls per day (UTC)")),
    h("h2", {}, "Drills"),
    h("p", { class: "muted", id: "drills" }, s.drills && s.drills.text ? s.drills.text : "no drills yet"),
  ];
}

function figure(value, label, className = "") {
  return h("li", { class: className }, h("span", { class: "summary-number" }, value ?? "—"), " ", label);
}

function seconds(value) {
  return Number.isFinite(value) ? `${value} s` : "—";
}

function pair(t) {
  return t.count ? `${seconds(t.medianSeconds)} / ${seconds(t.worstSeconds)}` : "—";
}

function siteChart(Chart, canvas, s) {
  const data = (key) => s.sites.map((site) => site.dialToNotification[key]);
  return new Chart(canvas, {
    type: "bar",
    data: { labels: s.sites.map((site) => site.siteName),
      datasets: [{ label: "Median (s)", data: data("medianSeconds"), backgroundColor: COLORS.median },
        { label: "Worst (s)", data: data("worstSeconds"), backgroundColor: COLORS.worst }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, title: { display: true, text: "seconds after the dial" } } } },
  });
}

function dayChart(Chart, canvas, s) {
  return new Chart(canvas, {
    type: "bar",
    data: { labels: s.days.map((d) => d.date.slice(8)),
      datasets: [{ label: "Emergency calls", data: s.days.map((d) => d.calls), backgroundColor: COLORS.calls },
        { label: "Test calls", data: s.days.map((d) => d.tests), backgroundColor: COLORS.tests }] },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}
