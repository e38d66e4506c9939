// "Test my emergency calling" (issue 21): a 933 drill through the whole product. The backend writes the drill
// first (and refuses it beside a real emergency call); the panel dials 933 as any call, tells the drill which call
// it was, how fast the dial was answered and whether the panel showed the test mode, holds the line a few seconds
// (so presence shows Do Not Disturb), hangs up, and shows the report step by step as the backend judges it.
import { $, h, say } from "./dom.js";
import { clear, date, number, plural, show, showWith, t } from "./text.js";

const HOLD_MS = 4000; // on the line long enough for Do Not Disturb to be seen
const POLL_MS = 1000;
// A drill is no dial: its requests wait for a slow server (storage slow, a host just started) instead of the
// dialer's 3 s, or the drill would be written on the server and never dialed here.
const REQUEST_MS = 15_000;
const GIVE_UP_MS = 20 * 60_000; // the backend completes every report within 15 minutes of the dial
const WORD = { pass: "drill.pass", fail: "drill.fail", pending: "drill.pending" };
const RESULT = { running: "drill.running", passed: "drill.passed" };

export function createDrill({ client, agentId, dial, endCall, current, lastDial }) {
  const base = `${client.apiPath}/agents/${encodeURIComponent(agentId)}/drills`;
  let running = false;
  $("drill-start").addEventListener("click", run);
  loadDue();

  async function loadDue() {
    const r = await client.request("GET", base);
    if (!r.ok) return;
    const [due] = r.body.due ?? [];
    if (!due) clear($("drill-due"));
    else if (due.note) showWith($("drill-due"), () => t("drill.dueNote", { when: date(due.ends), note: due.note }));
    else showWith($("drill-due"), () => t("drill.due", { when: date(due.ends) }));
    const last = (r.body.drills ?? []).find((d) => d.status !== "running");
    if (last && !running) showDrill(last);
  }

  async function run() {
    if (running) return;
    if (current()) { show($("drill-status"), "drill.endCallFirst"); return; }
    running = true; // a second press while the start is on its way starts nothing more
    $("drill-start").disabled = true;
    show($("drill-status"), "drill.starting");
    $("drill-status").focus(); // the focus never falls out of the page while the button is disabled
    const r = await client.request("POST", base, {}, REQUEST_MS);
    const refused = !r.ok ? t("drill.notStarted", { reason: r.body?.error ?? t("drill.noAnswer") })
      : current() ? t("drill.endCallFirst") : null; // she placed a call meanwhile: the drill never touches it
    if (refused) {
      running = false;
      $("drill-start").disabled = false;
      showWith($("drill-status"), () => refused);
      $("drill-start").focus();
      return;
    }
    const drill = r.body;
    show($("drill-status"), "drill.started");
    $("number").value = drill.dialNumber ?? "933";
    try {
      await dial($("number").value);
      const placed = current();
      const testMode = document.body.classList.contains("emergency") && $("emergency").classList.contains("test");
      if (placed?.emergencyCallId) {
        await client.request("POST", `${base}/${encodeURIComponent(drill.drillId)}/dial`, {
          emergencyCallId: placed.emergencyCallId, answerMs: Math.round(lastDial()?.answerMs ?? 0), testMode },
          REQUEST_MS);
      }
      await follow(drill.drillId, Date.now() + HOLD_MS);
      if (placed && current() === placed) await endCall(); // its own 933 only, never a call she placed since
      await follow(drill.drillId, Date.now() + GIVE_UP_MS, true);
    } finally {
      running = false;
      $("drill-start").disabled = false;
    }
  }

  /** Read the drill every second until `until` (or, `toEnd`, until its report is complete), showing each read. */
  async function follow(drillId, until, toEnd = false) {
    while (Date.now() < until) {
      const r = await client.request("GET", `${base}/${encodeURIComponent(drillId)}`);
      if (r.ok) {
        showDrill(r.body);
        if (toEnd && r.body.status !== "running") {
          say(() => t(r.body.status === "passed" ? "drill.sayPassed" : "drill.sayFailed"),
              r.body.status === "passed" ? "ok" : "error");
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  // The steps' titles and reasons are the backend's words.
  function showDrill(drill) {
    const failed = drill.failed?.length ?? 0;
    if (drill.status === "failed") showWith($("drill-result"), () => plural("drill.failed", failed));
    else if (RESULT[drill.status]) show($("drill-result"), RESULT[drill.status]);
    else clear($("drill-result"));
    $("drill-steps").replaceChildren(...drill.steps.map((s) => {
      const word = h("strong");
      const rest = h("span");
      showWith(word, () => t("drill.stepWord", { word: WORD[s.status] ? t(WORD[s.status]) : s.status }));
      showWith(rest, () => (s.ms != null
        ? t("drill.stepTimed", { title: s.title, seconds: number(s.ms / 1000, { minimumFractionDigits: 1,
                                                                                 maximumFractionDigits: 1 }),
                                 reason: s.reason })
        : t("drill.step", { title: s.title, reason: s.reason })));
      return h("li", { class: s.status }, word, rest);
    }));
  }
}
