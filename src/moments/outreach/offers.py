"""Offers and the contact policy as code: YAML files validated with file:line:column errors.

An offers file lists messages we may send::

    offers:
      - id: dressing-room-recovery
        name: Sorry about the dressing room: a private styling session
        channel: email
        eligible: negative_moment('dressing-room', 14)
        value: 60               # what an acceptance is worth
        prior: 0.25             # acceptance probability while there is no history to fit
        cost: 1.5
        service_recovery: true  # may go to a customer with an open case or a fresh negative
        valid_from: 2026-01-01
        valid_until: 2026-12-31

A policy file says how often and when we may contact anyone (see :class:`Policy`).
"""

from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from moments.errors import InputError, Problem
from moments.journey.loader import Positions, parse_yaml, pydantic_problems, read_text
from moments.journey.model import Channel, Id, RuleError
from moments.outreach import eligibility
from moments.store.schema import OUTCOME_TYPES

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_FIX = "correct this value (see the outreach section of the README)"

# the contact detail a channel needs in the customer's profile
DETAILS: dict[str, str] = {"email": "email", "phone": "phone"}


def _time(v: object) -> object:
    if isinstance(v, _dt.time):
        return v
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
        return v  # YAML 1.1 reads 10:00 as the sexagesimal number 600
    m = _HHMM.match(str(v).strip())
    if not m:
        raise RuleError(f"'{v}' is not a time of day", "write hours and minutes, e.g. '09:30'")
    return _dt.time(int(m.group(1)), int(m.group(2)))


