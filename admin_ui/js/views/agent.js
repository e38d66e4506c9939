// One agent: readiness with what to change, the editable profile and recipients, the location, the change history.
import { get, put, enc, ApiError } from "../api.js";
import { h, heading, statusBadge, field, showErrors, clearErrors, announce, table, timeEl } from "../dom.js";
import { changeRows } from "./audit.js";

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
      readinessBox.replaceChildren(h("h2", { id: "readiness-title" }, "Readiness"),
        h("p", { class: "muted" }, "Readiness is checked once the agent is saved."));
      return;
    }
    const [readiness, history] = await Promise.all([
      get(`manage/agents/${enc(agentId)}/readiness`),
      get(`manage/audit?entity=agent&entityId=${enc(agentId)}&limit=50`),
    ]);
    readinessBox.replaceChildren(...readinessPanel(readiness));
    historyBox.replaceChildren(h("h2", { id: "history-title" }, "Change history"),
      table(`Changes to ${agentId}`, ["When", "Who", "Field", "Old value", "New value"],
        changeRows(history.entries, { showEntity: false }), { empty: "No change recorded yet.", captionHidden: true }));
  }

  let saved = !isNew;
  const form = agentForm(ctx, agentId, agent || {}, config, async (body) => {
    clearErrors(form);
    let answer;
    try {
      answer = await put(`manage/agents/${enc(agentId)}`, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        showErrors(form, error);
        announce(`Not saved: ${error.field ? fieldLabel(error.field) + " — " : ""}see the message on the form.`, "error");
        return;
      }
      announce(`Not saved: ${error.message}`, "error");
      return;
    }
    saved = true;
    // Saved, but with what the server warns about (no signInId: her signed-in calls are not recorded as hers).
    const warnings = (answer?.warnings || []).map((w) => w.message).join(" ");
    const done = (verb) => announce(`${verb} ${body.displayName || agentId}.${warnings ? ` ${warnings}` : ""}`,
      warnings ? "warning" : "ok");
    if (isNew) {  // show it as the existing agent it now is
      window.dispatchEvent(new HashChangeEvent("hashchange"));
      done("Created");
      return;
    }
    await refresh();
    done("Saved");
  });
  await refresh();

  return h("section", {},
    h("p", { class: "breadcrumb" }, h("a", { href: "#/agents" }, "Agents"), " / ", agentId),
    heading(isNew ? `New agent ${agentId}` : (agent.displayName || agentId)),
    isNew ? h("p", { class: "lead" }, "This agent does not exist yet: fill in the form and save to create it.") : null,
    h("div", { class: "two-columns" }, h("div", {}, form), h("div", {}, readinessBox)),
    historyBox);
}

const LABELS = {
  displayName: "Display name", acsUserId: "ACS identity", outboundNumber: "Outbound number", timezone: "Time zone",
  outboundProfile: "Outbound profile", capacityProfile: "Capacity profile", mailboxEnabled: "Mailbox enabled",
  emailRecipients: "Email recipients", smsRecipients: "SMS recipients", lastLocation: "Location",
  signInId: "Signs in as (Entra object id)", routingWorkerId: "Routing worker",
};

function fieldLabel(name) {
  return LABELS[name.split(".")[0]] || name;
}

