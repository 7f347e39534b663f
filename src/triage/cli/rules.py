"""`triage rules` (check, readability, test): check and test the rules in rules/."""

from __future__ import annotations

from pathlib import Path

import click

from triage.contract.errors import UsageError

from .common import Context


@click.group()
def rules() -> None:
    """Check and test the rules in rules/."""


@rules.command("check")
@click.option("--strict", is_flag=True, help="Treat warnings (outcomes no rule reaches) as errors.")
@click.pass_obj
def rules_check(obj: Context, strict: bool) -> None:
    """Validate every rule file; report outcomes no rule can reach."""
    from triage.rules.checks import letter_problems, unreachable
    ruleset = obj.rules()
    problems = letter_problems(ruleset)
    if problems:
        from triage.contract.errors import RuleErrors
        raise RuleErrors(problems)
    warnings = unreachable(ruleset)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"{len(ruleset.rules)} rules in {len(ruleset.phases)} phases: OK "
               f"({len(warnings)} warnings; ruleset {ruleset.hash})")
    if strict and warnings:
        raise SystemExit(1)


@rules.command("readability")
@click.pass_obj
def rules_readability(obj: Context) -> None:
    """Flesch reading ease of every complainant letter, standard and simple wording."""
    from triage.rules.checks import readability
    rows = readability(obj.rules())
    click.echo(f"{'template':36} {'standard':>8} {'simple':>8}")
    for template, standard, simple in rows:
        fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
        click.echo(f"{template:36} {fmt(standard):>8} {fmt(simple):>8}")
    click.echo("Flesch reading ease: higher is easier; 60-70 plain English, 80+ easy for a child.")


@rules.command("test")
@click.option("--dir", "directory", metavar="DIR", help="Scenario directory (default: scenarios/ in the rules directory).")
@click.option("-v", "--verbose", is_flag=True, help="List every scenario, not only failures.")
@click.pass_obj
def rules_test(obj: Context, directory: str | None, verbose: bool) -> None:
    """Run the scenario files (given a case, expect a decision)."""
    from triage.api import decider
    from triage.rules.scenarios import load_scenarios, run_scenario, uncovered_rules
    ruleset = obj.rules()
    where = Path(directory) if directory else ruleset.directory / "scenarios"
    if not where.is_dir():
        raise UsageError(f"--dir: {directory or where} is not a directory of scenario files (*.yaml)")
    scenarios = load_scenarios(where)
    if not scenarios:
        raise UsageError(f"--dir: {where} holds no scenario files (*.yaml)")
    d = decider(ruleset)
    outcomes = [run_scenario(d, sc) for sc in scenarios]
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if verbose or not o.passed:
            click.echo(f"{'PASS' if o.passed else 'FAIL'} {o.scenario.file}: {o.scenario.name}")
            for f in o.failures:
                click.echo(f"     {f}")
    missing = uncovered_rules(ruleset, outcomes)
    for rid in missing:
        click.echo(f"UNCOVERED rule {rid}: no scenario fires it")
    click.echo(f"{len(outcomes) - len(failed)} passed, {len(failed)} failed")
    if failed or missing:
        raise SystemExit(1)


def register(cli: click.Group) -> None:
    """Add these commands to the `triage` command group."""
    cli.add_command(rules)
