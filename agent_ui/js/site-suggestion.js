// The site the network suggests (issue 19, part 2): "You seem to be at <site>: <address>", a picker of the site's
// places and free Floor and Room fields, and one button to confirm. What is saved is decided in location.js.
import { fieldError, h } from "./dom.js";
import { placeLabel, placeRoom } from "./location-words.js";

const OTHER = "other";

/**
 * Fill `container` with the suggestion of `site` (the suggestion's `network.site`). `last`: her last confirmation
 * (pre-fills floor and room when it was at this site). `onConfirm({floor, room}, form)` saves; `onElsewhere()`
 * opens the manual form. `lead`: the words before the site's name (where the suggestion comes from). Answers the
 * site form.
 */
export function showSiteSuggestion(container, { site, last, onConfirm, onElsewhere, lead = "You seem to be at " }) {
  const places = site.places ?? [];
  const field = (name, label) => [
    h("label", { for: `site-${name}` }, label),
    h("input", { id: `site-${name}`, name, maxlength: "52", autocomplete: "off",
                 "aria-describedby": `site-${name}-error` }),
    h("p", { id: `site-${name}-error`, class: "field-error", "aria-live": "polite" })];
  const picker = places.length === 0 ? [] : [
    h("label", { for: "site-place" }, "Place"),
    h("select", { id: "site-place", name: "place", "aria-describedby": "site-place-error" },
      h("option", { value: "" }, "Choose…"),
      ...places.map((p, i) => h("option", { value: String(i) }, placeLabel(p))),
      h("option", { value: OTHER }, "Elsewhere in the building: type floor and room")),
    h("p", { id: "site-place-error", class: "field-error", "aria-live": "polite" })];
  const form = h("form", { id: "site-form", novalidate: true },
    h("fieldset", {}, h("legend", {}, `Where are you in ${site.name}?`), ...picker, ...field("floor", "Floor"),
      ...field("room", "Room")),
    h("button", { type: "submit", id: "site-confirm", class: "big primary" }, "Confirm: I am here"));
  const elsewhere = h("button", { type: "button", id: "site-elsewhere", "aria-expanded": "false",
                                  "aria-controls": "manual-location" }, `I am not at ${site.name}`);
  container.replaceChildren(
    h("p", { id: "site-text", class: "site-text" }, lead, h("strong", {}, site.name),
      `: ${site.readout}`),
    form, elsewhere);

  const { floor, room, place } = form.elements;
  const matching = () => places.findIndex((p) => (p.floor ?? "") === floor.value.trim()
                                               && placeRoom(p) === room.value.trim());
  const pick = () => {
    if (!place) return;
    const i = matching();
    place.value = i >= 0 ? String(i) : (floor.value.trim() || room.value.trim() ? OTHER : "");
  };
  // Her last confirmation here comes first; a site with one place proposes it; else she chooses (never a guess).
  const here = last?.siteId === site.siteId ? last : null;
  const only = places.length === 1 ? places[0] : null;
  floor.value = here ? (here.floor ?? "") : (only?.floor ?? "");
  room.value = here ? (here.room ?? "") : (only ? placeRoom(only) : "");
  pick();

  place?.addEventListener("change", () => {
    const chosen = places[Number(place.value)];
    if (place.value === "" || place.value === OTHER || !chosen) return;
    floor.value = chosen.floor ?? "";
    room.value = placeRoom(chosen);
  });
  floor.addEventListener("input", pick);
  room.addEventListener("input", pick);
  elsewhere.addEventListener("click", () => {
    const open = elsewhere.getAttribute("aria-expanded") !== "true";
    elsewhere.setAttribute("aria-expanded", String(open));
    onElsewhere(open);
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const chosen = { floor: floor.value.trim(), room: room.value.trim() };
    if (places.length > 0 && !chosen.floor && !chosen.room) {
      fieldError(form, "place", `Choose where you are in ${site.name}, or type your floor and room.`);
      return;
    }
    fieldError(form, null, "");
    onConfirm(chosen, form);
  });
  return form;
}
