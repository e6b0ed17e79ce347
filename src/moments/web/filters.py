"""The filters every page and endpoint shares: period, location, channel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, Query

from moments.errors import InputError, Problem


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    location: str | None = None
    channel: str | None = None
    segment: str | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for the Workspace's analyses."""
        return {
            "start": self.start,
            "end": self.end,
            "location_id": self.location or None,
            "channel": self.channel or None,
            "segment": self.segment or None,
        }

    def query(self) -> str:
        parts = [f"{k}={v}" for k, v in self.__dict__.items() if v]
        return "&".join(parts)


def _day(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(
            Problem(
                f"'{value}' is not a day", "write it as YYYY-MM-DD, e.g. 2026-03-01", field=field
            )
        ) from None


def get_filters(
    start: Annotated[str | None, Query(description="From this day (inclusive), YYYY-MM-DD")] = None,
    end: Annotated[str | None, Query(description="Until this day (exclusive), YYYY-MM-DD")] = None,
    location: Annotated[str | None, Query(description="Only this location id")] = None,
    channel: Annotated[
        str | None,
        Query(
            pattern=r"^(|web|app|phone|chat|email|store|social|other)$",
            description="Only lived moments on this channel",
        ),
    ] = None,
    segment: Annotated[str | None, Query(description="Only customers in this segment")] = None,
) -> Filters:
    return Filters(
        _day(start, "start"), _day(end, "end"), location or None, channel or None, segment or None
    )


FiltersDep = Annotated[Filters, Depends(get_filters)]
