"""Who is asking: the roles every channel knows, and the audience each reads in the policy."""

from __future__ import annotations

from typing import Literal

Role = Literal["staff", "parent", "pupil"]
ROLE_AUDIENCE: dict[str, str] = {"staff": "staff", "parent": "parents", "pupil": "pupils"}
ROLES: tuple[str, ...] = tuple(ROLE_AUDIENCE)


def known_role(value: object) -> str | None:
    """The role if it is one we know, else None."""
    return value if isinstance(value, str) and value in ROLES else None
