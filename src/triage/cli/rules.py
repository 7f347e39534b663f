"""`triage rules` (check, readability, test, settings): check and test the rules, show the settings."""

from __future__ import annotations

from pathlib import Path

import click

from triage.contract.errors import UsageError

from .common import Context, echo_json, json_option


@click.group()
def rules() -> None:
    """Check and test the rules, and show the effective settings."""


@rules.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings (outcomes no rule reaches) as errors.")
@json_option("the counts, the warnings and the ruleset hash")
@click.pass_obj
def rules_check(obj: Context, strict: bool, as_json: bool) -> None:
    """Validate every rule file; report outcomes no rule can reach."""
    from triage.rules.checks import letter_problems, unreachable
    ruleset = obj.rules()
    problems = letter_problems(ruleset)
    if problems:
        from triage.contract.errors import RuleErrors
        raise RuleErrors(problems)
    warnings = unreachable(ruleset)
    if as_json:
        echo_json({"ok": not (strict and warnings), "rules": len(ruleset.rules), "phases": len(ruleset.phases),
                   "warnings": warnings, "ruleset": ruleset.hash})
    else:
        for w in warnings:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"{len(ruleset.rules)} rules in {len(ruleset.phases)} phases: OK "
                   f"({len(warnings)} warnings; ruleset {ruleset.hash})")
    if strict and warnings:
        raise SystemExit(1)


@rules.command("readability")
@json_option("each template's scores")
@click.pass_obj
def rules_readability(obj: Context, as_json: bool) -> None:
    """Flesch reading ease of every complainant letter, standard and simple wording."""
    from triage.rules.checks import readability
    rows = readability(obj.rules())
    if as_json:
        echo_json([{"template": t, "standard": standard, "simple": simple} for t, standard, simple in rows])
        return
    click.echo(f"{'template':36} {'standard':>8} {'simple':>8}")
    for template, standard, simple in rows:
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        click.echo(f"{template:36} {fmt(standard):>8} {fmt(simple):>8}")
    click.echo("Flesch reading ease: higher is easier; 60-70 plain English, 80+ easy for a child.")


@rules.command("test")
@click.option("--dir", "directory", metavar="DIR",
              help="Run only this scenario directory, against the effective rules (default: the shipped "
                   "scenarios against the shipped settings, then the council folder's scenarios).")
