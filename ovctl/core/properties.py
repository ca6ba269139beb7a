"""Member property types: one table read by validation, the engine, the snapshot and the schemas.

A property exists in the account (ovctl assigns values, never creates one) and has a type. Each
type says, in one place:

- how a value written in an org file (YAML: a string, a number, a date, a boolean) is checked and
  normalised — ``org_value(raw)`` returns ``(text, None)`` or ``(None, reason)``; validation turns
  the reason into ``property '<name>' <reason>`` (code ``property_type``);
- how a value that arrives as text in a sync payload is checked — ``payload_ok(text)``; the engine
  skips a value that fails with "Skipped User Attribute - Invalid Value";
- whether the type has a list of options (``choices``). Options are checked by the callers, each
  with its own wording (a did-you-mean in validation, the account's "Skipped User Attribute Option
  Not Found" in the engine).

Property values are normalised strings everywhere in the core (``normalize_property_value``): the
text forms below (``NUMBER_TEXT``, ``DATE_TEXT``) are what the account's CSV and JSON carry.
``ovctl.core.model`` re-exports these names and derives ``PROPERTY_TYPES`` from ``TYPES``; the
``type`` enums of ``schemas/org.schema.json`` and ``schemas/state.schema.json`` list the same
names (a test checks it). To add a type: add a ``PropertyType`` to ``TYPES`` and its name to both
enums (see docs/architecture.md).

Pure: imports nothing from ovctl.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The text forms of property values, shared by validation (org files) and the engine (payloads):
# ASCII digits only, as the account's CSV and JSON carry them.
NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$", re.ASCII)
DATE_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def normalize_property_value(value: Any) -> str:
    """One canonical string per property value, so that YAML, JSON and CSV compare equal."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


OrgValue = tuple[str, None] | tuple[None, str]


@dataclass(frozen=True, slots=True)
class PropertyType:
    """One property type: its name and how its values are checked on each side."""

    name: str
    has_options: bool
    org_value: Callable[[Any], OrgValue]  # a single org-file value -> (text, None) | (None, reason)
    payload_ok: Callable[[str], bool]  # a payload's text value -> accepted?


# ------------------------------------------------------------------ org-file values (YAML scalars)


def _any_org_value(raw: Any) -> OrgValue:
    """choices and text: any single value, as its text (options are checked by the caller)."""
    return normalize_property_value(raw), None


def _date_org_value(raw: Any) -> OrgValue:
    """A YAML date, or a ``YYYY-MM-DD`` string naming a real day."""
    if isinstance(raw, _dt.date):
        return normalize_property_value(raw), None
    reason = ""
    if isinstance(raw, str) and DATE_TEXT.match(raw):
        try:
            _dt.date.fromisoformat(raw)
            return raw, None
        except ValueError as exc:
            reason = f" ({exc})"
    return None, f"is a date: expected YYYY-MM-DD, got {raw!r}{reason}"


def _numeric_org_value(raw: Any) -> OrgValue:
    """A YAML number (not a boolean), or a string in the number text form; kept in shortest form."""
    if isinstance(raw, float) and not math.isfinite(raw):  # YAML .nan, .inf, 1e999
        return None, f"is numeric: expected a finite number, got {raw!r}"
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return normalize_property_value(raw), None
    if isinstance(raw, str) and NUMBER_TEXT.match(raw.strip()):
        number = float(raw)
        if not math.isfinite(number):
            return None, f"is numeric: expected a finite number, got {raw!r}"
        return normalize_property_value(int(number) if number.is_integer() else number), None
    return None, f"is numeric: expected a number, got {raw!r}"


# ------------------------------------------------------------------ payload values (text)


def _any_payload_value(value: str) -> bool:
    """choices and text take any string (options are checked by the caller)."""
    return True


def _date_payload_value(value: str) -> bool:
    """A real ``YYYY-MM-DD`` date."""
    if not DATE_TEXT.match(value):
        return False
    try:
        _dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _numeric_payload_value(value: str) -> bool:
    """A finite number in the number text form."""
    return bool(NUMBER_TEXT.match(value.strip())) and math.isfinite(float(value))


# ------------------------------------------------------------------ the table

TYPES: tuple[PropertyType, ...] = (
    PropertyType("choices", has_options=True, org_value=_any_org_value, payload_ok=_any_payload_value),
    PropertyType("date", has_options=False, org_value=_date_org_value, payload_ok=_date_payload_value),
    PropertyType("numeric", has_options=False, org_value=_numeric_org_value, payload_ok=_numeric_payload_value),
    PropertyType("text", has_options=False, org_value=_any_org_value, payload_ok=_any_payload_value),
)

BY_NAME: dict[str, PropertyType] = {t.name: t for t in TYPES}

# The type names, in table order (``model.PROPERTY_TYPES``).
PROPERTY_TYPES: tuple[str, ...] = tuple(t.name for t in TYPES)


def property_type(name: str) -> PropertyType | None:
    """The table entry of a type name, or None for a name that is not a property type."""
    return BY_NAME.get(name)
