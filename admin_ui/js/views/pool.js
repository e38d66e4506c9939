// The callback-number pool: per region leased / quarantined / free, current leases (each call linked to its
// incident), add, retire (after its impact) and reinstate numbers; read again every few seconds while open.
import { get, post, enc, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, timeEl, stateBadge, visuallyHidden }
  from "../dom.js";
import { confirmAction } from "../dialog.js";
import { keepFresh } from "../refresh.js";
import { num, t } from "../language.js";

const REFRESH_MS = 5000;

export async function poolView(ctx) {
  const box = h("div");
  const numberInput = h("input", { name: "number", type: "tel", autocomplete: "off", placeholder: "+1 202 555 0100" });
  let pool = await get("manage/callback-numbers");

  const form = h("form", { class: "inline-form", novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    let added;
    try {
      added = await post("manage/callback-numbers", { number: numberInput.value });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        showErrors(form, { ...error, field: error.field || "number", message: error.message });
        offerReinstate(error);
      }
      announce(t("pool.notAdded", { message: error.message }), "error");
      return;
    }
    numberInput.value = "";
    await reload();
    announce(t("pool.added", { number: added.number, state: stateBadge(added.state).textContent }));
  } },
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, t("pool.addLegend")),
    field(t("pool.number"), numberInput, { hint: t("pool.numberHint") }),
    h("button", { type: "submit", class: "primary" }, t("pool.add"))));

  // A retired number typed again: the refusal says why, and offers the action that brings it back on purpose.
  function offerReinstate(error) {
    const retired = pool.numbers.find((n) => n.retired && error.message.startsWith(`${n.number} is retired`));
    const slot = form.querySelector(`#${CSS.escape(numberInput.id)}-error`);
    if (retired && ctx.canChange && slot) {
      slot.append(h("button", { type: "button", dataset: { focusKey: `reinstate-from-form` },
        onclick: () => reinstate(retired) }, t("pool.reinstateNumber", { number: retired.number })));
    }
  }

  async function retire(n) {
    await confirmAction({
      title: t("pool.retireTitle", { number: n.number }),
      intro: [h("p", {}, t("pool.retireIntro")), h("p", {}, t("pool.retireFilter"))],
      confirmLabel: t("pool.retireNumber", { number: n.number }),
      impact: () => get(`manage/callback-numbers/${enc(n.number)}/impact`),
      action: async () => {
        const changed = await post(`manage/callback-numbers/${enc(n.number)}/retire`);
        await reload();
        announce(t("pool.retired", { number: changed.number, state: stateBadge(changed.state).textContent }));
        return changed;
      },
      focusAfter: () => rowButton(n.number),
    });
  }

  async function reinstate(n) {
    const history = await get(`manage/audit?entity=callback-number&entityId=${enc(n.number)}&limit=5`)
      .catch(() => null);
    const last = history && history.changes.find((c) => c.action === "retired");
    await confirmAction({
      title: t("pool.reinstateTitle", { number: n.number }),
      intro: [
        last ? h("p", {}, t("pool.retiredBy", { who: last.actor.name || last.actor.userId }), timeEl(last.at), ".")
          : null,
        h("p", {}, t("pool.reinstateIntro"))],
      confirmLabel: t("pool.reinstateNumber", { number: n.number }), danger: false,
      action: async () => {
        const changed = await post(`manage/callback-numbers/${enc(n.number)}/reinstate`);
        clearErrors(form);
        numberInput.value = "";
        await reload();
        announce(t("pool.reinstated", { number: changed.number, state: stateBadge(changed.state).textContent }));
        return changed;
      },
      focusAfter: () => rowButton(n.number),
    });
  }

  function rowButton(number) {
    return box.querySelector(`tr[data-number="${CSS.escape(number)}"] button`);
  }

  async function reload() {
    pool = await get("manage/callback-numbers");
    render(pool);
  }

  function callLink(lease) {
    const id = h("code", {}, lease.emergencyCallId);
    if (!ctx.me.can.incidents) return id;
    return h("a", { href: `#/incidents/${enc(lease.emergencyCallId)}`, dataset: { focusKey: `call-${lease.emergencyCallId}` },
      "aria-label": t(lease.test ? "pool.incidentTest" : "pool.incident", { id: lease.emergencyCallId }) }, id);
  }

  function render(answer) {
    pool = answer;
    const leased = answer.numbers.filter((n) => n.lease);
    box.replaceChildren(
      h("h2", {}, t("pool.byRegion")),
      h("ul", { class: "regions" }, Object.entries(answer.regions).map(([region, counts]) =>
        h("li", { class: "region", dataset: { region } },
          h("h3", {}, `+${region}`, h("span", { class: "muted" }, ` ${(answer.countries[region] || []).join(", ")}`)),
          h("dl", { class: "counts" }, ["free", "leased", "quarantined", "retired"].flatMap((s) =>
            [h("dt", {}, stateBadge(s).textContent), h("dd", { dataset: { state: s } }, num(counts[s] ?? 0))]))))),
      h("h2", {}, t("pool.currentLeases")),
      table(t("pool.leasesCaption"), [t("pool.col.number"), t("pool.col.agent"), t("pool.col.call"),
        t("pool.col.leased"), t("pool.col.until")],
        leased.map((n) => h("tr", { dataset: { lease: n.lease.emergencyCallId } },
          h("th", { scope: "row" }, n.number),
          h("td", {}, h("a", { href: `#/agents/${enc(n.lease.agentId)}`, dataset: { focusKey: `agent-${n.number}` } },
            n.lease.agentId)),
          h("td", {}, n.lease.test ? t("pool.testCall") : "", callLink(n.lease)),
          h("td", {}, timeEl(n.lease.leasedAt)),
          h("td", {}, ...(n.lease.preDialUntil
            ? [t("pool.preDial"), timeEl(n.lease.preDialUntil), t("pool.preDialEnd")]
            : [n.lease.live ? t("pool.live") : "",
              timeEl(n.lease.expiresAt), n.lease.live ? ")" : ""])))),
        { empty: t("pool.noLease"), captionHidden: true }),
      h("h2", {}, t("pool.allNumbers")),
      table(t("pool.numbersCaption"), [t("pool.col.number"), t("pool.col.region"), t("pool.col.state"),
        t("pool.col.untilShort"), visuallyHidden(t("pool.col.actions"))],
        answer.numbers.map((n) => h("tr", { dataset: { number: n.number } },
          h("th", { scope: "row" }, n.number),
          h("td", {}, `+${n.region}`),
          h("td", {}, stateBadge(n.state), n.retired && n.state !== "retired" ? t("pool.retiredMark") : ""),
          h("td", {}, n.lease ? timeEl(n.lease.expiresAt) : timeEl(n.quarantinedUntil)),
          h("td", {}, h("button", { type: "button", disabled: !ctx.canChange,
            dataset: { focusKey: `number-${n.number}` },
            "aria-label": t(n.retired ? "pool.reinstateNumber" : "pool.retireNumber", { number: n.number }),
            onclick: () => (n.retired ? reinstate(n) : retire(n)) },
          n.retired ? t("pool.reinstate") : t("pool.retire"))))),
        { empty: t("pool.empty"), captionHidden: true }));
  }
  render(pool);
  const status = keepFresh(box, REFRESH_MS, () => get("manage/callback-numbers"), render, pool);

  return h("section", {},
    heading(t("pool.title")),
    h("p", { class: "lead" }, t("pool.lead")),
    h("p", { class: "note" }, h("strong", {}, t("pool.noteStrong")), t("pool.note")),
    form,
    status,
    box);
}
