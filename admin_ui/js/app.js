// The admin page: a hash router over a few views, the signed-in user, focus management between views, and the
// question before unsaved edits are left (a link, Back, another view, closing the tab).
import { get, ApiError } from "./api.js";
import { h, append, announce, clear, heading } from "./dom.js";
import { languageSelector, startLanguage, t } from "./language.js";
import { confirmLeaving, forgetDetached, guardUnload, unsavedNames } from "./unsaved.js";
import { agentsView } from "./views/agents.js";
import { agentView } from "./views/agent.js";
import { templateView } from "./views/template.js";
import { escalationView } from "./views/escalation.js";
import { poolView } from "./views/pool.js";
import { setupView } from "./views/setup.js";
import { incidentsView, incidentView } from "./views/incidents.js";
import { auditView } from "./views/audit.js";
import { sitesView } from "./views/sites.js";
import { boardView } from "./views/board.js";
import { complianceView } from "./views/compliance.js";
import { drillsView } from "./views/drills.js";

const ROUTES = [
  [/^agents$/, () => agentsView, "agents"],
  [/^agents\/(.+)$/, (id) => (ctx) => agentView(ctx, id), "agents"],
  [/^sites$/, () => sitesView, "sites"],
  [/^template$/, () => templateView, "template"],
  [/^escalation$/, () => escalationView, "escalation"],
  [/^pool$/, () => poolView, "pool"],
  [/^setup$/, () => setupView, "setup"],
  [/^incidents$/, () => incidentsView, "incidents"],
  [/^incidents\/(.+)$/, (id) => (ctx) => incidentView(ctx, id), "incidents"],
  [/^audit$/, () => auditView, "audit"],
  [/^drills$/, () => drillsView, "drills"],
  [/^board$/, () => boardView, "board"],
  [/^compliance$/, () => complianceView, "compliance"],
];

const ctx = { me: null, canChange: false };
// The access (shared/auth.py Access) each view of the navigation needs; any other view needs "read".
const SECTION_ACCESS = { board: "board", incidents: "incidents", compliance: "incidents" };
let generation = 0;
let shown = null;  // the route (location.hash) of the view on screen
let leaving = false;  // the user chose to leave unsaved edits: the next route change goes through

async function start() {
  const main = document.getElementById("main");
  const language = startLanguage();  // read beside who is signed in, not after
  try {
    [ctx.me] = await Promise.all([get("manage/me"), language]);
  } catch (error) {
    await language;
    const signIn = error.status === 401
      ? h("p", {}, h("a", { href: "/.auth/login/aad?post_login_redirect_uri=/api/manage/ui/" }, t("app.signIn")))
      : null;
    clear(main).append(heading(error.status === 401 ? t("app.signInRequired") : t("app.notAllowed")),
      h("p", {}, error.message), signIn);
    return;
  }
  ctx.canChange = Boolean(ctx.me.can && ctx.me.can.change);
  showWho();
  // Only the views the user may open: a security-desk member sees the board alone, never a link to a refusal.
  document.querySelectorAll("#nav a[data-section]").forEach((a) => {
    if (!ctx.me.can[SECTION_ACCESS[a.dataset.section] ?? "read"]) a.parentElement.remove();
  });
  // The skip link moves focus, not the route (the router owns the URL's #/… part).
  document.querySelector(".skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    document.getElementById("main").focus();
  });
  languageSelector(document.getElementById("page-language"), {
    mayChange: async () => {
      const names = unsavedNames();
      return !names.length || confirmLeaving(names, t("unsaved.changeLanguage"));
    },
    changed: async () => {
      showWho();
      await route();
      document.getElementById("page-language").focus();  // the keyboard stays where the choice was made
    },
    failed: (error) => announce(t("app.languageNotLoaded", { message: error.message }), "error"),
  });
  guardUnload();
  document.addEventListener("click", askBeforeFollowing, true);
  window.addEventListener("hashchange", routeUnlessUnsaved);
  route();
}

/** Who is signed in, with her roles (the role names are the app roles', as Entra lists them). */
function showWho() {
  const role = ctx.me.roles.map((r) => r.replace("EmergencyCalling.", "")).join(", ") || t("app.noRole");
  append(clear(document.getElementById("who")), [
    h("span", {}, t("app.signedInAs")), h("strong", {}, ctx.me.name), ` (${role})`,
    ctx.canChange ? null : h("span", { class: "badge badge-readonly" }, t("app.readOnly"))]);
}

/** A link to another view while a form holds unsaved edits: ask first, follow it only if the user leaves them. */
async function askBeforeFollowing(event) {
  const link = event.target instanceof Element ? event.target.closest("a[href^='#/']") : null;
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const target = link.getAttribute("href");
  const names = unsavedNames();
  if (target === location.hash || !names.length) return;
  event.preventDefault();
  if (await confirmLeaving(names)) leaveFor(target);
}

/** Back, Forward or a typed address while a form holds unsaved edits: stay, ask, then go only if the user leaves. */
async function routeUnlessUnsaved() {
  const target = location.hash;
  const names = leaving || target === shown ? [] : unsavedNames();
  if (!names.length) {
    leaving = false;
    route();
    return;
  }
  history.replaceState(null, "", `${location.pathname}${location.search}${shown || ""}`);
  if (await confirmLeaving(names)) leaveFor(target);
}

function leaveFor(target) {
  leaving = true;
  location.hash = target;
}

async function route() {
  if (location.hash && !location.hash.startsWith("#/")) return;  // an in-page anchor, not a view
  const home = ctx.me.can.read ? "agents" : "board";  // a security-desk member's page is the board
  shown = location.hash;
  const path = decodeURIComponent(location.hash.replace(/^#\/?/, "")) || home;
  const match = ROUTES.map(([re, make, section]) => [path.match(re), make, section]).find(([m]) => m);
  if (!match) { location.hash = `#/${home}`; return; }
  const [m, make, section] = match;
  document.querySelectorAll("#nav a").forEach((a) =>
    a.dataset.section === section ? a.setAttribute("aria-current", "page") : a.removeAttribute("aria-current"));
  const main = document.getElementById("main");
  const mine = ++generation;
  main.setAttribute("aria-busy", "true");
  try {
    const view = await make(...m.slice(1))(ctx);
    if (mine !== generation) return;  // the user moved on while this view was loading
    clear(main).append(view);
    forgetDetached();
  } catch (error) {
    if (mine !== generation) return;
    clear(main).append(heading(t("app.failed")),
      h("p", { role: "alert" }, error instanceof ApiError ? error.message : String(error)));
  } finally {
    main.removeAttribute("aria-busy");
  }
  const title = main.querySelector("h1");
  document.title = `${title ? title.textContent + " · " : ""}${t("page.title")}`;
  (title || main).focus();
}

start();
