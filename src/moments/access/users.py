"""The people who use a shared server: add, list, disable, change a password, sign in."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import ibis
import pyarrow as pa

from moments.access.passwords import hash_password, verify_password
from moments.access.roles import PERMISSIONS, Principal
from moments.errors import InputError, NotFound, Problem
from moments.store import Store
from moments.store.schema import ROLES, USERS

USER_ID = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


@dataclass(frozen=True)
class User:
    user_id: str
    name: str
    role: str
    owner_id: str | None
    team: tuple[str, ...]
    created_at: datetime
    disabled_at: datetime | None

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    def principal(self) -> Principal:
        return Principal(
            user_id=self.user_id,
            role=self.role,
            owner_id=self.owner_id,
            team=self.team,
            name=self.name,
        )


def _row(r: dict[str, Any]) -> User:
    team = tuple(t for t in (r["team"] or "").split(",") if t)
    return User(
        r["user_id"], r["name"] or "", r["role"], r["owner_id"], team, r["created_at"],
        r["disabled_at"],
    )  # fmt: skip


def _rows(store: Store, user_id: str | None = None) -> list[dict[str, Any]]:
    t = store.table("users")
    if user_id is not None:
        t = t.filter(t.user_id == user_id)
    return t.order_by("user_id").to_pyarrow().to_pylist()


def users(store: Store) -> list[User]:
    """Every user, active or not, by id."""
    return [_row(r) for r in _rows(store)]


def has_users(store: Store) -> bool:
    """Whether log-in is set up: at least one active user."""
    t = store.table("users")
    return bool(t.filter(t.disabled_at.isnull()).count().to_pyarrow().as_py())


def get_user(store: Store, user_id: str) -> User:
    found = _rows(store, user_id)
    if not found:
        raise NotFound(f"no user '{user_id}' — see `moments users list`")
    return _row(found[0])


def _validate(
    store: Store, user_id: str, role: str, owner_id: str | None, team: tuple[str, ...]
) -> None:
    problems = []
    if not USER_ID.match(user_id):
        problems.append(
            Problem(
                f"'{user_id}' is not a usable user id",
                "use 1–64 lower-case letters, digits, '.', '_', '@' or '-', starting with a "
                "letter or digit",
                field="user_id",
            )
        )
    if role not in PERMISSIONS:
        problems.append(
            Problem(f"unknown role '{role}'", f"one of {', '.join(ROLES)}", field="role")
        )
    if role == "owner":
        m = store.table("moments")
        owns = m.filter(m.owner_id == (owner_id or "")).count().to_pyarrow().as_py()
        if not owner_id or not owns:
            problems.append(
                Problem(
                    f"a moment owner needs the owner id of moments they own (got {owner_id!r})",
                    "pass --owner with an owner id from `moments journey list` (register the "
                    "journey first)",
                    field="owner_id",
                )
            )
    elif owner_id:
        problems.append(Problem("only a moment owner has an owner id", field="owner_id"))
    if role == "coach" and not team:
        problems.append(
            Problem(
                "a coach needs the employee ids of their team",
                "pass --team with comma-separated employee ids",
                field="team",
            )
        )
    if problems:
        raise InputError(problems)


def add_user(
    store: Store,
    user_id: str,
    role: str,
    password: str,
    name: str = "",
    owner_id: str | None = None,
    team: tuple[str, ...] = (),
    actor: str = "",
) -> User:
    """Add a user with an argon2 hash of ``password``; refused if the id is taken."""
    from moments.governance.audit import record

    _validate(store, user_id, role, owner_id, team)
    hashed = hash_password(password)
    with store.transaction():
        if _rows(store, user_id):
            raise InputError(
                Problem(
                    f"a user '{user_id}' exists already",
                    "choose another id, or `moments users passwd` to change the password",
                    field="user_id",
                )
            )
        now = datetime.now(UTC)
        row = {
            "user_id": user_id,
            "name": name,
            "role": role,
            "owner_id": owner_id,
            "team": ",".join(team),
            "password_hash": hashed,
            "created_at": now,
            "disabled_at": None,
        }
        store.append("users", pa.Table.from_pylist([row], schema=USERS.to_pyarrow()))
        record(store, actor, "user.add", user_id, {"role": role, "owner_id": owner_id})
    return get_user(store, user_id)


def rewrite(store: Store, name: str, changed: ibis.Table) -> None:
    """Replace a small table by an expression over itself: read first, then write (clearing
    first would leave the expression nothing to read)."""
    rows = changed.to_pyarrow()
    store.clear(name)
    store.append(name, rows)


def _update(store: Store, user_id: str, **values: object) -> None:
    t = store.table("users")
    changed = t.mutate(
        **{
            k: ibis.ifelse(t.user_id == user_id, ibis.literal(v, type=USERS[k]), t[k])
            for k, v in values.items()
        }
    )
    rewrite(store, "users", changed)


def disable_user(store: Store, user_id: str, actor: str = "") -> User:
    """Disable a user: their sessions and API tokens stop working at once."""
    from moments.governance.audit import record

    user = get_user(store, user_id)
    if user.active:
        with store.transaction():
            _update(store, user_id, disabled_at=datetime.now(UTC))
            record(store, actor, "user.disable", user_id, None)
    return get_user(store, user_id)


def set_password(store: Store, user_id: str, password: str, actor: str = "") -> None:
    from moments.governance.audit import record

    get_user(store, user_id)
    hashed = hash_password(password)
    with store.transaction():
        _update(store, user_id, password_hash=hashed)
        record(store, actor, "user.passwd", user_id, None)


def authenticate(store: Store, user_id: str, password: str) -> Principal | None:
    """The principal for a correct id and password of an active user; ``None`` otherwise
    (the same work either way, so timing does not tell which was wrong)."""
    found = _rows(store, user_id)
    stored = found[0]["password_hash"] if found else None
    ok = verify_password(stored, password)
    if not ok or not found or found[0]["disabled_at"] is not None:
        return None
    return _row(found[0]).principal()


def active_principal(store: Store, user_id: str, stamp: str | None = None) -> Principal | None:
    """The principal of an active user (for a session or token), ``None`` if gone/disabled —
    or, given the session's ``stamp``, if the password changed since the session began."""
    found = _rows(store, user_id)
    if not found or found[0]["disabled_at"] is not None:
        return None
    if stamp is not None and stamp != password_stamp(found[0]["password_hash"]):
        return None
    return _row(found[0]).principal()


def password_stamp(password_hash: str | None) -> str:
    """A short fingerprint of the password hash: sessions carry it, so a new password ends
    every session begun with the old one."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def session_stamp(store: Store, user_id: str) -> str:
    found = _rows(store, user_id)
    return password_stamp(found[0]["password_hash"] if found else None)
