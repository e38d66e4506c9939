// The "Emergency call notification": who is told per dialed number; the template: edit, live preview from the
// server's sandboxed renderer (the email with the sample, and every channel, email, SMS and voice, with each
// country's longest sample), versions.
import { get, put, post, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, timeEl, visuallyHidden } from "../dom.js";
import { notificationRulesSection, RULES } from "./notify_rules.js";

const BASE = "manage/templates/emergency-call-notification";
const PARTS = [
  ["subject", "Subject", "One line; a [TEST] marker is added automatically for test calls."],
  ["html", "HTML body", "Values are escaped automatically. Empty: a plain-text email."],
  ["text", "Text body", "Its first paragraph is the SMS: keep who, where and the callback number there, in two " +
    "SMS segments; details go after a blank line."],
];

export async function templateView(ctx) {
  // The rules' failure (a 404 before their API is deployed) is shown in their section, never fails the view.
  const [current, placeholders, rules] = await Promise.all([get(BASE), get("manage/template-placeholders"),
    get(RULES).catch((error) => error)]);
  let loaded = current;
  let lastFocused = null;
  const controls = Object.fromEntries(PARTS.map(([name]) => [name, name === "subject"
    ? h("input", { name, autocomplete: "off", spellcheck: "false" })
    : h("textarea", { name, rows: name === "html" ? 12 : 10, spellcheck: "false", class: "code" })]));
  Object.values(controls).forEach((c) => {
    c.addEventListener("focus", () => { lastFocused = c; });
    c.addEventListener("input", schedulePreview);
  });

  const previewSubject = h("p", { class: "preview-subject", id: "preview-subject" });
  const previewFrame = h("iframe", { sandbox: "", title: "Preview of the HTML email", class: "preview-html" });
  // A long preview scrolls: focusable (tabindex 0) so the keyboard scrolls it too, named by its heading.
  const scrollable = (id) => h("pre", { class: "preview-text", id, tabindex: "0", role: "region",
    "aria-labelledby": `${id}-title` });
  const previewText = scrollable("preview-text");
  const previewState = h("p", { class: "muted", id: "preview-state" });
  const channels = channelPreview(scrollable);
  const versionsBox = h("div");
  const currentNote = h("p", { class: "muted" });

  const form = h("form", { class: "stack-form", novalidate: true, "aria-labelledby": "editor-title",
    onsubmit: async (e) => {
      e.preventDefault();
      clearErrors(form);
      try {
        const saved = await put(BASE, values());
        await reload();
        announce(`Saved as version ${saved.version}.`);
      } catch (error) {
        fail(error, "Not saved");
      }
    } },
  h("h2", { id: "editor-title" }, "Template"),
  currentNote,
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, "Template parts"),
    PARTS.map(([name, label, hint]) => field(label, controls[name], { hint })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save as new version"),
      h("button", { type: "button", onclick: () => { fill(loaded); announce("Changes discarded."); } },
        "Discard changes"))));

  function values() {
    return Object.fromEntries(PARTS.map(([name]) => [name, controls[name].value]));
  }

  function fill(version) {
    loaded = version;
    PARTS.forEach(([name]) => { controls[name].value = version[name] ?? ""; });
    currentNote.textContent = version.isDefault ? "Showing the default template (no version saved yet)."
      : `Current version ${version.version}, saved by ${version.author}.`;
    clearErrors(form);
    preview();
  }

  function fail(error, what) {
    if (error instanceof ApiError && error.status === 400) {
      showErrors(form, error);
      announce(`${what}: see the message on the form.`, "error");
    } else {
      announce(`${what}: ${error.message}`, "error");
    }
  }

  let timer = null;
  let sequence = 0;
  function schedulePreview() {
    clearTimeout(timer);
    timer = setTimeout(preview, 300);
  }

  async function preview() {
    const mine = ++sequence;
    previewState.textContent = "Rendering…";
    try {
      const shown = await post(`${BASE}/preview`, values());
      if (mine !== sequence) return;
      clearErrors(form);
      previewSubject.textContent = shown.subject;
      previewFrame.srcdoc = shown.html || "<p style='font-family:sans-serif;color:#555'>(no HTML part: plain-text email)</p>";
      previewText.textContent = shown.text;
      channels.show(shown.channels || []);
      previewState.textContent = "Rendered by the server with sample data.";
    } catch (error) {
      if (mine !== sequence) return;
      previewState.textContent = "The preview shows the last version that rendered.";
      if (error instanceof ApiError && error.status === 400) showErrors(form, error);
    }
  }

  async function reload() {
    const [latest, versions] = await Promise.all([get(BASE), get(`${BASE}/versions`)]);
    fill(latest);
    versionsBox.replaceChildren(versionsTable(versions.versions, latest.version, ctx, async (n) => {
      try {
        const restored = await post(`${BASE}/versions/${n}/restore`);
        await reload();
        announce(`Version ${n} restored as version ${restored.version}.`);
      } catch (error) {
        fail(error, "Not restored");
      }
    }));
  }
  await reload();

  const placeholderList = h("ul", { class: "placeholders" }, placeholders.placeholders.map((p) =>
    h("li", {},
      h("button", { type: "button", class: "link-button", disabled: !ctx.canChange,
        "aria-label": `Insert placeholder ${p.name}`, onclick: () => insert(`{{ ${p.name} }}`) },
      h("code", {}, `{{ ${p.name} }}`)),
      h("span", { class: "muted" }, ` ${p.description}`))));

  function insert(text) {
    const target = lastFocused || controls.text;
    const start = target.selectionStart ?? target.value.length;
    const end = target.selectionEnd ?? start;
    target.setRangeText(text, start, end, "end");
    target.focus();
    schedulePreview();
  }

  return h("section", {},
    heading("Emergency call notification"),
    h("p", { class: "lead" }, "The email (and SMS) sent to an agent's recipients when the agent dials an emergency " +
      "number. Every save is a new version; nothing is overwritten."),
    notificationRulesSection(ctx, rules),
    h("div", { class: "two-columns wide-right" },
      h("div", {}, form,
        h("section", { "aria-labelledby": "placeholders-title" },
          h("h2", { id: "placeholders-title" }, "Placeholders"),
          h("p", { class: "hint" }, "Choose one to insert it where the cursor is. Conditions work too, e.g. " +
            "{% if is_test %}…{% endif %}."),
          placeholderList)),
      h("section", { class: "panel", "aria-labelledby": "preview-title" },
        h("h2", { id: "preview-title" }, "Preview"), previewState,
        h("h3", {}, "Subject"), previewSubject,
        h("h3", {}, "HTML"), previewFrame,
        h("h3", { id: "preview-text-title" }, "Text"), previewText,
        channels.element)),
    h("section", { "aria-labelledby": "versions-title" },
      h("h2", { id: "versions-title" }, "Versions"), versionsBox));
}

