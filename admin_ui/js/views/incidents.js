// Emergency incidents (read-only, Admin or Auditor): the restricted records of emergency calls, each with its
// timeline (the dial, every notification, delivery report, acknowledgement and escalation step, in order).
import { get, enc, ApiError } from "../api.js";
import { clearErrors, field, fmtTime, h, heading, showErrors, table, timeEl } from "../dom.js";

const OUTCOMES = [["", "Any outcome"], ["notified", "Notified"], ["not_notified", "Nobody notified"],
  ["acknowledged", "Acknowledged"], ["not_acknowledged", "Not acknowledged"],
  ["callback_received", "Callback received"], ["warnings", "With warnings"]];

/** The list with its filters (real/test, dates, site, agent, outcome), each row's status, and the exports. */
export async function incidentsView() {
  const [sites, agents] = await Promise.all([get("manage/sites").then((a) => a.sites).catch(() => []),
    get("manage/agents").then((a) => a.agents).catch(() => [])]);
  const control = (name, el) => Object.assign(el, { name });
  const kind = control("kind", h("select", {}, h("option", { value: "" }, "Real and test"),
    h("option", { value: "real" }, "Real calls"), h("option", { value: "test" }, "Test calls (933)")));
  const from = control("from", h("input", { type: "date" }));
  const to = control("to", h("input", { type: "date" }));
  const site = control("site", h("select", {}, h("option", { value: "" }, "Every site"),
    sites.map((s) => h("option", { value: s.siteId }, s.name || s.siteId))));
  const agent = control("agent", h("select", {}, h("option", { value: "" }, "Every agent"),
    agents.map((a) => h("option", { value: a.agentId }, a.displayName || a.agentId))));
  const outcome = control("outcome", h("select", {}, OUTCOMES.map(([v, t]) => h("option", { value: v }, t))));
  const csvLink = h("a", { class: "button-link", download: "incidents.csv" }, "Export CSV");
  const jsonLink = h("a", { class: "button-link", download: "incidents.json" }, "Export JSON");
  const results = h("div", { "aria-live": "polite", id: "incident-results" });
  const form = h("form", { class: "filters incident-filters", role: "search", "aria-label": "Filter incidents",
    onsubmit: (e) => { e.preventDefault(); load(); } },
  h("div", { class: "form-error" }),
  field("Calls", kind), field("From", from), field("To", to, { hint: "Inclusive, UTC" }), field("Site", site),
  field("Agent", agent), field("Outcome", outcome),
  h("div", { class: "actions" }, h("button", { type: "submit" }, "Show"), csvLink, jsonLink));

  async function load() {
    const query = new URLSearchParams();
    for (const el of [kind, from, to, site, agent, outcome]) if (el.value) query.set(el.name, el.value);
    csvLink.href = `/api/manage/incidents/export?${new URLSearchParams([...query, ["format", "csv"]])}`;
    jsonLink.href = `/api/manage/incidents/export?${new URLSearchParams([...query, ["format", "json"]])}`;
    clearErrors(form);
    try {
      const answer = await get(`manage/incidents${query.toString() ? `?${query}` : ""}`);
      results.replaceChildren(...incidentTable(answer));
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 400) throw error;
      showErrors(form, error);
      results.replaceChildren();
    }
  }
  await load();
  return h("section", {}, heading("Emergency incidents"),
    h("p", { class: "lead" }, "Every emergency call, newest first, with what followed the dial. Read-only; "
      + "kept for the retention period. Exports hold metadata only and are recorded in the audit log."),
    form, results);
}

function incidentTable({ incidents, total, truncated }) {
  const count = h("p", { class: "muted", id: "incident-count" }, truncated
    ? `Showing the newest ${incidents.length} of ${total} incidents; narrow the filters or export them.`
    : `${total} incident${total === 1 ? "" : "s"}.`);
  return [count, table("Emergency incidents", ["Dialed", "Agent", "Number", "Site", "Notified", "Acknowledged",
    "Callback", "Warnings", "Ended"],
  incidents.map((i) => h("tr", { dataset: { incident: i.emergencyCallId } },
    h("th", { scope: "row" }, h("a", { href: `#/incidents/${enc(i.emergencyCallId)}` }, timeEl(i.dialedAt))),
    h("td", {}, i.agentName || i.agentId),
    h("td", {}, i.dialedNumber, i.test ? h("span", { class: "badge badge-test" }, "test") : ""),
    h("td", {}, (i.location && (i.location.siteName || i.location.siteId)) || "—"),
    ...statusCells(i.status),
    h("td", {}, i.endedAt ? timeEl(i.endedAt) : h("strong", {}, "in progress")))),
  { empty: "No emergency call matches.", captionHidden: true })];
}

