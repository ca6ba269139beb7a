"""Member rules of a sync: matching, email and profile updates, property values, (de)activation.

Split from ``engine`` (which states the rules in its docstring) so each half of a sync reads on
its own; ``sync_members`` hands the teams half what it needs to resolve mapping rows.
"""

from __future__ import annotations

from ovctl.core.shown import shown, shown_repr
from ovctl.core.engine.messages import ATTRIBUTE_NOT_FOUND, DUPLICATE_USER, EMAIL_CHANGE_SKIPPED, EMAIL_TAKEN, INVALID_EMAIL, INVALID_VALUE, OPTION_NOT_FOUND, USER_CREATED, USER_DEACTIVATED, USER_REACTIVATED, USER_UPDATED
from ovctl.core.engine.run import SyncRun
from ovctl.core.model import PayloadMember, ReportItem, SnapMember, email_key
from ovctl.core.properties import property_type
from ovctl.core.snapshot import is_email_address

# Never deactivated, status never changed; absent from a payload, they keep their team memberships.
PROTECTED_ROLES = frozenset({"admin", "executive"})


def sync_members(run: SyncRun, rows: list[PayloadMember],
                 invite: bool) -> tuple[dict[str, int], set[int], dict[str, str]]:
    """Match, update, create, reactivate and deactivate members.

    Returns: payload external id -> member index (members actually synced), the indexes seen, and
    old email key -> new email for members whose email changed (team lists must follow).
    """
    members, report = run.members, run.report
    by_ext = {m.external_id: i for i, m in enumerate(members) if m.external_id is not None}
    by_email = {email_key(m.email): i for i, m in enumerate(members)}
    member_by_ext: dict[str, int] = {}
    seen: set[int] = set()
    renamed_emails: dict[str, str] = {}
    unknown = run.snapshot.unknown_members
    props_unseen = ({i for i, m in enumerate(members) if "properties" in unknown.get(email_key(m.email), ())}
                    if unknown else set())
    for row in rows:
        if row.external_id in member_by_ext:
            report.issues.append(ReportItem("user", DUPLICATE_USER, row.external_id, row.email))
            continue
        if not is_email_address(row.email):
            report.issues.append(ReportItem("user", INVALID_EMAIL, row.external_id, f"email {shown_repr(row.email)}"))
            continue
        idx = by_ext.get(row.external_id)
        if idx is None:
            key = email_key(row.email)
            idx = by_email.get(key)
            if idx is not None and members[idx].external_id is not None:
                report.issues.append(ReportItem("user", EMAIL_TAKEN, row.email,
                                                f"{row.external_id}: the email belongs to {members[idx].external_id}"))
                continue
            if idx is None:
                idx = len(members)
                members.append(_new_member(row, invite, run))
                by_email[key] = idx
                by_ext[row.external_id] = idx
                report.updates.append(ReportItem("user", USER_CREATED, row.email, row.external_id))
                report.risk_users += 1
                member_by_ext[row.external_id] = idx
                seen.add(idx)
                continue
            members[idx].external_id = row.external_id  # first sync: matched by email, id attached
            by_ext[row.external_id] = idx
            changed = True
        else:
            changed = _update_email(run, idx, row, by_email, renamed_emails)
        member_by_ext[row.external_id] = idx
        seen.add(idx)
        m = members[idx]
        changed |= _update_profile(m, row)
        risk_before = report.risk_users
        changed |= _update_properties(run, m, row, unseen=idx in props_unseen)
        if idx in props_unseen:  # the current values are not known: these may not be changes at all
            report.risk_users_uncertain += report.risk_users - risk_before
        if m.status == "deactivated" and m.role not in PROTECTED_ROLES:
            m.status = "active"
            report.updates.append(ReportItem("user", USER_REACTIVATED, m.email, row.external_id))
        if changed:
            report.updates.append(ReportItem("user", USER_UPDATED, m.email, row.external_id))
    for i, m in enumerate(members):
        if i not in seen and m.role not in PROTECTED_ROLES and m.status != "deactivated":
            m.status = "deactivated"
            report.updates.append(ReportItem("user", USER_DEACTIVATED, m.email, m.external_id or ""))
            report.risk_users += 1
    return member_by_ext, seen, renamed_emails


