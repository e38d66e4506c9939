// The location prerequisite: the browser's permission, the country (sent as countryCode with every dial), and
// the dispatchable location the agent confirms, kept on her profile. When the network she connects from is one of
// the contact center's sites, she confirms that site with her floor and room in one action; otherwise (home, an
// unknown network, the suggestion failing) she types her street address. Nothing here is awaited by a dial.
import { $, clock, fieldError, h } from "./dom.js";
import { SUPPORTED_COUNTRIES } from "./emergency-numbers.js";
import { confirmationAge, isFresh, placeWords, streetLine } from "./location-words.js";
import { showSiteSuggestion } from "./site-suggestion.js";

// Rough boxes, enough to propose a country from coordinates without sending them anywhere; she confirms it.
const BOXES = [["PR", 17.8, 18.6, -67.4, -65.2], ["DK", 54.5, 57.8, 8.0, 15.3], ["GB", 49.8, 60.9, -8.7, 1.8],
               ["AU", -44, -10, 112, 154], ["CA", 49.0, 83.2, -141, -52.6], ["US", 18.9, 71.4, -179.2, -66.9]];
const FIELDS = [["address", "Street address", 200], ["floor", "Floor", 32], ["room", "Room", 32],
                ["city", "City", 100], ["state", "State or province", 64], ["postalCode", "Postal code", 16]];
const NOT_A_SITE = "Your network is not one of the contact center's sites: enter where you are.";
const NOT_CHECKED = "Your network could not be checked just now: enter where you are.";

export function countryAt(latitude, longitude) {
  const box = BOXES.find(([, s, n, w, e]) => latitude >= s && latitude <= n && longitude >= w && longitude <= e);
  return box ? box[0] : null;
}

export function createLocation({ client, agentId, initial, geolocation = globalThis.navigator?.geolocation,
                                 now = () => Date.now() }) {
  let current = initial ?? null;
  let coordinates = null;
  let saving = false;
  let siteCountry = null; // the suggested site's, until she confirms something
  const path = `${client.apiPath}/agents/${encodeURIComponent(agentId)}`;
  const form = buildManualForm();
  fill(current);
  showAge();
  setInterval(showAge, 30_000); // "2 h ago" moves on, and at 12 hours she is told it no longer counts
  wireGeolocation(form, geolocation, (found) => {
    coordinates = found;
    if ($("site-suggestion").hidden) suggestNear(found); // off every site's network: perhaps at a site's point
  });
  form.addEventListener("submit", (event) => { event.preventDefault(); confirmTyped(); });
  suggest(); // never awaited: the panel and its dialer do not wait for it

  function fill(location) {
    for (const name of ["countryCode", ...FIELDS.map((f) => f[0])]) {
      form.elements[name].value = location?.[name] ?? "";
    }
  }

  function showAge() {
    const at = current?.reportedAt;
    const age = confirmationAge(at, now());
    const fresh = isFresh(at, now());
    const line = !at ? `Your location was ${age}: confirm where you are.`
      : fresh ? `Your location was ${age} (${when(at)}): ${placeWords(current)}.`
        : `Your location was ${age} (last ${when(at)}): confirm where you are.`;
    $("location-age").textContent = line;
    $("location-age").classList.toggle("stale", !fresh);
  }

  function when(iso) {
    const at = new Date(iso);
    const today = at.toDateString() === new Date(now()).toDateString();
    return today ? `at ${clock(iso)}`
      : `on ${at.toLocaleDateString([], { day: "numeric", month: "long" })} at ${clock(iso)}`;
  }

  async function suggest() {
    $("location-checking").hidden = false;
    const r = await client.request("GET", `${path}/location-suggestion`);
    $("location-checking").hidden = true;
    try {
      offer(r);
    } catch (error) { // an answer of a shape this page does not know: she types where she is, as when it failed
      console.error("location suggestion not shown", error);
      showManual(NOT_CHECKED);
    }
  }

  async function suggestNear({ latitude, longitude, accuracyMeters }) {
    const query = new URLSearchParams({ latitude, longitude, accuracy: accuracyMeters });
    const r = await client.request("GET", `${path}/location-suggestion?${query}`);
    const nearby = r.ok && r.body?.source === "geolocation" ? r.body.nearby : null;
    if (!nearby?.site || !$("site-suggestion").hidden) return; // nothing near, or a suggestion came meanwhile
    siteCountry = nearby.site.address?.country ?? null;
    showSite(nearby.site, r.body.lastConfirmed ?? null, `Your browser places you ${nearby.distanceMeters} m from `);
  }

  function offer(r) {
    const last = r.ok ? r.body?.lastConfirmed ?? null : null;
    if (last && !saving && !(Date.parse(current?.reportedAt) > Date.parse(last.reportedAt))) {
      current = last;
      fill(current);
      showAge();
    }
    const site = r.ok && r.body?.source === "network" ? r.body.network?.site : null;
    siteCountry = site?.address?.country ?? null;
    if (site) showSite(site, last);
    else showManual(r.ok ? NOT_A_SITE : NOT_CHECKED);
  }

  function showSite(site, last, lead) {
    const box = $("site-suggestion");
    showSiteSuggestion(box, {
      site, last, lead,
      onConfirm: (place, siteForm) => confirmSite(site, place, siteForm),
      onElsewhere: (open) => {
        $("manual-location").hidden = !open;
        $("manual-note").textContent = open ? `Not at ${site.name}? Enter where you are.` : "";
        if (open) $("loc-address").focus();
      },
    });
    box.hidden = false;
    $("manual-location").hidden = true;
  }

  function showManual(note) {
    $("site-suggestion").hidden = true;
    $("manual-note").textContent = note;
    $("manual-location").hidden = false;
  }

  async function confirmSite(site, { floor, room }, siteForm) {
    const a = site.address ?? {};
    const body = { siteId: site.siteId, countryCode: a.country, address: streetLine(a), city: a.A3, postalCode: a.PC,
                   floor, room };
    for (const [k, v] of Object.entries(body)) if (v === undefined || v === null || v === "") delete body[k];
    const where = [site.name, floor && `floor ${floor}`, room && `room ${room}`].filter(Boolean).join(", ");
    const { location, field } = await save(body, siteForm);
    if (location) confirmed(location, where);
    if (field === "siteId") {
      showManual(`${site.name} is no longer one of the contact center's sites: enter where you are.`);
    }
  }

  async function confirmTyped() {
    const body = { countryCode: form.elements.countryCode.value || null, ...(coordinates ?? {}) };
    for (const [name] of FIELDS) body[name] = form.elements[name].value.trim() || null;
    const { location } = await save(body, form);
    if (location) confirmed(location, placeWords(location));
  }

  /** PUT her location: {location} saved, or {field} refused (the reason beside the field, or in the status). */
  async function save(body, target) {
    if (saving) return {};
    saving = true;
    status("Saving your location…");
    const r = await client.request("PUT", `${path}/location`, body);
    saving = false;
    if (r.ok) return { location: r.body.location };
    if (r.status === 400 && r.body?.field && fieldError(target, r.body.field, r.body.error)) {
      status("Location not saved: check the field marked.", "error");
    } else if (r.status === 400 && r.body?.field) {
      status(`Location not saved: ${r.body.field} ${r.body.error}`, "error");
    } else {
      status(r.status ? `Location not saved: ${r.body?.error ?? r.status}` : "Location not saved: no connection.",
             "error");
    }
    return { field: r.body?.field ?? null };
  }

  function confirmed(location, where) {
    current = location;
    fill(current);
    fieldError(form, null, "");
    showAge();
    status(`Location confirmed at ${clock(location.reportedAt ?? new Date(now()).toISOString())}: ${where}.`);
    $("location-status").focus(); // she hears it, and Tab goes on from the card
  }

  return { country: () => form.elements.countryCode.value || current?.countryCode || siteCountry || null,
           location: () => current };
}

