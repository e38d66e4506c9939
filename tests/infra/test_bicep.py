"""Offline checks of infra/: every Bicep file parses (pycep), checkov finds nothing, and the Bicep keeps the code's
contracts: the app settings of shared/config.py and the subscriptions of shared/event_subscriptions.json.

The Bicep compiler needs a download this machine cannot make, so the checks that matter most evaluate the Bicep
expressions themselves, with a small evaluator of pycep's syntax tree (the subset infra/ uses), against the real
JSON file and sample parameters.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

try:
    from pycep import BicepParser
except ImportError as exc:  # pragma: no cover - a setup error, said plainly
    raise ImportError("pycep-parser is missing: .venv/bin/pip install -r requirements-infra.txt") from exc

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MODULES = INFRA / "modules"
SUBSCRIPTIONS_FILE = ROOT / "shared" / "event_subscriptions.json"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
INCOMING_CALL = "Microsoft.Communication.IncomingCall"
FILTER_VALUES_LIMIT = 25  # Event Grid: at most 25 advanced-filter values per event subscription


# ---- parsing and evaluating Bicep ----------------------------------------------------------------------------

@cache
def parsed(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


class Bicep:
    """Evaluates pycep expression trees of one file: literals, parameters, variables, loops, the operators and
    functions infra/ uses. Names pycep leaves as bare strings resolve to scope, then parameters, then variables."""

    def __init__(self, path: Path, params: dict[str, Any] | None = None) -> None:
        self.path = path
        self.doc = parsed(path)
        self.params = {name: p.get("default") for name, p in self.doc.get("parameters", {}).items()}
        self.params.update(params or {})

    def var(self, name: str) -> Any:
        return self.eval(self.doc["variables"][name]["value"], {})

    def resource(self, name: str) -> dict[str, Any]:
        return self.doc["resources"][name]

    def eval(self, node: Any, scope: dict[str, Any]) -> Any:
        if isinstance(node, str):
            return self._name(node, scope)
        if isinstance(node, list):
            return [self.eval(item, scope) for item in node]
        if not isinstance(node, dict):
            return node
        if set(node) == {"operator"} and isinstance(node["operator"], dict):
            return self._operator(node["operator"], scope)
        if set(node) == {"function"} and isinstance(node["function"], dict):
            return self._function(node["function"], scope)
        if "loop_type" in node:
            return [self.eval(node["config"], {**scope, **binding}) for binding in self.loop(node, scope)]
        return {key: self.eval(value, scope) for key, value in node.items()}

    def loop(self, node: dict[str, Any], scope: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The variable bindings of each iteration of a for-expression."""
        kind, detail = node["loop_type"]["type"], node["loop_type"]["detail"]
        if kind == "range":
            start, count = self.eval(detail["start_index"], scope), self.eval(detail["count"], scope)
            yield from ({detail["index_name"]: i} for i in range(start, start + count))
        elif kind == "array_index":  # for (item, i) in array
            items = self.eval(detail["array_name"], scope)
            yield from ({detail["item_name"]: item, detail["index_name"]: i} for i, item in enumerate(items))
        else:
            yield from ({detail["item_name"]: item} for item in self.eval(detail["array_name"], scope))

    def _name(self, text: str, scope: dict[str, Any]) -> Any:
        for names in (scope, self.params):
            if text in names:
                return names[text]
        if text in self.doc.get("variables", {}):
            return self.var(text)
        return re.sub(r"\$\{([^}]+)\}", lambda m: self._interpolate(m.group(1), scope, m.group(0)), text)

    def _interpolate(self, expression: str, scope: dict[str, Any], original: str) -> str:
        value = self.eval(parsed_expression(expression), scope)
        return original if value is None or value == expression.split(".")[0] else str(value)

    def _operator(self, op: dict[str, Any], scope: dict[str, Any]) -> Any:
        kind, operands = op["type"], op["operands"]
        if kind == "property_accessor":  # pycep nests a.b.c as a.(b.c): walk the chain
            value = self.eval(operands["operand_1"], scope)
            for key in accessor_chain(operands["operand_2"]):
                value = value.get(key) if isinstance(value, dict) else None
            return value
        if kind == "conditional":
            branch = "true_value" if self.eval(operands["condition"], scope) else "false_value"
            return self.eval(operands[branch], scope)
        if kind == "coalesce":
            first = self.eval(operands["operand_1"], scope)
            return first if first is not None else self.eval(operands["operand_2"], scope)
        if kind == "not":
            return not self.eval(operands["bool_value"], scope)
        a, b = (self.eval(operands[k], scope) for k in ("operand_1", "operand_2"))
        return BINARY[kind](a, b)

    def _function(self, fn: dict[str, Any], scope: dict[str, Any]) -> Any:
        kind, params = fn["type"], fn["parameters"]
        if kind == "load_json_content":
            return json.loads((self.path.parent / params["file_path"]).read_text())
        if kind == "filter":
            items = self.eval(params["input_array"], scope)
            name = params["input_element"]
            return [item for item in items if self.eval(params["expression"], {**scope, name: item})]
        args = {key: self.eval(value, scope) for key, value in params.items()}
        return FUNCTIONS[kind](args)


