"""A customer's personal data: everything stored about them, and erasure on request.

Erasure keeps the aggregate counts honest. The customer's rows stay — every lived moment,
answer, outcome and judgement still counts in scorecards, valences, drivers and risk — but:

- their ``customer_id`` becomes one random pseudonym (``erased-<uuid>``), the same in every
  table, so per-customer analyses still count one customer; nothing links it to the old id;
- ids that embed the customer id (``case-<customer>-…``) get the pseudonym in its place, the
  same way wherever they are referred to (measures, judgements, answers, cases);
- free text and contact details are blanked (:data:`PERSONAL_FIELDS`), as are the words a
  text judgement quoted in its reason, and the raw values of quarantined rows about them.

The change is one transaction (on Spark, the store's all-or-nothing file changes) together
with its ``customer.erase`` audit entry, whose target is a keyed hash of the id, never the id.

Loads refuse an erased customer afterwards: a row whose customer id hashes to an erased
customer's audit target is quarantined (without its values), so re-loading an old file does
not bring them back. Erase them at the source as well.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

import ibis
import pyarrow as pa

from moments.errors import NotFound
from moments.governance.audit import record
from moments.store.schema import EVENT_KINDS, TABLES

PSEUDONYM = "erased-"
# Free text and contact details per table, and what they become (None: empty; "" where the
# field is required). A contact's ``purpose`` names an offer, not the customer: it stays.
PERSONAL_FIELDS: dict[str, dict[str, str | None]] = {
    "feedback": {"comment": None},
    "comments": {"text": ""},
    "outcomes": {"text": None},
    "cases": {"note": None},
    "customers": {"email": None, "phone": None, "time_zone": None},
}
# Columns holding ids of events that may embed the customer's id.
ID_COLUMNS = ("event_id", "interaction_id", "case_id", "lived_id")
KEYS = {"judgements": "lived_id", "measures": "event_id"}  # event tables: event_id
CUSTOMER_TABLES = (*(k.table for k in EVENT_KINDS.values()), "judgements")
SALT_KEY = "customer_ref_salt"
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def _token(customer_id: str) -> re.Pattern[str]:
    """The customer id as a whole token of another id (``case-c1-x`` has c1, ``c10`` not)."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(customer_id)}(?![A-Za-z0-9])")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _event_ids(store: Any, customer_id: str) -> ibis.Table:
    """The ids of every event of the customer, of every kind (one column, ``event_id``)."""
    parts = []
    for kind in EVENT_KINDS.values():
        t = store.table(kind.table)
        parts.append(t.filter(t.customer_id == customer_id).select("event_id"))
    return ibis.union(*parts)


def _near(store: Any, customer_id: str) -> ibis.BooleanValue:
    """Quarantined rows that may concern the customer: about one of their events, or with
    their id in the rejected value or event id (checked as a whole token by ``_concerns``)."""
    q = store.table("quarantine")
    ids = _event_ids(store, customer_id)
    near = (
        q.event_id.isin(ids.event_id)
        | q.value.contains(customer_id)
        | q.event_id.contains(customer_id)
    )
    return near.fill_null(False)


def _concerns(row: dict[str, Any], ids: set[str], token: re.Pattern[str]) -> bool:
    return row["event_id"] in ids or any(
        isinstance(row[c], str) and token.search(row[c]) for c in ("value", "event_id")
    )


def _rows(store: Any, customer_id: str) -> dict[str, pa.Table]:
    """The customer's rows per table, as stored (tables without any left out)."""
    found: dict[str, pa.Table] = {}
    for name in CUSTOMER_TABLES:
        t = store.table(name)
        found[name] = t.filter(t.customer_id == customer_id).to_pyarrow()
    lived = store.table("interactions")
    lived = lived.filter(lived.customer_id == customer_id)
    m = store.table("measures")
    found["measures"] = m.semi_join(lived, m.event_id == lived.event_id).to_pyarrow()
    ids = {r for name in EVENT_KINDS.values() for r in found[name.table]["event_id"].to_pylist()}
    about, _ = _quarantined(store, customer_id, ids)
    found["quarantine"] = about
    return {k: v for k, v in found.items() if v.num_rows}


def _quarantined(store: Any, customer_id: str, ids: set[str]) -> tuple[pa.Table, pa.Table]:
    """The quarantined rows near the customer: those about them, and the others."""
    schema = TABLES["quarantine"].to_pyarrow()
    if not store.count("quarantine"):  # the usual case; the query below reads every table
        return schema.empty_table(), schema.empty_table()
    q = store.table("quarantine")
    token = _token(customer_id)
    near = q.filter(_near(store, customer_id)).to_pyarrow().to_pylist()
    about = [r for r in near if _concerns(r, ids, token)]
    others = [r for r in near if not _concerns(r, ids, token)]
    return pa.Table.from_pylist(about, schema=schema), pa.Table.from_pylist(others, schema=schema)


