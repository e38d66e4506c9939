"""Indexing the app stays as cheap as `import azure.functions`: while the trigger modules are imported, the app's
own modules are created but run only when first used (importlib.util.LazyLoader), so the worker learns the
functions without loading every use case, domain module and library behind them."""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType


class _LazyFinder(importlib.abc.MetaPathFinder):
    """Finds `prefix.*` modules as the other finders do, with a loader that defers running them."""

    def __init__(self, prefixes: tuple[str, ...]) -> None:
        self._prefixes = prefixes

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(self._prefixes):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                module = spec.submodule_search_locations is None  # packages run at once: their submodules load
                if module and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = importlib.util.LazyLoader(spec.loader)
                return spec
        return None


@contextmanager
def deferred(*prefixes: str) -> Iterator[None]:
    """Modules under `prefixes` imported in this block run on first attribute access (packages run at once)."""
    finder = _LazyFinder(prefixes)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
