"""The org checks' lazy positions (``validate.members``/``teams`` ask ``value_pos`` only when a
message needs one) against the code they replaced: the same problems (message, file, line, column,
severity, code) and the same org, on generated orgs full of duplicates, aliases, look-alike emails,
unknown and repeated references.

The reference below is the previous code, kept verbatim (only renamed): eager ``(document,
position)`` entries for ids and emails, and a position per team reference.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings, strategies as st

from ovctl.core.errors import Problem
from ovctl.core.model import Member, Org, PropertyDef, Settings, email_key
from ovctl.core.positions import Pos, key_pos, value_pos
from ovctl.core.shown import shown
from ovctl.core.validate import _Checker, build_org
from ovctl.core.validate.common import Document, norm_id
from ovctl.core.validate.members import EMAIL_RE
from ovctl.core.validate.teams import _TeamRec
from ovctl.core.validate.text import email_flaw, email_skeleton, lookalike_note, shown_email
from ovctl.files.yamlsource import parse_yaml


class _Reference(_Checker):
    """The checker with the previous eager-position ``members``, ``lookalike_email`` and ``refs``."""

    def members(self, properties: dict[str, PropertyDef]) -> tuple[list[Member], dict[str, tuple[Document, Pos]]]:
        out: list[Member] = []
        ids: dict[str, tuple[Document, Pos]] = {}
        emails: dict[str, tuple[str, Document, Pos]] = {}
        lookalikes: dict[str, tuple[str, Document, Pos]] = {}  # skeletons of the non-ASCII emails
        prop_lower = {n.lower(): n for n in properties}
        option_lower = {n: {o.lower(): o for o in p.options or ()} for n, p in properties.items()}
        self.property_values: dict[tuple, str] = {}  # (name, type, raw) -> its accepted value: 50,000 members share a few
        for doc in self.docs:
            items = doc.data.get("members")
            if not isinstance(items, list):
                continue
            for i, m in enumerate(items):
                if not isinstance(m, dict):
                    continue
                mid = norm_id(m.get("id"))
                ok = mid is not None
                if mid is not None:
                    here = value_pos(m, "id")
                    if mid in ids and ids[mid] == (doc, here):  # the same mapping again, through an alias
                        self.error(doc, value_pos(items, i), f"member '{shown(mid)}' is defined twice through a YAML alias "
                                   f"(defined at {self.loc(doc, here)})", "duplicate_member_id")
                        ok = False
                    elif mid in ids:
                        self.error(doc, here, f"duplicate member id '{shown(mid)}' (first defined at {self.loc(*ids[mid])})",
                                   "duplicate_member_id")
                        ok = False
                    else:
                        ids[mid] = (doc, here)
                email = m.get("email")
                if isinstance(email, str):
                    here = value_pos(m, "email")
                    key = email_key(email)
                    invisible = email_flaw(email)
                    if invisible is not None:
                        self.error(doc, here, f"email '{shown(email)}' {invisible}", "invisible_character")
                        ok = False
                    elif not EMAIL_RE.match(email.strip()):
                        self.error(doc, here, f"malformed email '{shown(email)}'", "malformed_email")
                        ok = False
                    elif key in emails:
                        other, odoc, opos = emails[key]
                        self.error(doc, here, f"duplicate email '{shown(email)}': '{shown(other)}' at {self.loc(odoc, opos)} "
                                   "(emails compare case-insensitively)", "duplicate_email")
                        ok = False
                    else:
                        self.lookalike_email(doc, here, email, key, emails, lookalikes)
                        emails[key] = (email, doc, here)
                else:
                    ok = False
                self.name_texts(doc, m, ("first_name", "last_name", "job_title"))
                first, last = m.get("first_name"), m.get("last_name")
                ok = ok and isinstance(first, str) and isinstance(last, str)
                values = self.member_properties(doc, m, properties, prop_lower, option_lower)
                if ok:
                    title, lang = m.get("job_title"), m.get("language")
                    out.append(Member(mid, email.strip(), first, last,
                                      title if isinstance(title, str) else None,
                                      lang if isinstance(lang, str) else None, values))
        return out, ids

    def lookalike_email(self, doc: Document, here: Pos, email: str, key: str,
                        emails: dict[str, tuple[str, Document, Pos]],
                        lookalikes: dict[str, tuple[str, Document, Pos]]) -> None:
        """Warn when ``email`` looks like an earlier one: equal after NFKC normalisation and case
        folding, or once look-alike letters of another script (a Cyrillic ``о``) read as Latin.
        ASCII emails (nearly all) cost one dict test, and only when some email is not ASCII."""
        if email.isascii():
            if not lookalikes:
                return
            found = lookalikes.get(key)
        else:
            skeleton = email_skeleton(email)
            found = lookalikes.get(skeleton) or emails.get(skeleton)
            lookalikes.setdefault(skeleton, (email, doc, here))
        if found is None:
            return
        other, odoc, opos = found
        self.warn(doc, here, f"email '{shown_email(email)}' looks like '{shown_email(other)}' at "
                  f"{self.loc(odoc, opos)} ({lookalike_note(email, other)}): check that they are two different "
                  "people", "confusable_email")


    def refs(self, doc: Document, node: dict, role: str, tid: str,
             member_ids: dict[str, tuple[Document, Pos]]) -> list[str]:
        items = node.get(role)
        out: list[str] = []
        if not isinstance(items, list):
            return out
        seen: set[str] = set()
        for i, raw in enumerate(items):
            mid = norm_id(raw)
            if mid is None:
                continue
            here = value_pos(items, i)
            if member_ids is not None and mid not in member_ids:
                hint = self.suggest("member", mid, member_ids, self.id_lower)
                self.unknown_refs.add(mid.lower())
                self.error(doc, here, f"unknown member '{shown(mid)}' in {role} of team '{shown(tid)}'{hint}", "unknown_member")
                continue
            if mid in seen:
                self.warn(doc, here, f"'{shown(mid)}' is listed twice in {role} of team '{shown(tid)}'", "listed_twice")
                continue
            seen.add(mid)
            out.append(mid)
        if role == "members":
            raw_managers = node.get("managers")  # anything but a list is a schema error, reported there
            managers = {norm_id(x) for x in raw_managers if norm_id(x) is not None} \
                if isinstance(raw_managers, list) else set()
            for i, raw in enumerate(items):
                if norm_id(raw) in managers:
                    self.warn(doc, value_pos(items, i), f"'{shown(norm_id(raw))}' is both a manager and a member of team "
                              f"'{shown(tid)}'", "manager_is_member")
        return out


def reference_build_org(docs: list[Document], *, complete: bool = True) -> tuple[Org | None, list[Problem]]:
    """The previous ``validate.build_org``. Returns (org or None when errors, problems).

    ``complete=False`` (some file could not be read or parsed) skips the checks that need the whole
    org — unknown references, empty sections, members in no team — to avoid a cascade of
    misleading messages; the syntax error comes first.
    """
    docs = [d for d in docs if isinstance(d.data, dict)]
    checker = _Reference(docs)
    organization, settings, properties = checker.sections()
    members, member_ids = checker.members(properties)
    checker.id_lower = {m.lower(): m for m in member_ids}
    recs = checker.teams(member_ids if complete else None)
    teams = checker.tree(recs, complete)
    by_id = {m.id: m for m in members}
    checker.team_warnings(recs, by_id)
    if complete:
        _reference_org_checks(checker, docs, settings, members, member_ids, recs)
    if any(p.severity == "error" for p in checker.problems):
        return None, checker.problems
    return Org(organization, settings, properties, members, teams), checker.problems


def _reference_org_checks(checker: _Checker, docs: list[Document], settings: Settings, members: list[Member],
                member_ids: dict[str, tuple[Document, Pos]], recs: dict[str, _TeamRec]) -> None:
    """Whole-org rules: empty sections, protected ids, members in no team.

    A protected id that is not an org member is only a warning and stays protected: removing a
    leaver from ``members`` while keeping them in ``settings.protected`` is exactly what the
    ``protected_member`` plan guard exists to catch."""
    if not docs:
        return

    def section_pos(section: str) -> tuple[Document, Pos]:
        for doc in docs:
            if section in doc.data:
                return doc, key_pos(doc.data, section)
        return docs[0], (1, 1)

    def written(section: str) -> int:
        """How many entries the files hold, malformed ones included (the schema reported those)."""
        values = [doc.data.get(section) for doc in docs]
        return sum(len(v) if isinstance(v, list) else int(v is not None) for v in values)

    if not member_ids and not written("members"):
        checker.error(*section_pos("members"), "the org has no members: the account rejects a sync with an "
                      "empty members section", "no_members")
    if not recs and not written("teams"):
        checker.error(*section_pos("teams"), "the org has no teams: the account rejects a sync with an empty "
                      "teams section", "no_teams")
    elif recs and not any(r.written or r.children for r in recs.values()):
        checker.error(*section_pos("teams"), "no team has a manager, member or sub-team: the account rejects a "
                      "sync with an empty team mappings section", "no_mappings")
    for doc in docs:
        protected = doc.data.get("settings", {}).get("protected") if isinstance(doc.data.get("settings"), dict) \
            else None
        if not isinstance(protected, list):
            continue
        for i, raw in enumerate(protected):
            mid = norm_id(raw)
            if mid is None:
                continue
            if mid not in member_ids:  # e.g. a leaver removed from members: the guard must still hold
                hint = checker.suggest("member", mid, member_ids, checker.id_lower)
                checker.warn(doc, value_pos(protected, i), f"protected member '{shown(mid)}' is not in the org{hint}: if the "
                             "account has them, the plan will refuse to deactivate them (protected_member guard) "
                             "unless --force", "protected_not_in_org")
            if mid not in settings.protected:
                settings.protected.append(mid)
    placed: set[str] = set()
    for rec in recs.values():
        placed.update(rec.team.managers)
        placed.update(rec.team.members)
    if recs:
        for mid, (doc, pos) in member_ids.items():
            if mid not in placed and mid.lower() not in checker.unknown_refs:  # a typo'd reference: one error only
                checker.warn(doc, pos, f"member '{shown(mid)}' is in no team (as a member or a manager)", "member_in_no_team")




# --------------------------------------------------------------------------- generated orgs

_IDS = ["E1", "E2", "E3", "e1", "E4", "1001"]
_EMAILS = ["a@x.io", "A@X.io", " b@x.io", "c@x.io", "p\u043eol@x.io", "pool@x.io", "bad", "d@x.io\u200b",
           "b@x.io"]
_NAMES = ["Ann", "Bob", "Al\u202eice"]


def _yaml_str(text: str) -> str:
    return '"' + text.encode("unicode_escape").decode("ascii").replace('"', '\\"') + '"'


@st.composite
def org_texts(draw: Any) -> list[str]:
    """One or two org files: members with colliding ids and emails (case, blanks, look-alikes,
    invisible characters), a member repeated through a YAML alias, teams whose references are
    unknown, repeated or both manager and member, and protected ids in and out of the org."""
    texts = []
    for n in range(draw(st.integers(1, 2))):
        lines = ["version: 1"] if n == 0 else []
        if n == 0:
            lines += ["properties:", "  Level: {type: numeric}"]
            protected = draw(st.lists(st.sampled_from(_IDS + ["GONE"]), max_size=3))
            lines += ["settings:", "  protected: [" + ", ".join(protected) + "]"]
        members = draw(st.lists(st.tuples(st.sampled_from(_IDS), st.sampled_from(_EMAILS),
                                          st.sampled_from(_NAMES), st.sampled_from(["1", "x", None])),
                                max_size=6))
        alias = draw(st.booleans()) and members
        if members:
            lines.append("members:")
            for i, (mid, email, name, level) in enumerate(members):
                anchor = " &m" if alias and i == 0 else ""
                lines.append(f"  - {anchor.strip() + ' ' if anchor else ''}id: {mid}" if not anchor else
                             f"  - &m {{id: {mid}, email: {_yaml_str(email)}, first_name: {_yaml_str(name)}, "
                             f"last_name: Lee}}")
                if anchor:
                    continue
                lines += [f"    email: {_yaml_str(email)}", f"    first_name: {_yaml_str(name)}", "    last_name: Lee"]
                title = draw(st.sampled_from([None, "Dev", "D\x1bv", "\u202eveD"]))
                if title is not None:
                    lines.append(f"    job_title: {_yaml_str(title)}")
                if level is not None:
                    lines.append(f"    properties: {{Level: {level}}}")
            if alias:
                lines.append("  - *m")
        teams = draw(st.lists(st.tuples(st.lists(st.sampled_from(_IDS + ["E9", "X1"]), max_size=3),
                                        st.lists(st.sampled_from(_IDS + ["E9"]), max_size=4)), max_size=3))
        if teams:
            lines.append("teams:")
            for j, (managers, people) in enumerate(teams):
                lines += [f"  - id: T{n}{j}", f"    name: Team {n}{j}", f"    managers: [{', '.join(managers)}]",
                          f"    members: [{', '.join(people)}]"]
        texts.append("\n".join(lines) + "\n")
    return texts


def _docs(texts: list[str], reader: str | None) -> list[Document]:
    docs = []
    for i, text in enumerate(texts):
        data, problems = parse_yaml(text, f"org{i}.yaml", reader=reader)
        assert not [p for p in problems if p.severity == "error"], problems
        docs.append(Document(f"org{i}.yaml", data))
    return docs


def _shown(problems: list[Problem]) -> list[tuple[str, str, int, int, str, str | None]]:
    return [(p.message, p.path, p.line, p.column, p.severity, p.code) for p in problems]


@settings(max_examples=300, deadline=None)
@given(org_texts(), st.sampled_from([None, "events"]), st.booleans())
def test_lazy_positions_match_the_eager_reference(texts: list[str], reader: str | None, complete: bool) -> None:
    org, problems = build_org(_docs(texts, reader), complete=complete)
    ref_org, ref_problems = reference_build_org(_docs(texts, reader), complete=complete)
    assert _shown(problems) == _shown(ref_problems)
    assert org == ref_org


def test_the_generator_reaches_every_positioned_message() -> None:
    """The differential test is only as good as its inputs: these orgs give each message whose
    position is now looked up late (a check that the reference and the new code are compared on them)."""
    text = ("version: 1\nsettings:\n  protected: [GONE]\nmembers:\n"
            "  - &m {id: E1, email: a@x.io, first_name: A, last_name: B}\n  - *m\n"
            "  - {id: E1, email: A@X.io, first_name: A, last_name: B}\n"
            "  - {id: E2, email: pool@x.io, first_name: A, last_name: B}\n"
            "  - {id: E3, email: \"p\\u043eol@x.io\", first_name: A, last_name: B}\n"
            "  - {id: E4, email: bad, first_name: A, last_name: B}\n"
            "  - {id: E5, email: \"d@x.io\\u200b\", first_name: A, last_name: B}\n"
            "  - {id: E6, email: e@x.io, first_name: A, last_name: B}\n"
            "teams:\n  - id: T1\n    name: One\n    managers: [E1, E9]\n    members: [E1, E2, E2]\n")
    for reader in (None, "events"):
        org, problems = build_org(_docs([text], reader))
        ref_org, ref_problems = reference_build_org(_docs([text], reader))
        assert _shown(problems) == _shown(ref_problems)
        codes = {p.code for p in problems}
        assert {"duplicate_member_id", "duplicate_email", "confusable_email", "malformed_email", "invisible_character",
                "unknown_member", "listed_twice", "manager_is_member", "member_in_no_team",
                "protected_not_in_org"} <= codes, codes
        assert any("through a YAML alias" in p.message for p in problems)
