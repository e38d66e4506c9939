"""The operators' material against the code and the alerts: infra/workbook.json, its Bicep module, docs/operations.md.

- The workbook is a valid Notebook/1.0 document whose queries name only telemetry the code emits: custom events,
  metrics, their dimensions and values, function names. Those are read from the source (shared/telemetry.py, the
  telemetry calls in functions/*.py, the enums the values come from), not listed here.
- Every alert rule of infra/modules/alerts.bicep is in docs/operations.md with its exact KQL (whitespace aside).
- main.bicep deploys the workbook module on the same Application Insights component as the alerts.

Offline: no Azure, no Bicep compiler (pycep-parser, as in test_bicep.py).
"""

from __future__ import annotations

import ast
import json
import re
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from pycep import BicepParser

from shared.domain import delivery
from shared.domain.lease import NumberState, pool_shares
from shared.domain.routing import Outcome

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
WORKBOOK = INFRA / "workbook.json"
WORKBOOK_MODULE = INFRA / "modules" / "workbook.bicep"
ALERTS_MODULE = INFRA / "modules" / "alerts.bicep"
OPERATIONS = ROOT / "docs" / "operations.md"
FUNCTION_SOURCES = sorted(p for p in (ROOT / "functions").glob("*.py") if p.name != "__init__.py")

# Tables of a workspace-based Application Insights component the queries may read, and the workspace table of the
# Event Grid metrics (alerts and docs only: the workbook runs on the component).
APP_INSIGHTS_TABLES = frozenset({"customEvents", "customMetrics", "requests", "exceptions", "traces", "dependencies"})
WORKSPACE_TABLES = frozenset({"AzureMetrics"})
KNOWN_TABLES = APP_INSIGHTS_TABLES | WORKSPACE_TABLES | frozenset({
    "pageViews", "browserTimings", "availabilityResults", "performanceCounters", "AppEvents", "AppMetrics",
    "AppRequests", "AppExceptions", "AppTraces", "AppDependencies", "AzureDiagnostics"})
VISUALIZATIONS = frozenset({"timechart", "barchart", "table"})
_METRIC_NAME = re.compile(r"[a-z][a-z_]*(?:\.[a-z_]+)+")


@cache
def parsed(path: Path) -> dict[str, Any]:
    return BicepParser().parse(file_path=path)


# ---- what the code emits, read from its source ----------------------------------------------------------------

@dataclass(frozen=True)
class Emitted:
    events: dict[str, frozenset[str]]  # custom event -> its dimension keys
    metrics: dict[str, frozenset[str]]  # metric -> its dimension keys
    functions: frozenset[str]  # function names (the `name` of their requests)
    values: dict[str, frozenset[str]]  # dimension key -> the values it takes, where they are enumerable

    def names(self, table: str) -> frozenset[str]:
        by_table = {"customEvents": frozenset(self.events), "customMetrics": frozenset(self.metrics),
                    "requests": self.functions}
        return by_table.get(table, frozenset())

    def dimensions(self, table: str, names: set[str]) -> frozenset[str]:
        emitted = {"customEvents": self.events, "customMetrics": self.metrics}.get(table, {})
        chosen = [emitted[n] for n in names if n in emitted] or list(emitted.values())
        return frozenset().union(*chosen)


def _telemetry_calls(tree: ast.AST) -> list[tuple[str, ast.Call]]:
    """`<x>.telemetry.event(...)` / `.duration(...)` / `self.event(...)` calls with a literal first argument."""
    calls = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("event", "duration") and node.args
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            continue
        owner = node.func.value
        if (isinstance(owner, ast.Attribute) and owner.attr == "telemetry") or (
                isinstance(owner, ast.Name) and owner.id == "self"):
            calls.append((node.func.attr, node))
    return calls


def _keywords(call: ast.Call) -> set[str]:
    return {k.arg for k in call.keywords if k.arg is not None}


def _literal_keywords(call: ast.Call, name: str) -> set[str]:
    return {k.value.value for k in call.keywords
            if k.arg == name and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}


