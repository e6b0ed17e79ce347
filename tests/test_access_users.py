"""Users: added with a hash, validated, disabled and re-passworded without touching the others."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import moments
from moments.access import users as users_mod
from moments.errors import InputError, NotFound

PASSWORD = "a long enough password"


def test_users_are_added_listed_and_signed_in(ws: moments.Workspace) -> None:
    ada = users_mod.add_user(ws.store, "ada", "admin", PASSWORD, name="Ada", actor="root")
    olga = users_mod.add_user(ws.store, "olga", "owner", PASSWORD, owner_id="store-ops")
    assert ada.active and ada.principal().role == "admin" and olga.owner_id == "store-ops"
    assert [u.user_id for u in users_mod.users(ws.store)] == ["ada", "olga"]
    assert users_mod.has_users(ws.store)
    stored = ws.store.table("users").password_hash.to_pyarrow().to_pylist()
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored)
    p = users_mod.authenticate(ws.store, "olga", PASSWORD)
    assert p is not None and p.owner_id == "store-ops" and not p.local
    assert users_mod.authenticate(ws.store, "olga", "wrong password!!") is None
    assert users_mod.authenticate(ws.store, "nobody", PASSWORD) is None
    actions = ws.audit().to_pyarrow().to_pylist()
    assert [(a["actor"], a["action"], a["target"]) for a in actions if a["target"] == "ada"] == [
        ("root", "user.add", "ada")
    ]


def test_disabling_and_new_passwords_change_only_that_user(ws: moments.Workspace) -> None:
    for uid in ("ada", "bob", "cy"):
        users_mod.add_user(ws.store, uid, "agent", PASSWORD)
    users_mod.disable_user(ws.store, "bob")
    users_mod.set_password(ws.store, "cy", "another long password")
    assert [(u.user_id, u.active) for u in users_mod.users(ws.store)] == [
        ("ada", True), ("bob", False), ("cy", True),
    ]  # fmt: skip
    assert users_mod.authenticate(ws.store, "bob", PASSWORD) is None  # disabled
    assert users_mod.active_principal(ws.store, "bob") is None
    assert users_mod.authenticate(ws.store, "cy", "another long password") is not None
    assert users_mod.authenticate(ws.store, "ada", PASSWORD) is not None
    with pytest.raises(NotFound, match="moments users list"):
        users_mod.disable_user(ws.store, "zed")


def test_bad_users_are_refused_with_every_problem(ws: moments.Workspace) -> None:
    with pytest.raises(InputError) as e:
        users_mod.add_user(ws.store, "Bad Name", "boss", PASSWORD)
    assert {p.field for p in e.value.problems} == {"user_id", "role"}
    with pytest.raises(InputError, match="owner id of moments they own"):
        users_mod.add_user(ws.store, "olga", "owner", PASSWORD, owner_id="nobody")
    with pytest.raises(InputError, match="employee ids of their team"):
        users_mod.add_user(ws.store, "cora", "coach", PASSWORD)
    with pytest.raises(InputError, match="only a moment owner has an owner id"):
        users_mod.add_user(ws.store, "ann", "agent", PASSWORD, owner_id="store-ops")
    users_mod.add_user(ws.store, "ann", "agent", PASSWORD)
    with pytest.raises(InputError, match="exists already"):
        users_mod.add_user(ws.store, "ann", "admin", PASSWORD)
    assert [u.user_id for u in users_mod.users(ws.store)] == ["ann"]  # nothing half-added


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80))
def test_any_user_id_is_accepted_only_in_the_documented_form(user_id: str) -> None:
    ok = bool(users_mod.USER_ID.match(user_id))
    assert ok == (
        0 < len(user_id) <= 64
        and user_id[0].isascii()
        and (user_id[0].islower() or user_id[0].isdigit())
        and all(c in "abcdefghijklmnopqrstuvwxyz0123456789._@-" for c in user_id)
    )