function status(text, kind = "ok") {
  $("location-status").textContent = text;
  $("location-status").classList.toggle("error", kind === "error");
}

function buildManualForm() {
  const form = $("location-form");
  form.replaceChildren(
    h("label", { for: "loc-countryCode" }, "Country"),
    h("select", { id: "loc-countryCode", name: "countryCode", "aria-describedby": "loc-countryCode-error" },
      h("option", { value: "" }, "Choose…"), ...SUPPORTED_COUNTRIES.map((c) => h("option", { value: c }, c))),
    h("p", { id: "loc-countryCode-error", class: "field-error", "aria-live": "polite" }),
    ...FIELDS.flatMap(([name, label, max]) => [
      h("label", { for: `loc-${name}` }, label),
      h("input", { id: `loc-${name}`, name, maxlength: String(max + 20), "aria-describedby": `loc-${name}-error`,
                   autocomplete: "off" }),
      h("p", { id: `loc-${name}-error`, class: "field-error", "aria-live": "polite" })]),
    h("button", { type: "submit", id: "location-save", class: "big" }, "Confirm location"));
  return form;
}

function wireGeolocation(form, geolocation, found) {
  $("locate").addEventListener("click", () => {
    if (!geolocation) { $("locate-status").textContent = "This browser cannot share a location."; return; }
    $("locate-status").textContent = "Asking the browser for your location…";
    geolocation.getCurrentPosition((position) => {
      const { latitude, longitude, accuracy } = position.coords;
      found({ latitude, longitude, accuracyMeters: Math.round(accuracy ?? 0) });
      const country = countryAt(latitude, longitude);
      if (country) form.elements.countryCode.value = country;
      $("locate-status").textContent = country ? `Location found in ${country}. Confirm your address below.`
        : "Location found, outside the countries where emergency calls are supported. Choose the country.";
      form.elements.address.focus();
    }, (error) => {
      $("locate-status").textContent = error.code === 1
        ? "Location permission was refused. Type your country and address below." : "No location: type it below.";
    }, { enableHighAccuracy: false, timeout: 10_000, maximumAge: 300_000 });
  });
}
