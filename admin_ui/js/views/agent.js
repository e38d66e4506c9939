// One agent: readiness with what to change, the editable profile and recipients, the location, the change history.
import { get, put, enc, ApiError } from "../api.js";
import { h, heading, statusBadge, field, showErrors, clearErrors, announce, table, timeEl } from "../dom.js";
import { changeRows } from "./audit.js";
import { track } from "../unsaved.js";
import { fieldLabel, plain } from "../words.js";
import { locale as pageLocale, t } from "../language.js";

export async function agentView(ctx, agentId) {
  const [agent, config] = await Promise.all([
    get(`manage/agents/${enc(agentId)}`).catch((e) => { if (e.status === 404) return null; throw e; }),
    get("manage/voice-config"),
  ]);
  const isNew = agent === null;
  const readinessBox = h("section", { class: "panel", "aria-labelledby": "readiness-title" });
  const historyBox = h("section", { class: "panel", "aria-labelledby": "history-title" });

  async function refresh() {
    if (isNew && !saved) {
      readinessBox.replaceChildren(h("h2", { id: "readiness-title" }, t("agent.readiness")),
        h("p", { class: "muted" }, t("agent.readinessAfterSave")));
      return;
    }
    const [readiness, history] = await Promise.all([
      get(`manage/agents/${enc(agentId)}/readiness`),
      get(`manage/audit?entity=agent&entityId=${enc(agentId)}&limit=50`),
    ]);
    readinessBox.replaceChildren(...readinessPanel(readiness));
    historyBox.replaceChildren(h("h2", { id: "history-title" }, t("agent.history")),
      table(t("agent.historyCaption", { id: agentId }),
        [t("audit.col.when"), t("audit.col.who"), t("audit.col.what"), t("audit.col.changes")],
        changeRows(history.changes, { showEntity: false }), { empty: t("agent.noHistory"), captionHidden: true }));
  }

  let saved = !isNew;
  let edits = null;  // the form's unsaved changes, asked about before leaving
  const form = agentForm(ctx, agentId, agent || {}, config, async (body) => {
    clearErrors(form);
    let answer;
    try {
      answer = await put(`manage/agents/${enc(agentId)}`, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        showErrors(form, error);
        announce(error.field ? t("agent.notSavedField", { field: fieldLabel(error.field) })
          : t("agent.notSavedForm"), "error");
        return;
      }
      announce(t("agent.notSaved", { message: error.message }), "error");
      return;
    }
    saved = true;
    edits.reset();
    // Saved, but with what the server warns about (no signInId: her signed-in calls are not recorded as hers).
    const warnings = (answer?.warnings || []).map((w) => w.message).join(" ");
    const done = (key) => announce(`${t(key, { name: body.displayName || agentId })}${warnings ? ` ${warnings}` : ""}`,
      warnings ? "warning" : "ok");
    if (isNew) {  // show it as the existing agent it now is
      window.dispatchEvent(new HashChangeEvent("hashchange"));
      done(isNew ? "agent.created" : "agent.saved");
      return;
    }
    await refresh();
    done(isNew ? "agent.created" : "agent.saved");
  });
  await refresh();
  edits = track(`agent ${agentId}`, form, () => form.values());

  return h("section", {},
    h("p", { class: "breadcrumb" }, h("a", { href: "#/agents" }, t("agent.breadcrumb")), " / ", agentId),
    heading(isNew ? t("agent.newTitle", { id: agentId }) : (agent.displayName || agentId)),
    isNew ? h("p", { class: "lead" }, t("agent.newLead")) : null,
    h("div", { class: "two-columns" }, h("div", {}, form), h("div", {}, readinessBox)),
    historyBox);
}

const LOCALES = ["en-US", "en-CA", "fr-CA", "en-GB", "da-DK", "en-AU"];  // as shared/domain/locales.py

/** "fr-CA" → "French (Canada) · fr-CA", in the viewer's language. */
function languageName(locale) {
  try {
    return `${new Intl.DisplayNames(pageLocale(), { type: "language" }).of(locale)} · ${locale}`;
  } catch {
    return locale;
  }
}

// Her location's parts in the order a person reads them; any other part follows, in words.
const LOCATION_ORDER = ["siteName", "siteId", "address", "floor", "wing", "room", "city", "state", "postalCode",
  "countryCode", "latitude", "longitude", "accuracyMeters", "enabled", "confirmedBy"];

