// Sites: the contact center's buildings, the address an agent reads to the emergency operator, the places inside and
// the networks that suggest the site; an admin creates, edits and deletes them (a site an agent confirmed stays).
import { get, del, enc } from "../api.js";
import { h, heading, announce, table, visuallyHidden } from "../dom.js";
import { siteForm } from "./site_form.js";
import { confirmLeaving } from "../unsaved.js";
import { t } from "../language.js";

export async function sitesView(ctx) {
  let sites = [];
  const listBox = h("div");
  const editorBox = h("section", { class: "panel", "aria-labelledby": "site-editor-title", hidden: true });
  const newButton = h("button", { type: "button", class: "primary", onclick: () => openEditor(null) }, t("sites.new"));
  let editing = null;  // the site ID the editor shows
  let editor = null;  // the editor open, if any
  const dialog = deleteDialog(async (siteId) => {
    await render();
    if (editing === siteId) closeEditor(null);
    newButton.focus();
  });

  async function render() {
    sites = (await get("manage/sites")).sites;
    const headers = [t("sites.col.site"), t("sites.col.address"), t("sites.col.places"), t("sites.col.desk"),
      t("sites.col.networks"), ...(ctx.canChange ? [visuallyHidden(t("sites.col.actions"))] : [])];
    listBox.replaceChildren(table(t("sites.caption"), headers,
      sites.map((s) => siteRow(ctx, s, { edit: openEditor, remove: dialog.open })),
      { empty: t("sites.empty"), captionHidden: true }));
  }

  async function openEditor(site) {
    // Another site (or a new one) while this one has unsaved changes: ask first.
    if (editor && editor.dirty() && !(await confirmLeaving([editor.name], t("sites.openAnother")))) return;
    editor = siteForm(site, {
      taken: (id) => sites.find((s) => s.siteId === id),
      onSaved: async (saved, done) => {
        editing = saved.siteId;
        await render();
        if (!done) return;  // its networks were refused: the editor stays, the message beside them
        closeEditor(saved.siteId);
        announce(t("sites.saved", { name: saved.name, readout: saved.readout }));
      },
      onCancel: async () => {
        if (editor.dirty() && !(await confirmLeaving([editor.name], t("sites.closeEditor")))) return;
        closeEditor(editing);
      },
    });
    editing = site?.siteId ?? null;
    editorBox.replaceChildren(editor.element);
    editorBox.hidden = false;
    editor.focus();
  }

  function closeEditor(siteId) {
    editing = null;
    editor = null;
    editorBox.hidden = true;
    editorBox.replaceChildren();
    const edit = siteId && listBox.querySelector(`tr[data-site="${CSS.escape(siteId)}"] button`);
    (edit || newButton).focus();
  }

  await render();
  return h("section", {},
    heading(t("sites.title")),
    h("p", { class: "lead" }, t("sites.lead")),
    ctx.canChange ? h("div", { class: "actions" }, newButton) : null,
    listBox, ctx.canChange ? editorBox : null, ctx.canChange ? dialog.element : null);
}

function siteRow(ctx, s, { edit, remove }) {
  return h("tr", { dataset: { site: s.siteId } },
    h("th", { scope: "row" }, s.name, h("div", { class: "muted" }, s.siteId)),
    h("td", {}, s.readout),
    h("td", {}, s.places.length ? h("ul", { class: "compact" }, s.places.map((p) => h("li", {}, placeLabel(p))))
      : h("span", { class: "muted" }, t("sites.none"))),
    h("td", {}, deskCell(s)),
    h("td", {}, s.networks.length ? h("ul", { class: "compact" }, s.networks.map((n) => h("li", {}, h("code", {}, n))))
      : h("span", { class: "muted" }, t("sites.noNetworks"))),
    ctx.canChange ? h("td", { class: "row-actions" },
      h("button", { type: "button", "aria-label": t("sites.editName", { name: s.name }), onclick: () => edit(s) },
        t("sites.edit")),
      h("button", { type: "button", "aria-label": t("sites.deleteName", { name: s.name }), onclick: () => remove(s) },
        t("sites.delete"))) : null);
}

/** The security desk's email addresses and mobile numbers (SMS), or what having neither means. */
function deskCell(s) {
  const emails = s.deskEmails || [];
  const mobiles = s.deskSms || [];
  if (!emails.length && !mobiles.length) {
    return h("span", { class: "muted" }, t("sites.noDesk"));
  }
  return h("ul", { class: "compact" },
    emails.map((e) => h("li", { dataset: { desk: "email" } }, e)),
    mobiles.map((n) => h("li", { dataset: { desk: "sms" } }, t("sites.sms"), n)));
}

/** "Floor 3, North wing, room 301", as the agent's panel words a place. */
function placeLabel(p) {
  const text = [p.floor && t("sites.place.floor", { floor: p.floor }),
    p.wing && t("sites.place.wing", { wing: p.wing }),
    p.room && t("sites.place.room", { room: p.room })]
    .filter(Boolean).join(", ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A modal dialog asking to confirm a deletion; a refusal (409: agents confirmed the site) is shown in it. */
function deleteDialog(onDeleted) {
  let site = null;
  let opener = null;
  const question = h("h2", { id: "delete-site-title" });
  const error = h("div", { class: "form-error", id: "delete-site-error" });
  const confirm = h("button", { type: "button", class: "danger", onclick: remove });
  const cancel = h("button", { type: "button", onclick: () => element.close() }, t("dialog.cancel"));
  const element = h("dialog", { class: "confirm", "aria-labelledby": "delete-site-title",
    "aria-describedby": "delete-site-what delete-site-error" },
  question,
  h("p", { id: "delete-site-what" }, t("sites.deleteWhat")),
  error,
  h("div", { class: "actions" }, confirm, cancel));
  element.addEventListener("close", () => opener?.isConnected && opener.focus());

  async function remove() {
    error.replaceChildren();
    error.removeAttribute("role");
    try {
      await del(`manage/sites/${enc(site.siteId)}`);
    } catch (e) {
      error.append(h("p", {}, t("sites.notDeleted", { message: e.message })));
      error.setAttribute("role", "alert");  // read out from the dialog: the page behind it is inert
      return;
    }
    opener = null;
    element.close();
    await onDeleted(site.siteId);
    announce(t("sites.deleted", { name: site.name }));
  }

  return {
    element,
    open: (s) => {
      site = s;
      opener = document.activeElement;
      question.textContent = t("sites.deleteTitle", { name: s.name });
      confirm.textContent = t("sites.deleteConfirm", { name: s.name });
      error.replaceChildren();
      error.removeAttribute("role");
      element.showModal();
      cancel.focus();  // the safe choice first: the deletion cannot be undone
    },
  };
}
