// Emergency incidents (read-only, Admin or Auditor): the restricted records of emergency calls, each with its
// timeline (the dial, every notification, delivery report, acknowledgement and escalation step, in order).
import { get, enc, ApiError } from "../api.js";
import { clearErrors, field, fmtTime, h, heading, showErrors, table, timeEl } from "../dom.js";
import { formatTime } from "../../common/time.js";
import { keepFresh } from "../refresh.js";
import { plain } from "../words.js";
import { joinWords, locale, num, plural, t } from "../language.js";

const REFRESH_MS = 10000;

const OUTCOMES = () => [["", t("inc.outcome.any")], ["notified", t("inc.outcome.notified")],
  ["not_notified", t("inc.outcome.not_notified")], ["acknowledged", t("inc.outcome.acknowledged")],
  ["not_acknowledged", t("inc.outcome.not_acknowledged")], ["callback_received", t("inc.outcome.callback_received")],
  ["warnings", t("inc.outcome.warnings")]];

/** The list with its filters (real/test, dates, site, agent, outcome), each row's status, and the exports. */
export async function incidentsView() {
  const [sites, agents] = await Promise.all([get("manage/sites").then((a) => a.sites).catch(() => []),
    get("manage/agents").then((a) => a.agents).catch(() => [])]);
  const control = (name, el) => Object.assign(el, { name });
  const kind = control("kind", h("select", {}, h("option", { value: "" }, t("inc.kind.all")),
    h("option", { value: "real" }, t("inc.kind.real")), h("option", { value: "test" }, t("inc.kind.test"))));
  const from = control("from", h("input", { type: "date" }));
  const to = control("to", h("input", { type: "date" }));
  const site = control("site", h("select", {}, h("option", { value: "" }, t("inc.everySite")),
    sites.map((s) => h("option", { value: s.siteId }, s.name || s.siteId))));
  const agent = control("agent", h("select", {}, h("option", { value: "" }, t("inc.everyAgent")),
    agents.map((a) => h("option", { value: a.agentId }, a.displayName || a.agentId))));
  const outcome = control("outcome", h("select", {}, OUTCOMES().map(([v, text]) => h("option", { value: v }, text))));
  const csvLink = h("a", { class: "button-link", download: "incidents.csv" }, t("inc.exportCsv"));
  const jsonLink = h("a", { class: "button-link", download: "incidents.json" }, t("inc.exportJson"));
  const results = h("div", { id: "incident-results" });
  const count = h("p", { class: "muted", id: "incident-count", "aria-live": "polite" });
  const form = h("form", { class: "filters incident-filters", role: "search", "aria-label": t("inc.filter"),
    onsubmit: (e) => { e.preventDefault(); load(); } },
  h("div", { class: "form-error" }),
  field(t("inc.calls"), kind), field(t("inc.from"), from), field(t("inc.to"), to, { hint: t("inc.toHint") }),
  field(t("inc.site"), site), field(t("inc.agent"), agent), field(t("inc.outcome"), outcome),
  h("div", { class: "actions" }, h("button", { type: "submit" }, t("inc.show")), csvLink, jsonLink));
  let shown = "";  // the query of the list on screen: the one the refresh reads again

  async function load() {
    const query = new URLSearchParams();
    for (const el of [kind, from, to, site, agent, outcome]) if (el.value) query.set(el.name, el.value);
    csvLink.href = `/api/manage/incidents/export?${new URLSearchParams([...query, ["format", "csv"]])}`;
    jsonLink.href = `/api/manage/incidents/export?${new URLSearchParams([...query, ["format", "json"]])}`;
    clearErrors(form);
    try {
      const answer = await get(`manage/incidents${query.toString() ? `?${query}` : ""}`);
      shown = query.toString();
      show(answer);
      return answer;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 400) throw error;
      showErrors(form, error);
      results.replaceChildren();
      count.textContent = "";
      return null;
    }
  }

  function show(answer) {
    const { incidents, total, truncated } = answer;
    count.textContent = truncated
      ? t("inc.truncated", { shown: num(incidents.length), total: num(total) })
      : plural(total, "inc.count.one", "inc.count.other");
    results.replaceChildren(incidentTable(answer));
  }
  const first = await load();
  const status = keepFresh(results, REFRESH_MS, () => get(`manage/incidents${shown ? `?${shown}` : ""}`), show, first);
  return h("section", {}, heading(t("inc.title")),
    h("p", { class: "lead" }, t("inc.lead")),
    form, status, count, results);
}