@cache
def emitted() -> Emitted:
    telemetry = ast.parse((ROOT / "shared" / "telemetry.py").read_text())
    cls = next(n for n in telemetry.body if isinstance(n, ast.ClassDef) and n.name == "Telemetry")
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    metrics: dict[str, set[str]] = {c.value: set() for c in ast.walk(init)
                                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                                    and _METRIC_NAME.fullmatch(c.value)}
    # Instruments kept as attributes (self._pool_free = meter.create_histogram("pool.free")) and the dimension
    # dicts they are recorded with in the class's methods.
    attribute_metric = {t.attr: a.value.args[0].value for a in ast.walk(init) if isinstance(a, ast.Assign)
                        for t in a.targets if isinstance(t, ast.Attribute) and isinstance(a.value, ast.Call)
                        and a.value.args and isinstance(a.value.args[0], ast.Constant)}
    for node in ast.walk(cls):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in attribute_metric
                and len(node.args) > 1 and isinstance(node.args[1], ast.Dict)):
            metrics[attribute_metric[node.func.value.attr]] |= {k.value for k in node.args[1].keys
                                                                 if isinstance(k, ast.Constant)}
    events: dict[str, set[str]] = {}
    outcomes = {o.value for o in Outcome}
    for kind, call in _telemetry_calls(cls):  # PoolLevel: region plus the pool's level per state (**levels)
        if kind == "event":
            levels = {s.value for s in NumberState} | set(pool_shares([], datetime.now(UTC))) \
                if any(k.arg is None for k in call.keywords) else set()
            events.setdefault(call.args[0].value, set()).update(_keywords(call) | levels)
    functions: set[str] = set()
    for path in FUNCTION_SOURCES:
        tree = ast.parse(path.read_text())
        for kind, call in _telemetry_calls(tree):
            name = call.args[0].value
            if kind == "event":
                events.setdefault(name, set()).update(_keywords(call))
            else:
                assert name in metrics, f"{path.name} records {name}, which Telemetry does not declare"
                metrics[name] |= _keywords(call)
            outcomes |= _literal_keywords(call, "outcome")
        functions |= {d.args[0].value for d in ast.walk(tree) if isinstance(d, ast.Call)
                      and isinstance(d.func, ast.Attribute) and d.func.attr == "function_name"
                      and d.args and isinstance(d.args[0], ast.Constant)}
    callbacks = ast.parse((ROOT / "shared" / "services" / "callbacks.py").read_text())
    outcomes |= {c.args[0].value for c in ast.walk(callbacks) if isinstance(c, ast.Call)
                 and isinstance(c.func, ast.Name) and c.func.id == "RouteResult"
                 and c.args and isinstance(c.args[0], ast.Constant)}
    values = {"outcome": frozenset(outcomes), "status": frozenset(typing.get_args(delivery.Status)),
              "channel": frozenset(typing.get_args(delivery.Channel)),
              "final": frozenset({"true", "false"})}  # str(bool).lower() in functions/notification.py
    return Emitted({k: frozenset(v) for k, v in events.items()}, {k: frozenset(v) for k, v in metrics.items()},
                   frozenset(functions), values)


def test_the_code_emits_what_the_reader_finds() -> None:
    found = emitted()
    assert {"CallbackRouted", "NotificationDelivery", "PoolLevel"} <= set(found.events)
    assert len(found.metrics) >= 5 and "pool.free" in found.metrics
    assert {"free", "region"} <= found.events["PoolLevel"] and found.metrics["pool.free"] == {"region"}
    assert {"outcome", "emergencyCallId"} <= found.events["CallbackRouted"]
    assert {"redirected", "redirect_failed", "dropped_stale", "no_fallback", "duplicate"} <= found.values["outcome"]
    assert "callback_lease_expiry" in found.functions and "inbound_callback" in found.functions


# ---- checking one KQL query against the emitted names ------------------------------------------------------------

_TABLE = re.compile(r"\b(" + "|".join(sorted(KNOWN_TABLES, key=len, reverse=True)) + r")\b")
_LIST = r"(\([^)]*\)|\"[^\"]*\")"
_NAME_FILTER = re.compile(r"\bname\s*(==|=~|!=|!in|in~?|startswith|has)\s*" + _LIST)
_OPERATION_NAME = re.compile(r"\boperation_Name\s*(==|=~|!=|!in|in~?)\s*" + _LIST)
_DIMENSION = re.compile(r"\b(customDimensions|customMeasurements)(?:\.(\w+)|\[[\"'](\w+)[\"']\])")
_VALUE_FILTER = re.compile(r"\b(\w+)\)?\s*(==|=~|!=|!in|in)\s*" + _LIST)


def _literals(text: str) -> list[str]:
    return re.findall(r"\"([^\"]*)\"", text)


def _table_at(query: str, position: int) -> str | None:
    tables = [m.group(1) for m in _TABLE.finditer(query[:position])]
    return tables[-1] if tables else None


def tables_of(query: str) -> set[str]:
    return {m.group(1) for m in _TABLE.finditer(query)}