function agentForm(ctx, agentId, agent, config, onSave) {
  const input = (name, attrs = {}) => h("input", { name, value: agent[name] ?? "", autocomplete: "off", ...attrs });
  const select = (name, options) => {
    const current = agent[name] || "";
    const values = options.map((o) => o.value);
    return h("select", { name },
      h("option", { value: "" }, t("agent.none")),
      options.map((o) => h("option", { value: o.value, selected: o.value === current }, o.label)),
      current && !values.includes(current) ? h("option", { value: current, selected: true },
        t("agent.notInSetup", { value: current })) : null);
  };
  const textarea = (name) => h("textarea", { name, rows: 3, spellcheck: "false" }, agent[name] ?? "");
  const zones = h("datalist", { id: "timezones" },
    (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []).map((z) => h("option", { value: z })));
  const mailbox = h("input", { type: "checkbox", name: "mailboxEnabled", checked: agent.mailboxEnabled !== false });
  // Her language, and her contacts': kept as set (a save without it would put her back on her country's).
  const language = h("select", { name: "locale" },
    h("option", { value: "" }, agent.effectiveLocale
      ? t("agent.fromCountryNow", { language: languageName(agent.effectiveLocale) }) : t("agent.fromCountry")),
    LOCALES.map((l) => h("option", { value: l, selected: l === agent.locale }, languageName(l))));
  const location = agent.lastLocation || null;

  const values = () => {
    const data = new FormData(form);
    const body = {};
    for (const name of ["displayName", "acsUserId", "outboundNumber", "timezone", "outboundProfile",
      "capacityProfile", "emailRecipients", "smsRecipients", "signInId", "routingWorkerId"]) {
      body[name] = String(data.get(name) || "").trim();
    }
    body.locale = language.value || null;
    body.mailboxEnabled = mailbox.checked;
    body.lastLocation = location;  // reported by the agent's browser; the page keeps it as it is
    return body;
  };
  const form = h("form", { novalidate: true, class: "stack-form", "aria-labelledby": "profile-title",
    onsubmit: (e) => {
      e.preventDefault();
      onSave(values());
    } },
  h("h2", { id: "profile-title" }, t("agent.profile")),
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, t("agent.settingsOf", { id: agentId })),
    field(t("agent.displayName"), input("displayName", { required: true, value: agent.displayName ?? agentId })),
    field(t("agent.acsUserId"), input("acsUserId"), { hint: t("agent.acsUserIdHint") }),
    field(t("agent.signInId"), input("signInId"), { hint: t("agent.signInIdHint") }),
    field(t("agent.routingWorker"), input("routingWorkerId"), { hint: t("agent.routingWorkerHint") }),
    field(t("agent.outboundNumber"), input("outboundNumber", { type: "tel" }), { hint: t("agent.outboundNumberHint") }),
    field(t("agent.timezone"), input("timezone", { list: "timezones", value: agent.timezone ?? "UTC" }),
      { hint: t("agent.timezoneHint") }), zones,
    field(t("agent.outboundProfile"), select("outboundProfile", config["outbound-profiles"].map((p) =>
      ({ value: p.id, label: `${p.name} (${p.channel})` })))),
    field(t("agent.capacityProfile"), select("capacityProfile", config["capacity-profiles"].map((p) =>
      ({ value: p.id, label: p.name })))),
    field(t("agent.language"), language, { hint: t("agent.languageHint") }),
    field(t("agent.mailbox"), mailbox),
    field(t("agent.email"), textarea("emailRecipients"), { hint: t("agent.emailHint") }),
    field(t("agent.sms"), textarea("smsRecipients"), { hint: t("agent.smsHint") }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("agent.save")))),
  h("h3", {}, t("agent.lastLocation")),
  locationFacts(location),
  h("p", { class: "hint" }, t("agent.locationHint")));
  form.values = values;
  return form;
}

/** Where she was last reported and when (her local time, with the zone's abbreviation), each part in words. */
function locationFacts(location) {
  if (!location) return h("p", { class: "muted" }, t("agent.noLocation"));
  const keys = [...LOCATION_ORDER.filter((k) => k in location),
    ...Object.keys(location).filter((k) => !LOCATION_ORDER.includes(k) && k !== "reportedAt")];
  const parts = keys.filter((k) => location[k] !== null && location[k] !== undefined && location[k] !== "");
  return h("div", { class: "location-facts" },
    h("p", { class: "location-when" }, location.reportedAt ? [t("agent.reported"), timeEl(String(location.reportedAt))]
      : t("agent.reportedUnknown")),
    h("dl", { class: "facts" }, parts.flatMap((k) => [h("dt", {}, fieldLabel(k)), h("dd", {}, plain(location[k], k))])));
}

function readinessPanel(r) {
  return [
    h("h2", { id: "readiness-title" }, t("agent.readinessTitle"), statusBadge(r.status)),
    h("p", { class: "muted" }, t("agent.checked"), timeEl(r.checkedAt)),
    h("ol", { class: "checks" }, r.checks.map((c) => h("li", { class: `check check-${c.status}`, dataset: { check: c.id } },
      h("div", { class: "check-head" }, statusBadge(c.status), " ", h("strong", {}, c.title)),
      h("p", {}, c.reason),
      c.fix ? h("p", { class: "fix" }, h("span", { class: "fix-label" }, t("agent.whatToChange")), c.fix) : null))),
  ];
}
