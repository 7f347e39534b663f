"""`triage rules` (check, readability, test, settings): check and test the rules, show the settings."""

from __future__ import annotations

from pathlib import Path

import click

from .common import Context, echo_json


@click.group()
def rules() -> None:
    """Check and test the rules, and show the effective settings."""


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
@click.option("--dir", "directory", metavar="DIR",
              help="Run only this scenario directory, against the effective rules (default: the shipped "
                   "scenarios against the shipped settings, then the council folder's scenarios).")
@click.option("-v", "--verbose", is_flag=True, help="List every scenario, not only failures.")
@click.pass_obj
def rules_test(obj: Context, directory: str | None, verbose: bool) -> None:
    """Run the scenario files (given a case, expect a decision)."""
    from triage.api import decider
    from triage.rules.council import scenario_suites
    from triage.rules.scenarios import load_scenarios, run_scenario, uncovered_rules
    ruleset = obj.rules()
    suites = [("scenarios", ruleset, Path(directory))] if directory else scenario_suites(ruleset)
    all_outcomes, missing = [], []
    for label, rules_, folder in suites:
        outcomes = [run_scenario(decider(rules_), sc) for sc in load_scenarios(folder)]
        failed = [o for o in outcomes if not o.passed]
        for o in outcomes:
            if verbose or not o.passed:
                click.echo(f"{'PASS' if o.passed else 'FAIL'} {o.scenario.file}: {o.scenario.name}")
                for f in o.failures:
                    click.echo(f"     {f}")
        if len(suites) > 1:
            against = "the shipped settings" if rules_.council_dir is None else "the council's settings"
            click.echo(f"{label} ({folder}, against {against}): {len(outcomes) - len(failed)} passed, "
                       f"{len(failed)} failed")
        if label == "shipped scenarios" or directory:
            missing = uncovered_rules(rules_, outcomes)
        all_outcomes += outcomes
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
