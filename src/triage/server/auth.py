"""Credentials: API keys for the eForm backend, passwords for managers, CSRF tokens.

- An API key is 32 random bytes (``tri_`` + URL-safe base64). Only its sha256 is stored: a
  key is not guessable, so a fast hash is enough and lets each request be checked cheaply.
- A password is stored as a salted scrypt hash (``hashlib.scrypt``, N=2**15, r=8, p=1: about
  32 MiB and a tenth of a second per check, which makes guessing a stolen table slow).
- A CSRF token is per session, sent in every form and compared in constant time on POST.
- The session key signs managers' session cookies. In production it comes from a file
  (``--secret-key-file``, ``TRIAGE_SECRET_KEY_FILE``) or ``TRIAGE_SECRET_KEY``, and a short or
  placeholder key is refused: whoever knows it can sign in as anyone.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from triage.contract.errors import UsageError

KEY_PREFIX = "tri_"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}
_MAXMEM = 64 * 1024 * 1024
MIN_PASSWORD = 10
MIN_SESSION_KEY = 32
_PLACEHOLDERS = ("changeme", "change-me", "change_me", "secret", "password", "replace-me", "replaceme",
                 "your-secret-key", "triage")
MAKE_SESSION_KEY = "python3 -c 'import secrets; print(secrets.token_urlsafe(48))'"


def session_key(key_file: str | None = None) -> str | None:
    """The session key for `triage serve`: the first line of ``key_file`` (else of
    ``$TRIAGE_SECRET_KEY_FILE``), else ``$TRIAGE_SECRET_KEY``, else None (a random key per
    start: managers sign in again after a restart). A short or placeholder key is refused."""
    path = key_file or os.environ.get("TRIAGE_SECRET_KEY_FILE")
    if path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the session key file {path}: {getattr(exc, 'strerror', None) or exc}; "
                             f"create it with: {MAKE_SESSION_KEY} > {path}") from None
        where = f"the session key file {path}"
    elif os.environ.get("TRIAGE_SECRET_KEY"):
        key, where = os.environ["TRIAGE_SECRET_KEY"].strip(), "$TRIAGE_SECRET_KEY"
    else:
        return None
    if len(key) < MIN_SESSION_KEY or key.casefold().strip("<>") in _PLACEHOLDERS or len(set(key)) < 8:
        raise UsageError(f"{where} is too weak ({len(key)} characters{', a placeholder' if len(key) >= 32 else ''}); "
                         f"use at least {MIN_SESSION_KEY} random characters, e.g. {MAKE_SESSION_KEY}")
    return key


def new_api_key() -> str:
    """A fresh API key (shown once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_prefix(key: str) -> str:
    """The first characters of a key, to tell keys apart in `triage keys list`."""
    return key[: len(KEY_PREFIX) + 6]


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64), salted with 16 random bytes."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, maxmem=_MAXMEM, dklen=32, **_SCRYPT)
    encoded = [base64.b64encode(b).decode("ascii") for b in (salt, digest)]
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${encoded[0]}${encoded[1]}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             maxmem=_MAXMEM, dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_user_password(password: str, stored: str | None) -> bool:
    """Check a password; an unknown user (``stored`` None) costs as long as a wrong password,
    so timing does not tell which names exist."""
    if stored is None:
        check_password(password, _dummy_hash())
        return False
    return check_password(password, stored)


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD:
        return f"a password needs at least {MIN_PASSWORD} characters"
    return None


def password_version(stored: str) -> str:
    """A short fingerprint of the stored hash kept in the session: a changed password or a
    removed user ends every session signed in with the old one."""
    return hashlib.sha256(stored.encode("ascii")).hexdigest()[:16]


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(str(given), str(expected))