// Every channel as sent with one country's longest sample: the email's subject and text, the SMS with its segments
// and encoding, the voice call's alert. The longest SMS is shown first; the admin's choice is kept across renders.
function channelPreview(scrollable) {
  const select = h("select", { id: "channel-sample", name: "channel-sample" });
  const emailSubject = h("p", { class: "preview-subject", id: "channel-email-subject" });
  const emailText = scrollable("channel-email-text");
  const smsSize = h("p", { id: "channel-sms-size" });
  const sms = scrollable("channel-sms");
  const voice = scrollable("channel-voice");
  let samples = [];
  let chosen = null;
  select.addEventListener("change", () => { chosen = select.value; render(); });

  function render() {
    const s = samples.find((c) => c.sample === select.value);
    if (!s) return;
    emailSubject.textContent = s.email.subject;
    emailText.textContent = s.email.text;
    sms.textContent = s.sms.text;
    smsSize.textContent = `${s.sms.segments} of at most ${s.sms.maxSegments} SMS segments, ${s.sms.encoding}, ` +
      `${s.sms.characters} of ${s.sms.maxCharacters} characters.`;
    voice.textContent = s.voice;
  }

  function show(list) {
    samples = list;
    const longest = list.reduce((a, b) => (b.sms.characters > a.sms.characters ? b : a), list[0]);
    select.replaceChildren(...list.map((c) => h("option", { value: c.sample }, c.sample)));
    select.value = list.some((c) => c.sample === chosen) ? chosen : longest?.sample ?? "";
    render();
  }

  const element = h("section", { class: "channels", "aria-labelledby": "channels-title" },
    h("h3", { id: "channels-title" }, "Every channel, longest sample"),
    h("p", { class: "hint" }, "What each channel carries with the longest name, address and callback number a " +
      "call of that country is likely to have."),
    h("label", { for: "channel-sample" }, "Sample"), select,
    h("h4", { id: "channel-email-title" }, "Email"), emailSubject,
    h("p", { class: "visually-hidden", id: "channel-email-text-title" }, "Email text"), emailText,
    h("h4", { id: "channel-sms-title" }, "SMS"),
    h("p", { class: "hint" }, "Exactly what is sent. Two segments carry 306 GSM-7 characters (^ { } [ ] ~ \\ | € " +
      "count twice), or 134 when one character is outside GSM-7."),
    smsSize, sms,
    h("h4", { id: "channel-voice-title" }, "Voice call"),
    h("p", { class: "hint" }, "What the escalation call reads out, before it asks for a key."), voice);
  return { element, show };
}

function versionsTable(versions, currentVersion, ctx, onRestore) {
  return table("Saved versions of the template", ["Version", "Saved by", "When", "Note", visuallyHidden("Actions")],
    versions.map((v) => h("tr", { dataset: { version: v.version } },
      h("th", { scope: "row" }, `Version ${v.version}`),
      h("td", {}, v.author || "—"),
      h("td", {}, timeEl(v.savedAt)),
      h("td", {}, v.version === currentVersion ? h("strong", {}, "Current") : "",
        v.restoredFrom ? ` Restored from version ${v.restoredFrom}` : ""),
      h("td", {}, v.version !== currentVersion ? h("button", { type: "button", disabled: !ctx.canChange,
        "aria-label": `Restore version ${v.version}`, onclick: () => onRestore(v.version) }, "Restore") : ""))),
    { empty: "No version saved yet: the default template is in use.", captionHidden: true });
}
