"""Hostile text in names and emails: control characters, bidi controls, invisible characters,
and look-alike emails (pure: no I/O).

Why: a name holding U+202E (right-to-left override) displays in another order than it is stored,
a NUL or an ANSI escape can cut or recolour a terminal line, and an email holding a zero-width
space (or a Cyrillic ``о`` in place of a Latin ``o``) looks exactly like another person's address.
The checks run on every name of a 50,000-member org, so each starts with ``str.isprintable()``
(C speed; true for ordinary names in any script) and only looks closer when it is false.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from ovctl.core.shown import escaped, shown

# C0 and C1 controls (DEL included), bidi controls (embeddings, overrides, isolates, marks, the
# Arabic letter mark), and the line and paragraph separators: none belongs in a name.
_NAME_BAD = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_SHOWN_CHARS = 5


def _listed(chars: set[str]) -> str:
    ordered = sorted(chars)
    text = ", ".join(escaped(c) for c in ordered[:_SHOWN_CHARS])
    return text + (", ..." if len(ordered) > _SHOWN_CHARS else "")


def name_flaw(text: str) -> str | None:
    """Why ``text`` cannot be a name (first/last name, job title, team or organization name), or
    None. The reason names the characters escaped (``\\u202e``), never raw."""
    if text.isprintable():
        return None
    found = {m.group() for m in itertools.islice(_NAME_BAD.finditer(text), 1000)}
    if not found:
        return None  # e.g. a no-break space or a zero-width joiner: not printable, but harmless in a name
    if found <= BIDI_CONTROLS:
        return (f"holds a bidirectional control character ({_listed(found)}), which makes it display in "
                "another order than it is stored; remove it")
    return f"holds a control character ({_listed(found)}); remove it"


def email_flaw(email: str) -> str | None:
    """Why ``email`` holds an invisible character (zero-width space or joiner, word joiner, byte-order
    mark, soft hyphen, any other format or control character), or None. Blanks are left to the
    email format rule (``malformed_email``), which already refuses them."""
    if email.isprintable():
        return None
    found = {c for c in set(email) if unicodedata.category(c) in ("Cc", "Cf") and not c.isspace()}
    if not found:
        return None
    return (f"holds an invisible character ({_listed(found)}): it would look like another address; "
            "remove it")


# Lower-case letters of other scripts that look like Latin letters (after NFKC and case folding).
_LOOKALIKES = {
    # Cyrillic
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0443": "y", "\u0445": "x",
    "\u0455": "s", "\u0456": "i", "\u0458": "j", "\u04bb": "h", "\u0501": "d", "\u051b": "q", "\u051d": "w",
    "\u04cf": "l", "\u043a": "k", "\u0457": "i", "\u0451": "e",
    # Greek
    "\u03b1": "a", "\u03bf": "o", "\u03c1": "p", "\u03bd": "v", "\u03b9": "i", "\u03ba": "k", "\u03c5": "u",
    "\u03c7": "x", "\u03f2": "c", "\u03f3": "j", "\u03b5": "e", "\u03c4": "t",
    # Latin look-alikes
    "\u0131": "i", "\u0261": "g", "\u0251": "a",
}
_SKELETON = str.maketrans(_LOOKALIKES)


def email_skeleton(email: str) -> str:
    """What an email looks like: NFKC-normalised, case-folded, look-alike letters of other scripts
    replaced by the Latin letter they resemble. For an ASCII email, its lower case (``email_key``)."""
    text = email.strip()
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold().translate(_SKELETON)


def lookalike_note(email: str, other: str) -> str:
    """How two emails with one skeleton differ: normalisation alone, or look-alike letters (named,
    escaped)."""
    folded = unicodedata.normalize("NFKC", email.strip()).casefold()
    if folded == unicodedata.normalize("NFKC", other.strip()).casefold():
        return "equal after Unicode normalisation (NFKC) and case folding"
    chars = {c for c in set(folded + unicodedata.normalize("NFKC", other.strip()).casefold()) if c in _LOOKALIKES}
    named = ", ".join(f"{escaped_all(c)} {unicodedata.name(c, '?')}" for c in sorted(chars)[:_SHOWN_CHARS])
    return f"letters of another script look like Latin ones ({named})" if named else "they look alike"


def escaped_all(text: str) -> str:
    """Every non-ASCII character escaped (to show look-alike letters, which are printable)."""
    return "".join(c if c.isascii() and c.isprintable() else
                   (f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}") for c in text)


def shown_email(email: str) -> str:
    """An email in a look-alike warning: shortened, with every non-ASCII character escaped."""
    return escaped_all(shown(email))
