"""The indexing rules of the real Functions host and Python worker, applied by the local host to the whole app.

Where they come from (github.com/Azure/azure-functions-python-worker 4.x and Azure/azure-functions-host):
- Every Python parameter is a binding, every binding (but `$return`) a parameter; `context` is the exception and, if
  annotated, must be `azure.functions.Context`; an annotation must be a type (a Union is not) that the binding's
  converter accepts (`check_input_type_annotation`), and an HTTP function's return annotation one that the `http`
  converter accepts. Worker `functions.py`, `Registry.is_context_required`, `validate_function_params` and
  `get_function_return_type`; a `FunctionLoadError` there fails the worker's indexing of the whole app.
- Binding names match `^([a-zA-Z][a-zA-Z0-9]{0,127}|\\$return)$` (host `Utility.BindingNameValidationRegex`, checked
  by `Utility.ValidateBinding` from `WorkerFunctionMetadataProvider.ValidateBindings`); function names match
  `^[a-z][a-z0-9_\\-]{0,127}$` ignoring case, not "host" (host `Utility.FunctionNameValidationRegex`), and are unique
  ignoring case ("must be unique within the function app"; azure-functions itself refuses only exact duplicates).
- Two HTTP functions conflict when their route templates are equal (ignoring case and outer slashes) and their
  methods intersect, no methods meaning all (host `HttpRoutesConflict`); routes starting with "admin" are reserved.
The host refuses only the offending function and serves the rest (listing it under function errors); the local host
refuses the whole app, so that the defect cannot pass unnoticed in a test run.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import azure.functions as func
from azure.functions import meta

from local.host.index import HTTP_TRIGGER, FunctionEntry
from local.host.worker import InvocationSlots

BINDING_NAME = re.compile(r"^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$")
FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9_\-]{0,127}$(?<!^host$)", re.IGNORECASE)
RETURN = "$return"


def index_app(app: func.FunctionApp, slots: InvocationSlots | None = None) -> dict[str, FunctionEntry]:
    """Index the app as the worker and host do, refusing it (ValueError) when either would; every synchronous
    invocation bounded by `slots`. Calls `app.get_functions()`, which raises if called twice: once per app."""
    entries = []
    for function in app.get_functions():
        trigger = function.get_trigger()
        if trigger is None:
            continue
        check_function(function)
        _check_served(function)
        entries.append(FunctionEntry(function.get_function_name() or "", trigger.get_dict_repr(),
                                     function.get_user_function(), slots))
    check_app(entries)
    return {entry.name.lower(): entry for entry in entries}  # function names are case-insensitive in the host


def _check_served(function: func.Function) -> None:
    """The local host hands a function its trigger (and `context`) only: refuse other bindings rather than fail
    each call."""
    others = [b.get_dict_repr() for b in function.get_bindings()
              if not (b.type or "").endswith("Trigger") and not (b.name == RETURN and b.type == "http")]
    if others:
        raise ValueError(f"function {function.get_function_name()}: the local host serves no "
                         f"{others[0]['type']!r} binding ({others[0]['name']})")


def check_function(function: func.Function) -> None:
    """Refuse (ValueError, in the worker's or host's words) a function the real host or worker would not load."""
    name = function.get_function_name() or ""
    if not FUNCTION_NAME.match(name):
        raise ValueError(f"'{name}' is not a valid function name.")
    bindings = [b.get_dict_repr() for b in function.get_bindings()]
    for binding in bindings:
        if not BINDING_NAME.match(str(binding.get("name"))):
            raise ValueError(f"function {name}: The binding name {binding.get('name')} is invalid. "
                             "Please assign a valid name to the binding.")
    _check_parameters(name, function.get_user_function(), bindings)


def _check_parameters(name: str, user_function: Any, bindings: Sequence[Mapping[str, Any]]) -> None:
    params = dict(inspect.signature(user_function).parameters)
    hints = typing.get_type_hints(user_function)
    bound = {str(b["name"]): b for b in bindings if b["name"] != RETURN}
    if "context" in params and "context" not in bound:
        params.pop("context")
        context = hints.get("context", func.Context)
        if not isinstance(context, type) or context.__name__ != "Context":
            raise _load_error(name, "the \"context\" parameter is expected to be of type azure.functions.Context, "
                                    f"got {context!r}")
    if set(params) - set(bound):
        raise _load_error(name, "the following parameters are declared in Python but not in function.json: "
                                f"{set(params) - set(bound)!r}")
    if set(bound) - set(params):
        raise _load_error(name, "the following parameters are declared in function.json but not in Python: "
                                f"{set(bound) - set(params)!r}")
    for param, binding in bound.items():
        if param in hints:
            _check_annotation(name, param, str(binding["type"]), hints[param])
    returned = next((b for b in bindings if b["name"] == RETURN), None)
    if returned is not None and "return" in hints:
        _check_return(name, str(returned["type"]), hints["return"])


def _check_annotation(name: str, param: str, binding_type: str, annotation: Any) -> None:
    if not isinstance(annotation, type) and not _generic(annotation):
        raise _load_error(name, f"binding {param} has invalid non-type annotation {annotation!r}")
    converter_type = "generic" if annotation in (str, bytes) else binding_type
    if not _accepts(converter_type, annotation, "check_input_type_annotation"):
        raise _load_error(name, f'type of {param} binding in function.json "{binding_type}" does not match its '
                                f'Python annotation "{getattr(annotation, "__name__", annotation)}"')


def _check_return(name: str, binding_type: str, annotation: Any) -> None:
    if not isinstance(annotation, type):
        raise _load_error(name, f"has invalid non-type return annotation {annotation!r}")
    if not _accepts(binding_type, annotation, "check_output_type_annotation"):
        raise _load_error(name, f'Python return annotation "{annotation.__name__}" does not match binding type '
                                f'"{binding_type}"')


def _generic(annotation: Any) -> bool:
    """What the worker's `typing_inspect.is_generic_type` accepts: `List[str]` yes, a Union or `X | Y` no."""
    origin = typing.get_origin(annotation)
    return origin is not None and origin not in (typing.Union, types.UnionType)