def _new_member(row: PayloadMember, invite: bool, run: SyncRun) -> SnapMember:
    m = SnapMember(email=row.email, external_id=row.external_id, first_name=row.first_name,
                   last_name=row.last_name, job_title=row.job_title or None, language=row.language or None,
                   status="invited" if invite else "created", role="member")
    _update_properties(run, m, row, count_risk=False)
    return m


def _update_email(run: SyncRun, idx: int, row: PayloadMember, by_email: dict[str, int],
                  renamed_emails: dict[str, str]) -> bool:
    """The email of a member matched by external id; keys are computed only when the text differs."""
    m = run.members[idx]
    if m.email == row.email:  # the usual case: the same text, so the same key
        return False
    old_key, new_key = email_key(m.email), email_key(row.email)
    if old_key == new_key:  # emails are case-insensitive: a change of case is not a change
        return False
    holder = by_email.get(new_key)
    if holder is not None and holder != idx:
        run.report.issues.append(ReportItem("user", EMAIL_CHANGE_SKIPPED, row.email,
                                            f"{row.external_id}: keeps {m.email}"))
        return False
    del by_email[old_key]
    by_email[new_key] = idx
    renamed_emails[old_key] = row.email
    m.email = row.email
    return True


def _update_profile(m: SnapMember, row: PayloadMember) -> bool:
    changed = False
    if m.first_name != row.first_name:
        m.first_name, changed = row.first_name, True
    if m.last_name != row.last_name:
        m.last_name, changed = row.last_name, True
    if row.job_title is not None and m.job_title != (row.job_title or None):
        m.job_title, changed = row.job_title or None, True
    if row.language is not None and m.language != (row.language or None):
        m.language, changed = row.language or None, True
    return changed


def _update_properties(run: SyncRun, m: SnapMember, row: PayloadMember, *, count_risk: bool = True,
                       unseen: bool = False) -> bool:
    """Assign property values as the account does; returns whether any value changed. ``unseen``:
    the member's current values are not known (export read): a clear may clear a hidden value, so
    it counts in the risk (as an upper bound; the caller counts it uncertain).

    Verdicts are cached by name, then value (two plain lookups, no key tuple per value: this loop
    runs for every declared property of every member)."""
    report, verdicts = run.report, run.value_verdicts
    props = m.properties
    changed = False
    for name, value in row.properties.items():
        by_value = verdicts.get(name)
        if by_value is None:
            by_value = verdicts[name] = {}
        verdict = by_value.get(value)
        if verdict is None:
            verdict = by_value[value] = _verdict(run, name, value)
        if verdict:  # not _OK
            if verdict != _CLEAR:
                report.issues.append(_issue(run, verdict, name, value, row))
            elif name in props:
                del props[name]
                changed = True
                report.risk_users += count_risk
            elif unseen:
                report.risk_users += count_risk
            continue
        if props.get(name) != value:
            props[name] = value
            changed = True
            report.risk_users += count_risk
    return changed


_OK, _CLEAR, _NO_DEFINITION, _INVALID, _NO_OPTION = 0, 1, 2, 3, 4  # _OK must stay the one false value


def _verdict(run: SyncRun, name: str, value: str) -> int:
    """How the account takes ``value`` for property ``name``: depends on nothing else (cached)."""
    definition = run.snapshot.properties.get(name)
    if definition is None:
        return _NO_DEFINITION
    if value == "":
        return _CLEAR
    spec = property_type(definition.type)  # None only for a type outside the table: no check
    if spec is not None and not spec.payload_ok(value):
        return _INVALID
    if spec is not None and spec.has_options and value not in (definition.options or ()):
        return _NO_OPTION
    return _OK


def _issue(run: SyncRun, verdict: int, name: str, value: str, row: PayloadMember) -> ReportItem:
    """The report line of a value the account skips (``_verdict`` said which skip)."""
    if verdict == _NO_DEFINITION:
        return ReportItem("user", ATTRIBUTE_NOT_FOUND, name, f"member {row.external_id}")
    if verdict == _INVALID:
        definition = run.snapshot.properties[name]
        return ReportItem("user", INVALID_VALUE, name,
                          f"member {shown(row.external_id)}: {definition.type} value {shown_repr(value, 60)}")
    return ReportItem("user", OPTION_NOT_FOUND, name, f"member {shown(row.external_id)}: value {shown_repr(value)}")
