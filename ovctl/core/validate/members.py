"""Checks of the org-wide sections, property declarations and members (pure: no I/O).

Why a module of its own: everything that reads ``organization``/``settings``/``properties`` and
``members`` (duplicate ids and emails, property values against their declared type and options)
is one concern, apart from the team tree in ``validate_teams``. ``validate._Checker`` mixes it in.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ovctl.core.model import Member, PropertyDef, Safety, Settings, email_key, normalize_property_value
from ovctl.core.properties import property_type
from ovctl.core.shown import shown
from ovctl.core.validate.common import CheckerBase, Document, norm_id
from ovctl.core.validate.text import email_flaw, email_skeleton, lookalike_note, shown_email
from ovctl.core.positions import Pos, key_pos, node_pos, value_pos

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class MemberChecks(CheckerBase):
    """Sections, settings, property declarations, members and their property values."""

    # ------------------------------------------------------------------ sections

    def sections(self) -> tuple[str, Settings, dict[str, PropertyDef]]:
        organization, settings = "", Settings()
        seen: dict[str, tuple[Document, Pos]] = {}
        properties: dict[str, PropertyDef] = {}
        prop_where: dict[str, tuple[Document, Pos]] = {}
        version_seen = False
        for doc in self.docs:
            data = doc.data
            if "version" in data:
                version_seen = True
            for section in ("organization", "settings"):
                if section not in data:
                    continue
                here = key_pos(data, section)
                if section in seen:
                    first = self.loc(*seen[section])
                    self.error(doc, here, f"'{section}' is already defined at {first}; define it in one file only",
                               "duplicate_section")
                    continue
                seen[section] = (doc, here)
                if section == "organization" and isinstance(data[section], str):
                    organization = data[section]
                    self.name_texts(doc, data, ("organization",))
                elif section == "settings" and isinstance(data[section], dict):
                    settings = self.settings(data[section], doc)
            props = data.get("properties")
            if isinstance(props, dict):
                for name, pdef in props.items():
                    here = key_pos(props, name)
                    if name in prop_where:
                        first = self.loc(*prop_where[name])
                        self.error(doc, here, f"property '{shown(name)}' is already declared at {first}", "duplicate_property")
                        continue
                    prop_where[name] = (doc, here)
                    parsed = self.property_def(doc, str(name), pdef)
                    if parsed is not None:
                        properties[str(name)] = parsed
        if self.docs and not version_seen:
            self.error(self.docs[0], (1, 1), "no file declares 'version: 1'", "missing_version")
        return organization, settings, properties

    def settings(self, data: dict, doc: Document | None = None) -> Settings:
        out = Settings()
        risk = data.get("risk_thresholds")
        if isinstance(risk, dict):
            out.risk_users = risk.get("users") if type(risk.get("users")) is int else None
            out.risk_teams = risk.get("teams") if type(risk.get("teams")) is int else None
        safety = data.get("safety")
        if isinstance(safety, dict):
            defaults = Safety()
            ratio = (int, float)
            for key in ("max_deactivation_ratio", "max_team_removal_ratio"):
                v = safety.get(key)
                if type(v) is float and math.isnan(v):  # the schema's 0..1 bounds let NaN through: no guard
                    if doc is not None:
                        self.error(doc, value_pos(safety, key), f"settings.safety.{key}: expected a number from 0 to 1, "
                                   "got .nan (the guard would never fire)", "wrong_type")
                    safety = {k: x for k, x in safety.items() if k != key}
            out.safety = Safety(
                max_deactivation_ratio=float(v) if type(v := safety.get("max_deactivation_ratio")) in ratio
                else defaults.max_deactivation_ratio,
                max_team_removal_ratio=float(v) if type(v := safety.get("max_team_removal_ratio")) in ratio
                else defaults.max_team_removal_ratio,
                floor=v if type(v := safety.get("floor")) is int else defaults.floor,
                max_update_ratio=float(v) if type(v := safety.get("max_update_ratio")) in ratio
                else defaults.max_update_ratio,
                update_min_members=v if type(v := safety.get("update_min_members")) is int
                else defaults.update_min_members)
        return out

    def property_def(self, doc: Document, name: str, pdef: Any) -> PropertyDef | None:
        if not isinstance(pdef, dict) or not isinstance(pdef.get("type"), str):
            return None
        ptype, options = pdef["type"], pdef.get("options")
        spec = property_type(ptype)
        has_options = spec is not None and spec.has_options
        if has_options and options is None:
            self.error(doc, node_pos(pdef), f"{shown(ptype)} property '{shown(name)}' needs 'options'", "choices_without_options")
            return None
        if not has_options and options is not None:
            self.error(doc, key_pos(pdef, "options"), f"only a choices property has 'options' ('{shown(name)}' is {shown(ptype)})",
                       "options_not_choices")
        if not isinstance(options, list) or not has_options:
            return PropertyDef(ptype) if not has_options else None
        seen: set[str] = set()
        for i, option in enumerate(options):
            text = normalize_property_value(option)
            if text in seen:
                self.error(doc, value_pos(options, i), f"option '{shown(text)}' of property '{shown(name)}' is listed twice",
                           "duplicate_option")
            seen.add(text)
        return PropertyDef(ptype, tuple(dict.fromkeys(normalize_property_value(o) for o in options)))

    # ------------------------------------------------------------------ members

    def members(self, properties: dict[str, PropertyDef]) -> tuple[list[Member], dict[str, tuple[Document, Any]]]:
        """The valid members, and member id -> (document, the member's mapping) of every id defined.

        Positions are looked up only when a message needs one (``value_pos`` of the mapping's
        ``id`` or ``email``): asking for two per member up front cost ~0.1 s at 50,000 members."""
        out: list[Member] = []
        ids: dict[str, tuple[Document, Any]] = {}
        emails: dict[str, tuple[str, Document, Any]] = {}  # key -> (email, document, member mapping)
        lookalikes: dict[str, tuple[str, Document, Any]] = {}  # skeletons of the non-ASCII emails
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
                    first_def = ids.get(mid)
                    if first_def is not None:
                        here = value_pos(m, "id")
                        there = (first_def[0], value_pos(first_def[1], "id"))
                        if there == (doc, here):  # the same mapping again, through an alias
                            self.error(doc, value_pos(items, i), f"member '{shown(mid)}' is defined twice through a "
                                       f"YAML alias (defined at {self.loc(doc, here)})", "duplicate_member_id")
                        else:
                            self.error(doc, here, f"duplicate member id '{shown(mid)}' (first defined at "
                                       f"{self.loc(*there)})", "duplicate_member_id")
                        ok = False
                    else:
                        ids[mid] = (doc, m)
                email = m.get("email")
                if isinstance(email, str):
                    key = email_key(email)
                    invisible = email_flaw(email)
                    if invisible is not None:
                        self.error(doc, value_pos(m, "email"), f"email '{shown(email)}' {invisible}", "invisible_character")
                        ok = False
                    elif not EMAIL_RE.match(email.strip()):
                        self.error(doc, value_pos(m, "email"), f"malformed email '{shown(email)}'", "malformed_email")
                        ok = False
                    elif key in emails:
                        other, odoc, onode = emails[key]
                        self.error(doc, value_pos(m, "email"), f"duplicate email '{shown(email)}': '{shown(other)}' at "
                                   f"{self.loc(odoc, value_pos(onode, 'email'))} (emails compare case-insensitively)",
                                   "duplicate_email")
                        ok = False
                    else:
                        self.lookalike_email(doc, m, email, key, emails, lookalikes)
                        emails[key] = (email, doc, m)
                else:
                    ok = False
                first, last, title = m.get("first_name"), m.get("last_name"), m.get("job_title")
                # ``name_texts`` reports nothing unless a name is a str that is not printable: the
                # same test here first saves a call and a loop per member of 50,000
                if not ((type(first) is not str or first.isprintable()) and (type(last) is not str or last.isprintable())
                        and (type(title) is not str or title.isprintable())):
                    self.name_texts(doc, m, ("first_name", "last_name", "job_title"))
                ok = ok and isinstance(first, str) and isinstance(last, str)
                values = self.member_properties(doc, m, properties, prop_lower, option_lower)
                if ok:
                    lang = m.get("language")
                    out.append(Member(mid, email.strip(), first, last,
                                      title if isinstance(title, str) else None,
                                      lang if isinstance(lang, str) else None, values))
        return out, ids

    def lookalike_email(self, doc: Document, node: Any, email: str, key: str,
                        emails: dict[str, tuple[str, Document, Any]],
                        lookalikes: dict[str, tuple[str, Document, Any]]) -> None:
        """Warn when ``email`` (of the member mapping ``node``) looks like an earlier one: equal after
        NFKC normalisation and case folding, or once look-alike letters of another script (a
        Cyrillic ``о``) read as Latin. ASCII emails (nearly all) cost one dict test, and only when
        some email is not ASCII."""
        if email.isascii():
            if not lookalikes:
                return
            found = lookalikes.get(key)
        else:
            skeleton = email_skeleton(email)
            found = lookalikes.get(skeleton) or emails.get(skeleton)
            lookalikes.setdefault(skeleton, (email, doc, node))
        if found is None:
            return
        other, odoc, onode = found
        self.warn(doc, value_pos(node, "email"), f"email '{shown_email(email)}' looks like '{shown_email(other)}' at "
                  f"{self.loc(odoc, value_pos(onode, 'email'))} ({lookalike_note(email, other)}): check that they are "
                  "two different people", "confusable_email")

    def member_properties(self, doc: Document, member: dict, properties: dict[str, PropertyDef],
                          prop_lower: dict[str, str], option_lower: dict[str, dict[str, str]]) -> dict[str, str]:
        values = member.get("properties")
        out: dict[str, str] = {}
        if not isinstance(values, dict):
            return out
        cache = self.__dict__.setdefault("property_values", {})
        for name, raw in values.items():
            name_s = str(name)
            pdef = properties.get(name_s)
            if pdef is None:
                self.error(doc, key_pos(values, name), f"property '{shown(name_s)}' is not declared under 'properties'"
                           + self.suggest("property", name_s, properties, prop_lower), "unknown_property")
                continue
            if raw is None:
                continue
            try:
                known = (name_s, raw.__class__, raw)
                value = cache.get(known)
            except TypeError:  # unhashable: a mapping or a list, which property_value refuses
                known = value = None
            if value is None:
                value = self.property_value(doc, value_pos(values, name), name_s, pdef, raw, option_lower.get(name_s, {}))
                if value is not None and known is not None:
                    cache[known] = value
            if value is not None:
                out[name_s] = value
        return out

    def property_value(self, doc: Document, here: Pos, name: str, pdef: PropertyDef, raw: Any,
                       options_lower: dict[str, str]) -> str | None:
        if isinstance(raw, (dict, list)):
            self.error(doc, here, f"property '{name}' takes a single value, not a mapping or a list", "property_type")
            return None
        spec = property_type(pdef.type)
        if spec is None:  # a type the schema check reports; its values are taken as text meanwhile
            return normalize_property_value(raw)
        value, reason = spec.org_value(raw)
        if reason is not None:
            self.error(doc, here, f"property '{name}' {reason}", "property_type")
            return None
        if spec.has_options and value not in options_lower.values():
            hint = self.suggest("option:" + name, value, options_lower.values(), options_lower)
            shown = ", ".join(list(options_lower.values())[:10])
            self.error(doc, here, f"'{value}' is not an option of property '{name}'"
                       + (hint or f" (options: {shown})"), "unknown_option")
            return None
        return value
