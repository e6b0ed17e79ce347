"""Reliability: fuzz the row validator with atheris for a bounded time (issue 10).

    /work/venv/bin/python benchmarks/fuzz_rows.py [--seconds 60] [--engine atheris|hypothesis]

Each input is turned into a small feedback file (CSV or JSONL, its header and cells chosen from
the fuzzer's bytes: valid and invalid ids, timestamps, scores, odd unicode, NUL bytes, huge
numbers, cut-short lines, raw bytes) and loaded into one DuckDB store with the retail journey:
reader, column resolution, validation and quarantine all run. Every outcome must be a load
report (rows added, duplicates or quarantined, which must add up to the rows read) or the
project's ``InputError``; anything else is a crash. Prints inputs tried, outcomes and crashes
(must be 0), with the first crashes' tracebacks.

atheris (``pip install -e '.[fuzz]'``) is coverage-guided over the ``moments.ingest`` modules.
Where it cannot be installed, ``--engine hypothesis`` drives the same harness with random bytes
from hypothesis instead (not coverage-guided; labelled so in the output).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path
from typing import Any

try:
    import atheris
except ImportError:  # the fallback engine needs no atheris
    atheris = None

if atheris is not None:
    with atheris.instrument_imports(include=["moments.ingest"]):
        import moments.ingest.load
        import moments.ingest.readers
        import moments.ingest.validate

import moments
from moments.demo.build import example_journey
from moments.errors import InputError
from moments.ingest.load import LoadReport

HEADER = ["event_id", "customer_id", "moment_id", "occurred_at", "score", "comment"]
CELLS = ["f1", "c1", "checkout", "greeting", "dressing-room", "nosuch", "", " ",
         "2026-03-07T16:00:00Z", "2026-03-07T16:00:00+02:00", "2026-03-07", "2026-13-01T00:00Z",
         "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-14:00", "yesterday", "3", "5", "0",
         "3.5", "-1", "1e999", "NaN", "inf", "7" * 400, "Zoë", "\x00", "\ufeff", "😀", "\u202e",
         '"', ",", "\n", "\r\n", "null", "true", "score", "_line"]  # fmt: skip


class Harness:
    """Builds a file from fuzz bytes, loads it, and counts the outcomes."""

    def __init__(self, folder: Path, seconds: float) -> None:
        self.folder = folder
        self.ws = moments.open(folder / "fuzz.duckdb")
        self.ws.add_journey(example_journey("retail-store-visit"))
        self.deadline = time.monotonic() + seconds
        self.tried = 0
        self.outcomes: Counter[str] = Counter()
        self.crashes: list[tuple[str, str]] = []

    def file_from(self, data: bytes) -> Path:
        """A CSV or JSONL file made from the bytes (a few of them chosen as raw bytes)."""
        fdp = _Provider(data)
        fmt = "csv" if fdp.int(1) == 0 else "jsonl"
        header = list(HEADER)
        for _ in range(fdp.int(2)):  # drop, rename or add a column now and then
            i = fdp.int(len(header) - 1)
            header[i] = fdp.pick(CELLS) if fdp.int(1) else fdp.text(8)
        rows = [
            [fdp.pick(CELLS) if fdp.int(3) else fdp.text(12) for _ in header]
            for _ in range(fdp.int(6))
        ]
        path = self.folder / f"in-{self.tried}.{fmt}"
        if fmt == "csv":
            body = "\n".join(",".join(_csv(c) for c in r) for r in [header, *rows])
        else:
            body = "\n".join(json.dumps(_json(dict(zip(header, r, strict=True)))) for r in rows)
        raw = body.encode("utf-8", "surrogatepass")
        tail = fdp.rest()
        path.write_bytes(raw + tail if fdp.int(3) == 0 else raw)  # raw bytes at the end
        return path

    def one(self, data: bytes) -> None:
        if time.monotonic() > self.deadline:
            self.finish()
        path = self.file_from(data)
        self.tried += 1
        try:
            report = self.ws.load(path, "feedback")
        except InputError as e:
            assert all(p.what and p.fix for p in e.problems), e
            self.outcomes["refused (InputError)"] += 1
        except Exception:
            self.crashes.append((path.read_bytes()[:300].decode("utf-8", "replace"), _tb()))
            self.outcomes["CRASH"] += 1
        else:
            assert isinstance(report, LoadReport)
            if report.added + report.duplicates + report.quarantined != report.rows_read:
                self.crashes.append((path.read_text("utf-8", "replace")[:300], f"{report}"))
                self.outcomes["CRASH"] += 1
            else:
                self.outcomes["loaded, some quarantined" if report.quarantined else "loaded"] += 1
        path.unlink()

    def finish(self, engine: str = "") -> None:
        print(f"inputs tried: {self.tried}")
        for k, v in sorted(self.outcomes.items()):
            print(f"  {k}: {v}")
        print(f"crashes (unhandled exceptions other than InputError): {len(self.crashes)}")
        for text, tb in self.crashes[:3]:
            print("--- input:", repr(text), "\n", tb)
        sys.stdout.flush()
        self.ws.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        # atheris never returns from Fuzz(): leave without running its exit handlers
        import os

        os._exit(1 if self.crashes else 0)


class _Provider:
    """A tiny byte reader (atheris' FuzzedDataProvider has the same idea; this one also serves
    the hypothesis engine)."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def int(self, top: int) -> int:
        if self.at >= len(self.data) or top <= 0:
            return 0
        self.at += 1
        return self.data[self.at - 1] % (top + 1)

    def pick(self, items: list[str]) -> str:
        return items[self.int(len(items) - 1)]

    def text(self, n: int) -> str:
        chunk = self.data[self.at : self.at + self.int(n)]
        self.at += len(chunk)
        return chunk.decode("utf-8", "surrogateescape")

    def rest(self) -> bytes:
        return self.data[self.at :]


def _csv(cell: str) -> str:
    return f'"{cell.replace(chr(34), chr(34) * 2)}"' if any(c in cell for c in ',"\n\r') else cell


def _json(row: dict[str, str]) -> dict[str, Any]:
    """Some cells as JSON numbers, booleans or null, as exports write them."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        with contextlib.suppress(ValueError):
            out[k] = {"null": None, "true": True}.get(v, json.loads(v) if v[:1].isdigit() else v)
            continue
        out[k] = v
    return out


def _tb() -> str:
    return "".join(traceback.format_exc().splitlines(keepends=True)[-12:])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--engine", choices=["atheris", "hypothesis"], default=None)
    args = ap.parse_args()
    engine = args.engine or ("atheris" if atheris is not None else "hypothesis")
    if engine == "atheris" and atheris is None:
        sys.exit("atheris is not installed: pip install -e '.[fuzz]', or use --engine hypothesis")
    folder = Path(tempfile.mkdtemp(prefix="fuzz-rows-"))
    h = Harness(folder, args.seconds)
    label = "" if engine == "atheris" else " (random bytes, not coverage-guided)"
    print(f"engine: {engine}{label}")
    print(f"bound: {args.seconds:.0f} s; store: {folder / 'fuzz.duckdb'}")
    sys.stdout.flush()
    if engine == "atheris":
        atheris.Setup([sys.argv[0], "-rss_limit_mb=4096", "-max_len=512", "-len_control=0"], h.one)
        atheris.Fuzz()
    else:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        @settings(
            max_examples=10**9,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.binary(max_size=400))
        def run(data: bytes) -> None:
            h.one(data)

        run()
    h.finish()


if __name__ == "__main__":
    main()