@click.option("-v", "--verbose", is_flag=True, help="List every scenario, not only failures.")
@json_option("every scenario's result, the rules no scenario fires and the totals")
@click.pass_obj
def rules_test(obj: Context, directory: str | None, verbose: bool, as_json: bool) -> None:
    """Run the scenario files (given a case, expect a decision)."""
    from triage.api import decider
    from triage.rules.council import scenario_suites
    from triage.rules.scenarios import load_scenarios, run_scenario, uncovered_rules
    ruleset = obj.rules()
    if directory is not None:
        where = Path(directory)
        if not directory.strip() or not where.is_dir():
            raise UsageError(f"--dir: {directory!r} is not a directory of scenario files (*.yaml)")
        if not any(where.glob("*.yaml")):
            raise UsageError(f"--dir: {where} holds no scenario files (*.yaml)")
    suites = [("scenarios", ruleset, Path(directory))] if directory else scenario_suites(ruleset)
    all_outcomes, missing = [], []
    for label, rules_, folder in suites:
        outcomes = [run_scenario(decider(rules_), sc) for sc in load_scenarios(folder)]
        failed = [o for o in outcomes if not o.passed]
        for o in outcomes:
            if not as_json and (verbose or not o.passed):
                click.echo(f"{'PASS' if o.passed else 'FAIL'} {o.scenario.file}: {o.scenario.name}")
                for f in o.failures:
                    click.echo(f"     {f}")
        if len(suites) > 1 and not as_json:
            against = "the shipped settings" if rules_.council_dir is None else "the council's settings"
            click.echo(f"{label} ({folder}, against {against}): {len(outcomes) - len(failed)} passed, "
                       f"{len(failed)} failed")
        if label == "shipped scenarios" or directory:
            missing = uncovered_rules(rules_, outcomes)
        all_outcomes += outcomes
    if as_json:
        failed = [o for o in all_outcomes if not o.passed]
        echo_json({"passed": len(all_outcomes) - len(failed), "failed": len(failed), "uncovered": list(missing),
                   "scenarios": [{"file": o.scenario.file, "name": o.scenario.name, "passed": o.passed,
                                  "failures": o.failures} for o in all_outcomes]})
        if failed or missing:
            raise SystemExit(1)
        return
    for rid in missing:
        click.echo(f"UNCOVERED rule {rid}: no scenario fires it")
    failed = [o for o in all_outcomes if not o.passed]
    click.echo(f"{len(all_outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed or missing:
        raise SystemExit(1)


@rules.command("settings")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each key with its value and file.")
@click.option("--reference", is_flag=True, help="Print the settings reference (Markdown): every key, its values, "
                                                 "the shipped value and its authority.")
@click.pass_obj
def rules_settings(obj: Context, as_json: bool, reference: bool) -> None:
    """Every effective setting with the file it came from (shipped, or the council folder's)."""
    import json

    from triage.rules.council import settings_listing, settings_reference
    ruleset = obj.rules()
    if reference:
        click.echo(settings_reference(ruleset), nl=False)
        return
    rows = settings_listing(ruleset)
    if as_json:
        echo_json([{"key": k, "value": v, "file": f} for k, v, f in rows])
        return
    click.echo(f"rules:            {ruleset.directory}")
    click.echo(f"council folder:   {ruleset.council_dir or '(none: the shipped settings alone)'}")
    click.echo(f"letter templates: {', '.join(str(d) for d in ruleset.letter_dirs)}")
    click.echo(f"ruleset:          {ruleset.hash}\n")
    width = max(len(k) for k, _, _ in rows)
    for key, value, source in rows:
        click.echo(f"{key:{width}}  {json.dumps(value):24}  {source}")


@rules.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: phases with their rules.")
@click.pass_obj
def rules_show(obj: Context, as_json: bool) -> None:
    """Every rule, phase by phase: its id, what it decides and its authority."""
    ruleset = obj.rules()
    if as_json:
        echo_json([{"phase": p.name, "title": p.title, "file": p.file,
                    "rules": [{"id": r.id, "title": r.title, "citation": r.citation, "then": r.then} for r in p.rules]}
                   for p in ruleset.phases])
        return
    for phase in ruleset.phases:
        click.echo(f"{phase.title} ({phase.file}, {len(phase.rules)} rules)")
        for r in phase.rules:
            click.echo(f"  {r.id}: {r.title} [{r.citation}]")
        click.echo("")


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(rules)


@rules.command("verify")
@click.option("--cases", "n", type=click.IntRange(min=1, max=10_000_000), default=100_000, show_default=True,
              help="How many cases to explore: every pair of values first (about 5,300 cases), then seeded random cases.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random cases (same seed, same cases).")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
@click.option("--jobs", type=click.IntRange(min=1, max=256), default=None,
              help="Processes that check cases at once (the findings are the same for any number). "
                   "Default: the CPUs available to this process.")
@click.pass_obj
def rules_verify(obj: Context, n: int, seed: int, as_json: bool, jobs: int | None) -> None:
    """Search the input space for decisions that break a legal invariant (rules/invariants.yaml),
    and for gaps and unexplained overlaps between rules. Exit 1 if any is found."""
    import json
    import sys

    from triage.rules.verify import Verifier, finding_lines, report_json
    from triage.rules.workers import available_cpus

    verifier = Verifier(obj.rules())
    show = sys.stderr.isatty() and not as_json
    report = verifier.run(n, seed, progress=(lambda k: click.echo(f"\r{k} cases...", nl=False, err=True)) if show
                          else None, jobs=jobs or available_cpus())
    if show:
        click.echo("\r", nl=False, err=True)
    if as_json:
        click.echo(json.dumps(report_json(report), indent=2))
    else:
        by_id = {inv.id: inv for inv in verifier.invariants}
        order = {"violation": 0, "undecided": 1, "invalid": 2, "gap": 3, "overlap": 4}
        for finding in sorted(report.findings.values(), key=lambda f: (order[f.kind], f.key)):
            for line in finding_lines(finding, by_id):
                click.echo(line)
        click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)


@rules.command("diff")
@click.option("--with", "other_dir", required=True, metavar="DIR",
              help="The other rules: a council folder (laid over the rules in use, as --council would), or a "
                   "whole rules directory (a changed copy, or the rules of a new version of triage).")
@click.option("--year", metavar="YYYY-YY", help="The annual report's year to compare. Default: the log's latest.")
@click.option("--basis", type=click.Choice(["received", "resolved"]), default="received", show_default=True,
              help="The annual report's basis.")
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@click.pass_obj
def rules_diff(obj: Context, other_dir: str, year: str | None, basis: str, as_json: bool) -> None:
    """What would change if the log were decided under other rules: every logged representation
    decided again, nothing written."""
    import json
    import sys

    from triage.cases.whatif import lines, what_if
    from triage.rules.ruleset import load_rules

    other_path = Path(other_dir)
    if not other_path.is_dir():
        raise UsageError(f"--with: no rules directory at {other_dir}; give the folder that holds the other rules")
    current = obj.rules()
    is_rules_dir = any(other_path.glob("[0-9][0-9]-*.yaml"))
    other = load_rules(other_path) if is_rules_dir else load_rules(current.directory, council=other_path)
    show = sys.stderr.isatty() and not as_json
    result = what_if(obj.log(existing=True), current, other, year=year, basis=basis,
                     progress=(lambda k: click.echo(f"\r{k} decided...", nl=False, err=True)) if show else None)
    if show:
        click.echo("\r", nl=False, err=True)
    if as_json:
        click.echo(json.dumps(result.to_json(), indent=2, default=str))
    else:
        for line in lines(result):
            click.echo(line)
