// The page's words for what the API names with keys: fields (countryCode → "Country"), entities of the audit log,
// and stored values shown readably (a list as its items, a location as its parts, a time in the viewer's zone).
import { h, fmtTime } from "./dom.js";
import { locale, t } from "../common/i18n.js";

/** The words of the API's field names, in the page's language. */
const fieldLabels = () => ({
  // an agent
  agentId: t("field.agentId"), displayName: t("field.displayName"), acsUserId: t("field.acsUserId"),
  outboundNumber: t("field.outboundNumber"), timezone: t("field.timezone"),
  emailRecipients: t("field.emailRecipients"), smsRecipients: t("field.smsRecipients"),
  mailboxEnabled: t("field.mailboxEnabled"), outboundProfile: t("field.outboundProfile"),
  capacityProfile: t("field.capacityProfile"), lastLocation: t("field.lastLocation"), signInId: t("field.signInId"),
  routingWorkerId: t("field.routingWorkerId"), locale: t("field.locale"),
  // a location
  countryCode: t("field.countryCode"), address: t("field.address"), floor: t("field.floor"), wing: t("field.wing"),
  room: t("field.room"), city: t("field.city"), state: t("field.state"), postalCode: t("field.postalCode"),
  enabled: t("field.enabled"), latitude: t("field.latitude"), longitude: t("field.longitude"),
  accuracyMeters: t("field.accuracyMeters"), siteId: t("field.siteId"), siteName: t("field.siteName"),
  confirmedBy: t("field.confirmedBy"), reportedAt: t("field.reportedAt"), civic: t("field.civic"),
  readout: t("field.readout"),
  // voice setup, pool, sites, template
  id: t("field.id"), name: t("field.name"), channel: t("field.channel"),
  capacityProfiles: t("field.capacityProfiles"), number: t("field.number"), type: t("field.type"),
  country: t("field.country"), numberPattern: t("field.numberPattern"), trunks: t("field.trunks"),
  places: t("field.places"), deskEmails: t("field.deskEmails"), deskSms: t("field.deskSms"),
  networks: t("field.networks"), subject: t("field.subject"), html: t("field.html"), text: t("field.text"),
  version: t("field.version"), restoredFrom: t("field.restoredFrom"), rules: t("field.rules"),
  tiers: t("field.tiers"), mode: t("field.mode"), onCall: t("field.onCall"), escalateTests: t("field.escalateTests"),
  voiceCallsPerRecipient: t("field.voiceCallsPerRecipient"), format: t("field.format"), filters: t("field.filters"),
  rows: t("field.rows"), scope: t("field.scope"), target: t("field.target"), starts: t("field.starts"),
  ends: t("field.ends"), note: t("field.note"),
});

const entityLabels = () => ({
  agent: t("entity.agent"), template: t("entity.template"), "callback-number": t("entity.callback_number"),
  "capacity-profile": t("entity.capacity_profile"), "outbound-profile": t("entity.outbound_profile"),
  "resource-number": t("entity.resource_number"), "routing-rule": t("entity.routing_rule"), site: t("entity.site"),
  "notification-rules": t("entity.notification_rules"), "escalation-policy": t("entity.escalation_policy"),
  drill: t("entity.drill"), "drill-schedule": t("entity.drill_schedule"),
  "incident-export": t("entity.incident_export"),
});

// Where one entity's field means something else than the same key elsewhere.
const entityFieldLabels = () => ({ "callback-number": { state: t("field.callbackState") } });

/** "countryCode" → "Country"; an unknown key in words ("someNewField" → "Some new field"), never the raw key. */
export function fieldLabel(name, entity = "") {
  const key = String(name);
  const own = (entityFieldLabels()[entity] || {})[key];
  if (own) return own;
  const labels = fieldLabels();
  if (Object.hasOwn(labels, key)) return labels[key];
  const last = key.split(".").pop();  // "lastLocation.countryCode" is her location's country
  if (Object.hasOwn(labels, last)) return labels[last];
  const words = key.split(".").pop().replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/[_-]+/g, " ").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

export function entityLabel(entity) {
  const labels = entityLabels();
  return Object.hasOwn(labels, entity) ? labels[entity] : fieldLabel(entity);
}

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
let regionNames = null;

/** "US" → "United States (US)", in the viewer's language; the code as it is when unknown. */
export function countryName(code) {
  try {
    if (regionNames?.resolvedOptions().locale !== locale()) {
      regionNames = new Intl.DisplayNames(locale(), { type: "region" });
    }
    const name = regionNames.of(String(code).toUpperCase());
    return name && name !== code ? `${name} (${code})` : String(code);
  } catch {
    return String(code);
  }
}

/** A value as text people read: yes/no, a time in the viewer's zone, a country's name, a list's items. */
export function plain(value, key = "") {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") {
    return key === "enabled" ? (value ? t("value.on") : t("value.off")) : (value ? t("value.yes") : t("value.no"));
  }
  if (Array.isArray(value)) return value.length ? value.map((v) => plain(v)).join("; ") : t("value.none");
  if (typeof value === "object") {
    return Object.entries(value).filter(([, v]) => v !== null && v !== undefined && v !== "")
      .map(([k, v]) => `${fieldLabel(k)}: ${plain(v, k)}`).join(", ");
  }
  if (typeof value === "string" && TIME.test(value)) return fmtTime(value);
  if (key === "countryCode" || key === "country") return countryName(value);
  if (key === "confirmedBy" && value === "agent") return t("value.agentHerself");
  return String(value);
}

/** A stored audit value (text; JSON for lists, objects, yes/no) as readable nodes, never a JSON blob. */
export function readable(text, key = "") {
  if (text === null || text === undefined) return h("span", { class: "muted" }, t("value.noneShown"));
  let value = text;
  if (/^[[{]/.test(text) || text === "true" || text === "false") {
    try { value = JSON.parse(text); } catch { value = text; }
  }
  if (value && typeof value === "object" && !Array.isArray(value)) {
    return h("dl", { class: "value-parts" }, Object.entries(value)
      .filter(([, v]) => v !== null && v !== undefined && v !== "")
      .flatMap(([k, v]) => [h("dt", {}, fieldLabel(k)), h("dd", {}, plain(v, k))]));
  }
  const shown = plain(value, key);
  if (shown.length <= 160) return h("span", { class: "value" }, shown);
  // Focusable: a long value scrolls, and the keyboard must scroll it too.
  return h("details", {}, h("summary", {}, `${shown.slice(0, 120)}…`),
    h("pre", { class: "value-full", tabindex: "0" }, shown));
}