def unknown_names(query: str) -> list[str]:
    """What the query names that the code does not emit: event, metric and function names, dimension keys, values."""
    code, problems = emitted(), []
    filtered: dict[str, set[str]] = {}
    for m in _NAME_FILTER.finditer(query):
        table = _table_at(query, m.start())
        names = code.names(table) if table else frozenset()
        for literal in _literals(m.group(2)):
            known = any(n.startswith(literal) for n in names) if m.group(1) == "startswith" else literal in names
            if not known:
                problems.append(f"{table}: no {literal!r} is emitted")
            filtered.setdefault(table, set()).add(literal)
    for m in _OPERATION_NAME.finditer(query):
        problems += [f"no function {f!r}" for f in _literals(m.group(2)) if f not in code.functions]
    for m in _DIMENSION.finditer(query):
        key, table = m.group(2) or m.group(3), _table_at(query, m.start())
        if table not in ("customEvents", "customMetrics"):
            problems.append(f"{m.group(0)} read from {table}")
        elif key not in code.dimensions(table, filtered.get(table, set())):
            problems.append(f"{table} has no dimension {key!r}")
    for m in _VALUE_FILTER.finditer(query):
        key = m.group(1)
        if key in code.values:
            problems += [f"{key} is never {v!r}" for v in _literals(m.group(3)) if v not in code.values[key]]
    return problems


def test_the_query_check_catches_typos() -> None:
    assert unknown_names('customEvents | where name == "CallbackRouted" | where tostring(customDimensions.outcome) '
                         '== "redirected"') == []
    assert unknown_names('customEvents | where name == "CallbackRouted" | where tostring(customDimensions.outcome) '
                         '== "redirect_fail"')
    assert unknown_names('customEvents | where name == "CallbackRoute"')
    assert unknown_names('customMetrics | where name == "pool.free" | extend c = customDimensions.channel')
    assert unknown_names('requests | where name == "lease_expiry"')
    assert unknown_names('customMetrics | where name in ("emergency.dial_to_lease_ms", "emergency.dial_ms")')


# ---- the workbook ----------------------------------------------------------------------------------------------

@cache
def workbook() -> dict[str, Any]:
    return json.loads(WORKBOOK.read_text())


def workbook_queries() -> list[dict[str, Any]]:
    return [item["content"] for item in workbook()["items"] if item["type"] == 3]


def test_workbook_is_a_valid_notebook() -> None:
    book = workbook()
    assert book["version"] == "Notebook/1.0"
    items = book["items"]
    assert items and all(item["type"] in (1, 3) for item in items)
    names = [item["name"] for item in items]
    assert len(names) == len(set(names)), "item names must be unique"
    for item in items:
        content = item["content"]
        if item["type"] == 1:
            assert isinstance(content["json"], str) and content["json"].strip()
            continue
        assert content["version"] == "KqlItem/1.0", item["name"]
        assert content["queryType"] == 0, item["name"]
        assert content["resourceType"] == "microsoft.insights/components", item["name"]
        assert content["visualization"] in VISUALIZATIONS, item["name"]
        assert content["title"].strip() and content["query"].strip(), item["name"]
        assert content["timeContext"]["durationMs"] > 0, item["name"]


@pytest.mark.parametrize("item", [q["title"] for q in workbook_queries()])
def test_workbook_query_names_only_emitted_telemetry(item: str) -> None:
    query = next(q["query"] for q in workbook_queries() if q["title"] == item)
    assert tables_of(query) and tables_of(query) <= APP_INSIGHTS_TABLES, f"tables: {tables_of(query)}"
    assert unknown_names(query) == []


def test_workbook_shows_every_event_and_metric_the_code_emits() -> None:
    text = "\n".join(q["query"] for q in workbook_queries())
    missing = sorted(n for n in [*emitted().events, *emitted().metrics] if f'"{n}"' not in text)
    assert not missing, f"emitted but never shown in the workbook: {missing}"
    assert {q["visualization"] for q in workbook_queries()} == VISUALIZATIONS


# ---- the workbook in the Bicep ---------------------------------------------------------------------------------

def accessor_chain(node: Any) -> list[str]:
    if isinstance(node, dict) and node.get("operator", {}).get("type") == "property_accessor":
        operands = node["operator"]["operands"]
        return [*accessor_chain(operands["operand_1"]), *accessor_chain(operands["operand_2"])]
    return [node]


def test_workbook_module_deploys_the_json_as_a_shared_workbook() -> None:
    doc = parsed(WORKBOOK_MODULE)
    (resource,) = doc["resources"].values()
    assert resource["type"] == "Microsoft.Insights/workbooks" and resource["api_version"] == "2023-06-01"
    config = resource["config"]
    assert config["kind"] == "shared"
    assert config["name"]["function"]["type"] == "guid", "a workbook's name is a deterministic GUID"
    properties = config["properties"]
    assert properties["category"] == "workbook"
    assert properties["version"] == workbook()["version"]
    assert properties["sourceId"] == "appInsightsId" and "appInsightsId" in doc["parameters"]
    loaded = properties["serializedData"]["function"]
    assert loaded["type"] == "load_text_content"
    assert (WORKBOOK_MODULE.parent / loaded["parameters"]["file_path"]).resolve() == WORKBOOK


