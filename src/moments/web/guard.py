"""Checks on every request before any route runs."""

from __future__ import annotations

from fastapi import Request

from moments.errors import InputError, Problem


async def refuse_nul(request: Request) -> None:
    """Refuse a NUL character (``%00``) in the path or the query: no id, filter or search
    holds one, and DuckDB cannot take it inside a query's text (found by fuzzing the API)."""
    where = None
    if "\x00" in request.url.path:
        where = "path"
    for name, value in request.query_params.multi_items():
        if "\x00" in name or "\x00" in value:
            where = name.replace("\x00", "") or "query"
    if where is not None:
        raise InputError(
            Problem("a NUL character (%00) is not allowed here", "remove it", field=where)
        )
