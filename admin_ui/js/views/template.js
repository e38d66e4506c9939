// The "Emergency call notification": who is told per dialed number; the template: edit, live preview from the
// server's sandboxed renderer (the email with the sample, and every channel, email, SMS and voice, with each
// country's longest sample), versions.
import { get, put, post, ApiError } from "../api.js";
import { h, heading, field, showErrors, clearErrors, announce, table, timeEl, visuallyHidden } from "../dom.js";
import { notificationRulesSection, RULES } from "./notify_rules.js";
import { track } from "../unsaved.js";
import { num, t } from "../language.js";

const BASE = "manage/templates/emergency-call-notification";
const PARTS = [["subject"], ["html"], ["text"]];
const partWords = () => ({
  subject: [t("template.part.subject"), t("template.hint.subject")],
  html: [t("template.part.html"), t("template.hint.html")],
  text: [t("template.part.text"), t("template.hint.text")],
});

export async function templateView(ctx) {
  // The rules' failure (a 404 before their API is deployed) is shown in their section, never fails the view.
  const [current, placeholders, rules] = await Promise.all([get(BASE), get("manage/template-placeholders"),
    get(RULES).catch((error) => error)]);
  let loaded = current;
  let lastFocused = null;
  let edits = null;  // unsaved changes of the template, asked about before leaving
  const controls = Object.fromEntries(PARTS.map(([name]) => [name, name === "subject"
    ? h("input", { name, autocomplete: "off", spellcheck: "false" })
    : h("textarea", { name, rows: name === "html" ? 12 : 10, spellcheck: "false", class: "code" })]));
  Object.values(controls).forEach((c) => {
    c.addEventListener("focus", () => { lastFocused = c; });
    c.addEventListener("input", schedulePreview);
  });

  const previewSubject = h("p", { class: "preview-subject", id: "preview-subject" });
  const previewFrame = h("iframe", { sandbox: "", title: t("template.previewFrame"), class: "preview-html" });
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
        announce(t("template.savedAs", { version: saved.version }));
      } catch (error) {
        fail(error, t("template.notSaved"));
      }
    } },
  h("h2", { id: "editor-title" }, t("template.editor")),
  currentNote,
  h("div", { class: "form-error" }),
  h("fieldset", { disabled: !ctx.canChange },
    h("legend", { class: "visually-hidden" }, t("template.parts")),
    PARTS.map(([name]) => field(partWords()[name][0], controls[name], { hint: partWords()[name][1] })),
    h("div", { class: "actions" },
      h("button", { type: "submit", class: "primary" }, t("template.save")),
      h("button", { type: "button", onclick: () => { fill(loaded); announce(t("template.discarded")); } },
        t("template.discard")))));

  function values() {
    return Object.fromEntries(PARTS.map(([name]) => [name, controls[name].value]));
  }

  function fill(version) {
    loaded = version;
    PARTS.forEach(([name]) => { controls[name].value = version[name] ?? ""; });
    currentNote.textContent = version.isDefault ? t("template.default")
      : t("template.current", { version: version.version, author: version.author });
    clearErrors(form);
    edits?.reset();
    preview();
  }

  function fail(error, what) {
    if (error instanceof ApiError && error.status === 400) {
      showErrors(form, error);
      announce(t("template.seeForm", { what }), "error");
    } else {
      announce(t("template.failed", { what, message: error.message }), "error");
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
    previewState.textContent = t("template.rendering");
    try {
      const shown = await post(`${BASE}/preview`, values());
      if (mine !== sequence) return;
      clearErrors(form);
      previewSubject.textContent = shown.subject;
      const empty = h("p", { style: "font-family:sans-serif;color:#555" }, t("template.noHtml"));
      previewFrame.srcdoc = shown.html || empty.outerHTML;
      previewText.textContent = shown.text;
      channels.show(shown.channels || []);
      previewState.textContent = t("template.rendered");
    } catch (error) {
      if (mine !== sequence) return;
      previewState.textContent = t("template.lastRendered");
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
        announce(t("template.restored", { version: n, as: restored.version }));
      } catch (error) {
        fail(error, t("template.notRestored"));
      }
    }));
  }
  await reload();
  edits = track("the notification template", form, values);

  const placeholderList = h("ul", { class: "placeholders" }, placeholders.placeholders.map((p) =>
    h("li", {},
      h("button", { type: "button", class: "link-button", disabled: !ctx.canChange,
        "aria-label": t("template.insert", { name: p.name }), onclick: () => insert(`{{ ${p.name} }}`) },
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
    heading(t("template.title")),
    h("p", { class: "lead" }, t("template.lead")),
    notificationRulesSection(ctx, rules),
    h("div", { class: "two-columns wide-right" },
      h("div", {}, form,
        h("section", { "aria-labelledby": "placeholders-title" },
          h("h2", { id: "placeholders-title" }, t("template.placeholders")),
          h("p", { class: "hint" }, t("template.placeholdersHint")),
          placeholderList)),
      h("section", { class: "panel", "aria-labelledby": "preview-title" },
        h("h2", { id: "preview-title" }, t("template.preview")), previewState,
        h("h3", {}, t("template.subject")), previewSubject,
        h("h3", {}, t("template.html")), previewFrame,
        h("h3", { id: "preview-text-title" }, t("template.text")), previewText,
        channels.element)),
    h("section", { "aria-labelledby": "versions-title" },
      h("h2", { id: "versions-title" }, t("template.versions")), versionsBox));
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
    smsSize.textContent = t("template.smsSize", { segments: num(s.sms.segments), maxSegments: num(s.sms.maxSegments),
      encoding: s.sms.encoding, characters: num(s.sms.characters), maxCharacters: num(s.sms.maxCharacters) });
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
    h("h3", { id: "channels-title" }, t("template.channels")),
    h("p", { class: "hint" }, t("template.channelsHint")),
    h("label", { for: "channel-sample" }, t("template.sample")), select,
    h("h4", { id: "channel-email-title" }, t("template.email")), emailSubject,
    h("p", { class: "visually-hidden", id: "channel-email-text-title" }, t("template.emailText")), emailText,
    h("h4", { id: "channel-sms-title" }, t("template.sms")),
    h("p", { class: "hint" }, t("template.smsHint")),
    smsSize, sms,
    h("h4", { id: "channel-voice-title" }, t("template.voice")),
    h("p", { class: "hint" }, t("template.voiceHint")), voice);
  return { element, show };
}

function versionsTable(versions, currentVersion, ctx, onRestore) {
  return table(t("template.versionsCaption"), [t("template.col.version"), t("template.col.by"),
    t("template.col.when"), t("template.col.note"), visuallyHidden(t("template.col.actions"))],
    versions.map((v) => h("tr", { dataset: { version: v.version } },
      h("th", { scope: "row" }, t("template.versionN", { version: v.version })),
      h("td", {}, v.author || "—"),
      h("td", {}, timeEl(v.savedAt)),
      h("td", {}, v.version === currentVersion ? h("strong", {}, t("template.currentMark")) : "",
        v.restoredFrom ? t("template.restoredFrom", { version: v.restoredFrom }) : ""),
      h("td", {}, v.version !== currentVersion ? h("button", { type: "button", disabled: !ctx.canChange,
        "aria-label": t("template.restoreN", { version: v.version }), onclick: () => onRestore(v.version) },
      t("template.restore")) : ""))),
    { empty: t("template.noVersion"), captionHidden: true });
}