def _accepts(binding_type: str, annotation: Any, check: str) -> bool:
    """Ask the binding's converter in azure-functions, as the worker does; no converter means the generic binding,
    which takes str and bytes only."""
    converter = meta.get_binding_registry().get(binding_type)  # type: ignore[no-untyped-call]
    try:
        if converter is None:
            return isinstance(annotation, type) and issubclass(annotation, str | bytes | bytearray)
        return bool(getattr(converter, check)(annotation))
    except TypeError:  # issubclass() on a generic alias
        return False


def _load_error(name: str, message: str) -> ValueError:
    return ValueError(f"cannot load the {name} function: {message}")


def check_app(entries: Iterable[FunctionEntry]) -> None:
    """The rules across functions: names unique ignoring case, no two HTTP functions on one route and method."""
    seen: dict[str, FunctionEntry] = {}
    for entry in entries:
        other = seen.get(entry.name.lower())
        if other is not None:
            raise ValueError(f"The function or proxy name '{entry.name}' must be unique within the function app "
                             f"('{other.name}' has it too).")
        _check_reserved(entry)
        if entry.trigger_type == HTTP_TRIGGER:
            for earlier in seen.values():
                if earlier.trigger_type == HTTP_TRIGGER and _routes_conflict(entry, earlier):
                    raise ValueError(f"function {entry.name}: The route specified conflicts with the route "
                                     f"defined by function '{earlier.name}'.")
        seen[entry.name.lower()] = entry


def _check_reserved(entry: FunctionEntry) -> None:
    """The real host refuses routes that start with "admin" (its own /admin API); a route defaults to the name."""
    if entry.name.lower().startswith("admin") or entry.route.lower().lstrip("/").startswith("admin"):
        raise ValueError(f"function {entry.name}: The specified route conflicts with one or more built in routes.")


def _routes_conflict(one: FunctionEntry, other: FunctionEntry) -> bool:
    if one.route.strip("/").lower() != other.route.strip("/").lower():
        return False
    return not one.methods or not other.methods or bool(one.methods & other.methods)
