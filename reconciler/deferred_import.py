"""Defer modules a library imports at load time but uses only inside functions.

Great Expectations imports altair and scipy.stats for its distribution expectations and
chart renderers, about half its import time; our suites use neither. A stand-in module
sits in sys.modules until code reads one of its attributes, then the real module is
imported and the stand-in takes over its namespace, so `alt.Chart` or `stats.entropy`
still work wherever they are used. importlib's LazyLoader cannot do this: the import
statement itself reads `__spec__`, which makes LazyLoader load at once."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types

_lock = threading.RLock()


class _Deferred(types.ModuleType):
    def __getattr__(self, attr: str):
        # only called for attributes the stand-in lacks, i.e. the module's own contents
        with _lock:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
                try:
                    real = importlib.import_module(self.__name__)
                except BaseException:
                    sys.modules[self.__name__] = self
                    raise
                self.__dict__.update(real.__dict__)
                sys.modules[self.__name__] = real
        return getattr(sys.modules[self.__name__], attr)


def defer(*names: str) -> None:
    """Put stand-ins for `names` in sys.modules; names already imported, or not installed,
    are left alone."""
    with _lock:
        for name in names:
            if name in sys.modules:
                continue
            try:
                spec = importlib.util.find_spec(name)
            except ImportError:  # its parent package is missing
                continue
            if spec is None:
                continue
            stand_in = _Deferred(name)
            stand_in.__spec__ = spec
            stand_in.__file__ = spec.origin
            if spec.submodule_search_locations is not None:
                stand_in.__path__ = list(spec.submodule_search_locations)
            sys.modules[name] = stand_in
