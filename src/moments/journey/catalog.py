"""Journeys registered in a store: an append-only history of their YAML, and the moments table."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

import ibis
import pyarrow as pa

from moments.errors import InputError, Problem
from moments.journey.loader import load_journey_text
from moments.journey.model import Journey
from moments.store import Store
from moments.store.schema import MOMENTS


@dataclass(frozen=True)
class JourneyChange:
    journey_id: str
    status: str  # "added" | "updated" | "unchanged"
    moments: int

    def __str__(self) -> str:
        return f"journey '{self.journey_id}' {self.status} ({self.moments} moments)"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current_sources(store: Store) -> pa.Table:
    """The latest registered version of each journey: journey_id, digest, source, source_path."""
    j = store.table("journeys")
    ranked = j.mutate(
        _n=ibis.row_number().over(group_by="journey_id", order_by=ibis.desc("added_at"))
    )
    return (
        ranked.filter(ranked._n == 0)
        .select("journey_id", "digest", "source", "source_path")
        .order_by("journey_id")
        .to_pyarrow()
    )


def registered_journeys(store: Store) -> list[Journey]:
    """The journeys currently registered in the store."""
    rows = current_sources(store).to_pylist()
    return [load_journey_text(r["source"], r["source_path"]) for r in rows]


def moment_rows(journey: Journey) -> pa.Table:
    rows = []
    for pos, (stage, tp, m) in enumerate(journey.moments()):
        rows.append(
            {
                "moment_id": m.id,
                "moment": m.name,
                "journey_id": journey.id,
                "journey": journey.name,
                "stage_id": stage.id,
                "stage": stage.name,
                "touchpoint_id": tp.id,
                "touchpoint": tp.name,
                "channel": tp.channel,
                "owner_id": m.owner,
                "owner": journey.owner(m.owner).name,
                "importance": m.importance,
                "kind": m.kind,
                "position": pos,
            }
        )
    return pa.Table.from_pylist(rows, schema=MOMENTS.to_pyarrow())


def register_journey(store: Store, source: str, source_path: str) -> JourneyChange:
    """Validate journey YAML and make it the journey's current version in the store."""
    journey = load_journey_text(source, source_path)
    digest = _digest(source)
    current = {r["journey_id"]: r["digest"] for r in current_sources(store).to_pylist()}
    n = len(journey.moments())
    if current.get(journey.id) == digest:
        return JourneyChange(journey.id, "unchanged", n)
    moments = store.table("moments")
    others = moments.filter(moments.journey_id != journey.id)
    taken = others.filter(others.moment_id.isin([m.id for _, _, m in journey.moments()]))
    clashes = taken.select("moment_id", "journey_id").to_pyarrow().to_pylist()
    if clashes:
        raise InputError(
            [
                Problem(
                    f"moment id '{c['moment_id']}' is already used by journey '{c['journey_id']}'",
                    "moment ids are unique across a store; rename one of them",
                    source_path,
                )
                for c in clashes
            ]
        )
    row = pa.table(
        {
            "journey_id": [journey.id],
            "digest": [digest],
            "name": [journey.name],
            "source_path": [source_path],
            "source": [source],
            "added_at": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
        }
    )
    with store.transaction():
        store.append("journeys", row)
        store.delete_in("moments", "journey_id", [journey.id])
        store.append("moments", moment_rows(journey))
    return JourneyChange(journey.id, "updated" if journey.id in current else "added", n)
