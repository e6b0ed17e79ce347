"""What every customer card needs that does not depend on the customer, built once per store state.

The journeys' moments, the playbooks and their matchers, the transition counts (which moment
customers lived next after each moment and valence) and the fitted risk model. Rebuilding them
takes seconds on millions of lived moments, so they are kept until the judgements, outcomes or
journeys change; writing a case or a contact does not rebuild them.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import ibis

from moments.analytics import risk as risk_mod
from moments.errors import InputError
from moments.frontline.matcher import RequestMatcher
from moments.frontline.playbook import Playbook, collect, playbook_folders
from moments.journey.catalog import current_sources
from moments.journey.model import Journey
from moments.workspace import Workspace

Transitions = dict[tuple[str, str | None], list[tuple[str | None, int]]]


@dataclass(frozen=True)
class MomentInfo:
    moment_id: str
    name: str
    journey_id: str
    stage: str
    owner_id: str
    owner: str
    position: int
    playbook: str | None
    sla: str | None


@dataclass
class Context:
    journeys: list[Journey]
    moments: dict[str, MomentInfo]
    playbooks: list[Playbook]
    transitions: Transitions
    risk_model: risk_mod.RiskModel | None
    risk_note: str
    as_of: datetime | None  # the risk's "now": one second after the store's last lived moment
    matchers: dict[frozenset[str], RequestMatcher] = field(default_factory=dict)

    def playbooks_for(self, moment_id: str) -> list[Playbook]:
        info = self.moments.get(moment_id)
        named = info.playbook if info else None
        return [p for p in self.playbooks if moment_id in p.moments or p.id == named]

    def matcher(self, journey_ids: frozenset[str]) -> RequestMatcher:
        if journey_ids not in self.matchers:
            pbs = [p for p in self.playbooks if not journey_ids or p.journey in journey_ids]
            self.matchers[journey_ids] = RequestMatcher(pbs)
        return self.matchers[journey_ids]


def moment_infos(journeys: list[Journey]) -> dict[str, MomentInfo]:
    out = {}
    for j in journeys:
        for pos, (stage, _, m) in enumerate(j.moments()):
            out[m.id] = MomentInfo(
                m.id,
                m.name,
                j.id,
                stage.name,
                m.owner,
                j.owner(m.owner).name,
                pos,
                m.playbook,
                m.sla,
            )
    return out


def transitions(judgements: ibis.Table) -> Transitions:
    """For each (moment, valence): the moments customers lived next and how many; ``None`` as
    the next moment counts those with none (yet)."""
    j = judgements
    w = ibis.window(group_by="customer_id", order_by=[j.occurred_at, j.lived_id])
    t = j.mutate(next_moment=j.moment_id.lead().over(w))
    counts = (
        t.group_by(["moment_id", "valence", "next_moment"])
        .agg(n=t.count())
        .to_pyarrow()
        .to_pylist()
    )
    out: defaultdict[tuple[str, str | None], list[tuple[str | None, int]]] = defaultdict(list)
    for r in counts:
        out[(r["moment_id"], r["valence"])].append((r["next_moment"], int(r["n"])))
        out[(r["moment_id"], None)].append((r["next_moment"], int(r["n"])))
    merged: Transitions = {}
    for key, pairs in out.items():
        total: defaultdict[str | None, int] = defaultdict(int)
        for nxt, n in pairs:
            total[nxt] += n
        merged[key] = sorted(total.items(), key=lambda x: (-x[1], x[0] or ""))
    return merged


def _fingerprint(ws: Workspace) -> str:
    j, o = ws.judgements(), ws.events("outcome")
    jrow = j.aggregate(n=j.count(), last=j.judged_at.max()).to_pyarrow().to_pylist()[0]
    n_out = o.count().to_pyarrow().as_py()
    journeys = "|".join(j.model_dump_json() for j in ws.journeys())
    text = f"{ws.store.location}|{jrow['n']}|{jrow['last']}|{n_out}|{journeys}"
    return hashlib.sha256(text.encode()).hexdigest()


def build(ws: Workspace, fit_risk: bool = True) -> Context:
    journeys = ws.journeys()
    sources = [r["source_path"] for r in current_sources(ws.store).to_pylist()]
    playbooks = collect(playbook_folders(sources), journeys)
    model, note, as_of = None, "", None
    # nothing judged yet: no card has a lived moment to weigh
    with contextlib.suppress(InputError):
        as_of = risk_mod._last(ws.judgements())
    if fit_risk:
        try:
            model = ws.risk_model()
            note = model.summary()
        except InputError as e:
            note = f"no risk model ({e.problems[0].what}): counts of recent negatives instead"
    else:
        note = "risk model not fitted: counts of recent negatives instead"
    return Context(
        journeys=journeys,
        moments=moment_infos(journeys),
        playbooks=playbooks,
        transitions=transitions(ws.judgements()),
        risk_model=model,
        risk_note=note,
        as_of=as_of,
    )


_LOCK = threading.Lock()
_BUILT: OrderedDict[tuple[str, bool], Context] = OrderedDict()
_SEEN: weakref.WeakKeyDictionary[Workspace, tuple[int, str]] = weakref.WeakKeyDictionary()
MAX_CONTEXTS = 4


def context(ws: Workspace, fit_risk: bool = True) -> Context:
    """The card context for the store's current state (rebuilt when judgements, outcomes or
    journeys change; a case or contact written leaves it as it is)."""
    with _LOCK:
        seen = _SEEN.get(ws)
        key = seen[1] if seen and seen[0] == ws.generation else None
    if key is None:
        key = _fingerprint(ws)
        with _LOCK:
            _SEEN[ws] = (ws.generation, key)
    with _LOCK:
        ctx = _BUILT.get((key, fit_risk))
        if ctx is not None:
            _BUILT.move_to_end((key, fit_risk))
            return ctx
    ctx = build(ws, fit_risk)
    with _LOCK:
        _BUILT[(key, fit_risk)] = ctx
        while len(_BUILT) > MAX_CONTEXTS:
            _BUILT.popitem(last=False)
    return ctx