@cache
def parsed_expression(expression: str) -> Any:
    """The tree of an interpolated expression (pycep leaves '${...}' as text)."""
    return BicepParser().parse(text=f"var x = {expression}\n")["variables"]["x"]["value"]


def accessor_chain(node: Any) -> list[str]:
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        return [*accessor_chain(operands["operand_1"]), *accessor_chain(operands["operand_2"])]
    return [node]


BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "add": lambda a, b: a + b, "substract": lambda a, b: a - b, "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a // b, "modulo": lambda a, b: a % b, "and": lambda a, b: a and b,
    "or": lambda a, b: a or b, "equals": lambda a, b: a == b, "not_equals": lambda a, b: a != b,
    "greater_than": lambda a, b: a > b, "greater_than_or_equals": lambda a, b: a >= b,
    "less_than": lambda a, b: a < b, "less_than_or_equals": lambda a, b: a <= b,
    "index_accessor": lambda a, b: a[b],
}
FUNCTIONS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "take": lambda p: p["original_value"][: p["number_to_take"]],
    "skip": lambda p: p["original_value"][p["number_to_skip"]:],
    "length": lambda p: len(p["arg_1"]),
    "max": lambda p: max(p.values()),
    "min": lambda p: min(p.values()),
    "concat": lambda p: [item for value in p.values() for item in value],
    "contains": lambda p: p["item_to_find"] in p["container"],
    "empty": lambda p: not p["item_to_test"],
    "string": lambda p: str(p["value_to_convert"]),
}


def subscriptions_file() -> dict[str, list[dict[str, Any]]]:
    return json.loads(SUBSCRIPTIONS_FILE.read_text())


def code_settings() -> dict[str, str]:
    """SETTINGS of shared/config.py, read as a literal (no import of app code)."""
    tree = ast.parse((ROOT / "shared" / "config.py").read_text())
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign)
                                                                      else None)
        if isinstance(target, ast.Name) and target.id == "SETTINGS" and node.value is not None:
            return ast.literal_eval(node.value)
    raise AssertionError("shared/config.py has no SETTINGS literal")


def azure_app_settings() -> dict[str, Any]:
    """Name -> value of the Function App settings, as the Bicep sets them."""
    bicep = Bicep(MODULES / "functionapp.bicep")
    site = bicep.resource("site")["config"]
    assert site["properties"]["siteConfig"]["appSettings"] == "appSettings", "siteConfig.appSettings is the var"
    return {s["name"]: s["value"] for s in bicep.var("appSettings")}


def subscriptions_module(targets: list[str] | None = None) -> Bicep:
    return Bicep(MODULES / "eventgrid-subscriptions.bicep", {"incomingCallTargets": targets or []})


