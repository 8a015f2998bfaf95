"""Fixtures of the DICOM suite: a real store with a doctor and a patient, and a listening receiver."""

from __future__ import annotations

import pytest

from tests.cli.conftest import cli  # noqa: F401  (fixtures shared with the CLI and core suites)
from tests.core.conftest import (  # noqa: F401
    Clock,
    app,
    clock,
    data_dir,
    dict_keyring,
    open_app,
    setup_clinic,
)


@pytest.fixture
def clinic(app):  # noqa: F811  (the fixture imported above)
    """dr_bob and his patient pat001 (whose username is the DICOM Patient ID of the default series)."""
    setup_clinic(app)
    app.accounts.logout()
    from tests.core.conftest import PASSWORD

    app.accounts.register("pat001", "pat@example.org", PASSWORD, "patient", full_name="Jane Doe", doctor="dr_bob")
    app.accounts.logout()
    return app


@pytest.fixture
def receiver_factory(clinic):
    """Starts a DicomReceiver on 127.0.0.1 and a free port; every one started is stopped at the end."""
    from desktop_app.core.dicom.node import ListenerConfig
    from desktop_app.core.dicom.receiver import DicomReceiver

    started = []

    def _start(allow=(), settle_seconds: float = 1.0, on_report=lambda doc: None):
        config = ListenerConfig(ae_title="TUMORPREDICT", port=0, allow=tuple(allow), bind_address="127.0.0.1",
                                settle_seconds=settle_seconds)
        receiver = DicomReceiver(clinic, config, on_report=on_report)
        receiver.start()
        started.append(receiver)
        return receiver

    yield _start
    for receiver in started:
        receiver.stop(finish_timeout=60)


@pytest.fixture(scope="session")
def orthanc(tmp_path_factory):
    """A real Orthanc (Debian package `orthanc`, with `orthanc-dicomweb`); skipped, saying why, when absent."""
    from tests.dicom.orthanc import Orthanc, orthanc_binary

    if orthanc_binary() is None:
        pytest.skip("Orthanc is not installed: apt-get install orthanc orthanc-dicomweb (.ci/run does this as root)")
    server = Orthanc(tmp_path_factory.mktemp("orthanc"))
    try:
        server.start()
    except (OSError, RuntimeError) as exc:
        pytest.skip(f"Orthanc could not be started here: {exc}")
    yield server
    server.stop()
