// The site editor: name, the civic address in RFC 5139's parts (in plain words), the places inside, the security
// desk's email addresses and mobile numbers, and the networks; the server's 400 is shown beside the field it names
// (address.PC beside Postal code, networks[1] naming line 2, deskSms with each refused number).
import { put, enc, ApiError } from "../api.js";
import { h, field, clearErrors, append, announce, describeDetail } from "../dom.js";
import { placesEditor } from "./site_places.js";
import { track } from "../unsaved.js";
import { locale, t } from "../language.js";

// Where ACS places emergency calls, as shared/domain/addresses.py validates them; a stored other code stays shown.
const COUNTRIES = ["US", "PR", "CA", "GB", "DK", "AU"];
// [RFC 5139 name, label, hint, max length (the server's)]
const ADDRESS = () => [
  ["HNO", t("site.part.HNO"), t("site.hint.HNO"), 16],
  ["HNS", t("site.part.HNS"), t("site.hint.HNS"), 16],
  ["RD", t("site.part.RD"), t("site.hint.RD"), 128],
  ["STS", t("site.part.STS"), t("site.hint.STS"), 32],
  ["A3", t("site.part.A3"), t("site.hint.A3"), 64],
  ["A1", t("site.part.A1"), t("site.hint.A1"), 64],
  ["PC", t("site.part.PC"), t("site.hint.PC"), 16],
  ["BLD", t("site.part.BLD"), t("site.hint.BLD"), 64],
  ["FLR", t("site.part.FLR"), t("site.hint.FLR"), 32],
  ["UNIT", t("site.part.UNIT"), t("site.hint.UNIT"), 32],
  ["ROOM", t("site.part.ROOM"), t("site.hint.ROOM"), 32],
  ["LOC", t("site.part.LOC"), t("site.hint.LOC"), 256],
  ["NAM", t("site.part.NAM"), t("site.hint.NAM"), 128],
];
const labels = () => ({ siteId: t("site.siteId"), name: t("site.name"), "address.country": t("site.country"),
  places: t("site.places"), networks: t("site.networks"), latitude: t("site.latitude"), longitude: t("site.longitude"),
  deskEmails: t("site.deskEmails"), deskSms: t("site.deskSms"),
  ...Object.fromEntries(ADDRESS().map(([name, label]) => [`address.${name}`, label])) });

/** "US" → "United States", in the page's language. */
function countryLabel(code) {
  try {
    return new Intl.DisplayNames(locale(), { type: "region" }).of(code) || code;
  } catch {
    return code;
  }
}

/** The editor of `site` (null: a new one). `taken(id)`: the site that has that ID already, if any.
 * `onSaved(site, done)` after each save (the site and its networks are saved together, or nothing is). */
