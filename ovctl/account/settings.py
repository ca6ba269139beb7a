"""Every environment variable about reaching the account, read in one place from a given mapping.

The CLI passes its console's environment (``os.environ`` in a real run); tests pass a dict. The
names below are the only spelling of each variable in ovctl: the CLI's ``--endpoint`` and
``--flavor`` options take their ``envvar`` from here too. The API key is read here and handed to
the HTTP client; it is never printed, logged or written (``AccountSettings`` hides it from repr).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from ovctl.core.errors import UsageError

ENDPOINT_ENV = "OVCTL_ENDPOINT"
FLAVOR_ENV = "OVCTL_FLAVOR"
KEY_ENV = "OVCTL_API_KEY"
KEY_FILE_ENV = "OVCTL_API_KEY_FILE"
TIMEOUT_ENV = "OVCTL_TIMEOUT"
EXPORT_ONLY_ENV = "OVCTL_EXPORT_ONLY"
EXPORT_CONCURRENCY_ENV = "OVCTL_EXPORT_CONCURRENCY"
DEFAULT_TIMEOUT = 30.0
DEFAULT_EXPORT_CONCURRENCY = 8  # export requests in flight at once (one per team)
MAX_EXPORT_CONCURRENCY = 64
NO_KEY = f"no API key: set {KEY_ENV}, or {KEY_FILE_ENV} to a file holding the key"


@dataclass(frozen=True, slots=True)
class AccountSettings:
    """What the environment says about talking to the account."""

    api_key: str = field(repr=False)
    timeout: float = DEFAULT_TIMEOUT
    export_only: bool = False
    export_concurrency: int = DEFAULT_EXPORT_CONCURRENCY


def from_environ(environ: Mapping[str, str] | None = None) -> AccountSettings:
    """All settings at once; the first bad one is a UsageError (the timeout is checked first)."""
    env = os.environ if environ is None else environ
    timeout = timeout_from_env(env)
    concurrency = export_concurrency(env)
    return AccountSettings(api_key=api_key_from_env(env), timeout=timeout, export_only=export_only(env),
                           export_concurrency=concurrency)


def check_api_key(key: str, source: str) -> str:
    """``key`` stripped of surrounding blanks, refused (UsageError naming ``source``, never the key)
    when it holds whitespace, control characters or non-ASCII: such a key can only be a mistake (a
    two-line key file, a pasted smart quote) and would reach an HTTP library's error message."""
    key = key.strip()
    for ch in key:
        if ch.isspace() or not ch.isprintable() or not ch.isascii():
            what = ("whitespace or a line break" if ch.isspace() else
                    "a non-ASCII character" if not ch.isascii() else "a control character")
            raise UsageError(f"the API key in {source} contains {what}; an API key is one line of printable "
                             "ASCII — check that it was copied whole and alone")
    return key


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str:
    """The key from OVCTL_API_KEY, else from the file named by OVCTL_API_KEY_FILE (stripped, checked)."""
    env = os.environ if environ is None else environ
    key = check_api_key(env.get(KEY_ENV) or "", KEY_ENV)
    if key:
        return key
    key_file = (env.get(KEY_FILE_ENV) or "").strip()
    if key_file:
        try:
            raw = Path(key_file).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UsageError(f"the API key file named by {KEY_FILE_ENV} ({key_file}) is not UTF-8 text") from None
        except OSError as e:
            raise UsageError(f"cannot read the API key file named by {KEY_FILE_ENV} ({key_file}): "
                             f"{e.strerror or e}") from None
        key = check_api_key(raw, f"the file named by {KEY_FILE_ENV} ({key_file})")
        if not key:
            raise UsageError(f"the API key file named by {KEY_FILE_ENV} ({key_file}) is empty")
        return key
    raise UsageError(NO_KEY)


def timeout_from_env(environ: Mapping[str, str] | None = None) -> float:
    """OVCTL_TIMEOUT: seconds per request, a finite number above 0 (30 when unset)."""
    env = os.environ if environ is None else environ
    raw = (env.get(TIMEOUT_ENV) or "").strip()
    if not raw:
        return DEFAULT_TIMEOUT
    try:
        timeout = float(raw)
    except ValueError:
        timeout = math.nan
    if not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(f"{TIMEOUT_ENV} must be a number of seconds above 0 (like 30 or 2.5), not {raw!r}")
    return timeout


def export_only(environ: Mapping[str, str] | None = None) -> bool:
    """``OVCTL_EXPORT_ONLY=1`` reads even a sandbox through the export API only, as a real account
    is read: a way to try (and test) the real-account path locally."""
    env = os.environ if environ is None else environ
    return (env.get(EXPORT_ONLY_ENV) or "").strip().lower() in ("1", "true", "yes")


def export_concurrency(environ: Mapping[str, str] | None = None) -> int:
    """OVCTL_EXPORT_CONCURRENCY: how many per-team export requests are in flight at once, a whole
    number from 1 (one after another) to 64 (8 when unset)."""
    env = os.environ if environ is None else environ
    raw = (env.get(EXPORT_CONCURRENCY_ENV) or "").strip()
    if not raw:
        return DEFAULT_EXPORT_CONCURRENCY
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_EXPORT_CONCURRENCY:
        raise UsageError(f"{EXPORT_CONCURRENCY_ENV} must be a whole number from 1 to {MAX_EXPORT_CONCURRENCY} "
                         f"(requests in flight at once), not {raw!r}")
    return n