/** Notified N/M (+s), acknowledged by whom and how fast, callback received, warnings: the row at a glance. */
export function statusCells(s) {
  const notified = h("td", { class: s.notified ? "" : "status-none" }, `${s.notified}/${s.recipients}`,
    Number.isFinite(s.secondsToFirstNotification)
      ? h("span", { class: "muted" }, ` · ${minutesSeconds(s.secondsToFirstNotification)} after the dial`) : "");
  const first = s.firstAcknowledgement;
  const acked = h("td", {}, first ? `${first.by}, ${minutesSeconds(first.secondsAfterDial) || "?"} after the dial`
    + (s.acknowledged > 1 ? ` (+${s.acknowledged - 1} more)` : "") : h("span", { class: "muted" }, "not yet"));
  return [notified, acked, h("td", {}, s.callbacksReceived ? `received (${s.callbacksReceived})` : "—"),
    h("td", { class: s.warnings ? "status-warning" : "" }, s.warnings ? `${s.warnings}` : "—")];
}

export async function incidentView(ctx, id) {
  const incident = await get(`manage/incidents/${enc(id)}`);
  const deliveries = await get(`manage/incidents/${enc(id)}/deliveries`).catch(() => null);
  const facts = [
    ["Agent", `${incident.agentName || ""} (${incident.agentId})`], ["Number dialed", incident.dialedNumber],
    ["Test call", incident.test ? "yes" : "no"], ["Country", incident.countryCode || "unknown"],
    ["Dialed", timeEl(incident.dialedAt)], ["Ended", incident.endedAt ? timeEl(incident.endedAt) : "in progress"],
    ["Ended by", incident.endSource || "—"], ["Callback number", incident.callbackNumber || "none"],
    ["Callback reaches the agent until", timeEl(incident.callbackWindowEndsAt)],
    ["Location", incident.location ? Object.entries(incident.location).map(([k, v]) => `${k}: ${v}`).join(", ") : "not reported"],
  ];
  return h("section", {},
    h("p", { class: "breadcrumb" }, h("a", { href: "#/incidents" }, "Incidents"), " / ", id),
    heading(`Emergency call ${incident.dialedNumber} by ${incident.agentName || incident.agentId}`),
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", { id: "timeline-title" }, "Timeline"),
    deliveries ? timelineList(incident, deliveries)
      : h("p", { class: "muted" }, "Only the dial is known: the delivery records are not available."),
    h("h2", {}, "Warnings"),
    incident.warnings.length ? h("ul", {}, incident.warnings.map((w) => h("li", {}, h("code", {}, w.code), " ", w.message)))
      : h("p", { class: "muted" }, "None."),
    h("h2", {}, "Callbacks"),
    table("Callbacks", ["When", "Outcome", "From"], incident.callbacks.map((c) => h("tr", {},
      h("td", {}, timeEl(c.at)), h("td", {}, c.outcome || ""), h("td", {}, c.from || ""))),
    { empty: "No callback.", captionHidden: true }),
    h("h2", {}, "Notifications"),
    deliveries ? notifications(deliveries.deliveries, incident.dialedAt)
      : h("p", { class: "muted" }, "Delivery records are not available."));
}

/** The deliveries with who acknowledged each and when, under a one-line summary of the acknowledgements. */
function notifications(deliveries, dialedAt) {
  const rows = deliveries.map((d) => h("tr", {}, h("td", {}, d.channel), h("td", {}, d.recipient),
    h("td", {}, d.status), h("td", {}, d.deliveryStatus || ""), h("td", {}, acknowledged(d, dialedAt) || "—")));
  const list = table("Notifications",
    ["Channel", "Recipient", "Status", "Delivery", "Acknowledged"], rows,
    { empty: "No notification was sent.", captionHidden: true });
  return deliveries.length ? [h("p", { class: "ack-summary" }, acknowledgedSummary(deliveries, dialedAt)), list] : list;
}