def evaluated_subscriptions(bicep: Bicep, resource: str) -> list[dict[str, Any]]:
    """Name and properties of each event subscription a resource loop deploys."""
    node = bicep.resource(resource)["config"]
    return [bicep.eval({"name": node["config"]["name"], **node["config"]["properties"]}, scope)
            for scope in bicep.loop(node, {})]


def all_acs_subscriptions(bicep: Bicep) -> list[dict[str, Any]]:
    return evaluated_subscriptions(bicep, "acsSubscriptions") + evaluated_subscriptions(bicep, "incomingCallOverflow")


# ---- checkov, once per module ---------------------------------------------------------------------------------

def checkov_command() -> str:
    """checkov pins packaging<24 (pytest needs >=24), so it lives in its own venv: $CHECKOV, .venv/checkov, PATH."""
    for candidate in (os.environ.get("CHECKOV"), ROOT / ".venv" / "checkov" / "bin" / "checkov",
                      Path(sys.executable).with_name("checkov"), shutil.which("checkov")):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    pytest.fail("checkov not found: python -m venv .venv/checkov && "
                ".venv/checkov/bin/pip install -r infra/requirements-checkov.txt", pytrace=False)


@pytest.fixture(scope="module")
def checkov_report() -> dict[str, Any]:
    run = subprocess.run([checkov_command(), "-d", str(INFRA), "--framework", "bicep", "--skip-download",
                          "--quiet", "--compact", "-o", "json"], capture_output=True, text=True, timeout=300)
    assert run.stdout.strip(), f"checkov printed nothing (exit {run.returncode}): {run.stderr[-2000:]}"
    report = json.loads(run.stdout)
    return report[0] if isinstance(report, list) else report


# ---- the files parse and pass checkov --------------------------------------------------------------------------

@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_bicep_file_parses(path: Path) -> None:
    assert parsed(path).get("resources") or parsed(path).get("modules"), f"{path} declares nothing"


def test_checkov_reports_no_failed_checks(checkov_report: dict[str, Any]) -> None:
    failed = [f"{c['check_id']} {c['resource']} ({c['file_path']})" for c in checkov_report["results"]
              .get("failed_checks", [])]
    assert not failed, "checkov failed checks:\n" + "\n".join(failed)
    assert checkov_report["summary"]["failed"] == 0


def test_checkov_read_every_file(checkov_report: dict[str, Any]) -> None:
    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0


def test_every_checkov_suppression_gives_its_reason(checkov_report: dict[str, Any]) -> None:
    vague = [c["check_id"] for c in checkov_report["results"].get("skipped_checks", [])
             if len((c.get("check_result") or {}).get("suppress_comment") or "") < 20]
    assert not vague, f"checkov:skip without a reason: {vague}"


def test_module_paths_exist() -> None:
    for name, module in parsed(INFRA / "main.bicep")["modules"].items():
        path = module["detail"]["path"]
        assert (INFRA / path).is_file(), f"module {name}: {path} does not exist"


def test_bicepparam_sets_declared_parameters_and_every_required_one() -> None:
    text = (INFRA / "main.bicepparam").read_text()  # pycep cannot parse .bicepparam: read its two shapes
    assert re.search(r"^using 'main\.bicep'$", text, re.M)
    assigned = set(re.findall(r"^param (\w+) =", text, re.M))
    declared = parsed(INFRA / "main.bicep")["parameters"]
    assert assigned <= set(declared), f"unknown parameters: {sorted(assigned - set(declared))}"
    required = {name for name, p in declared.items() if p.get("default") is None}
    assert required <= assigned, f"required parameters not set: {sorted(required - assigned)}"
    assert "readEnvironmentVariable('DEPLOY_SUBSCRIPTIONS'" in text, "deploy.sh drives stages through this"


# ---- app settings: the names the code reads ----------------------------------------------------------------------

def settings_contract() -> dict[str, Any]:
    return json.loads((INFRA / "settings-contract.json").read_text())


