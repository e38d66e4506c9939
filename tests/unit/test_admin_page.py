"""The admin page's static assets: only files of admin_ui/, with their content types, for Admin or Auditor."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import azure.functions as func
import pytest

from functions import admin_page
from functions.admin_page import ASSETS, resolve_asset
from local.host.principal import principal_headers
from shared.config import Settings
from shared.container import configure, reset

ADMIN = principal_headers({"userId": "u-1", "userDetails": "admin@example.com", "roles": ["EmergencyCalling.Admin"]})
NOBODY_S_ROLE = principal_headers({"userId": "u-2", "userDetails": "agent@example.com", "roles": []})


@pytest.fixture(autouse=True)
def _headers_from_the_local_host() -> Iterator[None]:
    """The principal headers below stand for what the local host writes: the app believes them on this setting."""
    configure(settings=Settings.from_env({"PRINCIPAL_HEADERS_TRUSTED": "local-host"}))
    yield
    reset()


def serve(path: str, headers: dict[str, str]) -> func.HttpResponse:
    app = func.FunctionApp()
    app.register_functions(admin_page.bp)
    ui = next(f for f in app.get_functions() if f.get_function_name() == "manage_ui").get_user_function()
    return ui(req=func.HttpRequest("GET", f"http://127.0.0.1/api/manage/ui/{path}", headers=headers,
                                   route_params={"path": path}, body=b""))


@pytest.mark.parametrize("path, name", [("", "index.html"), ("index.html", "index.html"), ("app.css", "app.css"),
                                        ("js/app.js", "js/app.js"), ("js/views/agent.js", "js/views/agent.js")])
def test_assets_resolve_inside_the_folder(path: str, name: str) -> None:
    assert resolve_asset(path) == (ASSETS / name).resolve()


@pytest.mark.parametrize("root", [ASSETS, ASSETS.parent / "agent_ui"])
def test_both_pages_serve_the_shared_modules_under_common(root: Path) -> None:
    assert resolve_asset("common/time.js", root) == (ASSETS.parent / "ui_common" / "time.js").resolve()
    assert resolve_asset("common/i18n.js", root) == (ASSETS.parent / "ui_common" / "i18n.js").resolve()
    for outside in ("common/../function_app.py", "common", "common/", "common/missing.js",
                    "common/../admin_ui/app.css"):
        assert resolve_asset(outside, root) is None, outside


@pytest.mark.parametrize("path", ["../function_app.py", "js/../../shared/config.py", "..", "/etc/passwd",
                                  "js//app.js", ".hidden", "js\\app.js", "index.html\x00.js", "%2e%2e/README.md",
                                  "missing.js", "js"])
def test_anything_else_is_not_an_asset(path: str) -> None:
    assert resolve_asset(path) is None


def test_a_symlink_out_of_the_folder_is_not_followed(tmp_path: Path) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "secret.js").write_text("secret")
    (tmp_path / "ui" / "link.js").symlink_to(tmp_path / "secret.js")
    assert resolve_asset("link.js", tmp_path / "ui") is None


@pytest.mark.parametrize("path, content_type", [("", "text/html; charset=utf-8"),
                                                ("js/app.js", "text/javascript; charset=utf-8"),
                                                ("app.css", "text/css; charset=utf-8"),
                                                ("favicon.svg", "image/svg+xml")])
def test_the_page_is_served_with_its_content_type_and_security_headers(path: str, content_type: str) -> None:
    answer = serve(path, ADMIN)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == content_type
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    if path == "":
        assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_the_page_needs_a_signed_in_user_with_a_role() -> None:
    assert serve("", {}).status_code == 401
    assert serve("", NOBODY_S_ROLE).status_code == 403
    assert serve("../function_app.py", ADMIN).status_code == 404
