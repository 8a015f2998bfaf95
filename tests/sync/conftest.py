"""Fixtures of the sync suite: real servers on 127.0.0.1 (legacy and the project's) and a fault proxy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from devkit.fault_proxy import FaultProxy, fault_proxy
from devkit.legacy_server import create_legacy_app
from devkit.loopback import serve_wsgi
from devkit.sync_scenario import ENROLLMENT_CODE, Device


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



@pytest.fixture
def project_server(tmp_path: Path) -> Iterator[str]:
    """This project's server (SQLite in a temp dir) on a free loopback port."""
    from server.app import create_app
    from server.config import ServerConfig

    config = ServerConfig(data_dir=tmp_path / "project_server", enrollment_code=ENROLLMENT_CODE,
                          development=True)  # reset codes in the log, where the tests read them
    with serve_wsgi(create_app(config)) as url:
        yield url


@pytest.fixture
def project_proxy(project_server: str) -> Iterator[FaultProxy]:
    with fault_proxy(project_server, hang_seconds=5) as proxy:
        yield proxy


@pytest.fixture
def devices(tmp_path: Path) -> Iterator:
    """`devices(name, url)` opens a device; all are closed at the end."""
    opened: list[Device] = []

    def open_device(name: str, url: str) -> Device:
        device = Device(tmp_path / f"device-{name}", url)
        opened.append(device)
        return device

    yield open_device
    for device in opened:
        device.close()