function agentForm(ctx, agentId, agent, config, onSave) {
  const input = (name, attrs = {}) => h("input", { name, value: agent[name] ?? "", autocomplete: "off", ...attrs });
  const select = (name, options) => {
    const current = agent[name] || "";
    const values = options.map((o) => o.value);
    return h("select", { name },
      h("option", { value: "" }, "— none —"),
      options.map((o) => h("option", { value: o.value, selected: o.value === current }, o.label)),
      current && !values.includes(current) ? h("option", { value: current, selected: true },
        `${current} (not in the voice setup)`) : null);
  };
  const textarea = (name) => h("textarea", { name, rows: 3, spellcheck: "false" }, agent[name] ?? "");
  const zones = h("datalist", { id: "timezones" },
    (Intl.supportedValuesOf ? Intl.supportedValuesOf("timeZone") : []).map((z) => h("option", { value: z })));
  const mailbox = h("input", { type: "checkbox", name: "mailboxEnabled", checked: agent.mailboxEnabled !== false });
  const location = agent.lastLocation || null;

  const form = h("form", { novalidate: true, class: "stack-form", "aria-labelledby": "profile-title",
    onsubmit: (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = {};
      for (const name of ["displayName", "acsUserId", "outboundNumber", "timezone", "outboundProfile",
        "capacityProfile", "emailRecipients", "smsRecipients", "signInId", "routingWorkerId"]) {
        body[name] = String(data.get(name) || "").trim();
      }
      body.mailboxEnabled = mailbox.checked;
      body.lastLocation = location;  // reported by the agent's browser; the page keeps it as it is
      onSave(body);
    } },
  h("h2", { id: "profile-title" }, "Profile and notifications"),
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, `Settings of ${agentId}`),
    field("Display name", input("displayName", { required: true, value: agent.displayName ?? agentId })),
    field("ACS identity", input("acsUserId"), { hint: "The agent's ACS user raw id, e.g. 8:acs:<resource>_<user>" }),
    field("Signs in as", input("signInId"), { hint: "The Entra object id of the user who signs in as this agent " +
      "(app role EmergencyCalling.Agent). Empty: her signed-in emergency calls are recorded against her user, " +
      "not this agent: her recipients are not told (the fallback recipients are)." }),
    field("Routing worker", input("routingWorkerId"), { hint: "Her worker id in the routing engine (Job Router), " +
      "which stops offering her work during an emergency call. Empty: the agent id." }),
    field("Outbound number", input("outboundNumber", { type: "tel" }),
      { hint: "E.164, e.g. +12025550180. Empty: the outbound profile's number." }),
    field("Time zone", input("timezone", { list: "timezones", value: agent.timezone ?? "UTC" }),
      { hint: "IANA name, e.g. America/Chicago" }), zones,
    field("Outbound profile", select("outboundProfile", config["outbound-profiles"].map((p) =>
      ({ value: p.id, label: `${p.name} (${p.channel})` })))),
    field("Capacity profile", select("capacityProfile", config["capacity-profiles"].map((p) =>
      ({ value: p.id, label: p.name })))),
    field("Mailbox enabled", mailbox),
    field("Email recipients", textarea("emailRecipients"),
      { hint: "Who is emailed when the agent dials an emergency number. Separate addresses with semicolons (;)." }),
    field("SMS recipients", textarea("smsRecipients"),
      { hint: "International numbers starting with + and the country code, separated by semicolons (;)." }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save agent"))),
  h("h3", {}, "Last reported location"),
  location ? h("dl", { class: "facts" }, Object.entries(location).flatMap(([k, v]) =>
    [h("dt", {}, k), h("dd", {}, k === "reportedAt" ? timeEl(String(v)) : typeof v === "object" ? JSON.stringify(v) : String(v))]))
    : h("p", { class: "muted" }, "The agent's browser has not reported a location."),
  h("p", { class: "hint" }, "The dialer reports the location from the agent's browser; it is not edited here."));
  return form;
}

function readinessPanel(r) {
  return [
    h("h2", { id: "readiness-title" }, "Readiness ", statusBadge(r.status)),
    h("p", { class: "muted" }, "Checked ", timeEl(r.checkedAt)),
    h("ol", { class: "checks" }, r.checks.map((c) => h("li", { class: `check check-${c.status}`, dataset: { check: c.id } },
      h("div", { class: "check-head" }, statusBadge(c.status), " ", h("strong", {}, c.title)),
      h("p", {}, c.reason),
      c.fix ? h("p", { class: "fix" }, h("span", { class: "fix-label" }, "What to change: "), c.fix) : null))),
  ];
}
