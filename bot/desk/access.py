"""Who may do what on the desk. One table, read by every page and every form."""

from __future__ import annotations

from dataclasses import dataclass

from bot.incidents.contacts import Contacts


@dataclass(frozen=True)
class Role:
    key: str
    title: str
    all_reports: bool = False  # every kind of report; else only the kinds the contacts file routes to them
    routed_reports: bool = False
    pupils: bool = False  # pupils, their chronologies, linking reports to pupils
    manage: bool = False  # assign reports, import pupils
    access_log: bool = False
    register: bool = False
    gaps: bool = False
    needs_second_factor: bool = True


ROLES: dict[str, Role] = {r.key: r for r in (
    Role("dsl", "Designated Safeguarding Lead (or deputy)", all_reports=True, pupils=True, manage=True,
         access_log=True, register=True, gaps=True),
    Role("head", "Headteacher", all_reports=True, pupils=True, manage=True, register=True, gaps=True),
    Role("network_manager", "Network manager", routed_reports=True),
    Role("slt", "Senior leadership", routed_reports=True),
    Role("e_safety", "E-safety team", register=True, gaps=True, needs_second_factor=False),
)}
# whose routes in the contacts file a role reads, when the account names no contact of its own
DEFAULT_CONTACT = {"network_manager": "network_manager", "slt": "senior_leadership"}


def role_of(key: str) -> Role:
    return ROLES[key]


def sees_reports(role: Role) -> bool:
    return role.all_reports or role.routed_reports


def visible_kinds(role: Role, contact_key: str | None, contacts: Contacts) -> frozenset[str] | None:
    """The kinds of report this account may open: None for every kind, else the kinds the contacts file routes
    to its contact (an empty set for a role that sees no reports)."""
    if role.all_reports:
        return None
    if not role.routed_reports:
        return frozenset()
    key = contact_key or DEFAULT_CONTACT.get(role.key)
    return frozenset(kind for kind, people in contacts.routes.items() if key in people)


def may_open(role: Role, contact_key: str | None, contacts: Contacts, category: str) -> bool:
    kinds = visible_kinds(role, contact_key, contacts)
    return kinds is None or category in kinds
