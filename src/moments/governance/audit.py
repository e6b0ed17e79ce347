"""The audit log: who loaded which file, changed a journey, moved a case, exported data or
erased a customer — and, for a shared server, who added users, made tokens or logged in.

Append-only: moments only ever adds rows to the ``audit`` table (on PostgreSQL a trigger
refuses UPDATE, DELETE and TRUNCATE of it). Each entry is written in the same transaction as
the change it records where the store has transactions, so an entry never claims a change that
was rolled back, and a change never lands without its entry.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

import ibis
import pyarrow as pa

from moments.store.schema import AUDIT, CASE_STATUSES

# What is recorded. ``target`` is what it was done to: a file, a journey id, a case id, a
# redacted store URL, a hash of a customer id (never the id itself), a user id or a token id.
ACTIONS: tuple[str, ...] = (
    "load",  # events loaded from a file or from rows in memory (target: the file)
    "journey.add",  # a journey map registered (detail: digest, added/updated/unchanged)
    *(f"case.{s}" for s in CASE_STATUSES),  # a case opened, assigned, … closed
    "export",  # the whole store copied to another (target: the URL, password hidden)
    "customer.export",  # a customer's personal data exported on request
    "customer.erase",  # a customer's personal data erased (detail: rows touched per table)
    "user.add",
    "user.disable",
    "user.passwd",
    "token.create",
    "token.revoke",
    "login",
    "login.failed",
    "logout",  # target: the session (a hash of its CSRF token); its cookie is refused after
)
_ACTION = re.compile(r"^[a-z]+(\.[a-z_]+)*$")


def default_actor() -> str:
    """The local single user (the OS user), for callers that name no one."""
    from moments.access.roles import LOCAL

    return LOCAL.user_id


def _writable(store: Any) -> Any:
    # a scoped store may not write the audit table itself; the entry is the system's, not theirs
    return getattr(store, "unscoped", store)


def record(
    store: Any,
    actor: str,
    action: str,
    target: str,
    detail: Mapping[str, Any] | None = None,
) -> str:
    """Append one entry (inside the caller's transaction, if any); returns its id."""
    return record_many(store, actor, [(action, target, detail)])[0]


def record_many(
    store: Any,
    actor: str,
    entries: Sequence[tuple[str, str, Mapping[str, Any] | None]],
) -> list[str]:
    """Append one entry per (action, target, detail), all at once (inside the caller's
    transaction, if any); returns their ids."""
    at = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for action, target, detail in entries:
        if not _ACTION.match(action):
            raise ValueError(f"audit action {action!r} is not a dotted lower-case name")
        rows.append(
            {
                "audit_id": uuid.uuid4().hex,
                "at": at,
                "actor": actor or default_actor(),
                "action": action,
                "target": target,
                "detail": json.dumps(dict(detail or {}), sort_keys=True, default=str),
            }
        )
    if rows:
        _writable(store).append("audit", pa.Table.from_pylist(rows, schema=AUDIT.to_pyarrow()))
    return [r["audit_id"] for r in rows]


def entries(
    store: Any,
    action: str | None = None,
    actor: str | None = None,
    since: date | datetime | None = None,
    limit: int | None = None,
) -> ibis.Table:
    """Audit entries, newest first; ``action`` matches itself and its sub-actions
    (``case`` matches ``case.closed``), ``since`` a day (UTC) or a time."""
    t = store.table("audit")
    if action:
        t = t.filter((t.action == action) | t.action.startswith(action + "."))
    if actor:
        t = t.filter(t.actor == actor)
    if since is not None:
        if not isinstance(since, datetime):
            since = datetime(since.year, since.month, since.day, tzinfo=UTC)
        elif since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        t = t.filter(t.at >= ibis.literal(since.astimezone(UTC), AUDIT["at"]))
    t = t.order_by([ibis.desc("at"), ibis.desc("audit_id")])
    return t.limit(limit) if limit is not None else t


class Audited:
    """A store that writes each load to the audit log inside the load's own transaction.

    The loader appends one row to ``loads`` per file or batch of rows, in the transaction that
    adds the events; this wrapper adds the ``load`` entry right after that row, so both land
    or neither does. Everything else is the wrapped store's."""

    def __init__(self, store: Any, actor: str) -> None:
        self._store = store
        self._actor = actor

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def append(self, name: str, obj: ibis.Table | pa.Table) -> None:
        self._store.append(name, obj)
        if name == "loads" and isinstance(obj, pa.Table):
            for r in obj.to_pylist():
                detail = {
                    k: r[k]
                    for k in ("load_id", "kind", "rows_read", "added", "duplicates", "quarantined")
                }
                record(self._store, self._actor, "load", r["file"], detail)
