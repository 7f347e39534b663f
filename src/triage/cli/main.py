"""The `triage` command: short wrappers over the library (see STYLE.md, "Library first").

Errors are translated in one place (``main``): input problems exit 2, one line each;
any other `triage` error exits 1; a traceback is always a bug.
"""

from __future__ import annotations

import errno
import sys

import click

from .startup import without_pydantic_plugins

without_pydantic_plugins()

from triage import __version__  # noqa: E402
from triage.contract.errors import TriageError

from . import actions, assess, cases, council, log, report, rules, serve
from .common import Context


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="triage")
@click.option("--db", envvar="TRIAGE_DB", metavar="PATH",
              help="The decision log (SQLite). Default: $TRIAGE_DB, else ./triage.db.")
@click.option("--council", "council_dir", envvar="TRIAGE_COUNCIL", metavar="DIR",
              help="The council folder (`triage init DIR` makes one): its settings, details, taxonomy, "
                   "letters and scenarios on top of the shipped rules. Default: $TRIAGE_COUNCIL, else none.")
@click.option("--rules", "rules_dir", envvar="TRIAGE_RULES", metavar="DIR",
              help="Another rules directory instead of the shipped one (rarely needed: a council folder "
                   "keeps a council's changes apart). Default: $TRIAGE_RULES, else the shipped rules.")
@click.pass_context
def cli(ctx: click.Context, db: str | None, council_dir: str | None, rules_dir: str | None) -> None:
    """Triage representations to children's services: route, deadlines, reasons, log."""
    ctx.obj = Context(db, rules_dir, council_dir)


for _commands in (council, assess, log, cases, actions, rules, report, serve):
    _commands.register(cli)


# A file the command was pointed at cannot be used: the user's to fix (exit 2).
_PATH_ERRORS = {errno.ENOENT, errno.EISDIR, errno.ENOTDIR, errno.ENAMETOOLONG, errno.EACCES, errno.EPERM, errno.EROFS,
                errno.EEXIST, errno.ELOOP}


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and translate errors (exit 2 for bad input, 1 otherwise)."""
    args = sys.argv[1:] if argv is None else argv
    if any("\x00" in arg for arg in args):
        click.echo("error: an argument contains a NUL character; remove it", err=True)
        sys.exit(2)
    try:
        cli.main(args=args, prog_name="triage", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except TriageError as exc:
        for line in exc.lines():
            click.echo(f"error: {line}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except BrokenPipeError:
        sys.exit(0)
    except OSError as exc:  # a path given on the command line that cannot be read or written
        where = f" {exc.filename!s:.200}" if exc.filename else ""
        click.echo(f"error: cannot use{where}: {exc.strerror or exc}; give another path", err=True)
        sys.exit(2 if exc.errno in _PATH_ERRORS else 1)
