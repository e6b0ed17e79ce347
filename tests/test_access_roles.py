"""Roles and permissions: what each role may do, and the error when it may not."""

from __future__ import annotations

import pytest

from moments.access.roles import LOCAL, PERMISSIONS, Principal, require
from moments.errors import Forbidden
from moments.store.schema import ROLES


def test_every_role_has_permissions_and_only_admin_administers() -> None:
    assert set(PERMISSIONS) == set(ROLES)
    assert [r for r in ROLES if "admin" in PERMISSIONS[r]] == ["admin"]
    # the CX leader reads everything and changes nothing
    leader = PERMISSIONS["cx_leader"]
    assert {"analytics", "evidence", "cards", "coaching", "outreach", "cases"} <= leader
    assert not any(p.endswith(".write") for p in leader)
    assert PERMISSIONS["coach"] == {"coaching"}
    assert "analytics" not in PERMISSIONS["agent"] and "cards" in PERMISSIONS["agent"]


def test_require_names_who_and_what() -> None:
    agent = Principal("ann", "agent")
    require(agent, "cards")
    with pytest.raises(Forbidden, match=r"ann \(agent\) may not use outreach"):
        require(agent, "outreach")
    with pytest.raises(ValueError, match="unknown permission"):
        require(agent, "everything")


def test_unknown_role_is_refused_and_the_local_user_is_an_admin() -> None:
    with pytest.raises(ValueError, match="unknown role 'boss'"):
        Principal("x", "boss")
    assert LOCAL.local and LOCAL.role == "admin" and LOCAL.sees_everything
    assert not Principal("o", "owner", owner_id="store-ops").sees_everything
