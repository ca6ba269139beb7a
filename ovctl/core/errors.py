"""One error root for everything a user can get wrong; the CLI turns it into exit code 1.

Every user-facing failure is an ``OvctlError`` whose ``lines()`` are printed one per line to
stderr, with no traceback. Messages must never contain the API key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ovctl.core.records import record


@record(frozen=True)
class Problem:
    """One finding about an input file: where it is and what is wrong.

    ``path`` is the file (as the user named it), ``line``/``column`` are 1-based (0 when unknown),
    ``field`` is a dotted path inside the document when no position is known.
    """

    message: str
    path: str = ""
    line: int = 0
    column: int = 0
    severity: str = "error"  # "error" | "warning"
    code: str = ""
    field: str = ""

    def location(self) -> str:
        if self.path and self.line:
            return f"{self.path}:{self.line}:{self.column or 1}"
        if self.path and self.field:
            return f"{self.path}: {self.field}"
        return self.path or self.field

    def __str__(self) -> str:
        loc = self.location()
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{loc}: {prefix}{self.message}" if loc else f"{prefix}{self.message}"


class OvctlError(Exception):
    """Root of every error ovctl reports to a user (exit code 1, no traceback)."""

    exit_code = 1

    def lines(self) -> list[str]:
        return [f"error: {self}"]


@dataclass
class ValidationFailed(OvctlError):
    """The org file (or a snapshot) has problems; nothing was sent."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        Exception.__init__(self, f"{len(self.errors)} problem(s) found")

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    def lines(self) -> list[str]:
        out = [str(p) for p in self.problems]
        n = len(self.errors)
        out.append(f"error: {n} problem{'s' if n != 1 else ''} found; nothing was sent.")
        return out


class SnapshotError(OvctlError):
    """A snapshot / state file is missing, unreadable or does not match the schema."""


class SourceError(OvctlError):
    """An import source (snapshot, the official CSV files, an HRIS export) cannot become an org;
    the message names the file and line (or field)."""


class UsageError(OvctlError):
    """Options that do not fit together, a missing endpoint or key, and the like."""


class PayloadRejected(OvctlError):
    """A sync payload the account would reject whole (an empty or missing section)."""


class GuardError(OvctlError):
    """A safety guard refused the plan; ``--force`` lifts it."""


class ApiError(OvctlError):
    """The account (or sandbox) answered with an error, garbage, or not at all."""


class SyncOutcomeUnknown(ApiError):
    """A sync request may or may not have reached the account (a timeout after the body was sent,
    a connection lost mid-answer, a gateway error): it is never resent blindly."""


class OutputError(OvctlError):
    """A file ovctl was asked to write cannot be written (a directory, no permission, disk full)."""


class PlanFileError(OvctlError):
    """A saved plan file is unreadable, stale (fingerprints differ) or already applied."""