def _sexagesimal(v: object) -> object:
    if isinstance(v, int) and not isinstance(v, bool):
        return _dt.time(v // 60, v % 60)
    return v


TimeOfDay = Annotated[_dt.time, BeforeValidator(_sexagesimal), BeforeValidator(_time)]


def _zone(v: object) -> object:
    if isinstance(v, str):
        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise RuleError(
                f"unknown time zone '{v}'", "use an IANA zone name, e.g. Europe/London"
            ) from None
    return v


Zone = Annotated[str, BeforeValidator(_zone)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Caps(Strict):
    """How many outbound contacts at most in any day, 7 days and 30 days (rolling)."""

    day: int | None = Field(None, ge=0)
    week: int | None = Field(None, ge=0)
    month: int | None = Field(None, ge=0)

    def windows(self) -> list[tuple[str, int, int]]:
        """(name, window in days, limit) for each cap set."""
        named = (("day", 1, self.day), ("week", 7, self.week), ("month", 30, self.month))
        return [(n, w, c) for n, w, c in named if c is not None]


class QuietHours(Strict):
    """No contact from ``from`` until ``until`` in the customer's own time zone (may wrap
    midnight, e.g. 20:00–09:00)."""

    start: TimeOfDay = Field(alias="from")
    end: TimeOfDay = Field(alias="until")

    def covers(self, t: _dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end


class ChannelPolicy(Strict):
    consent: Literal["opt_in", "opt_out"] = Field(
        "opt_out",
        description="opt_in: only customers whose latest consent is opted_in; opt_out: anyone "
        "whose latest consent is not opted_out",
    )
    send_at: TimeOfDay = Field(description="local time of day a message goes out")
    capacity_per_day: int | None = Field(None, ge=0, description="e.g. agent call slots")
    caps: Caps = Caps()


class Suppress(Strict):
    open_case: bool = True
    negative_moment_days: int = Field(14, ge=0, description="0: no suppression after negatives")


class Policy(Strict):
    """The contact policy: caps, quiet hours, consent, cool-off, suppression and capacity."""

    time_zone: Zone = "UTC"
    quiet_hours: QuietHours | None = None
    cool_off_days: int = Field(0, ge=0, le=60)
    caps: Caps = Caps()
    suppress: Suppress = Suppress()
    channels: dict[Channel, ChannelPolicy] = Field(min_length=1)
    source: str = Field("<policy>", exclude=True)

    @model_validator(mode="after")
    def _send_outside_quiet_hours(self) -> Policy:
        if self.quiet_hours is not None:
            for name, ch in self.channels.items():
                if self.quiet_hours.covers(ch.send_at):
                    raise RuleError(
                        f"channel {name} sends at {ch.send_at:%H:%M}, inside the quiet hours",
                        "move send_at outside the quiet hours",
                    )
        return self

    def longest_window(self) -> int:
        spans = [w for _, w, _ in self.caps.windows()]
        spans += [w for ch in self.channels.values() for _, w, _ in ch.caps.windows()]
        return max([*spans, self.cool_off_days, 1])


class Offer(Strict):
    id: Id
    name: str = Field(min_length=1)
    channel: Channel
    eligible: str = Field(min_length=1, description="an eligibility expression")
    value: float = Field(ge=0, description="what an accepted offer is worth")
    prior: float = Field(ge=0, le=1, description="acceptance probability without history")
    cost: float = Field(0, ge=0, description="what sending it costs")
    accept_outcome: str = Field("purchase", description="the outcome that counts as accepted")
    accept_within_days: int = Field(14, ge=1, le=365)
    repeat_after_days: int = Field(30, ge=0, description="not again to the same customer before")
    service_recovery: bool = False
    valid_from: _dt.date | None = None
    valid_until: _dt.date | None = None
    message: str = ""

    @model_validator(mode="after")
    def _dates_in_order(self) -> Offer:
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise RuleError("valid_until is before valid_from", "swap or correct the dates")
        if self.accept_outcome not in OUTCOME_TYPES:
            raise RuleError(
                f"unknown outcome '{self.accept_outcome}'", f"use one of {', '.join(OUTCOME_TYPES)}"
            )
        return self


class Offers(Strict):
    offers: list[Offer] = Field(min_length=1)


class OfferBook:
    """Loaded offers with their parsed eligibility rules and where each was written."""

    def __init__(
        self, offers: list[Offer], rules: list[eligibility.Rule], lines: list[int | None], file: str
    ) -> None:
        self.offers, self.rules, self.lines, self.file = offers, rules, lines, file

    def __len__(self) -> int:
        return len(self.offers)

    def check_channels(self, policy: Policy) -> None:
        """Every offer's channel must have an entry in the policy."""
        problems = [
            Problem(
                f"offer '{o.id}' goes by {o.channel}, which the contact policy does not list",
                f"add '{o.channel}' under channels in {policy.source}, or change the channel",
                self.file,
                line,
                None,
                f"offers[{i}].channel",
            )
            for i, (o, line) in enumerate(zip(self.offers, self.lines, strict=True))
            if o.channel not in policy.channels
        ]
        if problems:
            raise InputError(problems)


def _top(data: Any, pos: Positions, file: str, what: str, start: str) -> dict[Any, Any]:
    if not isinstance(data, dict):
        line, column = pos.get((), (None, None))
        raise InputError(
            Problem(f"{what} must be a mapping", f"start with '{start}'", file, line, column)
        )
    return data


def load_offers_text(
    text: str, file: str = "<offers>", features: Mapping[str, str] | None = None
) -> OfferBook:
    """Validate an offers file: the fields, unique ids and every eligibility expression."""
    from moments.outreach.features import FEATURES

    data, pos = parse_yaml(text, file, "offers")
    data = _top(data, pos, file, "an offers file", "offers:")
    problems: list[Problem] = []
    parsed: Offers | None = None
    try:
        parsed = Offers.model_validate(data)
    except ValidationError as err:
        problems += pydantic_problems(err, file, pos, _FIX)
    known = features or FEATURES
    raw_items = data.get("offers")
    items: list[Any] = raw_items if isinstance(raw_items, list) else []
    seen: dict[str, int] = {}
    rules: list[eligibility.Rule] = []
    lines: list[int | None] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        at = pos.near(("offers", i))
        lines.append(at[0] if at else None)
        oid = item.get("id")
        if isinstance(oid, str):
            if oid in seen:
                lc = pos.near(("offers", i, "id"))
                problems.append(
                    Problem(
                        f"duplicate offer id '{oid}' (first at line {seen[oid]})",
                        "give each offer its own id",
                        file,
                        lc[0] if lc else None,
                        lc[1] if lc else None,
                        f"offers[{i}].id",
                    )
                )
            else:
                seen[oid] = (pos.near(("offers", i, "id")) or (0, 0))[0]
        expr = item.get("eligible")
        if isinstance(expr, str) and expr.strip():
            lc = pos.near(("offers", i, "eligible"))
            try:
                rules.append(eligibility.parse(expr, known))
            except eligibility.ExpressionError as e:
                problems.append(
                    Problem(
                        f"{e.what} in '{expr.strip()}'",
                        e.fix,
                        file,
                        lc[0] if lc else None,
                        (lc[1] + (e.column or 1) - 1) if lc and e.column else None,
                        f"offers[{i}].eligible",
                    )
                )
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise InputError(problems)
    assert parsed is not None
    return OfferBook(parsed.offers, rules, lines, file)


def load_offers(path: str | Path, features: Mapping[str, str] | None = None) -> OfferBook:
    return load_offers_text(read_text(path), str(path), features)


def load_policy_text(text: str, file: str = "<policy>") -> Policy:
    data, pos = parse_yaml(text, file, "a contact policy")
    data = _top(data, pos, file, "a contact policy", "channels:")
    try:
        return Policy.model_validate({**data, "source": file})
    except ValidationError as err:
        problems = pydantic_problems(err, file, pos, _FIX)
        raise InputError(sorted(problems, key=lambda p: (p.line or 0, p.column or 0))) from None


def load_policy(path: str | Path) -> Policy:
    return load_policy_text(read_text(path), str(path))


def check_file(path: str | Path) -> tuple[str, list[Problem]]:
    """('offers' | 'policy', every problem) for a file of either kind, told apart by its
    top-level ``offers:`` key."""
    text = read_text(path)
    kind = "offers" if re.search(r"^offers\s*:", text, re.M) else "policy"
    try:
        if kind == "offers":
            load_offers_text(text, str(path))
        else:
            load_policy_text(text, str(path))
    except InputError as e:
        return kind, e.problems
    return kind, []