/** "Acknowledged by 1 of 3 recipients; first 0:42 after the dial", or "Not acknowledged yet". */
export function acknowledgedSummary(deliveries, dialedAt) {
  const recipients = new Set(deliveries.map((d) => d.recipient));
  const acked = deliveries.filter((d) => d.acknowledgedAt);
  if (!acked.length) return "Not acknowledged yet";
  const who = new Set(acked.map((d) => d.recipient));
  const first = Math.min(...acked.map((d) => secondsToAcknowledge(d, dialedAt) ?? Infinity));
  const when = minutesSeconds(first);
  return `Acknowledged by ${who.size} of ${recipients.size} recipient${recipients.size === 1 ? "" : "s"}`
    + (when ? `; first ${when} after the dial` : "");
}

const CHANNEL_WORDS = { email: "email", sms: "SMS", voice: "phone call" };

/** "0:42 after the dial, by email"; null when this delivery was not acknowledged. */
export function acknowledged(d, dialedAt) {
  if (!d.acknowledgedAt) return null;
  const when = minutesSeconds(secondsToAcknowledge(d, dialedAt));
  const via = d.acknowledgedVia ? `by ${CHANNEL_WORDS[d.acknowledgedVia] ?? d.acknowledgedVia}` : "";
  return [when ? `${when} after the dial` : fmtTime(d.acknowledgedAt), via].filter(Boolean).join(", ");
}

// The server's figure; else from the two times (a record written before the figure was).
function secondsToAcknowledge(d, dialedAt) {
  if (Number.isFinite(d.secondsToAcknowledge)) return d.secondsToAcknowledge;
  const seconds = (Date.parse(d.acknowledgedAt) - Date.parse(dialedAt)) / 1000;
  return Number.isFinite(seconds) ? seconds : null;
}

/** 42 -> "0:42", 605 -> "10:05"; null when not a number of seconds. */
export function minutesSeconds(seconds) {
  if (!Number.isFinite(seconds)) return null;
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

// ---- the timeline -----------------------------------------------------------------------------------------------

const CHANNEL_NAMES = { email: "Email", sms: "SMS", voice: "Phone call" };
const STATUS_WORDS = { queued: "queued", accepted: "accepted by the service", failed: "failed",
  warning: "warning" };
const OUTCOME_WORDS = { acknowledged: "someone had acknowledged", window_ended: "the call's window had ended",
  call_unknown: "the call is not known", nobody_to_tell: "nobody to tell" };
const AUDIENCE_WORDS = { notified: "everyone notified", agent: "the agent's contacts",
  siteDesk: "the site's security desk", onCall: "the on-call recipients" };
// Events at the same second: the dial first, then in the order things happen to one message.
const ORDER = { dial: 0, escalation: 1, notification: 2, report: 3, acknowledgement: 4, callback: 5, end: 6 };
const CALLBACK_WORDS = { redirected: "put through to the agent", ringing_direct: "ringing at the agent directly",
  fallback: "sent to the security desk (no live lease)", dropped_stale: "had stopped ringing before it could be put through" };
const clockTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });

/** The incident's events, oldest first: {at, kind, text, state} (state: "pending", "failed" or ""). */
export function timelineEvents(incident, answer) {
  const events = [];
  const add = (at, kind, text, state = "", note = "") => events.push({ at: at || null, kind, text, state, note });
  add(incident.dialedAt, "dial", `${incident.agentName || incident.agentId} dialed ${incident.dialedNumber}`
    + (incident.test ? " (a test call)" : ""));
  const now = Date.parse(answer.asOf) || Date.now();
  for (const d of answer.deliveries || []) {
    const who = d.recipientMasked || d.recipient;
    const channel = CHANNEL_NAMES[d.channel] || d.channel;
    const sentBy = d.step ? `escalation step ${d.step}` : "first notification";
    const status = `${STATUS_WORDS[d.status] || d.status}${d.reason ? ` — ${d.reason}` : ""}`;
    // The proof of "at the same time as the call": the seconds from the dial to the message leaving.
    const sentAfter = secondsBetween(incident.dialedAt, d.firstAttemptAt);
    add(d.firstAttemptAt || d.updatedAt, "notification", `${channel} to ${who} (${sentBy}): ${status}`,
      d.status === "failed" ? "failed" : "", sentAfter === null ? "" : `sent ${sentAfter} s after the dial`);
    if (d.deliveryStatus) {
      const detail = d.deliveryDetail ? ` (${d.deliveryDetail})` : "";
      add(d.deliveryStatusAt, "report", `Delivery report for the ${CHANNEL_WORDS[d.channel] || d.channel} to ${who}: `
        + `${d.deliveryStatus}${detail}`, d.delivered === false ? "failed" : "");
    }
    if (d.acknowledgedAt) {
      const after = minutesSeconds(secondsToAcknowledge(d, incident.dialedAt));
      const via = CHANNEL_WORDS[d.acknowledgedVia || d.channel] || d.acknowledgedVia;
      add(d.acknowledgedAt, "acknowledgement", `${who} acknowledged by ${via}${after ? `, ${after} after the dial` : ""}`);
    }
  }
  for (const s of answer.escalations || []) add(...escalationEvent(s, now));
  for (const c of incident.callbacks || []) {
    const after = secondsBetween(incident.dialedAt, c.at);
    add(c.at, "callback", `Responder's callback${c.from ? ` from ${c.from}` : ""}: `
      + `${CALLBACK_WORDS[c.outcome] || c.outcome || "received"}${after === null ? "" : ` (${minutesSeconds(after)} after the dial)`}`,
    c.outcome === "dropped_stale" ? "failed" : "");
  }
  if (incident.endedAt) add(incident.endedAt, "end", "The call ended", "", incident.endSource ? `by ${incident.endSource}` : "");
  const time = (e) => (e.at ? Date.parse(e.at) : Infinity);
  return events.map((e, i) => [e, i]).sort(([a, i], [b, j]) => time(a) - time(b) || ORDER[a.kind] - ORDER[b.kind]
    || i - j).map(([e]) => e);
}

/** Whole seconds from `fromIso` to `toIso` (one decimal under 10 s); null when either is missing. */
export function secondsBetween(fromIso, toIso) {
  const seconds = (Date.parse(toIso) - Date.parse(fromIso)) / 1000;
  if (!toIso || !Number.isFinite(seconds)) return null;
  return seconds < 10 ? Math.round(seconds * 10) / 10 : Math.round(seconds);
}

function escalationEvent(s, now) {
  const who = (s.audiences || []).map((a) => AUDIENCE_WORDS[a] || a);
  const how = (s.channels || []).map((c) => CHANNEL_WORDS[c] || c);
  const what = `Escalation step ${s.tier}${s.name ? ` (${s.name})` : ""}`;
  const plan = `${joined(who)} by ${joined(how)}`;
  if (s.status === "pending" || s.status === "running") {
    const left = (Date.parse(s.dueAt) - now) / 1000;
    const when = left > 0 ? `due in ${minutesSeconds(left)}` : s.status === "running" ? "running now"
      : `due ${minutesSeconds(-left)} ago, not run yet`;
    return [s.dueAt, "escalation", `${what}: ${when} — ${plan}`, "pending"];
  }
  const outcome = OUTCOME_WORDS[s.outcome] || s.outcome || "no outcome recorded";
  const late = s.ranAt ? (Date.parse(s.ranAt) - Date.parse(s.dueAt)) / 1000 : NaN;
  const ran = s.ranAt ? `, ran ${clockOf(s.ranAt)}${late >= 1 ? `, ${Math.round(late)} s late` : ""}` : "";
  return [s.ranAt || s.dueAt, "escalation",
    `${what} ${s.status === "skipped" ? "skipped" : "ran"}: ${outcome} (due ${clockOf(s.dueAt)}${ran}) — ${plan}`, ""];
}

function timelineList(incident, answer) {
  const dialed = Date.parse(incident.dialedAt);
  return h("ol", { class: "timeline", "aria-labelledby": "timeline-title" },
    timelineEvents(incident, answer).map((e) => {
      const offset = e.at ? (Date.parse(e.at) - dialed) / 1000 : NaN;
      const sign = offset < 0 ? "−" : "+";
      return h("li", { class: e.state, dataset: { kind: e.kind } },
        h("span", { class: "when" },
          h("span", { class: "offset" }, Number.isFinite(offset) ? `${sign}${minutesSeconds(Math.abs(offset))}` : "—"),
          e.at ? h("time", { datetime: e.at, title: e.at }, clockOf(e.at)) : "time unknown"),
        " ", h("span", { class: "what" }, e.text),
        e.note ? [" ", h("span", { class: "note-after" }, `(${e.note})`)] : null);
    }));
}

function clockOf(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? clockTime.format(new Date(t)) : "";
}

function joined(list) {
  if (list.length < 2) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}
