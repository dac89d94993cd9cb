"""The school's contacts file: who is told about each kind of report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.incidents.categories import BY_KEY


class ContactsError(ValueError):
    """The contacts file is missing or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class Person:
    key: str
    name: str
    email: str | None = None
    slack_user: str | None = None
    teams_user: str | None = None


@dataclass(frozen=True)
class Contacts:
    people: dict[str, Person]
    routes: dict[str, tuple[str, ...]]
    urgent: tuple[str, ...]
    escalate: tuple[str, ...] = ()  # told when an URGENT report is not acknowledged in time, or a notice fails

    @property
    def dsl(self) -> Person:
        """The first urgent contact: the Designated Safeguarding Lead."""
        return self.people[self.urgent[0]]

    def escalation(self, already: list[str]) -> list[Person]:
        """Who an escalation goes to: the escalation contacts not told already, or all of them if every one was."""
        fresh = [k for k in self.escalate if k not in already]
        return [self.people[k] for k in (fresh or list(self.escalate))]

    def recipients(self, category: str, urgent: bool) -> list[Person]:
        """Who is told about a report, each once, in the file's order (urgent contacts first)."""
        keys = (list(self.urgent) if urgent else []) + list(self.routes.get(category) or self.routes["other"])
        return [self.people[k] for k in dict.fromkeys(keys)]


def load_contacts(path: Path) -> Contacts:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContactsError(f"{path}: cannot be read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", -1) + 1
        raise ContactsError(f"{path}:{line}: not valid YAML") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("people"), dict) or not isinstance(raw.get("routes"), dict):
        raise ContactsError(f"{path}: needs a `people` map and a `routes` map")
    people = {}
    for key, entry in raw["people"].items():
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ContactsError(f"{path}: person {key!r} needs a name")
        person = Person(key, str(entry["name"]), entry.get("email") or None, entry.get("slack_user") or None,
                        entry.get("teams_user") or None)
        if not (person.email or person.slack_user or person.teams_user):
            raise ContactsError(f"{path}: {person.name} ({key}) has no email, slack_user or teams_user, so a report "
                                "routed to them would reach nobody: give them at least one")
        people[key] = person
    routes = {}
    for category, keys in raw["routes"].items():
        if category not in BY_KEY:
            raise ContactsError(f"{path}: unknown report category {category!r} (known: {', '.join(BY_KEY)})")
        routes[category] = tuple(_known(path, people, keys, f"route {category!r}"))
    if "other" not in routes:
        raise ContactsError(f"{path}: needs a route for `other`")
    urgent = tuple(_known(path, people, raw.get("urgent") or [], "urgent"))
    if not urgent:
        raise ContactsError(f"{path}: `urgent` must name at least one person (the DSL)")
    escalate = tuple(_known(path, people, raw["escalate"], "escalate")) if "escalate" in raw else ()
    return Contacts(people, routes, urgent, escalate)


def _known(path: Path, people: dict, keys, where: str) -> list[str]:
    if not isinstance(keys, list) or not keys:
        raise ContactsError(f"{path}: {where} must be a non-empty list of people")
    for key in keys:
        if key not in people:
            raise ContactsError(f"{path}: {where} names {key!r}, who is not under `people`")
    return list(keys)
