"""The real public data sets in ``../shared/data`` and stores built from them, once per session.

Each store is built the way a user builds it (``moments import …`` through the CLI) the first
time a test asks for it; every later test (in any module) reuses that file. Tests that write
to a store make their own.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from typer.testing import CliRunner

from moments.cli.app import app

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
AIRLINE = DATA / "airline-passenger-satisfaction"
OLIST = DATA / "olist"
OLIST_SAMPLE = OLIST / "sample"
OLIST_FULL = OLIST / "full"

needs_airline = pytest.mark.skipif(
    not (AIRLINE / "train.csv.gz").exists(),
    reason=f"the airline survey is not in {AIRLINE} (see ../shared/data)",
)
needs_olist = pytest.mark.skipif(
    not (OLIST_SAMPLE / "olist_orders_dataset.csv.gz").exists(),
    reason=f"the Olist sample is not in {OLIST_SAMPLE} (see ../shared/data)",
)

runner = CliRunner()
_built: dict[str, tuple[Path, str]] = {}


def cli(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def built(name: str, factory: pytest.TempPathFactory, *args: str | Path) -> tuple[Path, str]:
    """A store made once per session by ``moments import <name> <args> --db …``: (path, output)."""
    if name not in _built:
        db = factory.mktemp(f"real-{name}") / f"{name}.duckdb"
        code, out = cli("import", name, *args, "--db", db)
        assert code == 0, out
        _built[name] = (db, out)
    return _built[name]


def airline_store(factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return built("airline", factory, AIRLINE)


def olist_store(factory: pytest.TempPathFactory) -> tuple[Path, str]:
    return built("olist", factory, OLIST_SAMPLE, "--customers", OLIST_FULL)


def head(source: Path, target: Path, rows: int) -> list[str]:
    """Copy the header and the first ``rows`` lines of a (gzipped) CSV to a plain CSV."""
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rt", encoding="utf-8", newline="") as fh:
        lines = [next(fh) for _ in range(rows + 1)]
    target.write_text("".join(lines), encoding="utf-8", newline="")
    return lines