def test_every_setting_the_code_reads_is_set_in_azure() -> None:
    contract, azure = settings_contract(), azure_app_settings()
    missing = []
    for name in code_settings():
        replaced_by = contract["identityForms"].get(name, {}).get("setInstead", [])
        if name in azure or name in contract["localOnly"] or (replaced_by and set(replaced_by) <= set(azure)):
            continue
        missing.append(name)
    assert not missing, f"settings the code reads but the Bicep does not set: {missing}"


def test_bicep_sets_only_settings_the_code_reads() -> None:
    contract = settings_contract()
    identity_forms = {n for form in contract["identityForms"].values() for n in form["setInstead"]}
    platform = set(contract.get("platform", {}))
    unknown = set(azure_app_settings()) - set(code_settings()) - identity_forms - platform
    assert not unknown, f"the Bicep sets settings no code reads (typo?): {sorted(unknown)}"


def test_settings_contract_names_settings_the_code_reads() -> None:
    contract = settings_contract()
    stale = (set(contract["identityForms"]) | set(contract["localOnly"])) - set(code_settings())
    assert not stale, f"settings-contract.json names settings the code no longer reads: {sorted(stale)}"


def test_local_only_settings_are_not_set_in_azure_and_events_go_to_the_custom_topic() -> None:
    azure = azure_app_settings()
    assert not set(settings_contract()["localOnly"]) & set(azure)
    assert "EVENTGRID_TOPIC_ENDPOINT" in azure and azure["EVENTGRID_TOPIC_KEY"] == "", "the topic, by identity"
    assert "AzureWebJobsStorage" not in azure and "ACS_CONNECTION_STRING" not in azure, "keys stay out of Azure"


# ---- Event Grid subscriptions: shared/event_subscriptions.json ------------------------------------------------

def test_subscriptions_module_loads_the_shared_file() -> None:
    variable = parsed(MODULES / "eventgrid-subscriptions.bicep")["variables"]["subscriptionsFile"]["value"]
    assert variable["function"]["type"] == "load_json_content"
    path = (MODULES / variable["function"]["parameters"]["file_path"]).resolve()
    assert path == SUBSCRIPTIONS_FILE


@pytest.mark.parametrize(("resource", "section", "topic_type"), [
    ("internalSubscriptions", "internal", "Microsoft.EventGrid/topics/eventSubscriptions"),
    ("acsSubscriptions", "acs", "Microsoft.EventGrid/systemTopics/eventSubscriptions"),
])
def test_each_section_drives_one_subscription_loop(resource: str, section: str, topic_type: str) -> None:
    node = parsed(MODULES / "eventgrid-subscriptions.bicep")["resources"][resource]
    assert node["type"] == topic_type
    accessor = node["config"]["loop_type"]["detail"]["array_name"]["operator"]["operands"]
    assert accessor == {"operand_1": "subscriptionsFile", "operand_2": section}


@pytest.mark.parametrize(("resource", "section"), [("internalSubscriptions", "internal"), ("acsSubscriptions", "acs")])
def test_every_entry_is_a_subscription_to_its_function(resource: str, section: str) -> None:
    entries = subscriptions_file()[section]
    deployed = evaluated_subscriptions(subscriptions_module(), resource)
    assert [s["name"] for s in deployed] == [e["name"] for e in entries]
    for entry, sub in zip(entries, deployed, strict=True):
        assert sub["destination"]["endpointType"] == "AzureFunction"
        assert sub["destination"]["properties"]["resourceId"].endswith(f"/functions/{entry['function']}")
        assert sub["filter"]["includedEventTypes"] == entry["eventTypes"]
        dead_letter = sub["deadLetterWithResourceIdentity"]
        assert dead_letter["deadLetterDestination"]["endpointType"] == "StorageBlob"
        assert dead_letter["identity"]["type"] == "SystemAssigned"


