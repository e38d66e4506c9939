// The places inside a site (floor, wing, room) as rows the admin adds and removes, each row a labelled group.
import { h, field } from "../dom.js";
import { t } from "../language.js";

const PLACE_PARTS = ["floor", "wing", "room"];
const partLabels = () => ({ floor: t("places.floor"), wing: t("places.wing"), room: t("places.room") });

/** Rows of floor, wing and room, each row a group "Place N" with its own remove button. */
export function placesEditor(initial) {
  const list = h("ol", { class: "place-rows" });
  const rows = [];
  const groupError = h("div", { class: "field-error", id: "places-error" });
  const add = h("button", { type: "button", onclick: () => addRow({}, true) }, t("places.add"));
  let counter = 0;

  function addRow(place, focus) {
    const n = ++counter;
    const inputs = PLACE_PARTS.map((part) => h("input", { name: `place-${part}`, id: `place-${n}-${part}`,
      value: place[part] ?? "", maxlength: 32, autocomplete: "off" }));
    const error = h("div", { class: "field-error", id: `place-${n}-error` });
    const legend = h("legend", {});
    const remove = h("button", { type: "button", class: "remove", onclick: () => removeRow(row) }, t("places.remove"));
    const labels = partLabels();
    const fields = PLACE_PARTS.map((part, i) => field(labels[part], inputs[i]));
    inputs.forEach((i) => i.setAttribute("aria-describedby", `${i.id}-error place-${n}-error`));
    const row = { inputs, error, legend, remove, li: h("li", {}, h("fieldset", { class: "place-row" },
      legend, fields, remove, error)) };
    rows.push(row);
    list.append(row.li);
    renumber();
    if (focus) inputs[0].focus();
  }

  function removeRow(row) {
    const at = rows.indexOf(row);
    rows.splice(at, 1);
    row.li.remove();
    renumber();
    const next = rows[at] || rows[at - 1];
    (next ? next.inputs[0] : add).focus();
  }

  function renumber() {
    rows.forEach((r, i) => {
      r.legend.textContent = t("places.legendN", { n: i + 1 });
      r.remove.setAttribute("aria-label", t("places.removeN", { n: i + 1 }));
    });
  }

  const filled = () => rows.filter((r) => r.inputs.some((i) => i.value.trim()));
  initial.forEach((p) => addRow(p, false));
  return {
    element: h("fieldset", { class: "places", "aria-describedby": "places-hint" }, h("legend", {}, t("places.legend")),
      h("p", { class: "hint", id: "places-hint" }, t("places.hint")),
      list, groupError, h("div", { class: "actions" }, add)),
    values: () => filled().map((r) => Object.fromEntries(PLACE_PARTS
      .map((part, i) => [part, r.inputs[i].value.trim()]).filter(([, v]) => v))),
    /** Where a refusal of the index-th place sent is shown: its row (or the group's slot). */
    locate: (index) => {
      const row = filled()[index];
      return row ? { slot: row.error, control: row.inputs[0], label: row.legend.textContent }
        : { slot: groupError, control: null, label: t("places.legend") };
    },
  };
}
