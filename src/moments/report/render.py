"""Render sections as HTML: the same template macro serves the web pages and the report file."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from moments.report.sections import applicable, build_section, default_outcome
from moments.workspace import Workspace

TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"
STYLESHEET = TEMPLATES.parent / "static" / "app.css"
MAX_ROWS = 50


def cell(value: Any) -> str:
    """A table cell: thousands separators for counts, three significant digits for estimates."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value.is_integer() and abs(value) >= 1:
            return f"{value:,.0f}"
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"
    if hasattr(value, "item"):  # numpy scalars
        return cell(value.item())
    if isinstance(value, tuple):
        return " × ".join(map(str, value))
    return str(value)


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape()
    )
    install(env)
    return env


def install(env: jinja2.Environment) -> None:
    """Add what the section macro needs to a Jinja environment (the web app's included)."""
    env.filters["cell"] = cell
    env.globals["MAX_ROWS"] = MAX_ROWS


def render_report(
    ws: Workspace,
    outcome: str | None = None,
    horizon: int = 90,
    names: list[str] | None = None,
    progress: Any = None,
) -> str:
    """A standalone HTML report (styles inlined, charts as SVG, no network) of every analysis."""
    outcome = outcome or default_outcome(ws)
    sections = []
    for name in names or applicable(ws):
        if progress is not None:
            progress(name)
        sections.append(build_section(ws, name, outcome, horizon))
    info = ws.info()
    return (
        environment()
        .get_template("report.html")
        .render(
            title=f"Defining moments — {', '.join(info['journeys']) or 'no journeys'}",
            sections=sections,
            outcome=outcome,
            horizon=horizon,
            info=info,
            generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            stylesheet=STYLESHEET.read_text(encoding="utf-8"),
        )
    )
