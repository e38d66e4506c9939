// Voice setup: capacity and outbound profiles, the resource's numbers and direct-routing rules (readiness reads them).
// A deletion shows what it would change first (who uses the record, whose readiness gets worse) and is refused by
// the server while the record is in use.
import { get, put, del, enc, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, visuallyHidden } from "../dom.js";
import { confirmAction } from "../dialog.js";
import { track } from "../unsaved.js";
import { t } from "../language.js";

const KINDS = () => [
  { kind: "capacity-profiles", title: t("setup.capacity.title"), one: t("setup.capacity.one"), key: "id",
    keyLabel: t("setup.profileId"), intro: t("setup.capacity.intro"),
    fields: [{ name: "name", label: t("setup.name") }] },
  { kind: "outbound-profiles", title: t("setup.outbound.title"), one: t("setup.outbound.one"), key: "id",
    keyLabel: t("setup.profileId"), intro: t("setup.outbound.intro"),
    fields: [
      { name: "name", label: t("setup.name") },
      { name: "channel", label: t("setup.channel"), options: ["voice", "sms", "chat", "email"] },
      { name: "outboundNumber", label: t("setup.outboundNumber"), hint: t("setup.outboundNumberHint") },
      { name: "capacityProfiles", label: t("setup.capacityProfiles"), list: true,
        hint: t("setup.capacityProfilesHint") },
    ] },
  { kind: "numbers", title: t("setup.numbers.title"), one: t("setup.numbers.one"), key: "number",
    keyLabel: t("setup.number"), intro: t("setup.numbers.intro"),
    fields: [
      { name: "type", label: t("setup.type"), options: ["microsoft", "direct_routing"],
        optionLabels: { microsoft: t("setup.type.microsoft"), direct_routing: t("setup.type.direct_routing") } },
      { name: "country", label: t("setup.country"), hint: t("setup.countryHint") },
    ] },
  { kind: "routing-rules", title: t("setup.rules.title"), one: t("setup.rules.one"), key: "name",
    keyLabel: t("setup.ruleName"), intro: t("setup.rules.intro"),
    fields: [
      { name: "numberPattern", label: t("setup.pattern"), hint: t("setup.patternHint") },
      { name: "trunks", label: t("setup.trunks"), list: true, hint: t("setup.trunksHint") },
    ] },
];

export async function setupView(ctx) {
  const sections = h("div");
  async function render() {
    const config = await get("manage/voice-config");
    sections.replaceChildren(...KINDS().map((k) => kindSection(ctx, k, config[k.kind], render)));
  }
  await render();
  return h("section", {}, heading(t("setup.title")),
    h("p", { class: "lead" }, t("setup.lead")), sections);
}

function display(value) {
  return Array.isArray(value) ? value.join("; ") : value ?? "";
}

function kindSection(ctx, k, records, rerender) {
  const titleId = `${k.kind}-title`;
  const keyInput = h("input", { name: k.key, autocomplete: "off" });
  const controls = Object.fromEntries(k.fields.map((f) => [f.name, f.options
    ? h("select", { name: f.name }, f.options.map((o) => h("option", { value: o }, (f.optionLabels || {})[o] || o)))
    : h("input", { name: f.name, autocomplete: "off" })]));
  const form = h("form", { class: "grid-form", novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    const body = Object.fromEntries(k.fields.map((f) => [f.name, f.list
      ? controls[f.name].value.split(";").map((s) => s.trim()).filter(Boolean) : controls[f.name].value.trim()]));
    const key = keyInput.value.trim();
    try {
      await put(`manage/voice-config/${k.kind}/${enc(key)}`, body);
    } catch (error) {
      if (error instanceof ApiError && error.status === 400) {
        showErrors(form, { ...error, message: error.message, aliases: [k.key],
          field: error.field === "key" || error.field === "number" ? k.key : error.field });
        announce(t("setup.notSavedForm"), "error");
      } else announce(t("setup.notSaved", { message: error.message }), "error");
      return;
    }
    edits.reset();
    await rerender();
    announce(t("setup.saved", { kind: k.title, key }));
  } },
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, t("setup.addOrChange", { kind: k.title.toLowerCase() })),
    field(k.keyLabel, keyInput),
    k.fields.map((f) => field(f.label, controls[f.name], { hint: f.hint || "" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("setup.save")))));

  const edits = track(t("setup.formName", { kind: k.title.toLowerCase() }), form, () => [keyInput.value,
    ...k.fields.map((f) => controls[f.name].value)]);

  function edit(record) {
    keyInput.value = record[k.key];
    k.fields.forEach((f) => { controls[f.name].value = display(record[f.name]); });
    edits.reset();
    keyInput.focus();
  }

  async function remove(record) {
    const key = record[k.key];
    await confirmAction({
      title: t("setup.deleteTitle", { kind: k.one, key }),
      intro: t("setup.deleteIntro"),
      confirmLabel: t("setup.deleteConfirm", { kind: k.one, key }),
      impact: () => get(`manage/voice-config/${k.kind}/${enc(key)}/impact`),
      action: async () => {
        await del(`manage/voice-config/${k.kind}/${enc(key)}`);
        await rerender();
        announce(t("setup.deleted", { kind: k.title, key }));
      },
      focusAfter: () => document.getElementById(titleId),
    });
  }

  const headers = [k.keyLabel, ...k.fields.map((f) => f.label), visuallyHidden(t("setup.actions"))];
  return h("section", { class: "panel", "aria-labelledby": titleId, dataset: { kind: k.kind } },
    h("h2", { id: titleId, tabindex: "-1" }, k.title), h("p", { class: "hint" }, k.intro),
    table(k.title, headers, records.map((r) => h("tr", {},
      h("th", { scope: "row" }, r[k.key]),
      k.fields.map((f) => h("td", {}, display(r[f.name]))),
      h("td", { class: "row-actions" },
        h("button", { type: "button", disabled: !ctx.canChange, "aria-label": t("setup.editKey", { key: r[k.key] }),
          onclick: () => edit(r) }, t("setup.edit")),
        h("button", { type: "button", disabled: !ctx.canChange, "aria-label": t("setup.deleteKey", { key: r[k.key] }),
          onclick: () => remove(r) }, t("setup.delete"))))), { empty: t("setup.none"), captionHidden: true }),
    form);
}
