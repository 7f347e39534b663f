"""What the `triage` process sets up before anything imports pydantic.

The CLI is its own process, so it can decide that pydantic plugins (packages that hook into
every model, found through the entry points of every installed distribution) have no part in
it. pydantic honours ``PYDANTIC_DISABLE_PLUGINS`` by returning no plugins, but its plugin
loader still imports ``importlib.metadata`` (and with it ``email``, ``csv``, ``zipfile``...) the
first time a model is built: about 15 ms of every cold `triage assess`, a tenth of its budget.
With plugins disabled the loader's only job is to answer "no plugins", so the process gives
pydantic a loader that says exactly that. A user's own ``PYDANTIC_DISABLE_PLUGINS`` still wins:
with any other value the real loader is used. Library users are unaffected (this runs only
in the command).
"""

from __future__ import annotations

import os
import sys
import types

LOADER = "pydantic.plugin._loader"
DISABLED = ("__all__", "1", "true")  # the values pydantic's loader treats as "no plugins at all"


def without_pydantic_plugins() -> bool:
    """Disable pydantic plugins for this process unless the user chose otherwise; when they
    are disabled, stand in for pydantic's plugin loader. True if the stand-in is in place."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if os.environ["PYDANTIC_DISABLE_PLUGINS"] not in DISABLED or LOADER in sys.modules:
        return False
    loader = types.ModuleType(LOADER, "Stand-in for pydantic's plugin loader while plugins are disabled.")
    loader.get_plugins = _no_plugins  # type: ignore[attr-defined]
    sys.modules[LOADER] = loader
    return True


def _no_plugins() -> tuple[()]:
    return ()
