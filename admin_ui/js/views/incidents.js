// Emergency incidents (read-only, Admin or Auditor): the restricted records of emergency calls.
import { get, enc } from "../api.js";
import { h, heading, table, timeEl } from "../dom.js";

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
    deliveries ? table("Notifications", ["Channel", "Recipient", "Status", "Delivery"], deliveries.deliveries.map((d) =>
      h("tr", {}, h("td", {}, d.channel), h("td", {}, d.recipient), h("td", {}, d.status),
        h("td", {}, d.deliveryStatus || ""))), { empty: "No notification was sent.", captionHidden: true })
      : h("p", { class: "muted" }, "Delivery records are not available."));
}
