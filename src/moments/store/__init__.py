"""The append-only event store, reached through Ibis (DuckDB file by default)."""

from moments.store.schema import EVENT_KINDS, SCHEMA_VERSION, TABLES, EventField, EventKind
from moments.store.store import Store, memtable, parse_url

__all__ = [
    "EVENT_KINDS",
    "SCHEMA_VERSION",
    "TABLES",
    "EventField",
    "EventKind",
    "Store",
    "memtable",
    "parse_url",
]
