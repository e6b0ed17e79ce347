"""A throwaway PostgreSQL server on 127.0.0.1 for the test session (Debian's server binaries).

Started as in ../shared/STACK.md: initdb into a temporary folder, pg_ctl start on a free port,
trust authentication, stopped and removed at the end. As root it runs as the ``postgres`` user
(initdb refuses root). Without the binaries the tests that need it are skipped — unless the CI
variable is set: then they fail, so a CI image without PostgreSQL cannot pass silently.
"""

from __future__ import annotations

import glob
import os
import shlex
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


def _bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _run(args: list[str], as_postgres: bool) -> None:
    cmd = ["su", "postgres", "-c", shlex.join(args)] if as_postgres else args
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """postgresql://postgres@127.0.0.1:<port>/postgres of a server started for this session."""
    bindir = _bin()
    if bindir is None:
        reason = (
            "no PostgreSQL server binaries (/usr/lib/postgresql/*/bin); apt-get install postgresql"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI is set: the parity tests must run there)", pytrace=False)
        pytest.skip(reason)
    as_postgres = os.geteuid() == 0
    data = Path(tempfile.mkdtemp(prefix="moments-pg-"))
    if as_postgres:
        shutil.chown(data, "postgres", "postgres")
    data.chmod(0o700)
    port = _free_port()
    try:
        _run(
            [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--locale=C.UTF-8"],
            as_postgres,
        )  # fmt: skip
        opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        _run(
            [str(bindir / "pg_ctl"), "-D", str(data), "-l", str(data / "log"), "-o", opts,
             "-w", "start"],
            as_postgres,
        )  # fmt: skip
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        shutil.rmtree(data, ignore_errors=True)
        if os.environ.get("CI"):
            pytest.fail(f"could not start PostgreSQL: {e}", pytrace=False)
        pytest.skip(f"could not start PostgreSQL: {e}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        try:
            _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], as_postgres)
        finally:
            shutil.rmtree(data, ignore_errors=True)


def new_database(url: str, name: str) -> str:
    """Create database ``name`` on the server at ``url``; returns its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"
