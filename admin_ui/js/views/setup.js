// Voice setup: capacity and outbound profiles, the resource's numbers and direct-routing rules (readiness reads them).
import { get, put, del, enc, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, visuallyHidden } from "../dom.js";

const KINDS = [
  { kind: "capacity-profiles", title: "Capacity profiles", key: "id", keyLabel: "Profile ID",
    intro: "Assigned to agents; an agent's emergency call needs one associated with a voice outbound profile.",
    fields: [{ name: "name", label: "Name" }] },
  { kind: "outbound-profiles", title: "Outbound profiles", key: "id", keyLabel: "Profile ID",
    intro: "Which capacity profiles may place outbound calls on which channel, and from which number.",
    fields: [
      { name: "name", label: "Name" },
      { name: "channel", label: "Channel", options: ["voice", "sms", "chat", "email"] },
      { name: "outboundNumber", label: "Outbound number", hint: "E.164, e.g. +12025550180" },
      { name: "capacityProfiles", label: "Capacity profiles", list: true, hint: "Profile IDs separated by semicolons" },
    ] },
  { kind: "numbers", title: "Resource phone numbers", key: "number", keyLabel: "Number",
    intro: "The ACS resource's numbers: a Microsoft number goes to Microsoft's emergency service (direct offer); " +
      "a direct-routing number needs a direct-routing rule for the emergency number.",
    fields: [
      { name: "type", label: "Type", options: ["microsoft", "direct_routing"],
        optionLabels: { microsoft: "Microsoft (direct offer)", direct_routing: "Direct routing (carrier via SBC)" } },
      { name: "country", label: "Country", hint: "ISO code, e.g. US" },
    ] },
  { kind: "routing-rules", title: "Direct-routing rules", key: "name", keyLabel: "Rule name",
    intro: "ACS voice routes: a call whose dialed number matches the pattern goes to the SBCs, whatever the caller's number.",
    fields: [
      { name: "numberPattern", label: "Number pattern", hint: "A regular expression, e.g. ^\\+?911$" },
      { name: "trunks", label: "SBCs", list: true, hint: "Host names separated by semicolons, e.g. sbc1.example.com" },
    ] },
];

export async function setupView(ctx) {
  const sections = h("div");
  async function render() {
    const config = await get("manage/voice-config");
    sections.replaceChildren(...KINDS.map((k) => kindSection(ctx, k, config[k.kind], render)));
  }
  await render();
  return h("section", {}, heading("Voice setup"),
    h("p", { class: "lead" }, "The contact center's voice configuration that the readiness checks read."), sections);
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
        announce("Not saved: see the message on the form.", "error");
      } else announce(`Not saved: ${error.message}`, "error");
      return;
    }
    await rerender();
    announce(`${k.title}: ${key} saved.`);
  } },
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, `Add or change (${k.title.toLowerCase()})`),
    field(k.keyLabel, keyInput),
    k.fields.map((f) => field(f.label, controls[f.name], { hint: f.hint || "" })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save"))));

  function edit(record) {
    keyInput.value = record[k.key];
    k.fields.forEach((f) => { controls[f.name].value = display(record[f.name]); });
    keyInput.focus();
  }

  async function remove(record) {
    try {
      await del(`manage/voice-config/${k.kind}/${enc(record[k.key])}`);
      await rerender();
      announce(`${k.title}: ${record[k.key]} deleted.`);
    } catch (error) {
      announce(`Not deleted: ${error.message}`, "error");
    }
  }

  const headers = [k.keyLabel, ...k.fields.map((f) => f.label), visuallyHidden("Actions")];
  return h("section", { class: "panel", "aria-labelledby": titleId, dataset: { kind: k.kind } },
    h("h2", { id: titleId }, k.title), h("p", { class: "hint" }, k.intro),
    table(k.title, headers, records.map((r) => h("tr", {},
      h("th", { scope: "row" }, r[k.key]),
      k.fields.map((f) => h("td", {}, display(r[f.name]))),
      h("td", { class: "row-actions" },
        h("button", { type: "button", disabled: !ctx.canChange, "aria-label": `Edit ${r[k.key]}`,
          onclick: () => edit(r) }, "Edit"),
        h("button", { type: "button", disabled: !ctx.canChange, "aria-label": `Delete ${r[k.key]}`,
          onclick: () => remove(r) }, "Delete")))), { empty: "None yet.", captionHidden: true }),
    form);
}
