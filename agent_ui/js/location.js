// The location prerequisite: the browser's permission, the country (sent as countryCode with every dial), and
// the dispatchable location the agent confirms (street address, floor, room), kept on her profile.
import { $, fieldError, h, say } from "./dom.js";
import { SUPPORTED_COUNTRIES } from "./emergency-numbers.js";

// Rough boxes, enough to propose a country from coordinates without sending them anywhere; she confirms it.
const BOXES = [["PR", 17.8, 18.6, -67.4, -65.2], ["DK", 54.5, 57.8, 8.0, 15.3], ["GB", 49.8, 60.9, -8.7, 1.8],
               ["AU", -44, -10, 112, 154], ["CA", 49.0, 83.2, -141, -52.6], ["US", 18.9, 71.4, -179.2, -66.9]];
const FIELDS = [["address", "Street address", 200], ["floor", "Floor", 32], ["room", "Room", 32],
                ["city", "City", 100]];

export function countryAt(latitude, longitude) {
  const box = BOXES.find(([, s, n, w, e]) => latitude >= s && latitude <= n && longitude >= w && longitude <= e);
  return box ? box[0] : null;
}

export function createLocation({ client, agentId, initial, geolocation = globalThis.navigator?.geolocation }) {
  let current = initial ?? null;
  let coordinates = null;
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
  fill(current);

  function fill(location) {
    for (const name of ["countryCode", ...FIELDS.map((f) => f[0])]) {
      form.elements[name].value = location?.[name] ?? "";
    }
  }

  $("locate").addEventListener("click", () => {
    if (!geolocation) { $("locate-status").textContent = "This browser cannot share a location."; return; }
    $("locate-status").textContent = "Asking the browser for your location…";
    geolocation.getCurrentPosition((position) => {
      const { latitude, longitude, accuracy } = position.coords;
      coordinates = { latitude, longitude, accuracyMeters: Math.round(accuracy ?? 0) };
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

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = { countryCode: form.elements.countryCode.value || null, ...(coordinates ?? {}) };
    for (const [name] of FIELDS) body[name] = form.elements[name].value.trim() || null;
    const r = await client.request("PUT", `${client.apiPath}/agents/${encodeURIComponent(agentId)}/location`, body);
    if (r.ok) {
      current = r.body.location;
      fieldError(form, null, "");
      say("Location confirmed.");
    } else if (r.status === 400 && r.body?.field) {
      fieldError(form, r.body.field, r.body.error);
      say("Location not saved: check the field marked.", "error");
    } else {
      say(r.status ? `Location not saved: ${r.body?.error ?? r.status}` : "Location not saved: no connection.",
          "error");
    }
  });

  return { country: () => form.elements.countryCode.value || current?.countryCode || null,
           location: () => current };
}
