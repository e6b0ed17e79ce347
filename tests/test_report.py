"""The report: every analysis as findings, charts and tables in one standalone HTML file."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import moments
from moments.cli.app import app
from moments.report import SECTIONS, build_section, default_outcome, render_report
from moments.report.render import cell


def test_cells_read_as_people_write_numbers() -> None:
    assert cell(None) == "–" and cell(float("nan")) == "–"
    assert cell(True) == "yes" and cell(False) == "no"
    assert cell(1234567) == "1,234,567" and cell(np.int64(42)) == "42"
    assert cell(0.123456) == "0.123" and cell(-0.000123456) == "-0.000123"
    assert cell(123456.7) == "123,457" and cell(3.0) == "3"
    assert cell(("riverside", "Saturday")) == "riverside × Saturday"
    assert cell(math.inf) == "inf"


def test_report_has_every_analysis_with_charts_and_findings(analytics_demo: Path) -> None:
    with moments.open(analytics_demo, create=False) as ws:
        assert default_outcome(ws) == "repeat_purchase"
        html = render_report(ws, names=["consistency", "risk", "impact"])
    for name in ("consistency", "risk", "impact"):
        assert f'<section class="analysis" id="{name}"' in html
    assert "Not available" not in html
    assert "checkout collapses at location=store-riverside × weekday=Saturday" in html
    assert re.search(r"\d+% of customers with 2 or more negative moments defected", html)
    assert "from negative to neutral is worth about" in html
    assert html.count("<svg") >= 5
    assert "<link" not in html and "http://" not in html.split("</style>")[1]  # standalone


def test_an_analysis_the_data_cannot_support_says_why(loaded: moments.Workspace) -> None:
    s = build_section(loaded, "risk")
    assert s.error and not s.tables and not s.charts
    html = render_report(loaded)
    assert html.count("Not available on this data") == len(SECTIONS)


def test_report_command_writes_the_file(analytics_demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    r = CliRunner().invoke(
        app,
        ["report", "--db", str(analytics_demo), "--out", str(out), "--only", "weakest"],
    )
    assert r.exit_code == 0, r.output
    assert f"wrote {out}" in r.output
    html = out.read_text(encoding="utf-8")
    assert 'id="weakest"' in html and 'id="drivers"' not in html
    r = CliRunner().invoke(app, ["report", "--db", str(analytics_demo), "--out", "x.pdf"])
    assert r.exit_code == 1 and "name the report .html" in r.output
    r = CliRunner().invoke(app, ["report", "--db", str(analytics_demo), "--only", "horoscope"])
    assert r.exit_code == 1 and "unknown analysis 'horoscope'" in r.output


@pytest.mark.parametrize("name", list(SECTIONS))
def test_every_section_builds_on_the_demo(analytics_demo: Path, name: str) -> None:
    with moments.open(analytics_demo, create=False) as ws:
        s = build_section(ws, name)
    assert s.error is None, s.error
    assert s.findings and s.tables
    assert all(len(t.frame) > 0 for t in s.tables)
