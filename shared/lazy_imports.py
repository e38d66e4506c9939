"""Indexing the app stays as cheap as `import azure.functions`: while the trigger modules are imported, the app's
own modules are created but run only when first used, so the worker learns the functions without loading every use
case, domain module and library behind them.

Python 3.11's importlib.util.LazyLoader is not thread-safe (a second thread sees the module half run: CPython
gh-114763, fixed in 3.13), and the worker runs several invocations at once: a deferred module here runs under a
lock of its own, once; other threads wait for it, and its own code (or a circular import) sees it as it runs.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
import types
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any


class _DeferredModule(types.ModuleType):
    """A module not run yet: the first attribute access runs it."""

    def __getattribute__(self, attr: str) -> Any:
        spec = object.__getattribute__(self, "__spec__")
        state = spec.loader_state
        with state["lock"]:
            if object.__getattribute__(self, "__class__") is _DeferredModule and not state["running"]:
                state["running"] = True
                try:
                    spec.loader.exec_module(self)
                    object.__setattr__(self, "__class__", types.ModuleType)
                finally:
                    state["running"] = False
        return types.ModuleType.__getattribute__(self, attr)

    def __setattr__(self, attr: str, value: Any) -> None:
        """Run first, so that what is set (a test's patch) is not overwritten when the module runs."""
        self.__getattribute__("__name__")
        types.ModuleType.__setattr__(self, attr, value)

    def __delattr__(self, attr: str) -> None:
        self.__getattribute__("__name__")
        types.ModuleType.__delattr__(self, attr)


class _DeferredLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: types.ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None
        spec.loader = module.__loader__ = self._loader
        spec.loader_state = {"lock": threading.RLock(), "running": False}
        module.__class__ = _DeferredModule


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds `prefix…` modules as the other finders do, with a loader that defers running them."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self._prefixes = prefixes

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: types.ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self._prefixes):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                module = spec.submodule_search_locations is None  # packages run at once: their submodules load
                if module and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _DeferredLoader(spec.loader)
                return spec
        return None


@contextmanager
def deferred(*prefixes: str) -> Iterator[None]:
    """Modules under `prefixes` imported in this block run on first attribute access (packages run at once)."""
    finder = _DeferredFinder(prefixes)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
