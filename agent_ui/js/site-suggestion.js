// The site the network suggests (issue 19, part 2): "You seem to be at <site>: <address>", a picker of the site's
// places and free Floor and Room fields, and one button to confirm. What is saved is decided in location.js.
import { fieldError, h } from "./dom.js";
import { placeLabel, placeRoom } from "./location-words.js";
import { show, showWith, t } from "./text.js";

const OTHER = "other";

/**
 * Fill `container` with the suggestion of `site` (the suggestion's `network.site`). `last`: her last confirmation
 * (pre-fills floor and room when it was at this site). `onConfirm({floor, room}, form)` saves; `onElsewhere()`
 * opens the manual form. `distance`: meters from the browser's position when that is where the suggestion comes
 * from (else the network). Answers the site form.
 */
export function showSiteSuggestion(container, { site, last, onConfirm, onElsewhere, distance = null }) {
  const places = site.places ?? [];
  const labelled = (tag, attrs, key, params) => { const el = h(tag, attrs); show(el, key, params); return el; };
  const field = (name, key) => [
    labelled("label", { for: `site-${name}` }, key),
    h("input", { id: `site-${name}`, name, maxlength: "52", autocomplete: "off",
                 "aria-describedby": `site-${name}-error` }),
    h("p", { id: `site-${name}-error`, class: "field-error", "aria-live": "polite" })];
  const picker = places.length === 0 ? [] : [
    labelled("label", { for: "site-place" }, "site.place"),
    h("select", { id: "site-place", name: "place", "aria-describedby": "site-place-error" },
      labelled("option", { value: "" }, "site.choose"),
      ...places.map((p, i) => {
        const option = h("option", { value: String(i) });
        showWith(option, () => placeLabel(p));
        return option;
      }),
      labelled("option", { value: OTHER }, "site.elsewhereInBuilding")),
    h("p", { id: "site-place-error", class: "field-error", "aria-live": "polite" })];
  const form = h("form", { id: "site-form", novalidate: true },
    h("fieldset", {}, labelled("legend", {}, "site.where", { site: site.name }), ...picker,
      ...field("floor", "site.floor"), ...field("room", "site.room")),
    labelled("button", { type: "submit", id: "site-confirm", class: "big primary" }, "site.confirm"));
  const elsewhere = labelled("button", { type: "button", id: "site-elsewhere", "aria-expanded": "false",
                                         "aria-controls": "manual-location" }, "site.notHere", { site: site.name });
  const text = distance === null
    ? labelled("p", { id: "site-text", class: "site-text" }, "site.seemAt", { site: site.name, address: site.readout })
    : labelled("p", { id: "site-text", class: "site-text" }, "site.browserNear",
               { site: site.name, address: site.readout, meters: distance });
  container.replaceChildren(text, form, elsewhere);

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
      fieldError(form, "place", t("site.choosePlace", { site: site.name }));
      return;
    }
    fieldError(form, null, "");
    onConfirm(chosen, form);
  });
  return form;
}
