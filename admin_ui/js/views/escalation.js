// The escalation policy (issue 20): who is told, on which channels and when, while nobody has acknowledged an
// emergency notification. Every save is a new version, sent with If-Match (the version loaded) so that a colleague's
// save in between is never undone silently; an older version can be restored. The server's refusal is shown beside
// the field it names ("tiers[1].afterSeconds", "onCall.sms").
import { api, get, ApiError } from "../api.js";
import { h, append, heading, announce, clear, table, timeEl } from "../dom.js";
import { track } from "../unsaved.js";
import { joinWords, num, t } from "../language.js";

const BASE = "manage/escalation-policy";
const CHANNEL_WORDS = () => ({ email: t("esc.channel.email"), sms: t("esc.channel.sms"),
  voice: t("esc.channel.voice") });
const CHANNEL_IN_TEXT = () => ({ email: t("esc.channelText.email"), sms: t("esc.channelText.sms"),
  voice: t("esc.channelText.voice") });

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
  } }, t("esc.addStep"));

  const mode = Object.keys(loaded.modes).map((value) => h("input", { type: "radio", name: "mode",
    value, id: id(`mode-${value}`), "aria-describedby": "escalation-mode-error" }));
  const modeGroup = h("fieldset", { class: "group" },
    h("legend", {}, t("esc.modeLegend")),
    h("ul", { class: "choices" }, mode.map((radio) => h("li", {}, radio,
      h("label", { for: radio.id }, capitalized(loaded.modes[radio.value]))))),
    h("div", { class: "field-error", id: "escalation-mode-error" }));

  const emails = h("textarea", { name: "onCall.emails", id: id("oncall-emails"), rows: 3, spellcheck: "false",
    autocomplete: "off" });
  const phones = h("textarea", { name: "onCall.sms", id: id("oncall-sms"), rows: 3, spellcheck: "false",
    autocomplete: "off" });
  const onCallError = h("div", { class: "field-error", id: "escalation-oncall-error" });
  const onCall = h("fieldset", { class: "group", "aria-describedby": "escalation-oncall-hint escalation-oncall-error" },
    h("legend", {}, t("esc.onCallLegend")),
    h("p", { class: "hint", id: "escalation-oncall-hint" }, t("esc.onCallHint")),
    onCallError,
    textField(t("esc.emails"), emails, t("esc.emailsHint"), t("esc.emailsSaid")),
    textField(t("esc.phones"), phones, t("esc.phonesHint"), t("esc.phonesSaid")));

  const escalateTests = h("input", { type: "checkbox", name: "escalateTests", id: id("tests") });
  const voiceCalls = h("input", { type: "number", name: "voiceCallsPerRecipient", id: id("voice-calls"),
    min: 1, max: loaded.limits.maxVoiceCallsPerRecipient, step: 1, inputmode: "numeric", class: "narrow" });

  const form = h("form", { class: "stack-form escalation-form", novalidate: true,
    "aria-labelledby": "escalation-editor-title", onsubmit: save },
  h("h2", { id: "escalation-editor-title" }, t("esc.policy")),
  currentNote,
  formError,
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, t("esc.policyLegend")),
    h("fieldset", { class: "group", "aria-describedby": "escalation-tiers-hint escalation-tiers-error" },
      h("legend", {}, t("esc.stepsLegend")),
      h("p", { class: "hint", id: "escalation-tiers-hint" }, t("esc.stepsHint", { min: num(loaded.limits.minSeconds),
        max: num(loaded.limits.maxSeconds / 60), tiers: num(loaded.limits.maxTiers) })),
      h("div", { class: "field-error", id: "escalation-tiers-error" }),
      tierList,
      h("div", { class: "actions" }, addTier)),
    modeGroup,
    onCall,
    checkField(t("esc.tests"), escalateTests, "escalation-tests", t("esc.testsHint")),
    textField(t("esc.voiceCalls"), voiceCalls,
      t("esc.voiceCallsHint", { max: num(loaded.limits.maxVoiceCallsPerRecipient) }), t("esc.voiceCallsSaid")),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("esc.save")),
      h("button", { type: "button", onclick: () => { fill(loaded.policy); announce(t("esc.discarded")); } },
        t("esc.discard")))));

  const defaultBox = h("section", { class: "panel", "aria-labelledby": "escalation-default-title" },
    h("h2", { id: "escalation-default-title" }, t("esc.defaultTitle")),
    h("p", { class: "hint" }, t("esc.defaultHint")),
    policyInWords(loaded.default, loaded),
    h("div", { class: "actions" }, h("button", { type: "button", disabled: !ctx.canChange, onclick: () => {
      fill(loaded.default);
      announce(t("esc.defaultInForm"));
    } }, t("esc.putDefault"))));
  const versionsBox = h("div");

  function register(field, label, error, controls) {
    slots.set(field, { label, error, controls });
  }
  register("tiers", t("esc.saidSteps"), form.querySelector("#escalation-tiers-error"), [addTier]);
  register("mode", t("esc.saidMode"), form.querySelector("#escalation-mode-error"), mode);
  register("onCall", t("esc.saidOnCall"), onCallError, [emails, phones]);

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
    const step = t("esc.stepN", { n: i + 1 });
    register(`${at}.afterSeconds`, t("esc.saidWait", { step }), waitError, [minutes, secs]);
    const audiences = choices(`${at}.audiences`, t("esc.whoIsTold"), t("esc.saidWho", { step }), loaded.audiences,
      tier.audiences || []);
    const channelWords = CHANNEL_WORDS();
    const channels = choices(`${at}.channels`, t("esc.channels"), t("esc.saidChannels", { step }),
      Object.fromEntries(loaded.channels.map((c) => [c, channelWords[c] || c])), tier.channels || []);
    const tierError = h("div", { class: "field-error", id: id(`t${i}-error`) });
    register(at, step, tierError, [name]);
    const remove = h("button", { type: "button", class: "remove", "aria-label": t("esc.removeStepN", { n: i + 1 }),
      onclick: () => {
        const kept = values().tiers.filter((_, j) => j !== i);
        renderTiers(kept);
        (tiers[Math.min(i, tiers.length - 1)]?.name || addTier).focus();
        announce(t("esc.stepRemoved", { n: i + 1 }));
      } }, t("esc.remove"));
    tiers.push({ name, minutes, secs, audiences: audiences.boxes, channels: channels.boxes });
    return h("li", { class: "tier", dataset: { tier: i } },
      h("fieldset", { class: "group" },
        h("legend", {}, step),
        tierError,
        textField(t("esc.name"), name, t("esc.nameHint"), t("esc.saidName", { step })),
        h("fieldset", { class: "group wait" }, h("legend", {}, t("esc.wait")),
          h("div", { class: "wait-inputs" },
            h("span", {}, h("label", { for: minutes.id }, t("esc.minutes")), minutes),
            h("span", {}, h("label", { for: secs.id }, t("esc.seconds")), secs)),
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
          announce(t("esc.notLoaded", { message: failed.message }), "error");
          return;
        }
        show();
        announce(t("esc.loaded", { version: loaded.version }));
      } }, t("esc.loadCurrent")));
    formError.setAttribute("role", "alert");
    formError.querySelector("button").focus();
  }

  function fail(error, what) {
    if (error instanceof ApiError && error.status === 400) {
      announce(t("esc.failed", { what, message: showRefusal(error) }), "error");
    } else if (error instanceof ApiError && error.status === 412) {
      stale(error);
      announce(t("esc.stale", { what }), "error");
    } else {
      announce(t("esc.failed", { what, message: error.message }), "error");
    }
  }

  async function save(event) {
    event.preventDefault();
    clearErrors();
    try {
      loaded = await api("PUT", BASE, values(), { "If-Match": `"${loaded.version}"` });
    } catch (error) {
      fail(error, t("esc.notSaved"));
      return;
    }
    show();
    announce(t("esc.savedAs", { version: loaded.version }));
  }

  async function restore(version) {
    try {
      loaded = await api("POST", `${BASE}/restore`, { version }, { "If-Match": `"${loaded.version}"` });
    } catch (error) {
      fail(error, t("esc.notRestored"));
      return;
    }
    show();
    announce(t("esc.restored", { version, as: loaded.version }));
  }

  function show() {
    fill(loaded.policy);
    edits?.reset();
    append(clear(currentNote), loaded.version === 0 ? [t("esc.noVersion")]
      : [t("esc.current", { version: loaded.version, author: loaded.author || t("esc.unknown") }),
        timeEl(loaded.savedAt),
        loaded.restoredFrom ? t("esc.restoredFromParen", { version: loaded.restoredFrom }) : "",
        loaded.isDefault ? t("esc.unreadable") : "."]);
    versionsBox.replaceChildren(versionsTable(loaded, ctx, restore));
  }
  let edits = null;  // unsaved changes of the policy, asked about before leaving
  show();
  edits = track("the escalation policy", form, values);

  return h("section", {},
    heading(t("esc.title")),
    h("p", { class: "lead" }, t("esc.lead")),
    h("div", { class: "two-columns wide-right" },
      form,
      h("div", {}, defaultBox,
        h("section", { "aria-labelledby": "escalation-versions-title" },
          h("h2", { id: "escalation-versions-title" }, t("esc.versions")), versionsBox))));
}

