"""Spark in local mode for the test session: one Spark session per test run (Spark allows one
per process), each test store in its own warehouse folder. Without Java or pyspark the tests
that need it are skipped — unless the CI variable is set: then they fail, so a CI image
without Spark cannot pass silently."""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder for this session's Spark warehouses; Spark itself is started here."""
    reason = None
    if importlib.util.find_spec("pyspark") is None:
        reason = "pyspark is not installed (pip install -e '.[dev]')"
    elif shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        reason = "no Java runtime (apt-get install openjdk-17-jre-headless)"
    if reason is None:
        from moments.errors import StoreError
        from moments.store.spark import session

        # the tests' stores are small; with pytest-xdist each worker runs its own JVM
        # (the variable, for the child processes some tests start)
        heap = os.environ.setdefault("MOMENTS_SPARK_DRIVER_MEMORY", "2g")
        try:
            session(MASTER, heap)
        except StoreError as e:
            reason = str(e)
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: the Spark tests must run there)", pytrace=False)
        pytest.skip(reason)
    return tmp_path_factory.mktemp("spark")


def spark_url(root: Path, name: str) -> str:
    """The URL of a (new or existing) Spark store in its own warehouse folder under ``root``."""
    return f"spark://{MASTER}?warehouse={root / name}"
