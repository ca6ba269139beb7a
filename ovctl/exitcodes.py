"""Every exit code ovctl uses, named once: scripts and CI depend on these numbers."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes. CHANGES and BLOCKED mirror ``terraform plan -detailed-exitcode``:
    2 means "changes pending", 3 means "a safety guard refused" (``plan --detailed-exitcode``
    and a blocked ``apply``)."""

    OK = 0
    ERROR = 1
    CHANGES = 2
    BLOCKED = 3
    INTERRUPTED = 130
