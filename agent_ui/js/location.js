// The location prerequisite: the browser's permission, the country (sent as countryCode with every dial), and
// the dispatchable location the agent confirms, kept on her profile. When the network she connects from is one of
// the contact center's sites, she confirms that site with her floor and room in one action; otherwise (home, an
// unknown network, the suggestion failing) she types her street address. Nothing here is awaited by a dial.
import { $, fieldError, h } from "./dom.js";
import { SUPPORTED_COUNTRIES } from "./emergency-numbers.js";
import { confirmationAge, isFresh, placeWords, streetLine } from "./location-words.js";
import { showSiteSuggestion } from "./site-suggestion.js";
import { clear, clockTime, dateTime, number, region, sameDay, show, showWith, t } from "./text.js";

// Rough boxes, enough to propose a country from coordinates without sending them anywhere; she confirms it.
const BOXES = [["PR", 17.8, 18.6, -67.4, -65.2], ["DK", 54.5, 57.8, 8.0, 15.3], ["GB", 49.8, 60.9, -8.7, 1.8],
               ["AU", -44, -10, 112, 154], ["CA", 49.0, 83.2, -141, -52.6], ["US", 18.9, 71.4, -179.2, -66.9]];
const FIELDS = [["address", "location.address", 200], ["floor", "location.floor", 32], ["room", "location.room", 32],
                ["city", "location.city", 100], ["state", "location.state", 64],
                ["postalCode", "location.postalCode", 16]];
const NOT_A_SITE = "location.notASite";
const NOT_CHECKED = "location.notChecked";

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
    const fresh = isFresh(at, now());
    const where = current;
    showWith($("location-age"), () => {
      const age = confirmationAge(at, now());
      if (!at) return t("location.ageNone", { age });
      if (fresh) return t("location.ageFresh", { age, when: when(at), place: placeWords(where) });
      return t("location.ageStale", { age, when: when(at) });
    });
    $("location-age").classList.toggle("stale", !fresh);
  }

  function when(iso) {
    return sameDay(iso, new Date(now())) ? clockTime(iso) : dateTime(iso);
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
    showSite(nearby.site, r.body.lastConfirmed ?? null, number(nearby.distanceMeters));
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

  function showSite(site, last, distance = null) {
    const box = $("site-suggestion");
    showSiteSuggestion(box, {
      site, last, distance,
      onConfirm: (place, siteForm) => confirmSite(site, place, siteForm),
      onElsewhere: (open) => {
        $("manual-location").hidden = !open;
        if (open) show($("manual-note"), "location.notAt", { site: site.name }); else clear($("manual-note"));
        if (open) $("loc-address").focus();
      },
    });
    box.hidden = false;
    $("manual-location").hidden = true;
  }

  function showManual(note, params = {}) {
    $("site-suggestion").hidden = true;
    show($("manual-note"), note, params);
    $("manual-location").hidden = false;
  }

  async function confirmSite(site, { floor, room }, siteForm) {
    const a = site.address ?? {};
    const body = { siteId: site.siteId, countryCode: a.country, address: streetLine(a), city: a.A3, postalCode: a.PC,
                   floor, room };
    for (const [k, v] of Object.entries(body)) if (v === undefined || v === null || v === "") delete body[k];
    const where = [site.name, floor && t("place.floorLower", { floor }), room && t("place.room", { room })]
      .filter(Boolean).join(t("place.separator"));
    const { location, field } = await save(body, siteForm);
    if (location) confirmed(location, where);
    if (field === "siteId") {
      showManual("location.siteGone", { site: site.name });
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
    status("location.saving");
    const r = await client.request("PUT", `${path}/location`, body);
    saving = false;
    if (r.ok) return { location: r.body.location };
    if (r.status === 400 && r.body?.field && fieldError(target, r.body.field, r.body.error)) {
      status("location.notSavedField", {}, "error");
    } else if (r.status === 400 && r.body?.field) {
      status("location.notSavedBecause", { reason: `${r.body.field} ${r.body.error}` }, "error");
    } else if (r.status) {
      status("location.notSavedBecause", { reason: r.body?.error ?? r.status }, "error");
    } else {
      status("location.notSavedOffline", {}, "error");
    }
    return { field: r.body?.field ?? null };
  }

  function confirmed(location, where) {
    current = location;
    fill(current);
    fieldError(form, null, "");
    showAge();
    status("location.confirmed", { time: clockTime(location.reportedAt ?? new Date(now()).toISOString()), where });
    $("location-status").focus(); // she hears it, and Tab goes on from the card
  }

  return { country: () => form.elements.countryCode.value || current?.countryCode || siteCountry || null,
           location: () => current };
}

function status(key, params = {}, kind = "ok") {
  show($("location-status"), key, params);
  $("location-status").classList.toggle("error", kind === "error");
}

function buildManualForm() {
  const form = $("location-form");
  const labelled = (tag, attrs, key) => { const el = h(tag, attrs); show(el, key); return el; };
  const country = (code) => { const el = h("option", { value: code }); showWith(el, () => region(code)); return el; };
  form.replaceChildren(
    labelled("label", { for: "loc-countryCode" }, "location.country"),
    h("select", { id: "loc-countryCode", name: "countryCode", "aria-describedby": "loc-countryCode-error" },
      labelled("option", { value: "" }, "location.choose"), ...SUPPORTED_COUNTRIES.map(country)),
    h("p", { id: "loc-countryCode-error", class: "field-error", "aria-live": "polite" }),
    ...FIELDS.flatMap(([name, key, max]) => [
      labelled("label", { for: `loc-${name}` }, key),
      h("input", { id: `loc-${name}`, name, maxlength: String(max + 20), "aria-describedby": `loc-${name}-error`,
                   autocomplete: "off" }),
      h("p", { id: `loc-${name}-error`, class: "field-error", "aria-live": "polite" })]),
    labelled("button", { type: "submit", id: "location-save", class: "big" }, "location.confirm"));
  return form;
}

function wireGeolocation(form, geolocation, found) {
  const said = (key, params) => show($("locate-status"), key, params);
  $("locate").addEventListener("click", () => {
    if (!geolocation) { said("location.cannotShare"); return; }
    said("location.asking");
    geolocation.getCurrentPosition((position) => {
      const { latitude, longitude, accuracy } = position.coords;
      found({ latitude, longitude, accuracyMeters: Math.round(accuracy ?? 0) });
      const country = countryAt(latitude, longitude);
      if (country) form.elements.countryCode.value = country;
      if (country) said("location.foundIn", { country: region(country) }); else said("location.foundElsewhere");
      form.elements.address.focus();
    }, (error) => {
      said(error.code === 1 ? "location.refused" : "location.none");
    }, { enableHighAccuracy: false, timeout: 10_000, maximumAge: 300_000 });
  });
}