def customer_data(store: Any, customer_id: str) -> dict[str, list[dict[str, Any]]]:
    """Every stored row about one customer, per table (events of every kind, judgements, the
    measures of their interactions, quarantined rows about them), ready for ``json.dumps``
    (times as ISO 8601). Empty when the store holds nothing about them."""
    return {
        name: [{k: _plain(v) for k, v in r.items()} for r in t.to_pylist()]
        for name, t in _rows(store, customer_id).items()
    }


def export_customer(store: Any, customer_id: str, actor: str) -> dict[str, list[dict[str, Any]]]:
    """:func:`customer_data`, recorded in the audit log as a ``customer.export`` by ``actor``
    (with the rows per table; the log names the customer by :func:`customer_ref` only)."""
    with store.transaction():
        data = customer_data(store, customer_id)
        rows = {name: len(r) for name, r in data.items()}
        record(store, actor, "customer.export", customer_ref(store, customer_id), rows)
    return data


def customer_ref(store: Any, customer_id: str) -> str:
    """How the audit log names a customer: a keyed hash of the id (the key is this store's
    own), so the log never holds the id, yet an admin can check whether an id was handled."""
    _ensure_salt(store)
    return _ref(store.meta(SALT_KEY) or "", customer_id)


def _ref(salt: str, customer_id: str) -> str:
    digest = hmac.new(salt.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
    return f"customer:{digest[:24]}"


def erased_among(store: Any, customer_ids: Callable[[], Iterable[str]]) -> set[str]:
    """Those of ``customer_ids`` (asked for only when the store has erased anyone) that were
    erased: their keyed hash is the target of a ``customer.erase`` audit entry."""
    salt = store.meta(SALT_KEY)
    if not salt:
        return set()
    a = store.table("audit")
    gone = set(a.filter(a.action == "customer.erase").target.to_pyarrow().to_pylist())
    if not gone:
        return set()
    return {c for c in customer_ids() if c is not None and _ref(salt, c) in gone}


def _ensure_salt(store: Any) -> None:
    """A random key for :func:`customer_ref`, made once per store."""
    if not store.meta(SALT_KEY):
        store.append("meta", pa.table({"key": [SALT_KEY], "value": [secrets.token_urlsafe(32)]}))


def _erased(name: str, rows: pa.Table, swap: Callable[[Any], Any], pseudonym: str) -> pa.Table:
    """The customer's rows of one table as they are kept after erasure."""
    blank = PERSONAL_FIELDS.get(name, {})
    out = []
    for r in rows.to_pylist():
        for c in ID_COLUMNS:
            if c in r:
                r[c] = swap(r[c])
        if "customer_id" in r:
            r["customer_id"] = pseudonym
        for c, value in blank.items():
            if r[c] is not None:
                r[c] = value
        if name == "judgements" and r["source"] == "text" and r["reason"]:
            r["reason"] = _QUOTED.sub("'…'", r["reason"])
        if name == "quarantine":
            r["value"] = None
        out.append(r)
    return pa.Table.from_pylist(out, schema=rows.schema)


def erase_customer(store: Any, customer_id: str, actor: str) -> dict[str, int]:
    """Erase one customer's personal data, keeping every count (see the module doc); returns
    the rows touched per table. ``NotFound`` when the store holds nothing about them (or
    they were erased already)."""
    if customer_id.startswith(PSEUDONYM):
        raise NotFound(f"customer '{customer_id}' is a pseudonym: that customer is erased already")
    found = _rows(store, customer_id)
    if not any(name in found for name in CUSTOMER_TABLES):
        raise NotFound(
            f"no customer '{customer_id}' in the store: check the id as it was loaded (e.g. "
            "'moments card show CUSTOMER_ID'); a customer erased before is gone already"
        )
    pseudonym = PSEUDONYM + uuid.uuid4().hex
    token = _token(customer_id)

    def swap(value: Any) -> Any:
        return token.sub(pseudonym, value) if isinstance(value, str) else value

    new = {name: _erased(name, rows, swap, pseudonym) for name, rows in found.items()}
    # the quarantine has no key: it is rewritten as its rows far from the customer (computed
    # before anything changes) plus the near ones, changed where they are about the customer
    rest = None
    if "quarantine" in found:
        ids = {
            r
            for k in EVENT_KINDS.values()
            if k.table in found
            for r in found[k.table]["event_id"].to_pylist()
        }
        _, others = _quarantined(store, customer_id, ids)
        q = store.table("quarantine")
        rest = store.materialize(q.filter(~_near(store, customer_id)))
        new["quarantine"] = pa.concat_tables([new["quarantine"], others])
    try:
        with store.transaction():
            for name, rows in found.items():
                if name == "quarantine":
                    assert rest is not None
                    store.replace("quarantine", rest)
                else:
                    key = KEYS.get(name, "event_id")
                    store.delete_in(name, key, sorted(set(rows[key].to_pylist())))
                store.append(name, new[name])
            touched = {name: rows.num_rows for name, rows in found.items()}
            record(store, actor, "customer.erase", customer_ref(store, customer_id), touched)
    finally:
        if rest is not None:
            store.drop_temp(rest)
    return touched
