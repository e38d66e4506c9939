// The escalation policy (issue 20): who is told, on which channels and when, while nobody has acknowledged an
// emergency notification. Every save is a new version, sent with If-Match (the version loaded) so that a colleague's
// save in between is never undone silently; an older version can be restored. The server's refusal is shown beside
// the field it names ("tiers[1].afterSeconds", "onCall.sms").
import { api, get, ApiError } from "../api.js";
import { h, append, heading, announce, clear, table, timeEl } from "../dom.js";

const BASE = "manage/escalation-policy";
const CHANNEL_WORDS = { email: "Email", sms: "SMS", voice: "Voice call" };
const CHANNEL_IN_TEXT = { email: "email", sms: "SMS", voice: "voice call" };

export async function escalationView(ctx) {
  let loaded = await get(BASE);
  let slots = new Map();  // field the server may name -> { label, error, controls }
  let tiers = [];  // the form's steps: their controls
  let uid = 0;
  const id = (name) => `esc-${name}-${++uid}`;

  const currentNote = h("p", { class: "muted", id: "escalation-current" });
  const formError = h("div", { class: "form-error", id: "escalation-form-error" });
  const tierList = h("ol", { class: "tiers" });
  const addTier = h("button", { type: "button", onclick: () => {
    const tiersNow = values().tiers;
    const last = tiersNow[tiersNow.length - 1];
    renderTiers([...tiersNow, { name: "", afterSeconds: Math.min((last?.afterSeconds || 0) + 300,
      loaded.limits.maxSeconds), audiences: ["siteDesk"], channels: ["email", "sms"] }]);
    tiers[tiers.length - 1].name.focus();
  } }, "Add a step");

  const mode = Object.keys(loaded.modes).map((value) => h("input", { type: "radio", name: "mode",
    value, id: id(`mode-${value}`), "aria-describedby": "escalation-mode-error" }));
  const modeGroup = h("fieldset", { class: "group" },
    h("legend", {}, "When escalation stops"),
    h("ul", { class: "choices" }, mode.map((radio) => h("li", {}, radio,
      h("label", { for: radio.id }, capitalized(loaded.modes[radio.value]))))),
    h("div", { class: "field-error", id: "escalation-mode-error" }));

  const emails = h("textarea", { name: "onCall.emails", id: id("oncall-emails"), rows: 3, spellcheck: "false",
    autocomplete: "off" });
  const phones = h("textarea", { name: "onCall.sms", id: id("oncall-sms"), rows: 3, spellcheck: "false",
    autocomplete: "off" });
  const onCallError = h("div", { class: "field-error", id: "escalation-oncall-error" });
  const onCall = h("fieldset", { class: "group", "aria-describedby": "escalation-oncall-hint escalation-oncall-error" },
    h("legend", {}, "On-call recipients"),
    h("p", { class: "hint", id: "escalation-oncall-hint" }, "Told by the steps whose audience is the on-call team. " +
      "One per line (or separated by semicolons)."),
    onCallError,
    textField("Email addresses", emails, "e.g. oncall@example.com", "On-call email addresses:"),
    textField("Mobile numbers", phones, "International format, e.g. +1 202 555 0166: texted on the SMS channel, " +
      "called on the voice channel.", "On-call mobile numbers:"));

  const escalateTests = h("input", { type: "checkbox", name: "escalateTests", id: id("tests") });
  const voiceCalls = h("input", { type: "number", name: "voiceCallsPerRecipient", id: id("voice-calls"),
    min: 1, max: loaded.limits.maxVoiceCallsPerRecipient, step: 1, inputmode: "numeric", class: "narrow" });

  const form = h("form", { class: "stack-form escalation-form", novalidate: true,
    "aria-labelledby": "escalation-editor-title", onsubmit: save },
  h("h2", { id: "escalation-editor-title" }, "Policy"),
  currentNote,
  formError,
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, "Escalation policy"),
    h("fieldset", { class: "group", "aria-describedby": "escalation-tiers-hint escalation-tiers-error" },
      h("legend", {}, "Steps while nobody has acknowledged"),
      h("p", { class: "hint", id: "escalation-tiers-hint" }, "The first notification goes out at the dial (who it " +
        "tells is set under Notification template). Each step waits longer than the one before it, counted from " +
        `the dial: from ${loaded.limits.minSeconds} seconds to ${loaded.limits.maxSeconds / 60} minutes; at most ` +
        `${loaded.limits.maxTiers} steps.`),
      h("div", { class: "field-error", id: "escalation-tiers-error" }),
      tierList,
      h("div", { class: "actions" }, addTier)),
    modeGroup,
    onCall,
    checkField("Escalate 933 test calls too", escalateTests, "escalation-tests",
      "A test call is never escalated by voice, even when this is on."),
    textField("Voice calls per recipient, at most", voiceCalls,
      `From 1 to ${loaded.limits.maxVoiceCallsPerRecipient}, for one emergency call.`, "Voice calls per recipient:"),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save as new version"),
      h("button", { type: "button", onclick: () => { fill(loaded.policy); announce("Changes discarded."); } },
        "Discard changes"))));

  const defaultBox = h("section", { class: "panel", "aria-labelledby": "escalation-default-title" },
    h("h2", { id: "escalation-default-title" }, "Default policy"),
    h("p", { class: "hint" }, "In force until an admin saves a policy."),
    policyInWords(loaded.default, loaded),
    h("div", { class: "actions" }, h("button", { type: "button", disabled: !ctx.canChange, onclick: () => {
      fill(loaded.default);
      announce("The default policy is in the form: save it to make it current.");
    } }, "Put the default in the form")));
  const versionsBox = h("div");

  function register(field, label, error, controls) {
    slots.set(field, { label, error, controls });
  }
  register("tiers", "Steps:", form.querySelector("#escalation-tiers-error"), [addTier]);
  register("mode", "When escalation stops:", form.querySelector("#escalation-mode-error"), mode);
  register("onCall", "On-call recipients:", onCallError, [emails, phones]);

  /** A labelled control with its hint and error slot, registered under the control's name (`said`: how a
   * refusal names it). */
  function textField(label, control, hint, said = label) {
    const hintEl = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
    const error = h("div", { class: "field-error", id: `${control.id}-error` });
    control.setAttribute("aria-describedby", [hintEl ? hintEl.id : "", error.id].join(" ").trim());
    register(control.name, said, error, [control]);
    return h("div", { class: "field" }, h("label", { for: control.id }, label), control, hintEl, error);
  }

  function checkField(label, control, errorId, hint) {
    const hintEl = h("p", { class: "hint", id: `${errorId}-hint` }, hint);
    const error = h("div", { class: "field-error", id: `${errorId}-error` });
    control.setAttribute("aria-describedby", `${hintEl.id} ${error.id}`);
    register(control.name, `${label}:`, error, [control]);
    return h("div", { class: "field field-check" }, control, h("label", { for: control.id }, label), hintEl, error);
  }

  /** Checkboxes in a fieldset, one per choice; the server names the group (tiers[0].channels). */
  function choices(field, legend, said, options, chosen) {
    const error = h("div", { class: "field-error", id: id("choices-error") });
    const boxes = Object.keys(options).map((value) => h("input", { type: "checkbox", value,
      id: id(value), checked: chosen.includes(value), "aria-describedby": error.id }));
    register(field, said, error, boxes);
    const group = h("fieldset", { class: "group choices-group" }, h("legend", {}, legend),
      h("ul", { class: "choices" }, boxes.map((box) => h("li", {}, box,
        h("label", { for: box.id }, capitalized(options[box.value]))))), error);
    return { group, boxes };
  }

  function tierItem(tier, i) {
    const at = `tiers[${i}]`;
    const name = h("input", { name: `${at}.name`, id: id(`t${i}-name`), value: tier.name || "", maxlength: 80,
      autocomplete: "off" });
    const seconds = Number.isFinite(tier.afterSeconds) ? tier.afterSeconds : 0;
    const minutes = h("input", { type: "number", id: id(`t${i}-min`), min: 0, max: 60, step: 1, inputmode: "numeric",
      class: "narrow", value: String(Math.floor(seconds / 60)) });
    const secs = h("input", { type: "number", id: id(`t${i}-sec`), min: 0, max: 59, step: 1, inputmode: "numeric",
      class: "narrow", value: String(seconds % 60) });
    const waitError = h("div", { class: "field-error", id: id(`t${i}-wait-error`) });
    [minutes, secs].forEach((c) => c.setAttribute("aria-describedby", waitError.id));
    const step = `Step ${i + 1}`;
    register(`${at}.afterSeconds`, `${step}: the wait after the dial`, waitError, [minutes, secs]);
    const audiences = choices(`${at}.audiences`, "Who is told", `${step}: who is told`, loaded.audiences,
      tier.audiences || []);
    const channels = choices(`${at}.channels`, "Channels", `${step}: the channels`,
      Object.fromEntries(loaded.channels.map((c) => [c, CHANNEL_WORDS[c] || c])), tier.channels || []);
    const tierError = h("div", { class: "field-error", id: id(`t${i}-error`) });
    register(at, step, tierError, [name]);
    const remove = h("button", { type: "button", class: "remove", "aria-label": `Remove step ${i + 1}`,
      onclick: () => {
        const kept = values().tiers.filter((_, j) => j !== i);
        renderTiers(kept);
        (tiers[Math.min(i, tiers.length - 1)]?.name || addTier).focus();
        announce(`Step ${i + 1} removed (not saved yet).`);
      } }, "Remove");
    tiers.push({ name, minutes, secs, audiences: audiences.boxes, channels: channels.boxes });
    return h("li", { class: "tier", dataset: { tier: i } },
      h("fieldset", { class: "group" },
        h("legend", {}, step),
        tierError,
        textField("Name", name, "Shown on the incident's timeline.", `${step}: the name`),
        h("fieldset", { class: "group wait" }, h("legend", {}, "Wait after the dial"),
          h("div", { class: "wait-inputs" },
            h("span", {}, h("label", { for: minutes.id }, "Minutes"), minutes),
            h("span", {}, h("label", { for: secs.id }, "Seconds"), secs)),
          waitError),
        audiences.group, channels.group,
        h("div", { class: "actions" }, remove)));
  }

  function renderTiers(list) {
    // The server names steps by their place in the list: rebuild the steps' slots with the list.
    slots = new Map([...slots].filter(([field]) => !field.startsWith("tiers[")));
    tiers = [];
    tierList.replaceChildren(...list.map(tierItem));
    addTier.disabled = list.length >= loaded.limits.maxTiers;
  }

  function fill(policy) {
    clearErrors();
    renderTiers(policy.tiers || []);
    mode.forEach((radio) => { radio.checked = radio.value === (policy.mode || "any"); });
    emails.value = (policy.onCall?.emails || []).join("\n");
    phones.value = (policy.onCall?.sms || []).join("\n");
    escalateTests.checked = Boolean(policy.escalateTests);
    voiceCalls.value = String(policy.voiceCallsPerRecipient ?? 2);
  }

  function values() {
    return {
      tiers: tiers.map((t) => ({
        name: t.name.value.trim(),
        afterSeconds: wholeSeconds(t.minutes.value, t.secs.value),
        audiences: t.audiences.filter((b) => b.checked).map((b) => b.value),
        channels: t.channels.filter((b) => b.checked).map((b) => b.value),
      })),
      mode: (mode.find((r) => r.checked) || mode[0]).value,
      onCall: { emails: listed(emails.value), sms: listed(phones.value) },
      escalateTests: escalateTests.checked,
      voiceCallsPerRecipient: Number(voiceCalls.value),
    };
  }

  /** The slot of the field the server named, else of the nearest enclosing one ("tiers[0].x" -> "tiers[0]"). */
  function slotFor(field) {
    let name = field || "";
    while (name) {
      if (slots.has(name)) return slots.get(name);
      const shorter = name.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      if (shorter === name) return null;
      name = shorter;
    }
    return null;
  }

  function clearErrors() {
    [formError, ...[...slots.values()].map((s) => s.error)].forEach((el) => { clear(el); el.removeAttribute("role"); });
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  }

  /** The refusal beside the field it names (marked invalid, focused), else above the form; answers it in words. */
  function showRefusal(error) {
    clearErrors();
    const slot = slotFor(error.field);
    const text = slot ? `${slot.label} ${error.message}` : `${error.field ? `${error.field}: ` : ""}${error.message}`;
    const target = slot ? slot.error : formError;
    target.append(h("p", {}, text));
    target.setAttribute("role", "alert");
    if (slot) {
      slot.controls.forEach((c) => c.setAttribute("aria-invalid", "true"));
      slot.controls[0]?.focus();
    }
    return text;
  }

  function stale(error) {
    clearErrors();
    formError.append(h("p", {}, error.message),
      h("button", { type: "button", onclick: async () => {
        try {
          loaded = await get(BASE);
        } catch (failed) {
          announce(`Not loaded: ${failed.message}`, "error");
          return;
        }
        show();
        announce(`Version ${loaded.version} loaded; your changes were discarded.`);
      } }, "Load the current version"));
    formError.setAttribute("role", "alert");
    formError.querySelector("button").focus();
  }

  function fail(error, what) {
    if (error instanceof ApiError && error.status === 400) {
      announce(`${what}: ${showRefusal(error)}`, "error");
    } else if (error instanceof ApiError && error.status === 412) {
      stale(error);
      announce(`${what}: another admin saved a newer version.`, "error");
    } else {
      announce(`${what}: ${error.message}`, "error");
    }
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    try {
      loaded = await api("PUT", BASE, values(), { "If-Match": `"${loaded.version}"` });
    } catch (error) {
      fail(error, "Not saved");
      return;
    }
    show();
    announce(`Saved as version ${loaded.version}.`);
  }

  async function restore(version) {
    try {
      loaded = await api("POST", `${BASE}/restore`, { version }, { "If-Match": `"${loaded.version}"` });
    } catch (error) {
      fail(error, "Not restored");
      return;
    }
    show();
    announce(`Version ${version} restored as version ${loaded.version}.`);
  }

  function show() {
    fill(loaded.policy);
    append(clear(currentNote), loaded.version === 0 ? ["No version saved yet: the default policy is in force."]
      : [`Current version ${loaded.version}, saved by ${loaded.author || "unknown"} `, timeEl(loaded.savedAt),
        loaded.restoredFrom ? ` (restored from version ${loaded.restoredFrom})` : "",
        loaded.isDefault ? ". This release cannot read it: the default policy is in force." : "."]);
    versionsBox.replaceChildren(versionsTable(loaded, ctx, restore));
  }
  show();

  return h("section", {},
    heading("Escalation policy"),
    h("p", { class: "lead" }, "Who is told, on which channels and when, while nobody has acknowledged an emergency " +
      "notification. A change applies to calls notified after it is saved. Every save is a new version; nothing " +
      "is overwritten."),
    h("div", { class: "two-columns wide-right" },
      form,
      h("div", {}, defaultBox,
        h("section", { "aria-labelledby": "escalation-versions-title" },
          h("h2", { id: "escalation-versions-title" }, "Versions"), versionsBox))));
}

