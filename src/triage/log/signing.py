"""The key that signs the decision log, kept apart from it, and the checkpoints it signs.

A hash chain alone proves nothing to someone who can write the file: they can change a row
and recompute every hash after it. So every chain entry also carries an HMAC-SHA256 of its
position and hash under a secret key that is not in the log. Without the key, no one can
alter, remove, renumber or add a record and leave valid signatures. A *checkpoint* (the number
of records and the head hash, signed) stored elsewhere catches what signatures cannot: a log
cut short, or replaced by an older copy.

The key comes from ``TRIAGE_LOG_KEY`` (64 hex digits), else the file ``TRIAGE_LOG_KEY_FILE``,
else ``$XDG_CONFIG_HOME/triage/log.key`` (``~/.config/triage/log.key``). A key file must be
the user's own and readable by no one else (mode 600); the first write to a log creates it
when it does not exist (``triage log keygen`` creates one on purpose).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from triage.contract.errors import StoreError, UsageError

KEY_ENV = "TRIAGE_LOG_KEY"
KEY_FILE_ENV = "TRIAGE_LOG_KEY_FILE"
CHECKPOINT_FORMAT = "triage-checkpoint/1"


def key_path() -> Path:
    """Where the key file is: ``TRIAGE_LOG_KEY_FILE``, else ``~/.config/triage/log.key``."""
    given = os.environ.get(KEY_FILE_ENV)
    if given:
        return Path(given)
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config) / "triage" / "log.key"


@dataclass(frozen=True)
class LogKey:
    """A signing key and where it came from (for messages)."""

    secret: bytes
    source: str

    @cached_property
    def id(self) -> str:
        """A short public name for the key (8 hex digits of its hash), stored with each signature."""
        return hashlib.sha256(b"triage-log-key-id|" + self.secret).hexdigest()[:8]

    def sign(self, text: str) -> str:
        # hmac.digest: the one-shot C path (every record of a batch is signed), same HMAC-SHA256
        return f"{self.id}:{hmac.digest(self.secret, text.encode(), 'sha256').hex()}"

    def check(self, text: str, signature: str | None) -> bool:
        return signature is not None and hmac.compare_digest(self.sign(text), signature)


def _parse(text: str, source: str) -> bytes:
    value = text.strip()
    if len(value) != 64 or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise StoreError(f"the log key in {source} is not 64 hex digits; create one with `triage log keygen`")
    return bytes.fromhex(value)


def load_key(*, create: bool = False) -> LogKey | None:
    """The signing key, or None when there is none (and ``create`` is false).

    A key file that others can read, or that another user owns, is refused: whoever can read
    the key can forge the log's signatures."""
    env = os.environ.get(KEY_ENV)
    if env:
        return LogKey(_parse(env, f"${KEY_ENV}"), f"${KEY_ENV}")
    path = key_path()
    try:
        info = path.stat()
    except FileNotFoundError:
        if not create:
            return None
        try:
            return create_key(path)
        except UsageError:  # another writer created it a moment ago: use theirs
            return load_key()
    except OSError as exc:
        raise StoreError(f"cannot read the log key {path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise StoreError(f"the log key {path} is not a file")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise StoreError(f"the log key {path} belongs to another user; use your own key file ({KEY_FILE_ENV})")
    if info.st_mode & 0o077:
        raise StoreError(f"the log key {path} can be read by others (mode {stat.S_IMODE(info.st_mode):03o}); "
                         f"run: chmod 600 {path}")
    try:
        return LogKey(_parse(path.read_text(encoding="ascii", errors="replace"), str(path)), str(path))
    except OSError as exc:
        raise StoreError(f"cannot read the log key {path}: {exc.strerror}") from None


def create_key(path: Path | None = None) -> LogKey:
    """Write a new random key to ``path`` (default: ``key_path()``), mode 600; never overwrites.

    The key is written to a private temporary file and then linked into place, so a process
    that finds the file finds it whole (writers starting at once on a new install agree on
    one key: see ``load_key``)."""
    path = path or key_path()
    secret = secrets.token_bytes(32)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret.hex() + "\n")
        os.link(tmp, path)
    except FileExistsError:
        raise UsageError(f"{path} exists already; a key is never overwritten (it signs the log so far)") from None
    except OSError as exc:
        raise StoreError(f"cannot create the log key {path}: {exc.strerror}") from None
    finally:
        try:
            tmp.unlink()
        except OSError:
            pass
    return LogKey(secret, str(path))


def link_text(chain_seq: int, link_hash: str) -> str:
    """What a chain entry's signature covers: its position and its hash (which covers its row
    and, through the previous hash, every record before it)."""
    return f"triage-chain|{chain_seq}|{link_hash}"


# ----------------------------------------------------------------------------- checkpoints

def checkpoint(key: LogKey, records: int, head: str, at: str) -> dict[str, Any]:
    """A signed statement of how many records the log held and its head hash."""
    body = {"format": CHECKPOINT_FORMAT, "records": records, "head": head, "at": at, "key": key.id}
    return {**body, "signature": key.sign(_checkpoint_text(body))}


def _checkpoint_text(body: dict[str, Any]) -> str:
    return json.dumps({k: body[k] for k in ("format", "records", "head", "at", "key")}, sort_keys=True)


def read_checkpoint(text: str, key: LogKey, source: str) -> dict[str, Any]:
    """A checkpoint from its JSON text, its signature checked (UsageError when it is not one)."""
    try:
        body = json.loads(text)
    except ValueError:
        raise UsageError(f"--against: {source} is not a checkpoint (not JSON); make one with `triage log head`") from None
    if not isinstance(body, dict) or body.get("format") != CHECKPOINT_FORMAT:
        raise UsageError(f"--against: {source} is not a checkpoint; make one with `triage log head`")
    if not isinstance(body.get("records"), int) or not isinstance(body.get("head"), str) \
            or not isinstance(body.get("at"), str) or not isinstance(body.get("key"), str):
        raise UsageError(f"--against: {source} is a damaged checkpoint (records, head, at or key missing)")
    if body["key"] != key.id:
        raise UsageError(f"--against: {source} was signed with another key ({body['key']}), not {key.source} "
                         f"({key.id})")
    if not key.check(_checkpoint_text(body), body.get("signature")):
        raise UsageError(f"--against: the signature of {source} is wrong: the checkpoint was altered")
    return body
