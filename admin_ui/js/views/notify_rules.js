// "Who is notified": per dialed number, which audiences are told of an emergency call (the agent's own contacts,
// the security desk of the site she confirmed). The server insists every number tells at least one; its refusal
// is shown beside the row it names (field "rules.911").
import { put, ApiError } from "../api.js";
import { h, announce, table, clearErrors } from "../dom.js";
import { joinWords, t } from "../language.js";

export const RULES = "manage/notification-rules";

/** The section, from GET's answer or from the error reading it threw (a 404 while the API is not deployed). */
export function notificationRulesSection(ctx, loaded) {
  const section = h("section", { class: "panel rules", "aria-labelledby": "rules-title" },
    h("h2", { id: "rules-title" }, t("rules.title")));
  if (loaded instanceof Error) {
    section.append(h("p", { class: "note", id: "rules-unavailable" },
      t("rules.unavailable", { message: loaded.message })));
    return section;
  }
  let view = loaded;
  let boxes = {};  // dialed number -> its checkboxes, one per audience
  const rows = h("div");
  const formError = h("div", { class: "form-error" });
  const form = h("form", { novalidate: true, "aria-labelledby": "rules-title", onsubmit: save },
    h("p", { class: "hint", id: "rules-hint" }, t("rules.hint")),
    formError,
    h("fieldset", { disabled: !ctx.canChange, "aria-describedby": "rules-hint" },
      h("legend", { class: "visually-hidden" }, t("rules.legend")),
      rows,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, t("rules.save")))));

  function render() {
    const numbers = Object.keys(view.numbers).sort();  // JSON objects lose the server's order of "000" and "112"
    boxes = {};
    rows.replaceChildren(table(t("rules.caption"),
      [t("rules.col.number"), ...Object.values(view.audiences).map(capitalized), t("rules.col.default")],
      numbers.map((n) => ruleRow(n)), { captionHidden: true }));
  }

  function ruleRow(number) {
    const told = view.rules[number] || [];
    const byDefault = view.defaults[number] || [];
    const errorId = `rules-${number}-error`;
    boxes[number] = Object.keys(view.audiences).map((audience) => h("input", { type: "checkbox",
      id: `rule-${number}-${audience}`, name: `rules.${number}`, value: audience, checked: told.includes(audience),
      "aria-describedby": errorId }));
    return h("tr", { dataset: { rule: number } },
      h("th", { scope: "row" }, h("span", { class: "rule-number" }, number),
        h("div", { class: "muted" }, view.numbers[number])),
      boxes[number].map((box) => h("td", {}, box,
        h("label", { for: box.id, class: "visually-hidden" }, `${number}: ${view.audiences[box.value]}`))),
      h("td", { class: "rule-default" }, capitalized(inWords(byDefault, view.audiences)),
        sameAudiences(told, byDefault) ? null : h("div", { class: "muted" }, t("rules.changed")),
        h("div", { class: "field-error", id: errorId })));
  }

  async function save(event) {
    event.preventDefault();
    clearErrors(form);
    const rules = Object.fromEntries(Object.entries(boxes).map(([number, inputs]) =>
      [number, inputs.filter((i) => i.checked).map((i) => i.value)]));
    try {
      view = await put(RULES, { rules });
    } catch (error) {
      announce(t("rules.notSaved", { message: refused(error) }), "error");
      return;
    }
    render();
    announce(t("rules.saved"));
  }

  /** Show the refusal beside the row it names (else above the table); answers it in words for the live region. */
  function refused(error) {
    const number = /^rules\.(.+)$/.exec(error.field || "")?.[1];
    const slot = number && error instanceof ApiError && error.status === 400
      ? document.getElementById(`rules-${number}-error`) : null;
    const text = slot ? `${number} ${error.message}` : error.message;
    (slot || formError).append(h("p", {}, text));
    (slot || formError).setAttribute("role", "alert");
    if (slot) {
      boxes[number].forEach((box) => box.setAttribute("aria-invalid", "true"));
      boxes[number][0].focus();
    }
    return text;
  }

  render();
  section.append(form);
  return section;
}

/** ["agent", "siteDesk"] -> "the agent's own contacts and the security desk of the site she confirmed". */
function inWords(audiences, words) {
  const said = audiences.map((a) => words[a] || a);
  return said.length ? joinWords(said) : t("rules.nobody");
}

function sameAudiences(a, b) {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function capitalized(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