function versionsTable(loaded, ctx, onRestore) {
  // Two columns, the restore button under the policy it restores: the table fits a 375 px screen.
  return table("Saved versions of the escalation policy", ["Version", "Policy"],
    loaded.versions.map((v) => h("tr", { dataset: { version: v.version } },
      h("th", { scope: "row" }, `Version ${v.version}`,
        v.version === loaded.version ? h("div", {}, h("strong", {}, "Current")) : "",
        v.restoredFrom ? h("div", { class: "muted" }, `Restored from version ${v.restoredFrom}`) : "",
        h("div", { class: "saved-by" }, `by ${v.author || "unknown"}`), h("div", { class: "saved-by" },
          timeEl(v.savedAt))),
      h("td", {}, v.policy ? policyInWords(v.policy, loaded, true) : h("span", { class: "muted" },
        "Not readable by this release"),
      v.version !== loaded.version && v.policy ? h("div", { class: "actions" }, h("button", { type: "button",
        disabled: !ctx.canChange, "aria-label": `Restore version ${v.version}`, onclick: () => onRestore(v.version) },
      "Restore")) : ""))),
    { empty: "No version saved yet: the default policy is in force.", captionHidden: true });
}

/** The policy as a short list: "After 2:00: everyone the first notification told, by voice call", then the mode. */
export function policyInWords(policy, words, compact = false) {
  const steps = (policy.tiers || []).map((t) => h("li", {},
    `After ${waitText(t.afterSeconds)}: ${joinWords((t.audiences || []).map((a) => words.audiences[a] || a))}, by `
    + joinWords((t.channels || []).map((c) => CHANNEL_IN_TEXT[c] || c))
    + (t.name ? ` (${t.name})` : "")));
  return h("div", { class: compact ? "policy-words compact-words" : "policy-words" },
    h("ol", { class: "compact" }, steps),
    h("p", { class: "muted" }, `${capitalized(words.modes[policy.mode] || policy.mode)}.`
      + (policy.escalateTests ? " Test calls escalate too (never by voice)." : " Test calls never escalate.")));
}

/** 90 -> "1:30"; the wait after the dial as minutes:seconds. */
export function waitText(seconds) {
  if (!Number.isFinite(seconds)) return "?";
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function wholeSeconds(minutes, seconds) {
  const total = Number(minutes || 0) * 60 + Number(seconds || 0);
  return Number.isFinite(total) ? total : null;  // the server says what is wrong with a fraction or nothing
}

function listed(text) {
  return text.split(/[;\n,]+/).map((s) => s.trim()).filter(Boolean);
}

function joinWords(list) {
  if (list.length < 2) return list.join("");
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

function capitalized(text) {
  return String(text).charAt(0).toUpperCase() + String(text).slice(1);
}
