"""The real web app served by uvicorn in a background thread, over copies of one demo store.

The demo store is built once per test session (``demo_store``); each test module copies it and
serves its copy (``serve_store``), so tests that write (survey answers) never change the numbers
another module expects. Compute what the library says on a copy *before* serving it: the app
keeps the store open for as long as it runs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

import moments
from moments.demo.build import build_demo
from moments.settings import Settings
from moments.survey import store_secret
from moments.web.app import create_app

DEMO_CUSTOMERS = 1500
DEMO_SEED = 7
START_TIMEOUT = 15.0


@dataclass(frozen=True)
class DemoStore:
    """A closed demo store file, never served itself: copy it first (``copy``)."""

    path: Path
    secret: str  # signs survey tokens for this store and every copy of it

    def copy(self, dest_dir: Path) -> Path:
        dest = dest_dir / self.path.name
        shutil.copyfile(self.path, dest)
        wal = self.path.with_name(self.path.name + ".wal")
        if wal.exists():  # closed stores checkpoint, but copy a left-over log all the same
            shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))
        return dest


@contextlib.contextmanager
def isolated_env(config_dir: Path) -> Iterator[None]:
    """No developer MOMENTS_* variable or moments.toml leaks into session-wide fixtures."""
    with pytest.MonkeyPatch.context() as mp:
        for key in list(os.environ):
            if key.startswith("MOMENTS_"):
                mp.delenv(key)
        mp.setenv("MOMENTS_CONFIG", str(config_dir / "no-such-moments.toml"))
        yield


def settings_for(path: Path) -> Settings:
    with isolated_env(path.parent):
        return Settings(database_url=str(path))


def open_store(path: Path) -> moments.Workspace:
    return moments.open(path, settings=settings_for(path), create=False)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve_app(app: object) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and a free port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,  # type: ignore[arg-type]
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        ws="none",
        lifespan="off",
        timeout_graceful_shutdown=2,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"uvicorn did not start on port {port} in {START_TIMEOUT} s")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextlib.contextmanager
def serve_store(path: Path) -> Iterator[str]:
    """The real app (``create_app``) over the store at ``path``; closes the store afterwards."""
    app = create_app(path, settings=settings_for(path))
    try:
        with serve_app(app) as url:
            yield url
    finally:
        app.state.shared.ws.close()


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoStore:
    """The retail demo (1,500 customers, seed 7), built once per session and closed."""
    path = tmp_path_factory.mktemp("web-demo") / "demo.duckdb"
    with isolated_env(path.parent):
        ws, _ = build_demo(path, customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    try:
        secret = store_secret(ws)  # made and kept in the store now, so every copy signs alike
    finally:
        ws.close()
    return DemoStore(path, secret)


def tamper(token: str) -> str:
    """``token`` with one character in its middle changed: never a separator, nor a character
    next to one (the last character of a base64 segment may carry bits nobody reads)."""
    i = len(token) // 2
    while "." in token[i - 1 : i + 2]:
        i += 1
    swap = "A" if token[i] != "A" else "B"
    return token[:i] + swap + token[i + 1 :]