def test_main_deploys_the_workbook_on_the_alerts_component() -> None:
    modules = parsed(INFRA / "main.bicep")["modules"]
    found = [m for m in modules.values() if m["detail"]["path"] == "modules/workbook.bicep"]
    assert len(found) == 1, "main.bicep must deploy modules/workbook.bicep once"
    params = found[0]["config"]["params"]
    declared = parsed(WORKBOOK_MODULE)["parameters"]
    assert set(params) <= set(declared)
    assert {n for n, p in declared.items() if p.get("default") is None} <= set(params), "every required parameter"
    source = accessor_chain(params["appInsightsId"])
    assert source == accessor_chain(modules["alerts"]["config"]["params"]["appInsightsId"])
    owner, _, output = source
    assert modules[owner]["detail"]["path"] == "modules/monitoring.bicep"
    assert output in parsed(INFRA / modules[owner]["detail"]["path"])["outputs"]


# ---- docs/operations.md ------------------------------------------------------------------------------------------

def alert_rules() -> list[dict[str, Any]]:
    """Name, severity and KQL of each rule (the rule's `query` names a multi-line string variable)."""
    variables = parsed(ALERTS_MODULE)["variables"]
    rules = variables["rules"]["value"]
    assert len(rules) >= 5
    return [{**rule, "query": variables[rule["query"]]["value"]} for rule in rules]


def normalized(kql: str) -> str:
    return " ".join(kql.split())


def doc_sections() -> dict[str, str]:
    """Heading line -> the text under it, up to the next heading of level 2 or 3."""
    parts = re.split(r"^(#{2,3} .*)$", OPERATIONS.read_text(), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def kusto_blocks(text: str) -> list[str]:
    return re.findall(r"^ *```kusto\n(.*?)^ *```", text, flags=re.M | re.S)


@pytest.mark.parametrize("name", [r["name"] for r in alert_rules()])
def test_every_alert_is_in_the_operations_guide_with_its_kql(name: str) -> None:
    rule = next(r for r in alert_rules() if r["name"] == name)
    sections = doc_sections()
    heading = next((h for h in sections if h.startswith("### ") and f"`{name}`" in h), None)
    assert heading, f"docs/operations.md has no section ### `{name}`"
    body = sections[heading]
    assert normalized(rule["query"]) in [normalized(b) for b in kusto_blocks(body)], \
        f"{name}: the section does not show the rule's KQL exactly as alerts.bicep has it"
    assert f"Severity {rule['severity']}" in body
    assert "first thing to do" in body.lower()
    assert re.search(rf"^\| `{re.escape(name)}` \| {rule['severity']} \|", OPERATIONS.read_text(), re.M), \
        f"{name} is missing from the alerts table (or its severity is wrong)"


def test_an_emergency_dial_nobody_could_map_to_an_agent_alerts_at_once() -> None:
    """Issue 17: the dial is answered, but her own contacts are not told; the on-call must know within minutes."""
    rule = next(r for r in alert_rules() if r["name"] == "emergency-dial-unmapped")
    assert rule["severity"] == 1 and rule["threshold"] == 0 and rule["window"] == "PT5M"
    assert '"UnmappedEmergencyDial"' in rule["query"] and rule["dimension"] == "problem"
    assert {"problem", "emergencyCallId"} <= emitted().events["UnmappedEmergencyDial"]


def test_operations_guide_covers_what_operators_need() -> None:
    headings = " ".join(doc_sections())
    for topic in ("What the system does", "Where the telemetry goes", "Alerts", "Everyday queries",
                  "Telemetry names", "Privacy"):
        assert topic in headings, f"docs/operations.md lacks a section on {topic}"
    text = OPERATIONS.read_text()
    missing = sorted(n for n in [*emitted().events, *emitted().metrics] if f"`{n}`" not in text)
    assert not missing, f"the glossary does not name: {missing}"


def test_operations_guide_queries_name_only_emitted_telemetry() -> None:
    blocks = kusto_blocks(OPERATIONS.read_text())
    assert len(blocks) > len(alert_rules())
    for block in blocks:
        assert tables_of(block) <= APP_INSIGHTS_TABLES | WORKSPACE_TABLES, block
        assert unknown_names(block) == [], block
