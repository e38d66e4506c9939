"""Issue 9, item 8: least privilege in infra/, checked offline on the Bicep itself. Each identity holds only the role
it needs on the narrowest scope; local (key) auth is off where the app uses its managed identity; App Service
Authentication requires sign-in except where function keys and Event Grid reach; each remaining exception is
documented in infra/README.md ("Least privilege")."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import azure.functions as func
import pytest

import functions
from tests.infra.test_bicep import INFRA, MODULES, Bicep, azure_app_settings, parsed

OWNER_ROLES = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "09976791-48a7-449e-bb21-39d1a415f350": "Communication and Email Service Owner",
}
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
README = (INFRA / "README.md").read_text()


def roles() -> Bicep:
    return Bicep(MODULES / "roles.bicep", {"appContainerNames": main_app_container_names(),
                                           "topicPrincipalIds": ["topic-1", "topic-2"],
                                           "appPrincipalId": "app", "deadLetterContainerName": "deadletters"})


def main_app_container_names() -> list[str]:
    main = Bicep(INFRA / "main.bicep")
    return main.eval(parsed(INFRA / "main.bicep")["modules"]["roles"]["config"]["params"]["appContainerNames"], {})


def assignments() -> dict[str, dict[str, Any]]:
    """Each role assignment of roles.bicep: scope (the symbolic resource), role id (or the custom role), principal."""
    bicep = roles()
    found = {}
    for name, resource in bicep.doc["resources"].items():
        if resource["type"] != "Microsoft.Authorization/roleAssignments":
            continue
        node = resource["config"]
        bodies = ([(node["config"], scope) for scope in bicep.loop(node, {})] if "loop_type" in node
                  else [(node, {})])
        for i, (body, scope) in enumerate(bodies):
            scope_node = body["scope"]
            if isinstance(scope_node, dict):  # appContainers[i]
                operands = scope_node["operator"]["operands"]
                scope_name = f"{operands['operand_1']}[{bicep.eval(operands['operand_2'], scope)}]"
            else:
                scope_name = scope_node
            role = body["properties"]["roleDefinitionId"]
            found[f"{name}[{i}]"] = {"scope": scope_name, "role": _role_id(bicep, role, scope),
                                     "principal": bicep.eval(body["properties"]["principalId"], scope)}
    return found


def _role_id(bicep: Bicep, role: Any, scope: dict[str, Any]) -> str:
    if isinstance(role, dict) and "operator" in role:  # acsSenderRole.id
        return "custom:" + role["operator"]["operands"]["operand_1"]
    return str(bicep.eval(role["function"]["parameters"]["resource_name_1"], scope))


# ---- local (key) authentication off ----------------------------------------------------------------------------

def test_acs_refuses_its_access_key() -> None:
    acs = parsed(MODULES / "communication.bicep")["resources"]["acs"]
    assert acs["config"]["properties"]["disableLocalAuth"] is True
    assert acs["api_version"] >= "2025-05-01", "disableLocalAuth needs API version 2025-05-01"
    assert "ACS_CONNECTION_STRING" not in azure_app_settings() and "ACS_ENDPOINT" in azure_app_settings()


def test_application_insights_and_the_workspace_refuse_keys() -> None:
    resources = parsed(MODULES / "monitoring.bicep")["resources"]
    assert resources["appInsights"]["config"]["properties"]["DisableLocalAuth"] is True
    assert resources["workspace"]["config"]["properties"]["features"]["disableLocalAuth"] is True


def test_the_app_sends_telemetry_with_its_identity() -> None:
    assert azure_app_settings()["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "Authorization=AAD"
    publishers = [a for a in assignments().values() if a["role"] == MONITORING_METRICS_PUBLISHER]
    assert publishers == [{"scope": "appInsights", "role": MONITORING_METRICS_PUBLISHER, "principal": "app"}]


def test_storage_and_the_topic_take_no_keys() -> None:
    storage = parsed(MODULES / "storage.bicep")["resources"]["storage"]["config"]["properties"]
    assert storage["allowSharedKeyAccess"] is False and storage["allowBlobPublicAccess"] is False
    assert azure_app_settings()["EVENTGRID_TOPIC_KEY"] == ""


# ---- roles on the narrowest scope -----------------------------------------------------------------------------

def test_no_identity_holds_an_owner_role_or_any_role_on_the_whole_storage_account() -> None:
    found = assignments()
    assert found
    assert not [n for n, a in found.items() if a["role"] in OWNER_ROLES], found
    assert not [n for n, a in found.items() if a["scope"] == "storage"], found


def test_the_app_s_blob_access_is_its_deployment_and_host_containers_only() -> None:
    names = main_app_container_names()
    assert names == ["app-package", "azure-webjobs-hosts", "azure-webjobs-secrets"]
    blob = [a for a in assignments().values() if a["principal"] == "app" and a["scope"].startswith("appContainers")]
    assert [a["scope"] for a in blob] == [f"appContainers[{i}]" for i in range(len(names))]
    storage = parsed(MODULES / "storage.bicep")["resources"]
    assert storage["hostContainers"]["config"]["loop_type"]["detail"]["array_name"] == "hostContainerNames"
    deployment = Bicep(MODULES / "functionapp.bicep", {"deploymentContainerName": "app-package"})
    value = deployment.resource("site")["config"]["properties"]["functionAppConfig"]["deployment"]["storage"]["value"]
    assert value.endswith("${deploymentContainerName}")


def test_the_app_s_tables_role_is_on_the_table_service() -> None:
    tables = [a for a in assignments().values() if a["role"] == "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"]
    assert tables == [{"scope": "tableService", "role": "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", "principal": "app"}]
    service = parsed(MODULES / "roles.bicep")["resources"]["tableService"]
    assert service["type"] == "Microsoft.Storage/storageAccounts/tableServices" and service["existing"] is True


def test_the_app_s_acs_role_sends_but_cannot_read_keys_or_delete() -> None:
    role = parsed(MODULES / "roles.bicep")["resources"]["acsSenderRole"]["config"]["properties"]
    actions = [a.lower() for p in role["permissions"] for a in p["actions"]]
    assert actions and not [a for a in actions if "*" in a or "listkeys" in a or "regeneratekey" in a
                            or a.endswith("/delete") or "roleassignments" in a]
    assert all(a.startswith("microsoft.communication/") for a in actions)
    acs = [a for a in assignments().values() if a["scope"] == "acs"]
    assert acs == [{"scope": "acs", "role": "custom:acsSenderRole", "principal": "app"}]


def test_topics_write_dead_letters_to_their_container_only() -> None:
    topics = [a for a in assignments().values() if a["principal"] in ("topic-1", "topic-2")]
    assert len(topics) == 2 and {a["scope"] for a in topics} == {"deadLetterContainer"}


# ---- App Service Authentication: sign-in required, except where keys and Event Grid reach --------------------

def http_routes() -> list[tuple[str, str]]:
    """(path, auth level) of every HTTP function in functions/."""
    app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
    for info in pkgutil.iter_modules(functions.__path__):
        blueprint = getattr(importlib.import_module(f"functions.{info.name}"), "bp", None)
        if blueprint is not None:
            app.register_functions(blueprint)
    routes = []
    for function in app.get_functions():
        trigger = function.get_trigger().get_dict_repr()
        if trigger.get("type") == "httpTrigger":
            level = str(trigger.get("authLevel") or "function").lower().rsplit(".", 1)[-1]
            routes.append(("/api/" + re.sub(r"\{[^}]*\}", "x", str(trigger["route"])), level))
    return routes


def excluded(path: str, patterns: list[str]) -> bool:
    return any(path == p or (p.endswith("/*") and path.startswith(p[:-1])) for p in patterns)


def auth_settings() -> dict[str, Any]:
    bicep = Bicep(MODULES / "functionapp.bicep", {"authClientId": "client"})
    return bicep.eval(bicep.resource("authSettings")["config"]["properties"], {})


def test_sign_in_is_required_and_forged_headers_are_believed_only_behind_it() -> None:
    settings = auth_settings()
    assert settings["platform"]["enabled"] is True
    validation = settings["globalValidation"]
    assert validation["requireAuthentication"] is True
    assert validation["unauthenticatedClientAction"] == "RedirectToLoginPage"
    assert azure_app_settings()["PRINCIPAL_HEADERS_TRUSTED"] == "app-service-authentication"


# The token in the path is the capability (functions/acknowledge.py); Call Automation's callbacks carry ACS's JWT,
# checked by the app (functions/voice_alerts.py).
CAPABILITY_ROUTES = ("/api/ack/", "/api/voice/events/")
# The API description holds no secret: anyone who integrates reads it without a sign-in (functions/openapi.py).
PUBLIC_ROUTES = ("/api/openapi.json",)


def test_only_function_key_apis_and_the_event_grid_webhook_skip_sign_in() -> None:
    patterns = auth_settings()["globalValidation"]["excludedPaths"]
    assert "/runtime/webhooks/EventGrid" in patterns
    routes = http_routes()
    keyed = [path for path, level in routes if level == "function"]
    assert keyed, routes
    assert [p for p in keyed if not excluded(p, patterns)] == [], "function-key routes redirected to sign-in"
    capabilities = [path for path, level in routes if level != "function" and path.startswith(CAPABILITY_ROUTES)]
    assert capabilities and [p for p in capabilities if not excluded(p, patterns)] == [], \
        "an acknowledgement link must open without a sign-in (a guard may have no account)"
    public = [path for path, level in routes if level != "function" and path in PUBLIC_ROUTES]
    assert sorted(public) == sorted(PUBLIC_ROUTES) and all(excluded(p, patterns) for p in public), \
        "the API description must open without a sign-in"
    pages = [path for path, level in routes if level != "function" and not path.startswith(CAPABILITY_ROUTES)
             and path not in PUBLIC_ROUTES]
    # The sign-in pages: the admin API and page, and the agent's panel (/api/agent/, not the keyed /api/agents/).
    assert pages and all(p.startswith(("/api/manage/", "/api/agent/")) for p in pages)
    assert [p for p in pages if excluded(p, patterns)] == [], "admin and agent-panel routes must require sign-in"
    assert not [p for p in patterns if p.startswith(("/api/manage", "/api/agent/")) or p in ("/*", "/api/*", "/")]



# Admin routes are no capability routes: the escalation policy's restore needs sign-in and the Admin role, as its PUT
# (functions/escalation.py answers both through `authorized` with Access.CHANGE).
ADMIN_CHANGE_ROUTES = ("/api/manage/escalation-policy", "/api/manage/escalation-policy/restore")


def test_the_escalation_policy_s_restore_route_needs_sign_in_as_its_put_does() -> None:
    patterns = auth_settings()["globalValidation"]["excludedPaths"]
    routes = dict(http_routes())
    for path in ADMIN_CHANGE_ROUTES:
        assert routes.get(path) == "anonymous", f"{path}: not an HTTP route of its own, or keyed"
        assert not excluded(path, patterns) and not path.startswith(CAPABILITY_ROUTES), path

# ---- every remaining exception is documented --------------------------------------------------------------------

def test_storage_network_exception_is_suppressed_with_its_reason_and_documented() -> None:
    acls = parsed(MODULES / "storage.bicep")["resources"]["storage"]["config"]["properties"]["networkAcls"]
    if acls["defaultAction"] == "Deny":
        return
    text = (MODULES / "storage.bicep").read_text()
    assert "checkov:skip=CKV_AZURE_35:Exception" in text
    assert "## Least privilege" in README
    section = README.split("## Least privilege", 1)[1].split("\n## ", 1)[0]
    for topic in ("network", "VNet", "custom ACS role", "excludedPaths", "Queue"):
        assert topic in section, f"infra/README.md Least privilege does not explain {topic}"


@pytest.mark.parametrize("role", ["Storage Blob Data Owner", "Communication and Email Service Owner",
                                  "Storage Queue Data Contributor"])
def test_the_roles_table_no_longer_lists_removed_roles(role: str) -> None:
    roles_table = README.split("## Roles", 1)[1].split("\n## ", 1)[0]
    assert f"| {role} |" not in roles_table
