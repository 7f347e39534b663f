"""`triage serve`, `triage keys` and `triage users`: short wrappers over ``triage.server``.

    from .serve import register
    register(cli)       # adds the three commands to the `triage` group

``--db`` may be given to the `triage` command (as everywhere) or to these commands.
"""

from __future__ import annotations

import re
from typing import Any

import click

from triage.contract.errors import UsageError

from .common import echo_json, json_option

_KEY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_USER_NAME = re.compile(r"^[^\W_][\w .@'-]{0,99}$")
_DB = click.option("--db", metavar="PATH", help="The decision log (SQLite). Default: the `triage --db` option, "
                                                "$TRIAGE_DB, else ./triage.db.")

_PASSWORD_STDIN = click.option("--password-stdin", is_flag=True,
                               help="Read the password from the first line of standard input (for scripts), "
                                    "instead of asking for it twice.")


def _db(db: str | None) -> str | None:
    """This command's --db, else the `triage` group's (which already read $TRIAGE_DB)."""
    if db:
        return db
    obj = click.get_current_context().find_object(object)
    return getattr(obj, "db_path", None)


def _tables(db: str | None) -> Any:
    from triage.log.store import DecisionLog
    from triage.server.tables import ServerTables

    return ServerTables(DecisionLog(_db(db)))


def _name(value: str, pattern: re.Pattern[str], what: str) -> str:
    value = value.strip()
    if not pattern.match(value):
        raise UsageError(f"{value!r} is not a usable {what} name: use letters, digits and . _ - "
                         f"({'spaces and apostrophes too, ' if what == 'user' else ''}at most "
                         f"{100 if what == 'user' else 64} characters)")
    return value


def _new_password(name: str, from_stdin: bool = False) -> str:
    """The new password: the first line of standard input (--password-stdin), else asked twice."""
    from triage.server.auth import password_problem

    if from_stdin:
        import sys

        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise UsageError("--password-stdin: standard input is empty; pipe the password in, "
                             "e.g. printf '%s\\n' \"$PASSWORD\" | triage users add NAME --password-stdin")
    else:
        password = click.prompt(f"Password for {name}", hide_input=True, confirmation_prompt=True, err=True)
    problem = password_problem(password)
    if problem:
        raise UsageError(problem)
    return password


def _done(as_json: bool, result: dict[str, Any], line: str) -> None:
    """Say what was done: one line, or the result as JSON."""
    if as_json:
        echo_json(result)
    else:
        click.echo(line)


