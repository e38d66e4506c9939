// "Test my emergency calling" (issue 21): a 933 drill through the whole product. The backend writes the drill
// first (and refuses it beside a real emergency call); the panel dials 933 as any call, tells the drill which call
// it was, how fast the dial was answered and whether the panel showed the test mode, holds the line a few seconds
// (so presence shows Do Not Disturb), hangs up, and shows the report step by step as the backend judges it.
import { $, h, say } from "./dom.js";

const HOLD_MS = 4000; // on the line long enough for Do Not Disturb to be seen
const POLL_MS = 1000;
const GIVE_UP_MS = 20 * 60_000; // the backend completes every report within 15 minutes of the dial
const WORD = { pass: "Pass", fail: "Fail", pending: "Waiting" };

export function createDrill({ client, agentId, dial, endCall, current, lastDial }) {
  const base = `${client.apiPath}/agents/${encodeURIComponent(agentId)}/drills`;
  let running = false;
  $("drill-start").addEventListener("click", run);
  loadDue();

  async function loadDue() {
    const r = await client.request("GET", base);
    if (!r.ok) return;
    const due = r.body.due ?? [];
    $("drill-due").textContent = due.length
      ? `Your administrator asks you to run a drill by ${due[0].ends}${due[0].note ? ` (${due[0].note})` : ""}.` : "";
    const last = (r.body.drills ?? []).find((d) => d.status !== "running");
    if (last && !running) show(last);
  }

  async function run() {
    if (running) return;
    if (current()) { $("drill-status").textContent = "End your call first: a drill places a call of its own."; return; }
    const r = await client.request("POST", base, {});
    if (!r.ok) {
      $("drill-status").textContent = `The drill was not started: ${r.body?.error ?? "no answer from the server"}.`;
      $("drill-start").focus();
      return;
    }
    running = true;
    $("drill-start").disabled = true;
    const drill = r.body;
    $("drill-status").textContent = "Drill started: calling 933, the test number.";
    $("number").value = drill.dialNumber ?? "933";
    try {
      await dial($("number").value);
      const placed = current();
      const testMode = document.body.classList.contains("emergency") && $("emergency").classList.contains("test");
      if (placed?.emergencyCallId) {
        await client.request("POST", `${base}/${encodeURIComponent(drill.drillId)}/dial`, {
          emergencyCallId: placed.emergencyCallId, answerMs: Math.round(lastDial()?.answerMs ?? 0), testMode });
      }
      await follow(drill.drillId, Date.now() + HOLD_MS);
      if (current()) await endCall();
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
        show(r.body);
        if (toEnd && r.body.status !== "running") {
          say(`Drill ${r.body.status}.`, r.body.status === "passed" ? "ok" : "error");
          return;
        }
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  function show(drill) {
    const result = { running: "Drill running: waiting for the remaining steps.", passed: "Drill passed: every step "
      + "worked.", failed: `Drill failed: ${drill.failed.length} step(s) did not work.` }[drill.status];
    if ($("drill-result").textContent !== result) $("drill-result").textContent = result;
    $("drill-steps").replaceChildren(...drill.steps.map((s) => h("li", { class: s.status },
      h("strong", {}, `${WORD[s.status] ?? s.status}: `),
      `${s.title}${s.ms != null ? ` (${(s.ms / 1000).toFixed(1)} s after the dial)` : ""}: ${s.reason}`)));
  }
}
