// The site editor: name, the civic address in RFC 5139's parts (in plain words), the places inside, the security
// desk's email addresses and mobile numbers, and the networks; the server's 400 is shown beside the field it names
// (address.PC beside Postal code, networks[1] naming line 2, deskSms with each refused number).
import { put, enc, ApiError } from "../api.js";
import { h, field, clearErrors, append, announce, describeDetail } from "../dom.js";
import { placesEditor } from "./site_places.js";

// Where ACS places emergency calls, as shared/domain/addresses.py validates them; a stored other code stays shown.
const COUNTRIES = [["US", "United States"], ["PR", "Puerto Rico"], ["CA", "Canada"], ["GB", "United Kingdom"],
  ["DK", "Denmark"], ["AU", "Australia"]];
// [RFC 5139 name, label, hint, max length (the server's)]
const ADDRESS = [
  ["HNO", "House number", "Required, like 1. (HNO)", 16],
  ["HNS", "House number suffix", "Like A or 1/2. (HNS)", 16],
  ["RD", "Street", "Required: the street's name, like Example. (RD)", 128],
  ["STS", "Street suffix", "Like Plaza, Street or Avenue. (STS)", 32],
  ["A3", "City", "Town or city. (A3)", 64],
  ["A1", "State/province", "Like IL or Illinois. Required in the US, Canada and Australia. (A1)", 64],
  ["PC", "Postal code", "The ZIP code in the US and Puerto Rico, like 62701. (PC)", 16],
  ["BLD", "Building", "Its name or number, where the address has several. (BLD)", 64],
  ["FLR", "Floor", "Only when the whole site is on one floor: agents confirm their own. (FLR)", 32],
  ["UNIT", "Unit", "Suite or unit. (UNIT)", 32],
  ["ROOM", "Room", "Only when the whole site is one room. (ROOM)", 32],
  ["LOC", "Location detail", "Anything else that helps responders, like “north entrance”. (LOC)", 256],
  ["NAM", "Place name", "Like Example Contact Center. (NAM)", 128],
];
const LABELS = { siteId: "Site ID", name: "Name", "address.country": "Country", places: "Places",
  networks: "Networks", latitude: "Latitude", longitude: "Longitude", deskEmails: "Security desk email addresses", deskSms: "Security desk mobile numbers (SMS)",
  ...Object.fromEntries(ADDRESS.map(([name, label]) => [`address.${name}`, label])) };

/** The editor of `site` (null: a new one). `taken(id)`: the site that has that ID already, if any.
 * `onSaved(site, done)` after each save (the site and its networks are saved together, or nothing is). */
