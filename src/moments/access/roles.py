"""Roles and what each may do.

The roles come from the people who run service (DESIGN.md): an admin; a CX leader who reads
everything; a moment owner who sees only their moments, the comments about them and their cases;
an agent at the moment of truth (customer cards, playbooks, the cases they work); a coach (their
team's conversations); a marketer (outreach).
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from moments.errors import Forbidden
from moments.store.schema import ROLES

# A permission is a verb on a part of the product. Reading analytics as an owner is scoped to
# the owner's moments by the scoped store, so "analytics" is granted and the rows narrowed.
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "analytics",
            "evidence",
            "cases",
            "cases.write",
            "cards",
            "playbooks",
            "coaching",
            "outreach",
            "outreach.write",
            "admin",
        }
    ),
    "cx_leader": frozenset(
        {"analytics", "evidence", "cases", "cards", "playbooks", "coaching", "outreach"}
    ),
    "owner": frozenset({"analytics", "evidence", "cases", "cases.write", "playbooks"}),
    "agent": frozenset({"cards", "playbooks", "cases", "cases.write"}),
    "coach": frozenset({"coaching"}),
    "marketer": frozenset({"outreach", "outreach.write"}),
}
assert set(PERMISSIONS) == set(ROLES)
ALL_PERMISSIONS = frozenset().union(*PERMISSIONS.values())


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user with a role; for an owner, the owner id whose moments they own;
    for a coach, the employee ids of their team. ``local`` marks the embedded single-user
    default (no log-in, loopback only)."""

    user_id: str
    role: str
    owner_id: str | None = None
    team: tuple[str, ...] = field(default_factory=tuple)
    name: str = ""
    local: bool = False

    def __post_init__(self) -> None:
        if self.role not in PERMISSIONS:
            raise ValueError(f"unknown role {self.role!r}; one of {', '.join(ROLES)}")

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]

    @property
    def sees_everything(self) -> bool:
        """True when no row is hidden from this principal (admin, CX leader)."""
        return self.role in ("admin", "cx_leader")


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers)
        return "local"


LOCAL = Principal(user_id=_local_user(), role="admin", name="local user", local=True)


def require(principal: Principal, permission: str) -> None:
    """Raise ``Forbidden`` unless ``principal`` holds ``permission``."""
    if permission not in ALL_PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")
    if not principal.can(permission):
        raise Forbidden(
            f"{principal.user_id} ({principal.role}) may not use {permission}; "
            "ask an admin for a role that allows it"
        )