def test_entries_are_valid_event_grid_subscriptions() -> None:
    entries = [e for section in subscriptions_file().values() if isinstance(section, list) for e in section]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))
    for entry in entries:
        assert re.fullmatch(r"[A-Za-z0-9-]{3,62}", entry["name"]), entry["name"]  # room for the "-N" overflow suffix
        assert re.fullmatch(r"[a-z_][a-z0-9_]*", entry["function"]), entry["function"]
        assert entry["eventTypes"]


def test_incoming_call_subscriptions_retry_twice_within_a_minute() -> None:
    bicep = subscriptions_module([f"4:+1202555{n:04d}" for n in range(30)])  # two subscriptions
    incoming = [s for s in all_acs_subscriptions(bicep) if INCOMING_CALL in s["filter"]["includedEventTypes"]]
    assert len(incoming) == 2
    for sub in incoming:
        assert sub["retryPolicy"] == {"maxDeliveryAttempts": 2, "eventTimeToLiveInMinutes": 1}, sub["name"]


def test_other_subscriptions_use_their_entry_or_event_grid_defaults() -> None:
    bicep = subscriptions_module()
    entries = {e["name"]: e for section in ("internal", "acs") for e in subscriptions_file()[section]}
    for sub in evaluated_subscriptions(bicep, "internalSubscriptions") + all_acs_subscriptions(bicep):
        entry = entries[sub["name"]]
        assert sub["retryPolicy"] == {"maxDeliveryAttempts": entry.get("maxDeliveryAttempts", 30),
                                      "eventTimeToLiveInMinutes": entry.get("eventTimeToLiveInMinutes", 1440)}


def test_incoming_call_targets_are_split_into_subscriptions_of_25() -> None:
    targets = [f"4:+1202555{n:04d}" for n in range(58)] + ["8:acs:resource_agent1", "8:acs:resource_agent2"]
    incoming = [s for s in all_acs_subscriptions(subscriptions_module(targets))
                if INCOMING_CALL in s["filter"]["includedEventTypes"]]
    entry = next(e for e in subscriptions_file()["acs"] if INCOMING_CALL in e["eventTypes"])
    assert [s["name"] for s in incoming] == [entry["name"], f"{entry['name']}-2", f"{entry['name']}-3"]
    filters = [f for s in incoming for f in s["filter"]["advancedFilters"]]
    assert all(f["operatorType"] == "StringIn" and f["key"] == "data.to.rawId" for f in filters)
    assert all(len(f["values"]) <= FILTER_VALUES_LIMIT for f in filters)
    assert [v for f in filters for v in f["values"]] == targets
    assert all(s["destination"]["properties"]["resourceId"].endswith(f"/functions/{entry['function']}")
               for s in incoming)


def test_incoming_call_without_targets_is_one_unfiltered_subscription() -> None:
    subs = all_acs_subscriptions(subscriptions_module([]))
    incoming = [s for s in subs if INCOMING_CALL in s["filter"]["includedEventTypes"]]
    assert len(incoming) == 1 and incoming[0]["filter"]["advancedFilters"] == []
    assert all(s["filter"]["advancedFilters"] == [] for s in subs)


def test_main_turns_pool_numbers_and_agent_ids_into_raw_ids() -> None:
    main = Bicep(INFRA / "main.bicep", {"callbackPoolNumbers": ["+12025550101"], "callbackAgentIds": ["8:acs:r_a"]})
    assert main.var("incomingCallTargets") == ["4:+12025550101", "8:acs:r_a"]
    module = parsed(INFRA / "main.bicep")["modules"]["subscriptions"]
    assert module["config"]["condition"] == "deploySubscriptions"
    assert module["config"]["config"]["params"]["incomingCallTargets"] == "incomingCallTargets"


