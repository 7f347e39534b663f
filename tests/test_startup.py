"""The command's start-up: pydantic plugins are off in the `triage` process, and pydantic's
plugin loader (which would import importlib.metadata on every cold start) is stood in for."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pydantic

from triage.cli import startup

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "statutory-parent.json"

# Run the command in a fresh interpreter and report what it imported.
PROBE = """
import json, sys
from triage.cli.main import main
code = 0
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
print(json.dumps({"metadata": "importlib.metadata" in sys.modules,
                  "loader": type(sys.modules.get("pydantic.plugin._loader")).__name__,
                  "stand_in": getattr(sys.modules.get("pydantic.plugin._loader"), "__file__", None) is None,
                  "code": code}), file=sys.stderr)
"""


def _run(tmp_path: Path, env_value: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = env_value
    proc = subprocess.run([sys.executable, "-c", PROBE, "--db", str(tmp_path / "t.db"), "assess", str(EXAMPLE),
                           "--json"], capture_output=True, text=True, env=env, timeout=120)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), proc.stderr
    assert json.loads(proc.stdout)["disposition"]  # the case was decided
    return report


def test_the_command_decides_without_importing_package_metadata(tmp_path: Path) -> None:
    _run(tmp_path, None)  # the first run may compute the bank holidays (the holidays package reads metadata)
    report = _run(tmp_path, None)
    assert report["stand_in"] and not report["metadata"]


def test_a_users_own_plugin_setting_keeps_pydantics_loader(tmp_path: Path) -> None:
    report = _run(tmp_path, "some_plugin")  # plugins on, except one: pydantic must look them up
    assert not report["stand_in"] and report["metadata"]


def test_an_explicit_all_is_honoured_like_the_default(tmp_path: Path) -> None:
    assert _run(tmp_path, "true")["stand_in"]


def test_the_stand_in_offers_everything_pydantic_takes_from_its_loader() -> None:
    """Every name the installed pydantic imports from its plugin loader is on the stand-in, and
    gives what pydantic's own loader gives with plugins disabled (nothing)."""
    root = Path(pydantic.__file__).parent
    wanted: set[str] = set()
    for path in root.rglob("*.py"):
        if path.name == "_loader.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("_loader") and \
                    ("plugin" in path.parts or "plugin" in (node.module or "")):
                wanted.update(alias.name for alias in node.names)
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "_loader":
                wanted.add(node.attr)
    assert wanted, "pydantic no longer imports its plugin loader: the stand-in can go"
    stand_in = _stand_in()
    assert all(hasattr(stand_in, name) for name in wanted), wanted
    from pydantic.plugin import _loader as real
    saved = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        assert tuple(real.get_plugins()) == tuple(stand_in.get_plugins()) == ()
    finally:
        if saved is None:
            del os.environ["PYDANTIC_DISABLE_PLUGINS"]
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = saved


def _stand_in():
    saved_env = os.environ.get("PYDANTIC_DISABLE_PLUGINS")
    saved_module = sys.modules.pop(startup.LOADER, None)
    try:
        os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
        assert startup.without_pydantic_plugins()
        return sys.modules[startup.LOADER]
    finally:
        if saved_module is not None:
            sys.modules[startup.LOADER] = saved_module
        else:
            sys.modules.pop(startup.LOADER, None)
        if saved_env is None:
            os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)
        else:
            os.environ["PYDANTIC_DISABLE_PLUGINS"] = saved_env
