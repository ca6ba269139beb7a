"""The cheap model classes (``core.records``) behave as the dataclasses they replaced, and the fast
fingerprint path hashes exactly the canonical JSON of the generic definition (plan files made by
an older ovctl keep matching)."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from ovctl.core.changes import FieldChange, MemberUpdate, TeamRef
from ovctl.core.fingerprint import _plain, canonical_json, fingerprint_org, fingerprint_snapshot
from ovctl.core.model import Member, Org, PropertyDef, Settings, Snapshot, SnapMember, SnapTeam, Team
from ovctl.core.validate.common import name_key


def test_records_compare_hash_and_print_like_dataclasses() -> None:
    a, b = Member("1", "a@x.io", "Ana", "Núñez"), Member("1", "a@x.io", "Ana", "Núñez")
    assert a == b and a != Member("2", "a@x.io", "Ana", "Núñez")
    assert a != ("1", "a@x.io", "Ana", "Núñez", None, None, {})  # another class is never equal
    assert repr(a) == ("Member(id='1', email='a@x.io', first_name='Ana', last_name='Núñez', job_title=None, "
                       "language=None, properties={})")
    with pytest.raises(TypeError):
        hash(a)  # mutable: unhashable, as a dataclass with eq
    assert dataclasses.is_dataclass(a) and dataclasses.replace(a, id="9").id == "9"
    assert dataclasses.asdict(a)["first_name"] == "Ana"
    assert not hasattr(a, "__dict__")  # slotted


def test_frozen_records_hash_by_value_and_refuse_assignment() -> None:
    ref = TeamRef("t1", "Sales")
    assert ref == TeamRef("t1", "Sales") and hash(ref) == hash(TeamRef("t1", "Sales"))
    assert len({ref, TeamRef("t1", "Sales"), TeamRef("t2", "Sales")}) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        ref.name = "Other"  # type: ignore[misc]
    up = MemberUpdate("m1", "a@x.io", "Ana N", (FieldChange("job_title", None, "Dev"),))
    assert up == MemberUpdate("m1", "a@x.io", "Ana N", (FieldChange("job_title", None, "Dev"),))
    assert up != MemberUpdate("m1", "a@x.io", "Ana N", (FieldChange("job_title", None, "QA"),))


def _generic(data: object) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(data).encode("utf-8")).hexdigest()


def test_fingerprints_hash_the_generic_canonical_json() -> None:
    org = Org("Acme", Settings(risk_users=3, protected=["m1"]), {"Site": PropertyDef("choices", ("Montréal", "Paris"))},
              [Member("m1", "a@x.io", "Ana", "Núñez", "Dev", "fr", {"Site": "Paris"}),
               Member("m2", "b@x.io", "Bo", "Lee", properties={"Site": "Montréal"})],
              [Team("t1", "Sales", None, ["m1"], ["m2"]), Team("t2", "Sub", "t1", previous_name="Old")])
    assert fingerprint_org(org) == _generic(org)
    snap = Snapshot([SnapMember("a@x.io", "m1", "Ana", "Núñez", properties={"Site": "Paris"})],
                    [SnapTeam("ov1", "Sales", "t1", None, ["a@x.io"], [])], {"Site": PropertyDef("text")},
                    invite_new_members=True, protected=["m1"], applied_plans=["x"])
    expected = {"format_version": 1, "settings": {"invite_new_members": True},
                "properties": {"Site": {"type": "text"}}, "members": snap.members, "teams": snap.teams}
    assert fingerprint_snapshot(snap) == _generic(expected)
    assert _plain(org.members[0])["properties"] == {"Site": "Paris"}


@pytest.mark.parametrize("text", ["Ana-María O'Neil", "Ｆｕｌｌ width", "snake_case 12", "Ωmega ß", "١٢٣ digits", ""])
def test_name_key_keeps_exactly_the_alphanumerics(text: str) -> None:
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    assert name_key(text) == "".join(c for c in decomposed if c.isalnum()).lower()


def _member_variants() -> list[object]:
    base = {"email": "a@x.io", "external_id": "m1", "first_name": "Ana", "last_name": "Núñez", "job_title": None,
            "language": "fr", "status": "invited", "role": "admin", "properties": {"Site": "Paris", "Empty": ""}}
    variants: list[object] = [base, {"email": "b@x.io"}, [], "text", {**base, "extra": 1}]
    odd_values: list[object] = [None, "", " ", 3, 2.5, True, [], {}, "x@y", "deactivated", "executive", "nope"]
    for key in [*base, "status", "role"]:
        for value in odd_values:
            variants.append({**base, key: value})
    for value in odd_values:
        variants.append({**base, "properties": {"Site": value}})
        variants.append({**base, "properties": {1: "x"}})
    return variants


def test_the_fast_member_reader_accepts_and_builds_exactly_what_the_checked_one_does() -> None:
    from ovctl.core.errors import SnapshotError
    from ovctl.core.snapshot import _Checker, _member, _plain_member

    for raw in _member_variants():
        fast = _plain_member(raw)
        try:
            checked = _member(_Checker(""), raw, "members[0]", {})
        except SnapshotError:
            assert fast is None, raw  # the fast reader never accepts what the checks refuse
            continue
        assert fast is None or fast == checked, raw
    assert _plain_member(_member_variants()[0]) is not None  # and it does read the usual entry
