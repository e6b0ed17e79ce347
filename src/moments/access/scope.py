"""What each principal may read and write: a store whose tables are narrowed to their scope.

Every query in moments starts from ``Store.table(name)``, so narrowing the tables there narrows
every analysis, page and API answer built on them — the scorecard, the evidence, a customer's
card — without any of them knowing about roles. A moment owner reads only the lived moments,
answers, comments and cases of the moments they own (and the outcomes of the customers who lived
them); a coach only the lived moments served by their team. People's accounts and the audit log
are read only by admins, through the library's own functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ibis
import pyarrow as pa

from moments.access.roles import Principal
from moments.errors import Forbidden
from moments.store import Store

# tables only an admin reads (through moments.access / moments.governance, not analyses)
ADMIN_ONLY = frozenset({"users", "api_tokens", "audit"})
# raw rows of loaded files (may hold anything a file held) and the files themselves
OPERATIONS = frozenset({"quarantine", "loads"})
# tables whose rows concern one customer's contact details and contact history
CONTACT = frozenset({"customers", "contacts", "consents"})
BOOKKEEPING = frozenset({"loads", "quarantine", "measures"})
# tables each role may append to through a scoped store (an admin: every table)
WRITES: dict[str, frozenset[str]] = {
    "cx_leader": frozenset(),
    "owner": frozenset({"cases"}),
    "agent": frozenset({"cases", "contacts"}),
    "coach": frozenset(),
    "marketer": frozenset({"contacts"}),
}


class ScopedStore:
    """A ``Store`` seen by one principal: same engine and connection, narrowed tables.

    Anything not overridden here (engine, location, transaction, meta, staging…) is the
    underlying store's.
    """

    def __init__(self, store: Store, principal: Principal) -> None:
        self._store = store
        self.principal = principal
        self._owned: list[str] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    @property
    def unscoped(self) -> Store:
        return self._store

    @property
    def scope_key(self) -> str:
        p = self.principal
        return f"{p.role}:{p.owner_id or ''}:{','.join(p.team)}"

    def owned_moments(self) -> list[str]:
        """The moment ids this principal owns (an owner) — read once."""
        if self._owned is None:
            m = self._store.table("moments")
            rows = m.filter(m.owner_id == (self.principal.owner_id or "")).moment_id
            self._owned = sorted(set(rows.to_pyarrow().to_pylist()))
        return self._owned

    def sees_moment(self, moment_id: str) -> bool:
        if self.principal.role == "owner":
            return moment_id in self.owned_moments()
        return True

    # -- reads -----------------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        t = self._store.table(name)
        role = self.principal.role
        if role == "admin":
            return t
        if name in ADMIN_ONLY:
            return _nothing(t)
        if role == "cx_leader":
            return t
        if name in OPERATIONS:
            return _nothing(t)
        if role == "owner":
            return self._owner_rows(name, t)
        if role == "coach":
            return self._coach_rows(name, t)
        return t  # agents and marketers work with every customer; endpoints bound what they do

    def _owner_rows(self, name: str, t: ibis.Table) -> ibis.Table:
        owned = self.owned_moments()
        if name in CONTACT:
            return _nothing(t)
        if name == "cases":
            mine = t.moment_id.isin(owned) | (t.owner_id == (self.principal.owner_id or ""))
            return t.filter(mine.fill_null(False))
        if name in ("moments", "judgements", "interactions", "feedback", "comments"):
            return t.filter(t.moment_id.isin(owned).fill_null(False)) if owned else _nothing(t)
        if name == "measures":
            lived = self.table("interactions")
            return t.semi_join(lived, t.event_id == lived.event_id)
        if name == "outcomes":
            return t.semi_join(self.table("judgements"), "customer_id")
        return t  # meta, journeys: the maps themselves are not personal

    def _coach_rows(self, name: str, t: ibis.Table) -> ibis.Table:
        team = list(self.principal.team)
        if name in CONTACT or name in ("outcomes", "cases", "feedback", "comments", "measures"):
            return _nothing(t)
        if name in ("judgements", "interactions"):
            return t.filter(t.employee_id.isin(team).fill_null(False)) if team else _nothing(t)
        return t

    def count(self, name: str) -> int:
        return int(self.table(name).count().to_pyarrow().as_py())

    def sizes(self) -> dict[str, int]:
        from moments.store.schema import TABLES

        return {name: self.count(name) for name in TABLES}

    def bound_rows(
        self, name: str, build: Callable[[str], ibis.Table], value: str
    ) -> list[dict[str, Any]]:
        # the compiled query differs per scope, so it is kept under a name per scope
        return self._store.bound_rows(f"{name}@{self.scope_key}", build, value)

    # -- writes ----------------------------------------------------------------------------
    def check_write(self, name: str) -> None:
        """Raise ``Forbidden`` unless this principal may add rows to ``name``."""
        role = self.principal.role
        allowed = WRITES.get(role, frozenset())
        # a write of events also writes its bookkeeping: the load, its quarantine, measures
        if role == "admin" or name in allowed or (allowed and name in BOOKKEEPING):
            return
        raise Forbidden(
            f"{self.principal.user_id} ({role}) may not change '{name}'; "
            "ask an admin for a role that allows it"
        )

    def append(self, name: str, obj: ibis.Table | pa.Table) -> None:
        self.check_write(name)
        self._store.append(name, obj)

    def replace(self, name: str, obj: ibis.Table) -> None:
        self.check_write(name)
        self._store.replace(name, obj)

    def clear(self, name: str) -> None:
        self.check_write(name)
        self._store.clear(name)

    def delete_in(self, name: str, column: str, values: Sequence[str]) -> None:
        self.check_write(name)
        self._store.delete_in(name, column, values)


def _nothing(t: ibis.Table) -> ibis.Table:
    return t.filter(ibis.literal(False))
