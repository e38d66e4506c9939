"""The local host's function table: index a FunctionApp once, then call a function with its trigger value."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from local.host.worker import InvocationSlots

HTTP_TRIGGER = "httpTrigger"
EVENT_GRID_TRIGGER = "eventGridTrigger"
TIMER_TRIGGER = "timerTrigger"


@dataclass(frozen=True)
class Reply:
    """One HTTP answer of the local host."""

    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


def json_reply(status: int, payload: Any, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A JSON answer with its content type."""
    body = json.dumps(payload).encode()
    return Reply(status, body, (("Content-Type", "application/json; charset=utf-8"), *headers))


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header by case-insensitive name."""
    return next((v for k, v in headers.items() if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class LocalContext:
    """Stands in for the worker's `func.Context`, passed to a parameter named `context`."""

    invocation_id: str
    function_name: str
    function_directory: str
    trace_context: Any = None
    retry_context: Any = None
    thread_local_storage: threading.local = field(default_factory=threading.local)


@dataclass(frozen=True)
class FunctionEntry:
    """One indexed function: its name, trigger binding (as the host sees it) and the Python callable; `slots` is the
    worker's thread pool that synchronous invocations wait for (None: unbounded)."""

    name: str
    binding: Mapping[str, Any]
    user_function: Callable[..., Any]
    slots: InvocationSlots | None = field(default=None, compare=False)

    @property
    def trigger_type(self) -> str:
        return str(self.binding.get("type", ""))

    @property
    def arg_name(self) -> str:
        return str(self.binding["name"])

    @property
    def route(self) -> str:
        """The HTTP route template; like the real host, it defaults to the function name."""
        return str(self.binding.get("route") or self.name).strip("/")

    @property
    def methods(self) -> frozenset[str]:
        """Allowed HTTP methods; empty means any."""
        return frozenset(_enum_text(m).upper() for m in self.binding.get("methods") or ())

    @property
    def schedule(self) -> str:
        return str(self.binding.get("schedule", ""))

    @property
    def run_on_startup(self) -> bool:
        return bool(self.binding.get("runOnStartup"))

    def call(self, trigger_value: Any) -> Any:
        """Call the user function with the trigger value bound to its parameter name; awaits a coroutine.

        A synchronous function first waits for one of the worker's threads (`slots`); an `async def` one does not,
        as the worker runs those on its event loop."""
        kwargs = {self.arg_name: trigger_value}
        params = inspect.signature(self.user_function).parameters
        if "context" in params and self.arg_name != "context":
            kwargs["context"] = LocalContext(str(uuid.uuid4()), self.name, os.getcwd())
        on_loop = inspect.iscoroutinefunction(self.user_function)
        with self.slots if self.slots is not None and not on_loop else contextlib.nullcontext():
            result = self.user_function(**kwargs)
        if inspect.isawaitable(result):
            # Each call gets its own loop: calls run on server or timer threads that have none.
            result = asyncio.run(_await(result))
        return result


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _enum_text(value: Any) -> str:
    """The text of a decorator enum (HttpMethod, AuthLevel) or of a plain string."""
    return str(getattr(value, "value", value))
