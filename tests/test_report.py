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
from moments.report.sections import applicable
from tests.realdata import airline_store, needs_airline, needs_olist, olist_store


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
    assert applicable(loaded) == [n for n in SECTIONS if n != "olist"]  # no Olist import here
    assert html.count("Not available on this data") == len(applicable(loaded))


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


@pytest.mark.parametrize("name", [n for n in SECTIONS if n != "olist"])
def test_every_section_builds_on_the_demo(analytics_demo: Path, name: str) -> None:
    with moments.open(analytics_demo, create=False) as ws:
        s = build_section(ws, name)
    assert s.error is None, s.error
    assert s.findings and s.tables
    assert all(len(t.frame) > 0 for t in s.tables)


@needs_airline
def test_airline_report_puts_the_model_next_to_the_published_range(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    db, _ = airline_store(tmp_path_factory)
    with moments.open(db, create=False) as ws:
        assert default_outcome(ws) == "satisfaction"
        html = render_report(ws, names=["drivers", "model", "consistency"])
    assert "online-boarding explains the most" in html
    found = re.search(r"test accuracy (0\.\d+) .*?ROC AUC (0\.\d+)", html)
    assert found and float(found[1]) >= 0.96 and float(found[2]) >= 0.99
    assert "gradient boosting 0.9635 accuracy, AUC 0.9948" in html
    # no locations or times in a survey export: consistency says why instead of failing
    assert "too little data to measure consistency" in html


@needs_olist
def test_olist_report_has_the_delivery_findings(tmp_path_factory: pytest.TempPathFactory) -> None:
    db, _ = olist_store(tmp_path_factory)
    with moments.open(db, create=False) as ws:
        assert "olist" in applicable(ws)
        s = build_section(ws, "olist")
    assert s.error is None
    assert s.findings[0].startswith("8.6% of 3,898 delivered orders arrived late")
    assert "penalty of -1.87★" in s.findings[0]
    assert "descriptive only" in s.lead
