"""The admin page: static assets from admin_ui/ under /api/manage/ui/, and the small endpoints only the page needs.

Assets are files of this repository (no CDN, no build step). Only known file types inside admin_ui/ are served; any
path segment that is empty, hidden or '..' is refused before the file system is touched.
"""

from __future__ import annotations

import re
from pathlib import Path

import azure.functions as func

from functions._auth import authorized, check
from shared.auth import Access
from shared.domain import notification_context
from shared.errors import AppError

bp = func.Blueprint()

ASSETS = Path(__file__).resolve().parents[1] / "admin_ui"
# Third-party browser files served as admin assets, each from its npm package (package.json pins the version):
# Chart.js draws the compliance page's charts (a UMD build: one classic script, no eval, no inline script).
VENDOR = {"vendor/chart.umd.min.js": ASSETS.parent / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"}
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
                 ".ico": "image/x-icon", ".json": "application/json; charset=utf-8"}
# Modules both pages share (ui_common/: how time is shown, the message catalogues' loader), served under common/.
COMMON = ASSETS.parent / "ui_common"
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}$")
# The preview iframe is sandboxed (no scripts) and inherits this policy: the page loads nothing from elsewhere.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "DENY", "Cache-Control": "no-cache",
                    "Strict-Transport-Security": "max-age=31536000"}


def resolve_asset(path: str, root: Path = ASSETS) -> Path | None:
    """The file under `root` that `path` names ('' is index.html; common/… is ui_common/…), or None if it is not a
    servable asset."""
    parts = (path.strip("/") or "index.html").split("/")
    if parts[0] == "common" and len(parts) > 1:
        root, parts = COMMON, parts[1:]
    if any(not _SEGMENT.match(p) or ".." in p for p in parts):
        return None
    base = root.resolve()
    candidate = base.joinpath(*parts).resolve()
    if not candidate.is_relative_to(base) or candidate.suffix not in CONTENT_TYPES or not candidate.is_file():
        return None
    return candidate


def vendor_asset(path: str) -> Path | None:
    """The installed file of a VENDOR path, or None (another path, or the package is not installed)."""
    found = VENDOR.get(path.strip("/"))
    return found if found is not None and found.is_file() else None


@bp.function_name("manage_ui")
@bp.route(route="manage/ui/{*path}", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_ui(req: func.HttpRequest) -> func.HttpResponse:
    """The page for users with the Admin, Auditor or SecurityDesk role (a desk member sees only the emergency board:
    every other API answers her 403); 401/403 as a short page that says what is missing."""
    path = req.route_params.get("path") or ""
    try:
        check(req, Access.BOARD)
    except AppError as exc:
        return _refusal(exc)
    found = vendor_asset(path) or resolve_asset(path)
    if found is None:
        return func.HttpResponse("not found", status_code=404, mimetype="text/plain", headers=SECURITY_HEADERS)
    headers = dict(SECURITY_HEADERS)
    if found.suffix == ".html":
        headers["Content-Security-Policy"] = CSP
    return func.HttpResponse(found.read_bytes(), status_code=200, headers=headers | {
        "Content-Type": CONTENT_TYPES[found.suffix]})


@bp.function_name("manage_me")
@bp.route(route="manage/me", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_me(req: func.HttpRequest) -> func.HttpResponse:
    """The signed-in user, their roles and what they may do (the page hides what they may not)."""
    return authorized(req, Access.BOARD, lambda who: who.view())


@bp.function_name("manage_template_placeholders")
@bp.route(route="manage/template-placeholders", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def manage_template_placeholders(req: func.HttpRequest) -> func.HttpResponse:
    """The placeholders the notification template may use, with what each one holds."""
    return authorized(req, Access.READ, lambda _: {"placeholders": [
        {"name": name, "description": text} for name, text in notification_context.PLACEHOLDERS.items()]})


def _refusal(exc: AppError) -> func.HttpResponse:
    title = "Sign in required" if exc.status == 401 else "Not allowed"
    hint = ('<p><a href="/.auth/login/aad?post_login_redirect_uri=/api/manage/ui/">Sign in</a></p>'
            if exc.status == 401 else "<p>Ask an administrator for the app role EmergencyCalling.Admin, "
            "EmergencyCalling.Auditor or, for the emergency board only, EmergencyCalling.SecurityDesk.</p>")
    body = (f"<!doctype html><html lang=en><meta charset=utf-8><title>{title}</title>"
            f"<main><h1>{title}</h1>{hint}</main></html>")
    return func.HttpResponse(body, status_code=exc.status, headers=SECURITY_HEADERS | {
        "Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP})