export function siteForm(site, { taken, onSaved, onCancel }) {
  let current = site;
  const ADDRESS_PARTS = ADDRESS();
  const LABELS = labels();
  const input = (name, value, attrs = {}) => h("input", { name, value: value ?? "", autocomplete: "off", ...attrs });
  const name = input("name", site?.name, { required: true, maxlength: 100 });
  const siteId = input("siteId", site?.siteId, { required: true, readOnly: Boolean(site), maxlength: 128 });
  const address = site?.address || {};
  const country = h("select", { name: "address.country", required: true },
    h("option", { value: "" }, t("site.chooseCountry")),
    COUNTRIES.map((code) => h("option", { value: code, selected: code === address.country }, countryLabel(code))),
    address.country && !COUNTRIES.includes(address.country)
      ? h("option", { value: address.country, selected: true }, address.country) : null);
  const parts = Object.fromEntries(ADDRESS_PARTS.map(([part, , , max]) =>
    [part, input(`address.${part}`, address[part], { maxlength: max, required: ["RD", "HNO"].includes(part) })]));
  const point = Object.fromEntries(["latitude", "longitude"].map((n) =>
    [n, input(n, site?.[n] ?? "", { inputmode: "decimal", maxlength: 20, autocomplete: "off" })]));
  const places = placesEditor(site?.places || []);
  const networks = h("textarea", { name: "networks", rows: 4, spellcheck: "false", class: "code" },
    (site?.networks || []).join("\n"));
  const desk = (name, attrs) => h("textarea", { name, rows: 3, spellcheck: "false", ...attrs },
    (site?.[name] || []).join("\n"));
  const deskEmails = desk("deskEmails", { autocomplete: "off" });
  const deskSms = desk("deskSms", { autocomplete: "off" });
  let idTouched = Boolean(site);
  siteId.addEventListener("input", () => { idTouched = true; });
  name.addEventListener("input", () => { if (!idTouched) siteId.value = slug(name.value); });
  const title = h("h2", { id: "site-editor-title", tabindex: "-1" },
    site ? t("site.editTitle", { name: site.name }) : t("site.newTitle"));
  const formError = h("div", { class: "form-error" });

  const form = h("form", { class: "stack-form site-form", novalidate: true, "aria-labelledby": "site-editor-title",
    onsubmit: (e) => { e.preventDefault(); save(); } },
  title, formError,
  h("fieldset", { class: "site-grid" }, h("legend", {}, t("site.legend")),
    field(LABELS.name, name, { hint: t("site.nameHint") }),
    field(LABELS.siteId, siteId, { hint: site ? t("site.idFixed") : t("site.idHint") })),
  h("fieldset", { class: "site-grid" }, h("legend", {}, t("site.addressLegend")),
    field(LABELS["address.country"], country, { hint: t("site.countryHint") }),
    ADDRESS_PARTS.map(([part, label, hint]) => field(label, parts[part], { hint }))),
  h("fieldset", { class: "site-grid" }, h("legend", {}, t("site.mapLegend")),
    field(LABELS.latitude, point.latitude, { hint: t("site.latitudeHint") }),
    field(LABELS.longitude, point.longitude, { hint: t("site.longitudeHint") })),
  places.element,
  h("fieldset", { class: "site-grid", "aria-describedby": "desk-hint" }, h("legend", {}, t("site.deskLegend")),
    h("p", { class: "hint", id: "desk-hint" }, t("site.deskHint")),
    field(LABELS.deskEmails, deskEmails, { hint: t("site.deskEmailsHint") }),
    field(LABELS.deskSms, deskSms, { hint: t("site.deskSmsHint") })),
  field(LABELS.networks, networks, { hint: t("site.networksHint") }),
  h("div", { class: "actions" },
    h("button", { type: "submit", class: "primary" }, t("site.save")),
    h("button", { type: "button", onclick: () => onCancel() }, t("site.cancel"))));

  function body() {
    const addr = { country: country.value };
    for (const [part] of ADDRESS_PARTS) if (parts[part].value.trim()) addr[part] = parts[part].value.trim();
    const at = Object.fromEntries(Object.entries(point).filter(([, el]) => el.value.trim())
      .map(([n, el]) => [n, Number.isFinite(Number(el.value.trim())) ? Number(el.value.trim()) : el.value.trim()]));
    return { name: name.value.trim(), address: addr, places: places.values(), deskEmails: items(deskEmails),
      deskSms: items(deskSms), ...at };
  }

  async function save() {
    clearErrors(form);
    const id = siteId.value.trim();
    const other = current ? null : taken(id);
    if (!id || other) {
      const message = other ? t("site.idTaken", { id, name: other.name }) : t("site.required");
      return announce(t("site.notSaved", { message: refused({ field: "siteId", message }) }), "error");
    }
    // One request: the site with its networks, checked before anything is written; a new site is only created
    // (If-None-Match: *), never written over one another admin has just created with the same ID.
    const lines = networkLines();
    let saved;
    try {
      saved = await put(`manage/sites/${enc(id)}`, { ...body(), networks: lines.map((l) => l.cidr) },
                        current ? {} : { "If-None-Match": "*" });
    } catch (error) {
      return announce(t("site.notSaved", { message: refused(error, lines) }), "error");
    }
    becomeExisting(saved);
    edits.reset();
    return onSaved(saved, true);
  }

  function becomeExisting(saved) {
    current = saved;
    siteId.readOnly = idTouched = true;
    form.querySelector(`#${CSS.escape(siteId.id)}-hint`).textContent = t("site.idFixed");
    title.textContent = t("site.editTitle", { name: saved.name });
  }

  function networkLines() {
    return networks.value.split("\n").map((text, i) => ({ cidr: text.trim(), line: i + 1 })).filter((l) => l.cidr);
  }

  /** Show a refusal beside the field it names (each address problem beside its own); answers its first sentence. */
  function refused(error, lines = []) {
    const isBadInput = !(error instanceof Error) || (error instanceof ApiError && error.status === 400);
    if (!isBadInput) return say(formError, null, error.message, true);
    const where = error.field || "";
    const line = /^networks\[(\d+)\]$/.exec(where);
    const place = /^places\[(\d+)\]$/.exec(where);
    if (line) {
      const l = lines[Number(line[1])] || { line: Number(line[1]) + 1, cidr: "" };
      const text = t("site.line", { line: l.line, cidr: l.cidr, message: error.message });
      const said = say(errorSlot(networks), networks, text, true);
      selectLine(networks, l.line);
      return said;
    }
    if (place) {
      const at = places.locate(Number(place[1]));
      return say(at.slot, at.control, `${at.label} ${error.message}`, true);
    }
    const control = where && form.querySelector(`[name="${CSS.escape(where)}"]`);
    if (!control) return say(formError, null, `${LABELS[where] || where || t("site.theSite")} ${error.message}`, true);
    const refusedItems = (error.details || []).filter((d) => d.item !== undefined);
    if (refusedItems.length) {  // a list (deskEmails, deskSms): each refused item with its position and reason
      const lines = refusedItems.map(describeDetail);
      const said = say(errorSlot(control), control, t("site.pleaseCorrect", { label: LABELS[where] }), true);
      append(errorSlot(control), [h("ul", {}, lines.map((l) => h("li", {}, l)))]);
      return `${said}: ${lines.join("; ")}`;
    }
    const said = say(errorSlot(control), control, `${LABELS[where]} ${error.message}`, true);
    for (const d of (where.startsWith("address.") && error.details) || []) {
      const other = form.querySelector(`[name="address.${CSS.escape(String(d.field))}"]`);
      if (other && other !== control) say(errorSlot(other), other, `${LABELS[other.name]} ${d.reason}`);
    }
    return said;
  }

  function errorSlot(control) {
    return form.querySelector(`#${CSS.escape(control.id)}-error`);
  }

  const what = site ? t("site.what", { name: site.name }) : t("site.whatNew");
  const edits = track(what, form, () => ({ ...body(), siteId: siteId.value, networks: networks.value }));
  return { element: form, focus: () => title.focus(), dirty: edits.dirty, name: what };
}

/** Put `text` in an error slot (the first one announced and focused); answers the text for the live region. */
function say(slot, control, text, first = false) {
  append(slot, [h("p", {}, text)]);
  if (first) slot.setAttribute("role", "alert");
  if (control) control.setAttribute("aria-invalid", "true");
  if (control && first) control.focus();
  return text;
}

/** The items of a list typed one per line or separated by semicolons, in order, blanks left out (the server
 * names a refused one by its position among them). */
function items(textarea) {
  return textarea.value.split(/[\n;]/).map((s) => s.trim()).filter(Boolean);
}

function selectLine(textarea, line) {
  const starts = textarea.value.split("\n").slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const length = (textarea.value.split("\n")[line - 1] || "").length;
  textarea.setSelectionRange(starts, starts + length);
}

function slug(text) {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "").slice(0, 64);
}
