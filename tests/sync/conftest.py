"""Fixtures of the sync suite: real servers on 127.0.0.1 (legacy and the project's) and a fault proxy."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.sync.fault_proxy import FaultProxy, fault_proxy
from tests.sync.legacy_server import create_legacy_app


@contextmanager
def serve_wsgi(app) -> Iterator[str]:
    """Runs a WSGI app on a free loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def legacy_root(tmp_path: Path) -> Path:
    return tmp_path / "legacy_server"


@pytest.fixture
def legacy_url(legacy_root: Path) -> Iterator[str]:
    with serve_wsgi(create_legacy_app(legacy_root)) as url:
        yield url


@pytest.fixture
def legacy_proxy(legacy_url: str) -> Iterator[FaultProxy]:
    with fault_proxy(legacy_url, hang_seconds=5) as proxy:
        yield proxy