function versionsTable(loaded, ctx, onRestore) {
  // Two columns, the restore button under the policy it restores: the table fits a 375 px screen.
  return table(t("esc.versionsCaption"), [t("esc.col.version"), t("esc.col.policy")],
    loaded.versions.map((v) => h("tr", { dataset: { version: v.version } },
      h("th", { scope: "row" }, t("esc.versionN", { version: v.version }),
        v.version === loaded.version ? h("div", {}, h("strong", {}, t("esc.currentMark"))) : "",
        v.restoredFrom ? h("div", { class: "muted" }, t("esc.restoredFrom", { version: v.restoredFrom })) : "",
        h("div", { class: "saved-by" }, t("esc.by", { author: v.author || t("esc.unknown") })),
        h("div", { class: "saved-by" }, timeEl(v.savedAt))),
      h("td", {}, v.policy ? policyInWords(v.policy, loaded, true) : h("span", { class: "muted" },
        t("esc.notReadable")),
      v.version !== loaded.version && v.policy ? h("div", { class: "actions" }, h("button", { type: "button",
        disabled: !ctx.canChange, "aria-label": t("esc.restoreN", { version: v.version }),
        onclick: () => onRestore(v.version) }, t("esc.restore"))) : ""))),
    { empty: t("esc.noVersion"), captionHidden: true });
}

/** The policy as a short list: "After 2:00: everyone the first notification told, by voice call", then the mode. */
export function policyInWords(policy, words, compact = false) {
  const inText = CHANNEL_IN_TEXT();
  const steps = (policy.tiers || []).map((tier) => h("li", {},
    t("esc.after", { wait: waitText(tier.afterSeconds),
      who: joinWords((tier.audiences || []).map((a) => words.audiences[a] || a)),
      how: joinWords((tier.channels || []).map((c) => inText[c] || c)) })
    + (tier.name ? ` (${tier.name})` : "")));
  return h("div", { class: compact ? "policy-words compact-words" : "policy-words" },
    h("ol", { class: "compact" }, steps),
    h("p", { class: "muted" }, `${capitalized(words.modes[policy.mode] || policy.mode)}.`
      + (policy.escalateTests ? t("esc.testsEscalate") : t("esc.testsNever"))));
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

function capitalized(text) {
  return String(text).charAt(0).toUpperCase() + String(text).slice(1);
}
