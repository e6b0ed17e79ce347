"""The export's own options (the copies themselves are checked engine by engine in
test_parity.py, and the audit entry in test_governance_audit.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

import moments
from moments.settings import Settings
from moments.store.export import export_store


def test_the_target_opens_with_the_given_settings(
    loaded: moments.Workspace, tmp_path: Path
) -> None:
    target = tmp_path / "copy.duckdb"
    with pytest.raises(moments.StoreError, match="memory limit 'lots' is not understood"):
        export_store(loaded.store, str(target), settings=Settings(memory_limit="lots"))
    export_store(loaded.store, str(target), settings=Settings(memory_limit="256MB"))
    with moments.open(target, create=False) as copy:
        assert copy.info()["tables"] == loaded.info()["tables"] | {
            "audit": copy.info()["tables"]["audit"]
        }
