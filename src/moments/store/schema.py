"""The store's tables: event kinds with their fields, and the derived/bookkeeping tables.

Events are append-only and keyed by ``event_id``. Everything else a user sees (judgements,
scorecards) is derived by queries. Bump ``SCHEMA_VERSION`` whenever a table changes shape.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import ibis.expr.datatypes as dt

SCHEMA_VERSION = 4
# Versions a store may be at and still be opened: each later version only added tables, which
# Store.open creates, then records the new version (v2 added the `customers` profiles,
# v3 the `consents` to be contacted per channel, v4 `users`, `api_tokens` and the `audit` log).
ADDITIVE_SINCE = 1

TS = dt.Timestamp(timezone="UTC")

CHANNELS = ("web", "app", "phone", "chat", "email", "store", "social", "other")
OUTCOME_TYPES = (
    "purchase",
    "repeat_purchase",
    "referral",
    "review",
    "social_post",
    "defection",
    "satisfaction",
    "recommendation",
    "return_intent",
)
# Outcomes that are answers rather than happenings: their `rating` is the answer rescaled to
# 0–1 (1 = best), and an episode without one is unknown, not a "no". `return_intent` is a
# survey's "would you come back / buy again?".
RATED_OUTCOMES = ("satisfaction", "recommendation", "return_intent")
# A case's life (moments.frontline.cases): opened for the moment's owner, assigned (owner_id =
# the assignee), the customer contacted (note = what was offered), resolved (note = the reason),
# closed. "updated" is any other note.
CASE_STATUSES = ("opened", "assigned", "contacted", "updated", "resolved", "closed")
CONTACT_DIRECTIONS = ("inbound", "outbound")
CONSENT_STATUSES = ("opted_in", "opted_out")
VALENCES = ("negative", "neutral", "positive", "unknown")
VALENCE_SCORE = {"negative": -1, "neutral": 0, "positive": 1}


@dataclass(frozen=True)
class EventField:
    """One column of an event kind as it is read from a file and stored."""

    name: str
    type: str  # "string" | "timestamp" | "float"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def dtype(self) -> dt.DataType:
        return {"string": dt.string, "timestamp": TS, "float": dt.float64}[self.type]


@dataclass(frozen=True)
class EventKind:
    """A kind of event: its table, its fields, and whether extra numeric columns are measures."""

    name: str
    table: str
    fields: tuple[EventField, ...]
    has_measures: bool = False
    moment_field: str | None = None  # the field that must name a known moment
    doc: str = ""
    field_names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_names", tuple(f.name for f in self.fields))

    def get(self, name: str) -> EventField:
        return next(f for f in self.fields if f.name == name)

    @property
    def schema(self) -> ibis.Schema:
        cols = {f.name: f.dtype for f in self.fields}
        cols["load_id"] = dt.string
        return ibis.schema(cols)


def _f(
    name: str,
    type_: str = "string",
    required: bool = False,
    *,
    choices: tuple[str, ...] = (),
    help: str = "",
) -> EventField:
    return EventField(name, type_, required, choices=choices, help=help)


_ID = _f("event_id", required=True, help="unique id of the event; re-loading it adds nothing")
_CUSTOMER = _f("customer_id", required=True)
_WHEN = _f("occurred_at", "timestamp", required=True, help="ISO 8601 with a time zone")

EVENT_KINDS: dict[str, EventKind] = {
    k.name: k
    for k in (
        EventKind(
            "interaction",
            "interactions",
            (
                _ID,
                _CUSTOMER,
                _f("moment_id", required=True),
                _WHEN,
                _f("channel", choices=CHANNELS),
                _f("employee_id"),
                _f("location_id"),
            ),
            has_measures=True,
            moment_field="moment_id",
            doc="a customer lives a defining moment; extra numeric columns are its measures",
        ),
        EventKind(
            "feedback",
            "feedback",
            (
                _ID,
                _CUSTOMER,
                _f("moment_id", required=True),
                _WHEN,
                _f("score", "float", required=True, help="on the moment's declared survey scale"),
                _f("interaction_id", help="the interaction the answer is about, if known"),
                _f("comment"),
            ),
            moment_field="moment_id",
            doc="a survey answer about one moment",
        ),
        EventKind(
            "comment",
            "comments",
            (
                _ID,
                _CUSTOMER,
                _WHEN,
                _f("text", required=True),
                _f("interaction_id"),
                _f("moment_id"),
                _f("channel", choices=CHANNELS),
            ),
            moment_field="moment_id",
            doc="free text about an interaction or a customer",
        ),
        EventKind(
            "outcome",
            "outcomes",
            (
                _ID,
                _CUSTOMER,
                _WHEN,
                _f("type", required=True, choices=OUTCOME_TYPES),
                _f("amount", "float"),
                _f(
                    "rating",
                    "float",
                    help="review stars; for satisfaction, recommendation and return_intent "
                    "the answer rescaled to 0–1, 1 = best",
                ),
                _f("text"),
                _f("location_id"),
            ),
            doc="purchase, repeat purchase, referral, public review, social post, defection, "
            "or an overall satisfaction / recommendation / return-intent answer",
        ),
        EventKind(
            "case",
            "cases",
            (
                _ID,
                _f("case_id", required=True),
                _CUSTOMER,
                _WHEN,
                _f("status", required=True, choices=CASE_STATUSES),
                _f("moment_id"),
                _f("interaction_id"),
                _f("owner_id"),
                _f("note"),
            ),
            moment_field="moment_id",
            doc="a case for a moment's owner: opened, assigned, contacted, resolved, closed",
        ),
        EventKind(
            "customer",
            "customers",
            (
                _ID,
                _CUSTOMER,
                _f("occurred_at", "timestamp", required=True, help="when the profile was true"),
                _f("segment", help="e.g. new, regular, loyal; filters every scorecard"),
                _f("email"),
                _f("phone"),
                _f("time_zone", help="IANA zone, e.g. Europe/London"),
            ),
            doc="a customer's profile as of a time; the latest one per customer is current",
        ),
        EventKind(
            "contact",
            "contacts",
            (
                _ID,
                _CUSTOMER,
                _WHEN,
                _f("channel", required=True, choices=CHANNELS),
                _f("direction", choices=CONTACT_DIRECTIONS),
                _f("purpose"),
                _f("employee_id"),
            ),
            doc="an inbound or outbound contact with the customer",
        ),
        EventKind(
            "consent",
            "consents",
            (
                _ID,
                _CUSTOMER,
                _WHEN,
                _f("channel", required=True, choices=CHANNELS),
                _f("status", required=True, choices=CONSENT_STATUSES),
            ),
            doc="a customer opted in to or out of being contacted on a channel; the latest counts",
        ),
    )
}

MEASURES = ibis.schema({"event_id": dt.string, "name": dt.string, "value": dt.float64})

META = ibis.schema({"key": dt.string, "value": dt.string})

JOURNEYS = ibis.schema(
    {
        "journey_id": dt.string,
        "digest": dt.string,
        "name": dt.string,
        "source_path": dt.string,
        "source": dt.string,
        "added_at": TS,
    }
)

MOMENTS = ibis.schema(
    {
        "moment_id": dt.string,
        "moment": dt.string,
        "journey_id": dt.string,
        "journey": dt.string,
        "stage_id": dt.string,
        "stage": dt.string,
        "touchpoint_id": dt.string,
        "touchpoint": dt.string,
        "channel": dt.string,
        "owner_id": dt.string,
        "owner": dt.string,
        "importance": dt.int64,
        "kind": dt.string,
        "position": dt.int64,
    }
)

LOADS = ibis.schema(
    {
        "load_id": dt.string,
        "kind": dt.string,
        "file": dt.string,
        "started_at": TS,
        "rows_read": dt.int64,
        "added": dt.int64,
        "duplicates": dt.int64,
        "quarantined": dt.int64,
    }
)

QUARANTINE = ibis.schema(
    {
        "load_id": dt.string,
        "kind": dt.string,
        "file": dt.string,
        "line": dt.int64,
        "field": dt.string,
        "value": dt.string,
        "reason": dt.string,
        "event_id": dt.string,
        "quarantined_at": TS,
    }
)

JUDGEMENTS = ibis.schema(
    {
        "lived_id": dt.string,
        "customer_id": dt.string,
        "moment_id": dt.string,
        "occurred_at": TS,
        "channel": dt.string,
        "employee_id": dt.string,
        "location_id": dt.string,
        "valence": dt.string,
        "score": dt.int8,
        "source": dt.string,
        "confidence": dt.float64,
        "reason": dt.string,
        "judged_at": TS,
    }
)

# People who use a shared server (moments.access): their role, and for a moment owner the
# owner id of the journeys' moments they own, for a coach the employee ids of their team.
ROLES = ("admin", "cx_leader", "owner", "agent", "coach", "marketer")
USERS = ibis.schema(
    {
        "user_id": dt.string,
        "name": dt.string,
        "role": dt.string,
        "owner_id": dt.string,
        "team": dt.string,  # comma-separated employee ids
        "password_hash": dt.string,  # argon2id, never the password
        "created_at": TS,
        "disabled_at": TS,
    }
)

# Tokens for scripts: only a hash of the secret is kept; revoking sets revoked_at.
API_TOKENS = ibis.schema(
    {
        "token_id": dt.string,
        "user_id": dt.string,
        "name": dt.string,
        "token_hash": dt.string,
        "created_at": TS,
        "revoked_at": TS,
    }
)

# Append-only: who did what to what (loads, journey changes, case changes, exports, erasures,
# users and tokens). Nothing in moments updates or deletes these rows.
AUDIT = ibis.schema(
    {
        "audit_id": dt.string,
        "at": TS,
        "actor": dt.string,
        "action": dt.string,
        "target": dt.string,
        "detail": dt.string,  # JSON
    }
)

TABLES: dict[str, ibis.Schema] = {
    "meta": META,
    "journeys": JOURNEYS,
    "moments": MOMENTS,
    "loads": LOADS,
    "quarantine": QUARANTINE,
    "measures": MEASURES,
    "judgements": JUDGEMENTS,
    "users": USERS,
    "api_tokens": API_TOKENS,
    "audit": AUDIT,
    **{k.table: k.schema for k in EVENT_KINDS.values()},
}