export function siteForm(site, { taken, onSaved, onCancel }) {
  let current = site;
  const input = (name, value, attrs = {}) => h("input", { name, value: value ?? "", autocomplete: "off", ...attrs });
  const name = input("name", site?.name, { required: true, maxlength: 100 });
  const siteId = input("siteId", site?.siteId, { required: true, readOnly: Boolean(site), maxlength: 128 });
  const address = site?.address || {};
  const country = h("select", { name: "address.country", required: true },
    h("option", { value: "" }, "Choose a country"),
    COUNTRIES.map(([code, label]) => h("option", { value: code, selected: code === address.country }, label)),
    address.country && !COUNTRIES.some(([c]) => c === address.country)
      ? h("option", { value: address.country, selected: true }, address.country) : null);
  const parts = Object.fromEntries(ADDRESS.map(([part, , , max]) =>
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
  const title = h("h2", { id: "site-editor-title", tabindex: "-1" }, site ? `Edit ${site.name}` : "New site");
  const formError = h("div", { class: "form-error" });

  const form = h("form", { class: "stack-form site-form", novalidate: true, "aria-labelledby": "site-editor-title",
    onsubmit: (e) => { e.preventDefault(); save(); } },
  title, formError,
  h("fieldset", { class: "site-grid" }, h("legend", {}, "Site"),
    field("Name", name, { hint: "What admins and agents call it, like Springfield contact center." }),
    field("Site ID", siteId, { hint: site ? "Fixed once the site is saved." : "Made from the name; letters, digits " +
      "and . _ @ : - only. It cannot be changed once the site is saved." })),
  h("fieldset", { class: "site-grid" }, h("legend", {}, "Civic address (the dispatchable location)"),
    field("Country", country, { hint: "Required: one where ACS places emergency calls. (country)" }),
    ADDRESS.map(([part, label, hint]) => field(label, parts[part], { hint }))),
  h("fieldset", { class: "site-grid" }, h("legend", {}, "The building on the map (optional)"),
    field(LABELS.latitude, point.latitude, { hint: "Degrees, like 39.7817. With the longitude: a map link in the " +
      "notification, and the site suggested to an agent whose browser places her here." }),
    field(LABELS.longitude, point.longitude, { hint: "Degrees, like -89.6501 (west is negative)." })),
  places.element,
  h("fieldset", { class: "site-grid", "aria-describedby": "desk-hint" }, h("legend", {}, "Security desk"),
    h("p", { class: "hint", id: "desk-hint" }, "Told of an agent's emergency call when she confirmed she works " +
      "at this site (the notification rules say for which numbers). With neither, only her own contacts are told."),
    field(LABELS.deskEmails, deskEmails, { hint: "Like security@example.com, one per line or separated by ;" }),
    field(LABELS.deskSms, deskSms, { hint: "+1 202 555 0123 format, one per line or separated by ;" })),
  field("Networks", networks, { hint: "The IP networks agents connect from at this site, one per line in CIDR " +
    "notation, like 192.0.2.0/24 or 2001:db8:1::/48. The most specific network wins; one inside another site's " +
    "network must be more specific." }),
  h("div", { class: "actions" },
    h("button", { type: "submit", class: "primary" }, "Save site"),
    h("button", { type: "button", onclick: () => onCancel() }, "Cancel")));

  function body() {
    const addr = { country: country.value };
    for (const [part] of ADDRESS) if (parts[part].value.trim()) addr[part] = parts[part].value.trim();
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
      const message = other ? `“${id}” is already the ID of ${other.name}: choose another, or edit that site`
        : "is required";
      return announce(`Not saved: ${refused({ field: "siteId", message })}`, "error");
    }
    // One request: the site with its networks, checked before anything is written; a new site is only created
    // (If-None-Match: *), never written over one another admin has just created with the same ID.
    const lines = networkLines();
    let saved;
    try {
      saved = await put(`manage/sites/${enc(id)}`, { ...body(), networks: lines.map((l) => l.cidr) },
                        current ? {} : { "If-None-Match": "*" });
    } catch (error) {
      return announce(`Not saved: ${refused(error, lines)}`, "error");
    }
    becomeExisting(saved);
    return onSaved(saved, true);
  }

  function becomeExisting(saved) {
    current = saved;
    siteId.readOnly = idTouched = true;
    form.querySelector(`#${CSS.escape(siteId.id)}-hint`).textContent = "Fixed once the site is saved.";
    title.textContent = `Edit ${saved.name}`;
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
      const said = say(errorSlot(networks), networks, `Line ${l.line} (${l.cidr}) ${error.message}`, true);
      selectLine(networks, l.line);
      return said;
    }
    if (place) {
      const at = places.locate(Number(place[1]));
      return say(at.slot, at.control, `${at.label} ${error.message}`, true);
    }
    const control = where && form.querySelector(`[name="${CSS.escape(where)}"]`);
    if (!control) return say(formError, null, `${LABELS[where] || where || "The site"} ${error.message}`, true);
    const refusedItems = (error.details || []).filter((d) => d.item !== undefined);
    if (refusedItems.length) {  // a list (deskEmails, deskSms): each refused item with its position and reason
      const lines = refusedItems.map(describeDetail);
      const said = say(errorSlot(control), control, `${LABELS[where]}: please correct`, true);
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

  return { element: form, focus: () => title.focus() };
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
