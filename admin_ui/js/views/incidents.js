// Emergency incidents (read-only, Admin or Auditor): the restricted records of emergency calls.
import { get, enc } from "../api.js";
import { fmtTime, h, heading, table, timeEl } from "../dom.js";

export async function incidentsView() {
  const { incidents } = await get("manage/incidents");
  return h("section", {}, heading("Emergency incidents"),
    h("p", { class: "lead" }, "Every emergency call, newest first. Read-only; kept for the retention period."),
    table("Emergency incidents", ["Dialed", "Agent", "Number", "Country", "Callback number", "Ended", "Warnings"],
      incidents.map((i) => h("tr", {},
        h("th", { scope: "row" }, h("a", { href: `#/incidents/${enc(i.emergencyCallId)}` }, timeEl(i.dialedAt))),
        h("td", {}, i.agentName || i.agentId),
        h("td", {}, i.dialedNumber, i.test ? h("span", { class: "badge badge-test" }, "test") : ""),
        h("td", {}, i.countryCode || "—"),
        h("td", {}, i.callbackNumber || "—"),
        h("td", {}, i.endedAt ? timeEl(i.endedAt) : h("strong", {}, "in progress")),
        h("td", {}, i.warnings.length || "—"))),
      { empty: "No emergency call has been made.", captionHidden: true }));
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
