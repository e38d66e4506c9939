// The admin page: a hash router over a few views, the signed-in user, and focus management between views.
import { get, ApiError } from "./api.js";
import { h, append, clear, heading } from "./dom.js";
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
let generation = 0;

async function start() {
  const main = document.getElementById("main");
  try {
    ctx.me = await get("manage/me");
  } catch (error) {
    const signIn = error.status === 401
      ? h("p", {}, h("a", { href: "/.auth/login/aad?post_login_redirect_uri=/api/manage/ui/" }, "Sign in"))
      : null;
    clear(main).append(heading(error.status === 401 ? "Sign in required" : "Not allowed"),
      h("p", {}, error.message), signIn);
    return;
  }
  ctx.canChange = Boolean(ctx.me.can && ctx.me.can.change);
  const role = ctx.me.roles.map((r) => r.replace("EmergencyCalling.", "")).join(", ") || "no role";
  append(document.getElementById("who"), [
    h("span", {}, "Signed in as "), h("strong", {}, ctx.me.name), ` (${role})`,
    ctx.canChange ? null : h("span", { class: "badge badge-readonly" }, "Read-only")]);
  if (!ctx.me.can.incidents) document.querySelector('[data-section="incidents"]').parentElement.remove();
  if (!ctx.me.can.incidents) document.querySelector('[data-section="compliance"]').parentElement.remove();
  // The skip link moves focus, not the route (the router owns the URL's #/… part).
  document.querySelector(".skip-link").addEventListener("click", (e) => {
    e.preventDefault();
    document.getElementById("main").focus();
  });
  window.addEventListener("hashchange", route);
  route();
}

async function route() {
  if (location.hash && !location.hash.startsWith("#/")) return;  // an in-page anchor, not a view
  const home = ctx.me.can.read ? "agents" : "board";  // a security-desk member's page is the board
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
  } catch (error) {
    if (mine !== generation) return;
    clear(main).append(heading("Something went wrong"),
      h("p", { role: "alert" }, error instanceof ApiError ? error.message : String(error)));
  } finally {
    main.removeAttribute("aria-busy");
  }
  const title = main.querySelector("h1");
  document.title = `${title ? title.textContent + " · " : ""}Emergency calling administration`;
  (title || main).focus();
}

start();
