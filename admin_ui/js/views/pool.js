// The callback-number pool: per region leased / quarantined / free, current leases, add and retire numbers.
import { get, post, enc, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, timeEl, stateBadge, visuallyHidden }
  from "../dom.js";

export async function poolView(ctx) {
  const box = h("div");
  const numberInput = h("input", { name: "number", type: "tel", autocomplete: "off", placeholder: "+1 202 555 0100" });
  const form = h("form", { class: "inline-form", novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearErrors(form);
    let added;
    try {
      added = await post("manage/callback-numbers", { number: numberInput.value });
    } catch (error) {
      if (error instanceof ApiError && (error.status === 400 || error.status === 409)) {
        showErrors(form, { ...error, field: error.field || "number", message: error.message });
      }
      announce(`Not added: ${error.message}`, "error");
      return;
    }
    numberInput.value = "";
    await render();
    announce(`${added.number} is in the pool (${added.state}). Add it to the IncomingCall subscription's filter ` +
      "too (infra: callbackPoolNumbers, deploy.sh stage 3), or its callbacks will not reach this app.");
  } },
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", {}, "Add a callback number"),
    field("Number", numberInput, { hint: "E.164 with the country code, e.g. +12025550100. Its country calling " +
      "code decides the region it serves." }),
    h("button", { type: "submit", class: "primary" }, "Add to pool")));

  async function setRetired(n, retire) {
    try {
      const changed = retire ? await post(`manage/callback-numbers/${enc(n.number)}/retire`)
        : await post("manage/callback-numbers", { number: n.number });
      await render();
      announce(`${changed.number} ${retire ? "retired" : "is back in service"} (${changed.state}).`);
    } catch (error) {
      announce(`${n.number} not changed: ${error.message}`, "error");
    }
  }

  async function render() {
    const pool = await get("manage/callback-numbers");
    const leased = pool.numbers.filter((n) => n.lease);
    box.replaceChildren(
      h("h2", {}, "By region"),
      h("ul", { class: "regions" }, Object.entries(pool.regions).map(([region, counts]) =>
        h("li", { class: "region", dataset: { region } },
          h("h3", {}, `+${region}`, h("span", { class: "muted" }, ` ${(pool.countries[region] || []).join(", ")}`)),
          h("dl", { class: "counts" }, ["free", "leased", "quarantined", "retired"].flatMap((s) =>
            [h("dt", {}, s), h("dd", { dataset: { state: s } }, counts[s] ?? 0)]))))),
      h("h2", {}, "Current leases"),
      table("Numbers leased to emergency calls", ["Number", "Agent", "Emergency call", "Leased", "Reaches the agent until"],
        leased.map((n) => h("tr", {},
          h("th", { scope: "row" }, n.number),
          h("td", {}, h("a", { href: `#/agents/${enc(n.lease.agentId)}` }, n.lease.agentId)),
          h("td", {}, n.lease.test ? "Test call " : "", h("code", {}, n.lease.emergencyCallId)),
          h("td", {}, timeEl(n.lease.leasedAt)),
          h("td", {}, ...(n.lease.preDialUntil
            ? ["held for a dial she is about to place (an emergency number typed); released at ",
               timeEl(n.lease.preDialUntil), " if no call follows"]
            : [n.lease.live ? "the call's end, then 60 minutes (held while the call lasts; at the latest " : "",
               timeEl(n.lease.expiresAt), n.lease.live ? ")" : ""])))),
        { empty: "No number is leased right now.", captionHidden: true }),
      h("h2", {}, "All numbers"),
      table("Callback numbers", ["Number", "Region", "State", "Until", visuallyHidden("Actions")],
        pool.numbers.map((n) => h("tr", { dataset: { number: n.number } },
          h("th", { scope: "row" }, n.number),
          h("td", {}, `+${n.region}`),
          h("td", {}, stateBadge(n.state), n.retired && n.state !== "retired" ? " (retired)" : ""),
          h("td", {}, n.lease ? timeEl(n.lease.expiresAt) : timeEl(n.quarantinedUntil)),
          h("td", {}, h("button", { type: "button", disabled: !ctx.canChange,
            "aria-label": n.retired ? `Return to service ${n.number}` : `Retire ${n.number}`,  // the visible words
            onclick: () => setRetired(n, !n.retired) }, n.retired ? "Return to service" : "Retire")))),
        { empty: "The pool is empty.", captionHidden: true }));
  }
  await render();

  return h("section", {},
    heading("Callback pool"),
    h("p", { class: "lead" }, "Each emergency call leases a free number for 60 minutes (and 60 minutes after it " +
      "ends); then it rests in quarantine before reuse. A retired number is never leased again; a lease that runs " +
      "on it keeps running."),
    h("p", { class: "note" }, h("strong", {}, "Before a new number is leased: "),
      "callbacks reach this app only for numbers in the Event Grid IncomingCall subscription's filter. Add each new " +
      "number to the infra parameter callbackPoolNumbers and run deploy.sh's subscriptions stage."),
    form,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: async () => {
      await render(); announce("Pool refreshed.");
    } }, "Refresh")),
    box);
}