function incidentTable({ incidents }) {
  return table(t("inc.caption"), [t("inc.col.dialed"), t("inc.col.agent"), t("inc.col.number"), t("inc.col.site"),
    t("inc.col.notified"), t("inc.col.acknowledged"), t("inc.col.callback"), t("inc.col.warnings"), t("inc.col.ended")],
  incidents.map((i) => h("tr", { dataset: { incident: i.emergencyCallId } },
    h("th", { scope: "row" }, h("a", { href: `#/incidents/${enc(i.emergencyCallId)}`,
      dataset: { focusKey: `incident-${i.emergencyCallId}` } }, timeEl(i.dialedAt))),
    h("td", {}, i.agentName || i.agentId),
    h("td", {}, i.dialedNumber, i.test ? h("span", { class: "badge badge-test" }, t("inc.test")) : ""),
    h("td", {}, (i.location && (i.location.siteName || i.location.siteId)) || "—"),
    ...statusCells(i.status),
    h("td", {}, i.endedAt ? timeEl(i.endedAt) : h("strong", {}, t("inc.inProgress"))))),
  { empty: t("inc.noMatch"), captionHidden: true });
}

/** Notified N/M (+s), acknowledged by whom and how fast, callback received, warnings: the row at a glance. */
export function statusCells(s) {
  const notified = h("td", { class: s.notified ? "" : "status-none" }, `${s.notified}/${s.recipients}`,
    Number.isFinite(s.secondsToFirstNotification)
      ? h("span", { class: "muted" }, t("inc.afterDial", { time: minutesSeconds(s.secondsToFirstNotification) })) : "");
  const first = s.firstAcknowledgement;
  const ackBy = first && t("inc.ackBy", { by: first.by, time: minutesSeconds(first.secondsAfterDial) || "?" });
  const acked = h("td", {}, first ? ackBy
    + (s.acknowledged > 1 ? t("inc.more", { count: num(s.acknowledged - 1) }) : "")
    : h("span", { class: "muted" }, t("inc.notYet")));
  return [notified, acked, h("td", {}, s.callbacksReceived ? t("inc.received", { count: num(s.callbacksReceived) })
    : "—"),
    h("td", { class: s.warnings ? "status-warning" : "" }, s.warnings ? `${s.warnings}` : "—")];
}

/** One incident, read again while it is open: a live call's notifications, acknowledgements and steps come in. */
export async function incidentView(ctx, id) {
  const load = () => Promise.all([get(`manage/incidents/${enc(id)}`),
    get(`manage/incidents/${enc(id)}/deliveries`).catch(() => null)]);
  const first = await load();
  const [incident] = first;
  const body = h("div");
  const draw = ([i, d]) => body.replaceChildren(...incidentBody(i, d));
  draw(first);
  const status = keepFresh(body, REFRESH_MS, load, draw, first);
  return h("section", {},
    h("p", { class: "breadcrumb" }, h("a", { href: "#/incidents" }, t("inc.breadcrumb")), " / ", id),
    heading(t("inc.heading", { number: incident.dialedNumber, agent: incident.agentName || incident.agentId })),
    status, body);
}

