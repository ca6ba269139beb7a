"""The ``GET /sandbox/snapshot`` answer: ``JSONResponse(snapshot.to_dict())``'s very bytes, made once
per state of the account, and after a sync mostly reused.

Why: an apply reads the account back right after its sync, and at 20,000 members encoding the
whole account was ~0.05–0.08 s of the time it waits (``to_dict``, the check that orjson writes what
json would, orjson). A sync changes a few hundred members; the store knows which positions
(``Store.derived``). So the answer keeps each member's row, and the next answer re-encodes only
the rows whose member changed, around the rest of the document encoded again (settings,
properties, teams: small).

When a kept row may be reused: the store found its member equal to the one at the same position
(``!=`` field by field, and the properties' key order), and the kept rows hold only text and
``null`` values ("plain"). An equal value of another type could be written otherwise (``1`` and
``true`` are equal); equal to a text, a value is a text. Any other case, or an answer orjson does
not write as json does, is encoded whole as before. ``tests/test_sandbox_answers.py`` holds every
answer to ``JSONResponse``'s bytes across generated syncs and hand-edited databases.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any

import orjson
from starlette.responses import JSONResponse, Response

from ovctl.core import jsontext
from ovctl.core.model import Snapshot
from ovctl.sandbox.store import Store

_PLAIN = frozenset({str, type(None)})


def _answer_body(data: dict[str, Any]) -> bytes:
    """``JSONResponse(data).body``, byte for byte: by orjson (~5x faster: 0.09 s -> ~0.02 s at 20,000
    members, on every read after a sync) when every value is one it writes as json does."""
    fast = jsontext.snapshot_text(data, indent=False)
    return JSONResponse(data).body if fast is None else fast


def _plain_rows(members: list[dict[str, Any]]) -> list[bytes] | None:
    """Each member's row (``to_dict``'s member objects) as JSONResponse writes it inside the
    answer, when every value is text or null (the properties' too); else None."""
    values = list(chain.from_iterable(map(dict.values, members)))
    held = [v for v in values if type(v) is dict]  # the properties
    if not (set(map(type, values)) <= _PLAIN | {dict}
            and set(map(type, chain.from_iterable(map(dict.values, held)))) <= _PLAIN):
        return None
    try:
        return list(map(orjson.dumps, members))
    except TypeError:  # a lone surrogate: json's business
        return None


@dataclass(frozen=True)
class _Answer:
    snapshot: Snapshot
    body: bytes
    rows: list[bytes] | None  # the members' rows, when plain: what the next answer may reuse


def _around(snap: Snapshot) -> tuple[bytes, bytes] | None:
    """The answer's text before and after its members' rows, when orjson writes it as json does."""
    rest = replace(snap, members=[]).to_dict()
    keys = list(rest)
    cut = keys.index("members")
    before = {k: rest[k] for k in keys[:cut]}
    after = {k: rest[k] for k in keys[cut + 1:]}
    if not (jsontext.values_alike([before]) and jsontext.values_alike([after])):
        return None
    head, tail = jsontext.orjson_text(before), jsontext.orjson_text(after)
    if head is None or tail is None:
        return None
    return (head[:-1] + (b',"members":[' if before else b'"members":['),
            b"]" + (b"," + tail[1:] if after else b"}"))


def encoded(snap: Snapshot) -> _Answer:
    """The whole answer, with its rows when they are plain and make it up exactly."""
    data = snap.to_dict()
    body = _answer_body(data)
    rows = _plain_rows(data["members"])
    if rows is not None:
        around = _around(snap)
        if around is None or b"".join((around[0], b",".join(rows), around[1])) != body:
            rows = None
    return _Answer(snap, body, rows)


def spliced(snap: Snapshot, kept: _Answer, changed: list[int]) -> _Answer | None:
    """``snap``'s answer from ``kept`` (the account before a sync that left every member outside
    ``changed`` equal, at the same position), or None when it must be encoded whole."""
    if kept.rows is None:
        return None
    around = _around(snap)
    if around is None:
        return None
    members = snap.members
    fresh = [i for i in changed if i < len(members)]
    new_rows = _plain_rows(replace(snap, members=[members[i] for i in fresh], teams=[]).to_dict()["members"])
    if new_rows is None:
        return None
    rows = kept.rows[:len(members)]
    rows.extend([b""] * (len(members) - len(rows)))
    for i, row in zip(fresh, new_rows):
        rows[i] = row
    return _Answer(snap, b"".join((around[0], b",".join(rows), around[1])), rows)


class SnapshotAnswers:
    """The answers of one store: kept while ``store.load_account()`` hands out the same Snapshot
    (nothing changed it; it is never mutated), so reading an unchanged account again costs no
    encoding; after a sync, spliced from the kept one (see the module's docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._kept: _Answer | None = None

    def body(self) -> bytes:
        """The answer's bytes for the account as it is now (JSONResponse's own encoding)."""
        with self._lock:
            snap = self.store.load_account()
            kept = self._kept
            if kept is not None and kept.snapshot is snap:
                return kept.body
            derived = self.store.derived(snap)
            answer = None
            if kept is not None and derived is not None and derived[0] is kept.snapshot:
                answer = spliced(snap, kept, derived[1])
            self._kept = answer if answer is not None else encoded(snap)
            return self._kept.body

    def prepare(self) -> None:
        """Encode the answer now (``serve``, before it listens). An account JSON cannot carry (a value
        of another type written into the database by hand) fails its reads with a 500 as before,
        not the start."""
        try:
            self.body()
        except (TypeError, ValueError):
            pass

    def response(self) -> Response:
        """The same response as ``JSONResponse(snapshot.to_dict())``: body, content type, length."""
        return Response(self.body(), media_type=JSONResponse.media_type)
