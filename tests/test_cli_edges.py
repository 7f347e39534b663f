"""Every command survives its own arguments: each option and argument of every `triage` command,
given edge values (empty, huge, far past and future dates, unknown ids, ids of the wrong kind),
exits 0, 1 or 2 with a message, never a traceback; and every letter template either drafts for
each shipped example or is refused with a message naming it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from conftest import EXAMPLES

REFERENCE = "CS-2025-00017"  # examples/statutory-parent.json

# Valid values for what a command requires, so that each run changes one thing only.
BASE: dict[str, dict[str, str]] = {
    "assess": {"case": str(EXAMPLES / "statutory-parent.json")},
    # a few hundred cases, not the default 100,000: each edge runs the command whole
    "rules verify": {"n": "300"},
    "rules diff": {"other_dir": str(EXAMPLES.parent / "rules")},
    "log show": {"ref": REFERENCE},
    "override": {"ref": REFERENCE, "field": "disposition", "to": "refused", "reason": "test", "by": "Jo"},
    "record": {"ref": REFERENCE, "event": "acknowledged"},
    "case": {"ref": REFERENCE},
    "letters": {"ref": REFERENCE},
    "keys add": {"name": "eform"}, "keys revoke": {"name": "eform"},
    "users add": {"name": "Jo"}, "users password": {"name": "Jo"}, "users remove": {"name": "Jo"},
}
TEXT = ["", " ", "x" * 5000, "9999-12-31", "0001-01-01", "2025-02-30", "1900-01-01", "d-" + "9" * 30, "d-000001",
        REFERENCE, "-1", "../../etc/passwd", "a\nb", "\x00"]
NUMBERS = ["0", "-1", "9" * 30, "1.5", "x"]
FLOATS = ["nan", "inf", "-inf", "1e400", "-1", "x"]
# serve would start a server; rules test runs every scenario (seconds): its option only
SKIP = {"serve"}


def commands() -> list[tuple[str, click.Command]]:
    from triage.cli.main import cli

    out: list[tuple[str, click.Command]] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        if isinstance(cmd, click.Group):
            for name, sub in sorted(cmd.commands.items()):
                walk(sub, [*path, name])
        elif " ".join(path) not in SKIP:
            out.append((" ".join(path), cmd))

    walk(cli, [])
    return out


def argv(path: str, cmd: click.Command, values: dict[str, str], flags: set[str]) -> list[str]:
    args: list[str] = path.split()
    for param in cmd.params:
        name = param.name or ""
        if isinstance(param, click.Argument):
            if name in values:
                args.append(values[name])
        elif isinstance(param, click.Option):
            if param.is_flag:
                if name in flags:
                    args.append(param.opts[0])
            elif name in values:
                args.append(f"{param.opts[0]}={values[name]}")
    return args


def cases() -> list[Any]:
    out = []
    for path, cmd in commands():
        base = BASE.get(path, {})
        out.append(pytest.param(path, base, set(), id=f"{path}"))
        for param in cmd.params:
            name = param.name or ""
            if isinstance(param, click.Option) and param.is_flag:
                out.append(pytest.param(path, base, {name}, id=f"{path} --{name}"))
                continue
            if isinstance(param.type, click.Choice):
                edges = ["", "nonsense"]
            elif isinstance(param.type, (click.types.IntParamType, click.IntRange)):
                edges = NUMBERS
            elif isinstance(param.type, click.types.FloatParamType):
                edges = FLOATS
            else:
                edges = TEXT
            for value in edges:
                out.append(pytest.param(path, {**base, name: value}, set(), id=f"{path} {name}={value[:12]!r}"))
    return out


@pytest.fixture(scope="module")
def shipped_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A log holding every shipped example."""
    import triage
    from conftest import RULES

    db = tmp_path_factory.mktemp("edges") / "log.db"
    for path in sorted(EXAMPLES.glob("*.json")):
        triage.assess(json.loads(path.read_text()), db=db, rules=RULES)
    return db


@pytest.mark.parametrize("path,values,flags", cases())
def test_every_command_survives_edge_values(run: Any, shipped_log: Path, db: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch, path: str, values: dict[str, str],
                                            flags: set[str]) -> None:
    """A command given an edge value exits 0, 1 or 2, and any error is a message, not a traceback."""
    import shutil

    shutil.copy(shipped_log, db)
    cwd = tmp_path / "a" / "b" / "c"  # so that ../../etc/passwd stays inside tmp_path
    cwd.mkdir(parents=True)
    monkeypatch.chdir(cwd)
    cmd = dict(commands())[path]
    if "db" in {p.name for p in cmd.params} and "db" not in values:
        values = {**values, "db": str(db)}
    r = run(*argv(path, cmd, values, flags), stdin=b"")
    assert r.code in (0, 1, 2), r.err
    assert "Traceback" not in r.err + r.out
    if r.code:
        assert r.err.strip(), "a failure must say why"


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_every_template_drafts_or_is_refused_by_name(run: Any, db: Path, tmp_path: Path, example: str) -> None:
    """Each letter template drafts for a shipped example, or is refused with a message naming it."""
    from triage.api import decider
    from conftest import RULES

    ref = json.loads((EXAMPLES / f"{example}.json").read_text()).get("reference")
    assert run("assess", str(EXAMPLES / f"{example}.json")).code == 0
    if ref is None:
        ref = json.loads(run("log", "list", "--json").out)[-1]["decision"]["reference"]
    for template in decider(RULES).letters.templates:
        r = run("letters", ref, "--template", template, "--out", str(tmp_path / "out"))
        assert r.code in (0, 1, 2), r.err
        assert "Traceback" not in r.err
        if r.code:
            assert r.err.startswith("error: ") and template in r.err, r.err