function incidentBody(incident, deliveries) {
  const facts = [
    [t("inc.fact.agent"), `${incident.agentName || ""} (${incident.agentId})`],
    [t("inc.fact.number"), incident.dialedNumber],
    [t("inc.fact.test"), incident.test ? t("inc.yes") : t("inc.no")],
    [t("inc.fact.country"), incident.countryCode || t("inc.unknown")],
    [t("inc.fact.dialed"), timeEl(incident.dialedAt)],
    [t("inc.fact.ended"), incident.endedAt ? timeEl(incident.endedAt) : t("inc.inProgress")],
    [t("inc.fact.endedBy"), incident.endSource || "—"],
    [t("inc.fact.callbackNumber"), incident.callbackNumber || t("inc.none")],
    [t("inc.fact.callbackUntil"), timeEl(incident.callbackWindowEndsAt)],
    [t("inc.fact.location"), incident.location ? plain(incident.location) : t("inc.notReported")],
  ];
  return [
    h("dl", { class: "facts" }, facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    h("h2", { id: "timeline-title" }, t("inc.timeline")),
    deliveries ? timelineList(incident, deliveries)
      : h("p", { class: "muted" }, t("inc.onlyDial")),
    h("h2", {}, t("inc.warnings")),
    incident.warnings.length ? h("ul", {}, incident.warnings.map((w) => h("li", {}, h("code", {}, w.code), " ", w.message)))
      : h("p", { class: "muted" }, t("inc.noneShort")),
    h("h2", {}, t("inc.callbacks")),
    table(t("inc.callbacks"), [t("inc.col.when"), t("inc.col.outcome"), t("inc.col.from")],
      incident.callbacks.map((c) => h("tr", {},
      h("td", {}, timeEl(c.at)), h("td", {}, c.outcome || ""), h("td", {}, c.from || ""))),
    { empty: t("inc.noCallback"), captionHidden: true }),
    h("h2", {}, t("inc.notifications")),
    deliveries ? notifications(deliveries.deliveries, incident.dialedAt)
      : h("p", { class: "muted" }, t("inc.noDeliveries")),
  ].flat();
}

/** The deliveries with who acknowledged each and when, under a one-line summary of the acknowledgements. */
function notifications(deliveries, dialedAt) {
  const rows = deliveries.map((d) => h("tr", {}, h("td", {}, d.channel), h("td", {}, d.recipient),
    h("td", {}, d.status), h("td", {}, d.deliveryStatus || ""), h("td", {}, acknowledged(d, dialedAt) || "—")));
  const list = table(t("inc.notifications"),
    [t("inc.col.channel"), t("inc.col.recipient"), t("inc.col.status"), t("inc.col.delivery"),
      t("inc.col.acknowledged")], rows,
    { empty: t("inc.noNotification"), captionHidden: true });
  return deliveries.length ? [h("p", { class: "ack-summary" }, acknowledgedSummary(deliveries, dialedAt)), list] : list;
}

/** "Acknowledged by 1 of 3 recipients; first 0:42 after the dial", or "Not acknowledged yet". */
export function acknowledgedSummary(deliveries, dialedAt) {
  const recipients = new Set(deliveries.map((d) => d.recipient));
  const acked = deliveries.filter((d) => d.acknowledgedAt);
  if (!acked.length) return t("inc.notAcknowledged");
  const who = new Set(acked.map((d) => d.recipient));
  const first = Math.min(...acked.map((d) => secondsToAcknowledge(d, dialedAt) ?? Infinity));
  const when = minutesSeconds(first);
  return plural(recipients.size, "inc.ackSummary.one", "inc.ackSummary.other", { who: num(who.size) })
    + (when ? t("inc.firstAfter", { time: when }) : "");
}

const CHANNEL_WORDS = () => ({ email: t("inc.channel.email"), sms: t("inc.channel.sms"),
  voice: t("inc.channel.voice") });

/** "0:42 after the dial, by email"; null when this delivery was not acknowledged. */
export function acknowledged(d, dialedAt) {
  if (!d.acknowledgedAt) return null;
  const when = minutesSeconds(secondsToAcknowledge(d, dialedAt));
  const via = d.acknowledgedVia
    ? t("inc.byChannel", { channel: CHANNEL_WORDS()[d.acknowledgedVia] ?? d.acknowledgedVia }) : "";
  return [when ? t("inc.timeAfterDial", { time: when }) : fmtTime(d.acknowledgedAt), via].filter(Boolean).join(", ");
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

const CHANNEL_NAMES = () => ({ email: t("inc.channelName.email"), sms: t("inc.channelName.sms"),
  voice: t("inc.channelName.voice") });
const STATUS_WORDS = () => ({ queued: t("inc.status.queued"), accepted: t("inc.status.accepted"),
  failed: t("inc.status.failed"), warning: t("inc.status.warning") });
const OUTCOME_WORDS = () => ({ acknowledged: t("inc.stepOutcome.acknowledged"),
  window_ended: t("inc.stepOutcome.window_ended"), call_unknown: t("inc.stepOutcome.call_unknown"),
  nobody_to_tell: t("inc.stepOutcome.nobody_to_tell") });
const AUDIENCE_WORDS = () => ({ notified: t("inc.audience.notified"), agent: t("inc.audience.agent"),
  siteDesk: t("inc.audience.siteDesk"), onCall: t("inc.audience.onCall") });
// Events at the same second: the dial first, then in the order things happen to one message.
const ORDER = { dial: 0, presence: 1, escalation: 2, notification: 3, report: 4, acknowledgement: 5, callback: 6,
  end: 7, restored: 8 };
const CALLBACK_WORDS = () => ({ redirected: t("inc.callback.redirected"),
  ringing_direct: t("inc.callback.ringing_direct"), fallback: t("inc.callback.fallback"),
  dropped_stale: t("inc.callback.dropped_stale") });

/** The incident's events, oldest first: {at, kind, text, state} (state: "pending", "failed" or ""). */
export function timelineEvents(incident, answer) {
  const events = [];
  const add = (at, kind, text, state = "", note = "") => events.push({ at: at || null, kind, text, state, note });
  add(incident.dialedAt, "dial", t(incident.test ? "inc.ev.dialedTest" : "inc.ev.dialed",
    { agent: incident.agentName || incident.agentId, number: incident.dialedNumber }));
  const now = Date.parse(answer.asOf) || Date.now();
  const [names, statuses, channels, callbacks] = [CHANNEL_NAMES(), STATUS_WORDS(), CHANNEL_WORDS(), CALLBACK_WORDS()];
  for (const d of answer.deliveries || []) {
    const who = d.recipientMasked || d.recipient;
    const channel = names[d.channel] || d.channel;
    const sentBy = d.step ? t("inc.ev.step", { step: d.step }) : t("inc.ev.first");
    const status = `${statuses[d.status] || d.status}${d.reason ? ` — ${d.reason}` : ""}`;
    // The proof of "at the same time as the call": the seconds from the dial to the message leaving.
    const sentAfter = secondsBetween(incident.dialedAt, d.firstAttemptAt);
    add(d.firstAttemptAt || d.updatedAt, "notification", t("inc.ev.sent", { channel, who, by: sentBy, status }),
      d.status === "failed" ? "failed" : "",
      sentAfter === null ? "" : t("inc.ev.sentAfter", { seconds: num(sentAfter) }));
    if (d.deliveryStatus) {
      const detail = d.deliveryDetail ? ` (${d.deliveryDetail})` : "";
      add(d.deliveryStatusAt, "report", t("inc.ev.report", { channel: channels[d.channel] || d.channel, who,
        status: `${d.deliveryStatus}${detail}` }), d.delivered === false ? "failed" : "");
    }
    if (d.acknowledgedAt) {
      const after = minutesSeconds(secondsToAcknowledge(d, incident.dialedAt));
      const via = channels[d.acknowledgedVia || d.channel] || d.acknowledgedVia;
      add(d.acknowledgedAt, "acknowledgement", t(after ? "inc.ev.ackAfter" : "inc.ev.ack", { who, via, time: after }));
    }
  }
  for (const s of answer.escalations || []) add(...escalationEvent(s, now));
  for (const c of incident.callbacks || []) {
    const after = secondsBetween(incident.dialedAt, c.at);
    const outcome = callbacks[c.outcome] || c.outcome || t("inc.ev.callbackReceived");
    add(c.at, "callback", t(c.from ? "inc.ev.callbackFrom" : "inc.ev.callback", { from: c.from, outcome })
      + (after === null ? "" : t("inc.ev.callbackAfter", { time: minutesSeconds(after) })),
    c.outcome === "dropped_stale" ? "failed" : "");
  }
  if (incident.endedAt) {
    add(incident.endedAt, "end", t("inc.ev.ended"), "",
      incident.endSource ? t("inc.ev.endedBy", { source: incident.endSource }) : "");
  }
  for (const m of incident.presence || []) {
    const after = secondsBetween(incident.dialedAt, m.at);
    const note = after === null ? "" : t("inc.ev.secondsAfter", { seconds: num(after) });
    if (m.what === "dnd") {
      add(m.at, "presence", m.previous ? t("inc.ev.dndWas", { previous: m.previous }) : t("inc.ev.dnd"), "", note);
    }
    if (m.what === "restored") add(m.at, "restored", t("inc.ev.restored", { status: m.status }), "", note);
  }
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
  const audiences = AUDIENCE_WORDS();
  const channels = CHANNEL_WORDS();
  const who = (s.audiences || []).map((a) => audiences[a] || a);
  const how = (s.channels || []).map((c) => channels[c] || c);
  const what = s.name ? t("inc.ev.stepNamed", { step: s.tier, name: s.name }) : t("inc.ev.stepName", { step: s.tier });
  const plan = t("inc.ev.plan", { who: joinWords(who), how: joinWords(how) });
  if (s.status === "pending" || s.status === "running") {
    const left = (Date.parse(s.dueAt) - now) / 1000;
    const when = left > 0 ? t("inc.ev.dueIn", { time: minutesSeconds(left) })
      : s.status === "running" ? t("inc.ev.runningNow") : t("inc.ev.overdue", { time: minutesSeconds(-left) });
    return [s.dueAt, "escalation", t("inc.ev.pending", { what, when, plan }), "pending"];
  }
  const outcome = OUTCOME_WORDS()[s.outcome] || s.outcome || t("inc.ev.noOutcome");
  const late = s.ranAt ? (Date.parse(s.ranAt) - Date.parse(s.dueAt)) / 1000 : NaN;
  const ran = s.ranAt ? t("inc.ev.ran", { time: clockOf(s.ranAt) })
    + (late >= 1 ? t("inc.ev.late", { seconds: num(Math.round(late)) }) : "") : "";
  return [s.ranAt || s.dueAt, "escalation", t(s.status === "skipped" ? "inc.ev.skipped" : "inc.ev.done",
    { what, outcome, due: clockOf(s.dueAt), ran, plan }), ""];
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
          e.at ? h("time", { datetime: e.at }, clockOf(e.at)) : t("inc.timeUnknown")),
        " ", h("span", { class: "what" }, e.text),
        e.note ? [" ", h("span", { class: "note-after" }, `(${e.note})`)] : null);
    }));
}

function clockOf(iso) {
  // a timeline: seconds count (a step due 13:27:58 ran 13:28:04)
  return formatTime(iso, { seconds: true, locale: locale() });
}
