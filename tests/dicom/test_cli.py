"""`tumorpredict dicom listen/find/get` and the DICOM config keys, as IT staff run them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from devkit.dicom_scu import send
from devkit.dicom_series import encode, make_series
from tests.cli.conftest import REPO
from tests.dicom.orthanc import AE_TITLE


def test_config_keeps_dicom_settings_and_refuses_bad_ones(cli):
    assert cli("config", "set", "pacs", "ORTHANC@pacs.clinic:4242")[1] == "pacs: ORTHANC@pacs.clinic:4242\n"
    assert cli("config", "set", "dicom-allow", "ORTHANC@10.0.0.5, SCANNER1")[0] == 0
    assert cli("config", "set", "dicom-port", "104")[0] == 0
    code, out, _ = cli("config", "show")
    assert code == 0
    assert "pacs: ORTHANC@pacs.clinic:4242" in out and "dicom-allow: ORTHANC@10.0.0.5,SCANNER1" in out
    assert "dicom-port: 104" in out
    code, _, err = cli("config", "set", "pacs", "pacs.clinic")
    assert code != 0 and "AE_TITLE@host:port" in err
    code, _, err = cli("config", "set", "dicom-ae-title", "A_TITLE_FAR_TOO_LONG")
    assert code != 0 and "1 to 16" in err


def test_find_without_a_pacs_says_how_to_set_one(cli):
    code, _, err = cli("dicom", "find", "--id", "PAT1")
    assert code != 0 and "config set pacs" in err


def test_find_and_get_from_orthanc(cli, orthanc):
    series = make_series("pituitary_1.jpg", slices=5, size=128, patient_id="CLI042", patient_name="Cli^Test",
                         study_date="20250101", description="COR T1")
    for ds in series:
        orthanc.upload(encode(ds))
    assert cli("config", "set", "pacs", f"{AE_TITLE}@127.0.0.1:{orthanc.dicom_port}")[0] == 0
    code, out, err = cli("dicom", "find", "--id", "CLI042")
    assert code == 0, err
    assert "20250101  Cli Test (CLI042)  MRI BRAIN / COR T1  5 images" in out
    code, out, err = cli("dicom", "get", series[0].StudyInstanceUID, series[0].SeriesInstanceUID)
    assert code == 0, err
    assert out.startswith("pending report ") and "COR T1 of Cli Test (ID CLI042, no account here), 5 images" in out


def test_listen_triages_a_series_and_stops_cleanly(data_dir):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("TUMORPREDICT_SERVER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "dicom", "listen", "--port", "0",
         "--bind", "127.0.0.1", "--settle-seconds", "30", "--allow", "SCANNER1@127.0.0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        first = process.stdout.readline()
        assert first.startswith("Listening as TUMORPREDICT on port "), process.stderr.read()
        port = int(first.split("port ")[1].split()[0])
        assert send(port, make_series(slices=4, size=128, patient_id="WALKIN")) == [0] * 4
        report_line = process.stdout.readline()
        assert report_line.startswith("pending report ") and "(ID WALKIN, no account here), 4 images" in report_line
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Stopping" in out