def test_functions_named_by_infra_exist_in_the_code() -> None:
    sources = [p for p in [ROOT / "function_app.py", *sorted((ROOT / "functions").glob("*.py"))]
               if p.is_file() and p.name != "__init__.py"]
    if not sources:
        pytest.skip("no function modules yet")
    code = "\n".join(p.read_text() for p in sources)
    subscribed = {e["function"] for section in ("internal", "acs") for e in subscriptions_file()[section]}
    always_ready = {r["name"].removeprefix("function:") for r in Bicep(MODULES / "functionapp.bicep").var("alwaysReady")
                    if r["name"].startswith("function:")}
    alerts = Bicep(MODULES / "alerts.bicep")
    timed = {name for rule in alerts.var("rules") for name in re.findall(r'requests\s*\|\s*where name == "(\w+)"',
                                                                        rule["query"])}
    assert timed, "the timer alert names its function"
    missing = sorted(f for f in subscribed | always_ready | timed if not re.search(rf"\b{f}\b", code))
    assert not missing, f"functions named in infra/ but not defined in functions/ or function_app.py: {missing}"


def test_the_callback_path_is_always_ready() -> None:
    always_ready = {r["name"] for r in Bicep(MODULES / "functionapp.bicep", {"alwaysReadyInstances": 1})
                    .var("alwaysReady")}
    callback = next(e["function"] for e in subscriptions_file()["acs"] if INCOMING_CALL in e["eventTypes"])
    assert {f"function:{callback}", "http"} <= always_ready


# ---- alerts and the deployment script ------------------------------------------------------------------------------

def test_every_alert_is_documented() -> None:
    rules = Bicep(MODULES / "alerts.bicep", {"poolFreeThreshold": 2, "callbackRedirectSlowMs": 10000}).var("rules")
    readme = (INFRA / "README.md").read_text()
    assert len(rules) >= 5
    for rule in rules:
        assert f"`{rule['name']}`" in readme, f"alert {rule['name']} is not in infra/README.md"


def test_deploy_script_what_if_changes_nothing(tmp_path: Path) -> None:
    log = tmp_path / "az.log"
    fake_az = tmp_path / "az"
    fake_az.write_text('#!/usr/bin/env bash\necho "az $*" >> "$AZ_LOG"\n'
                       '[[ "$*" == "deployment group show"* ]] && exit 3\nexit 0\n')
    fake_az.chmod(0o755)
    env = {**os.environ, "AZ_LOG": str(log), "PATH": f"{tmp_path}{os.pathsep}{os.environ['PATH']}"}
    run = subprocess.run(["bash", str(INFRA / "deploy.sh"), "-g", "rg-test", "-l", "eastus2", "--what-if"],
                         capture_output=True, text=True, env=env, timeout=60)
    assert run.returncode == 0, run.stderr
    calls = log.read_text().splitlines()
    assert not [c for c in calls if re.search(r" (create|deploy|publish|config-zip)\b", c)], calls
    what_ifs = [c for c in calls if c.startswith("az deployment group what-if")]
    assert len(what_ifs) == 2  # stage 1 then stage 3
    assert "functionapp" in run.stdout and "publish" in run.stderr


def test_the_zip_package_holds_everything_the_app_reads_at_run_time() -> None:
    """The zip deploy (no func) lists what it packs by hand: every folder and file the functions serve or read must
    be in it, or the deployed page (or panel, or API description) answers 404."""
    from functions import admin_page, agent_page, openapi

    script = (INFRA / "deploy.sh").read_text()
    listed = re.search(r'zip_command=\(zip -qr "\$\{package\}" (.*?) -x', script, re.S)
    assert listed is not None, "no zip command in deploy.sh"
    packed = set(listed.group(1).split())
    root = INFRA.parent
    needed = {admin_page.ASSETS, admin_page.COMMON, agent_page.ASSETS, openapi.DESCRIPTION.parent,
              *admin_page.VENDOR.values(), root / "shared", root / "functions", root / "function_app.py",
              root / "host.json", root / "requirements.txt"}
    missing = [str(p.relative_to(root)) for p in needed
               if not any(p.relative_to(root).parts[:len(Path(item).parts)] == Path(item).parts for item in packed)]
    assert missing == [], f"deploy.sh's zip leaves out {missing}"