def register(cli: click.Group) -> None:
    """Add `serve`, `keys` and `users` to the `triage` command group."""

    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
    @click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
    @_DB
    @click.option("--https-only", is_flag=True,
                  help="Send the session cookie over HTTPS only (when a TLS proxy is in front).")
    @click.option("--secret-key-file", metavar="PATH", envvar="TRIAGE_SECRET_KEY_FILE",
                  help="A file whose first line is the key that signs session cookies (at least 32 random "
                       "characters). Default: $TRIAGE_SECRET_KEY_FILE, else $TRIAGE_SECRET_KEY, else a random "
                       "key per start.")
    @click.option("--forwarded-allow-ips", metavar="IPS",
                  help="Trust X-Forwarded-For/-Proto from these reverse proxies (comma-separated addresses, "
                       "e.g. 127.0.0.1). Default: trust none.")
    @click.option("--request-log", type=click.Choice(["json", "off"]), default="json", show_default=True,
                  help="One JSON line per request on standard output (time, client, method, path without "
                       "the query, status, ms, bytes, API key name).")
    @click.option("--log-level", default="info", show_default=True,
                  type=click.Choice(["critical", "error", "warning", "info", "debug"]))
    @click.pass_context
    def serve(ctx: click.Context, host: str, port: int, db: str | None, https_only: bool,
              secret_key_file: str | None, forwarded_allow_ips: str | None, request_log: str, log_level: str) -> None:
        """Serve the eForm API (/v1) and the managers' pages on one log.

        API clients send `Authorization: Bearer KEY` (`triage keys add NAME`); managers sign
        in with `triage users add NAME`. Session cookies are signed with the key of
        --secret-key-file or $TRIAGE_SECRET_KEY (a short or placeholder key is refused; without
        one, a random key: managers sign in again after a restart). The rules are the shipped
        ones with the --council folder on top. OpenAPI: /v1/openapi.json.
        """
        from triage.server.app import create_app
        from triage.server.auth import session_key
        from triage.server.runner import run

        session_secret = session_key(secret_key_file)
        from .common import Context

        obj = ctx.find_object(Context)
        rules = obj.rules() if obj is not None else None
        app = create_app(_db(db), rules, secret_key=session_secret, https_only=https_only, request_log=request_log == "json")
        backend = app.state.backend
        tables = _tables(str(backend.db_path))
        live = [k for k in tables.keys() if not k.revoked_at]
        rules = backend.rules
        council = f"council folder {rules.council_dir}" if rules.council_dir else "shipped settings, no council folder"
        click.echo(f"triage: serving http://{host}:{port} (log {backend.db_path}; {council}; {len(live)} API keys, "
                   f"{len(tables.users())} users)", err=True)
        from triage.log import signing
        key = signing.load_key(create=True)  # a key the service cannot read or create fails here, not per request
        if key is not None:
            click.echo(f"triage: new records are signed with log key {key.id} ({key.source}); "
                       "every writer of this log needs the same key", err=True)
        if session_secret is None:
            click.echo("warning: no session key (--secret-key-file or $TRIAGE_SECRET_KEY): managers sign in again "
                       "after every restart", err=True)
        if not live:
            click.echo("warning: no API key yet: the eForm API refuses every request (triage keys add NAME)", err=True)
        if not tables.users():
            click.echo("warning: no users yet: nobody can sign in to the pages (triage users add NAME)", err=True)
        run(app, host, port, log_level=log_level, forwarded_allow_ips=forwarded_allow_ips)

    @cli.group()
    def keys() -> None:
        """API keys for the eForm backend (only a hash of each key is stored)."""

    @keys.command("add")
    @click.argument("name")
    @_DB
    @json_option("the key's name and the key itself")
    def keys_add(name: str, db: str | None, as_json: bool) -> None:
        """Create a key named NAME and print it (once: it cannot be shown again)."""
        from triage.server.auth import key_hash, key_prefix, new_api_key

        name = _name(name, _KEY_NAME, "key")
        key = new_api_key()
        _tables(db).add_key(name, key_hash(key), key_prefix(key))
        if as_json:
            echo_json({"name": name, "key": key})
            return
        click.echo(f"API key {name!r} created. It is shown once: keep it in the client's secret store "
                   f"and send it as 'Authorization: Bearer KEY'.", err=True)
        click.echo(key)

    @keys.command("list")
    @_DB
    @json_option("each key's name, first characters and when it was created or revoked")
    def keys_list(db: str | None, as_json: bool) -> None:
        """List keys (name, first characters, when created or revoked)."""
        rows = _tables(db).keys()
        if as_json:
            echo_json([{"name": k.name, "prefix": k.prefix, "created_at": k.created_at, "revoked_at": k.revoked_at}
                       for k in rows])
            return
        if not rows:
            click.echo("No API keys.")
        for k in rows:
            state = f"revoked {k.revoked_at}" if k.revoked_at else "live"
            click.echo(f"{k.name:24} {k.prefix}…  created {k.created_at}  {state}")

    @keys.command("revoke")
    @click.argument("name")
    @_DB
    @json_option("the key revoked")
    def keys_revoke(name: str, db: str | None, as_json: bool) -> None:
        """Revoke the key named NAME (a running server stops accepting it within seconds)."""
        _tables(db).revoke_key(name)
        _done(as_json, {"name": name, "revoked": True}, f"revoked: {name}")

    @cli.group()
    def users() -> None:
        """Managers who sign in to the web pages (passwords stored as salted scrypt hashes)."""

    @users.command("add")
    @click.argument("name")
    @_PASSWORD_STDIN
    @_DB
    @json_option("the user added")
    def users_add(name: str, password_stdin: bool, db: str | None, as_json: bool) -> None:
        """Add a manager; prompts for the password (twice), or reads it with --password-stdin."""
        from triage.server.auth import hash_password

        name = _name(name, _USER_NAME, "user")
        tables = _tables(db)
        if tables.user(name) is not None:
            raise UsageError(f"a user named {name!r} already exists; change the password with "
                             f"`triage users password {name}`")
        tables.add_user(name, hash_password(_new_password(name, password_stdin)))
        _done(as_json, {"name": name, "added": True}, f"added user: {name}")

    @users.command("password")
    @click.argument("name")
    @_PASSWORD_STDIN
    @_DB
    @json_option("the user whose password changed")
    def users_password(name: str, password_stdin: bool, db: str | None, as_json: bool) -> None:
        """Set a manager's password (signs them out everywhere); prompts, or reads --password-stdin."""
        from triage.server.auth import hash_password

        tables = _tables(db)
        if tables.user(name) is None:
            raise UsageError(f"no user named {name!r} (see `triage users list`)")
        tables.set_password(name, hash_password(_new_password(name, password_stdin)))
        _done(as_json, {"name": name, "password_changed": True}, f"password changed: {name}")

    @users.command("list")
    @_DB
    @json_option("each manager's name and when they were added and their password set")
    def users_list(db: str | None, as_json: bool) -> None:
        """List managers."""
        rows = _tables(db).users()
        if as_json:
            echo_json([{"name": u.name, "created_at": u.created_at, "password_set_at": u.updated_at} for u in rows])
            return
        if not rows:
            click.echo("No users.")
        for u in rows:
            click.echo(f"{u.name:32} added {u.created_at}  password set {u.updated_at}")

    @users.command("unlock")
    @click.argument("name")
    @_DB
    @json_option("the user unlocked")
    def users_unlock(name: str, db: str | None, as_json: bool) -> None:
        """Lift the lock that failed sign-ins put on a name (recorded as an unlock)."""
        tables = _tables(db)
        if tables.user(name) is None:
            raise UsageError(f"no user named {name!r} (see `triage users list`)")
        tables.record_signin(name, "administrator", "unlocked")
        _done(as_json, {"name": name, "unlocked": True},
              f"unlocked: {name} (failed sign-ins before now no longer count)")

    @users.command("signins")
    @click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
    @_DB
    @json_option("the sign-in attempts (at, name, address, outcome)")
    def users_signins(limit: int, db: str | None, as_json: bool) -> None:
        """The latest sign-in attempts, newest first: time, name, client address, outcome."""
        rows = _tables(db).signins(limit)
        if as_json:
            echo_json([{"at": at, "name": who, "address": address, "outcome": outcome}
                       for at, who, address, outcome in rows])
            return
        if not rows:
            click.echo("No sign-in attempts.")
        for at, who, address, outcome in rows:
            click.echo(f"{at}  {outcome:26} {address:16} {who}")

    @users.command("remove")
    @click.argument("name")
    @_DB
    @json_option("the user removed")
    def users_remove(name: str, db: str | None, as_json: bool) -> None:
        """Remove a manager (their sessions end at their next request)."""
        _tables(db).remove_user(name)
        _done(as_json, {"name": name, "removed": True}, f"removed user: {name}")
