"""A council folder: creating one (`triage init`), the scenarios `triage rules test` runs on
it, and where each effective setting came from (`triage rules settings`). How the folder is
layered over the shipped rules is ``layers``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .ruleset import RuleSet, shipped_layer


def init_council(target: Path) -> list[Path]:
    """Write a new council folder at ``target`` from the shipped skeleton; return the files.
    Refuses a folder that exists and is not empty (nothing of a council's is overwritten), and
    writes into a temporary folder first, so a failure leaves nothing half-written."""
    import os
    import shutil
    import tempfile

    from triage.contract.errors import UsageError
    from triage.contract.shipped import templates_dir

    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UsageError(f"{target} already exists and is not empty; give a new folder "
                         "(an existing council folder is never overwritten)")
    skeleton = templates_dir("council")
    parent = target.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot create {parent}: {exc.strerror or exc}") from None
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    try:
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the folder is the council's
        shutil.copytree(skeleton, tmp, dirs_exist_ok=True)
        if target.exists():
            target.rmdir()
        os.replace(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UsageError(f"cannot create {target}: {exc.strerror or exc}") from None
    return sorted(p for p in target.rglob("*") if p.is_file())


def scenario_suites(rules: RuleSet) -> list[tuple[str, RuleSet, Path]]:
    """The scenario folders `triage rules test` runs, each with the rules it runs against:
    the shipped scenarios against the shipped layer (they assume the shipped settings, so a
    council's timescales never fail them), the council's against the effective rules."""
    suites = [("shipped scenarios", shipped_layer(rules), rules.directory / "scenarios")]
    if rules.council_dir is not None and (rules.council_dir / "scenarios").is_dir():
        suites.append(("council scenarios", rules, rules.council_dir / "scenarios"))
    return suites


def settings_listing(rules: RuleSet) -> list[tuple[str, Any, str]]:
    """Every effective setting: (dotted key, value, the file it came from)."""
    return [(key, _value_at(rules.settings, key), source) for key, source in rules.setting_sources.items()]


def _value_at(settings: dict[str, Any], key: str) -> Any:
    node: Any = settings
    for part in key.split("."):
        node = node[part]
    return node
