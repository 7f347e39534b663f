"""Record the decisions of a fixed case set, so a faster engine can be shown to decide the same.

    python scripts/golden_decisions.py            # check: exit 1 and list the cases that differ
    python scripts/golden_decisions.py --update   # rewrite tests/golden/decisions.jsonl
    python scripts/golden_decisions.py --update --host   # ... deciding through durable's Python host

The case set: every scenario under rules/scenarios/ (with its overrides), 3,000 representations
from bench/generate.py (seed 2025) and 2,000 cases the verifier explores (seed 17: pairwise
first, then random ones; those that are not valid input are left out). Each is decided at a
fixed time, and one line records the case, a SHA-256 of the whole decision as JSON and the
parts a reader needs to see what changed (type, procedure, disposition, reason, stage and the
rules that fired). The first line records the ruleset hash the file was made with.

``--host`` decides through durable-rules' own Python host, as the engine did before it drove the
C core directly (``HostEngine`` below: the same compiled phases, each matched rule recorded by
an action into the session state): after a change of the rules, ``--update --host`` records
decisions that owe nothing to the engine under test. Rewrite the file only when the rules
themselves change on purpose (the decisions are then
meant to change); never to make a speed-up pass. ``tests/test_decisions_golden.py`` compares.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden" / "decisions.jsonl"
GENERATED, GENERATED_SEED = 3000, 2025
EXPLORED, EXPLORED_SEED = 2000, 17


def cases(rules: Any) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    """(name, representation, overrides) of the fixed case set, in a fixed order."""
    from triage.rules.scenarios import load_scenarios
    from triage.rules.verify import Verifier

    for sc in load_scenarios(REPO / "rules" / "scenarios"):
        yield f"scenario:{sc.file}:{sc.name}", sc.case, sc.overrides
    sys.path.insert(0, str(REPO / "bench"))
    from generate import DEFAULT_TAXONOMY, Generator, Taxonomy

    generated, _ = Generator(Taxonomy(DEFAULT_TAXONOMY), GENERATED_SEED).generate(GENERATED)
    for raw in generated:
        yield f"generated:{raw['reference']}", raw, None
    verifier = Verifier(rules, invariants=[])
    systematic, extra = verifier.cases(EXPLORED, EXPLORED_SEED)
    for i, case in enumerate([*systematic, *extra]):
        yield f"explored:{i}", verifier.representation(case), None


class HostEngine:
    """The reference engine: each phase asserted through durable's Python host, every matched
    rule recorded by an action into the session state (the engine before it drove the C core)."""

    def __init__(self, rules: Any) -> None:
        from durable import engine as durable_engine

        from triage.rules.engine import Engine

        class Host(durable_engine.Host):  # type: ignore[misc]
            def _run(self) -> None:  # no timer thread
                return None

            def get_action(self, name: str) -> Any:
                def record(c: Any) -> None:
                    c.s["fired__" + name] = 1
                return record

        self.rules = rules
        self._fields = Engine(rules, memo=0)._fields
        self.host = Host()
        tag = rules.hash.split(":")[-1][:16]
        self.names = [f"reference_{tag}_{i}" for i in range(len(rules.phases))]
        definitions = {}
        for name, phase in zip(self.names, rules.phases):
            if phase.rules and name not in HostEngine.registered:
                definitions[name] = {f"r{pos}": {"all": [{"m": rule.condition}], "run": str(pos)}
                                     for pos, rule in enumerate(phase.rules)}
                definitions[name]["r_always"] = {"all": [{"m": {"$ex": {"received_date": 1}}}], "run": "always"}
        if definitions:
            self.host.set_rulesets(definitions)
            HostEngine.registered.update(definitions)

    registered: set[str] = set()
    sids = iter(range(1, 1 << 62))

    def fire(self, index: int, facts: dict[str, Any]) -> list[int]:
        from triage.rules.conditions import LIST_SENTINEL

        if not self.rules.phases[index].rules:
            return []
        payload = {key: [LIST_SENTINEL, *facts[path]] if isinstance(facts[path], list) else facts[path]
                   for path, key in self._fields[index] if path in facts}
        payload["sid"] = sid = f"ref{next(HostEngine.sids)}"
        try:
            state = self.host.assert_fact(self.names[index], payload)
        finally:
            self.host.delete_state(self.names[index], sid)
        if state.get("exception"):
            raise RuntimeError(state["exception"])
        return sorted(int(k[len("fired__"):]) for k in state if k.startswith("fired__") and k != "fired__always")


def records(rules: Any, host: bool = False) -> Iterator[dict[str, Any]]:
    """One record per valid case of the set: its name, the decision's digest and summary;
    ``host``: decided through ``HostEngine``."""
    from triage.contract.errors import InputError
    from triage.contract.validation import parse_representation
    from triage.rules.decider import Decider
    from triage.rules.scenarios import FIXED_NOW

    decider = Decider(rules)
    if host:
        decider.engine = HostEngine(rules)  # type: ignore[assignment]
    for name, raw, overrides in cases(rules):
        try:
            rep = parse_representation(raw, rules)
        except InputError:
            continue
        d = decider.decide(rep, rep.reference or "GOLDEN", FIXED_NOW, overrides).model_dump(mode="json")
        text = json.dumps(d, sort_keys=True, separators=(",", ":"))
        yield {"case": name, "sha": hashlib.sha256(text.encode()).hexdigest()[:20],
               "decided": " ".join(str(d[k]) for k in ("representation_type", "procedure", "disposition",
                                                       "reason", "stage")),
               "fired": [r["id"] for r in d["rules_fired"]]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the recorded decisions")
    parser.add_argument("--host", action="store_true", help="decide through durable's Python host (the reference)")
    args = parser.parse_args(argv)
    from triage.rules.ruleset import load_rules

    rules = load_rules(REPO / "rules")
    got = list(records(rules, args.host))
    if args.update:
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"ruleset": rules.hash, "cases": len(got)})]
        lines += [json.dumps(r, separators=(",", ":")) for r in got]
        GOLDEN.write_text("\n".join(lines) + "\n")
        print(f"wrote {len(got)} decisions to {GOLDEN.relative_to(REPO)}")
        return 0
    want = [json.loads(line) for line in GOLDEN.read_text().splitlines()[1:]]
    differ = [(w, g) for w, g in zip(want, got) if w != g]
    for w, g in differ[:20]:
        print(f"{w['case']}:\n  recorded {w}\n  now      {g}")
    print(f"{len(got)} decisions, {len(differ)} differ; {len(want)} recorded")
    return 1 if differ or len(want) != len(got) else 0


if __name__ == "__main__":
    raise SystemExit(main())
