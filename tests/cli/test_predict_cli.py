"""`tumorpredict predict` on samples, folders, a DICOM, a photo and a truncated file, as a user runs it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
from PIL import Image

from desktop_app.core.services import AppServices
from desktop_app.paths import resources_dir
from tests.cli.conftest import run_process

SAMPLES = resources_dir() / "samples"


def _png(array: np.ndarray, path: Path) -> Path:
    Image.fromarray(array).save(path)
    return path


def test_json_lines_for_a_folder_and_bad_files(cli, tmp_path: Path):
    folder = tmp_path / "scans"
    shutil.copytree(SAMPLES, folder)
    truncated = folder / "zz_truncated.jpg"
    data = (SAMPLES / "glioma_1.jpg").read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    (folder / "notes.txt").write_text("not picked up when walking a folder")
    code, out, _ = cli("predict", "--json", str(folder), str(tmp_path / "missing.png"))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # some files could not be read
    by_name = {Path(r["file"]).name: r for r in rows}
    assert set(by_name) == {p.name for p in SAMPLES.glob("*.jpg")} | {"zz_truncated.jpg", "missing.png"}
    assert "damaged or incomplete" in by_name["zz_truncated.jpg"]["error"]
    assert "could not be opened" in by_name["missing.png"]["error"]
    good = by_name["glioma_1.jpg"]
    assert set(good) == {"file", "label", "confidence", "probabilities", "model_version", "is_brain_mri", "abstained"}
    assert good["abstained"] is False
    assert good["is_brain_mri"] is True and good["label"] in good["probabilities"]
    assert [Path(r["file"]).name for r in rows[:-1]] == sorted(Path(r["file"]).name for r in rows[:-1])


def test_human_readable_output_for_a_dicom_and_a_grayscale_photo(cli, tmp_path: Path):
    import skimage.data

    from tests.core.test_imaging_dicom import make_dicom

    gray = np.asarray(Image.open(SAMPLES / "pituitary_1.jpg").convert("L"))
    dicom = tmp_path / "slice.dcm"
    dicom.write_bytes(make_dicom(gray))
    photo = _png(np.asarray(Image.fromarray(skimage.data.coffee()).convert("L")), tmp_path / "coffee.png")
    code, out, err = cli("predict", str(dicom), str(photo))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(str(dicom)) and "%" in lines[0]
    assert "not a brain MRI" in lines[1] or "does not look like a brain MRI" in lines[1]


def test_all_files_good_exits_zero_in_a_separate_process(data_dir):
    result = run_process(data_dir, "predict", "--json", str(SAMPLES / "notumor_1.jpg"))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["file"].endswith("notumor_1.jpg")


def test_save_stores_a_report_for_the_signed_in_patient(cli, data_dir):
    cli("account", "register", "--username", "dr_bob", "--email", "bob@clinic.org", "--role", "doctor")
    cli("account", "logout")
    cli("account", "register", "--username", "alice", "--email", "a@example.org", "--role", "patient", "--doctor", "dr_bob")
    code, out, err = cli("predict", "--save", "--json", str(SAMPLES / "meningioma_2.jpg"))
    assert code == 0, err
    app = AppServices.open(data_dir)
    try:
        reports = app.reports.for_patient("alice")
    finally:
        app.close()
    assert len(reports) == 1 and reports[0]["label"] == json.loads(out)["label"]
    assert reports[0]["status"] == "pending"


def test_save_needs_a_signed_in_patient(cli):
    code, _, err = cli("predict", "--save", str(SAMPLES / "glioma_2.jpg"))
    assert code == 1 and "sign in" in err.lower()


def test_json_for_a_picture_that_is_not_a_brain_mri_has_no_tumour_probabilities(cli, tmp_path: Path):
    import skimage.data

    photo = _png(skimage.data.coffee(), tmp_path / "coffee.png")
    code, out, _ = cli("predict", "--json", str(photo), str(SAMPLES / "glioma_1.jpg"))
    assert code == 0
    photo_row, scan_row = (json.loads(line) for line in out.splitlines())
    assert photo_row["is_brain_mri"] is False
    assert "probabilities" not in photo_row
    assert "not a brain MRI" in photo_row["message"] or "does not look like" in photo_row["message"]
    assert scan_row["is_brain_mri"] is True and len(scan_row["probabilities"]) == 4



def test_an_abstention_is_said_in_words_and_in_json(cli, tmp_path: Path):
    from tests.core.test_abstention import strict_models

    models = strict_models(tmp_path)
    code, out, err = cli("predict", "--model-dir", str(models), str(SAMPLES / "glioma_1.jpg"))
    assert code == 0, err
    assert "cannot judge this scan" in out and "best guess" in out
    code, out, _ = cli("predict", "--json", "--model-dir", str(models), str(SAMPLES / "glioma_1.jpg"))
    row = json.loads(out)
    assert row["abstained"] is True and "doctor" in row["message"]


def _with_file_size_limit(limit: int):
    """For a child process: writes past `limit` bytes fail with EFBIG (a full disk, as the store words it)."""
    import resource
    import signal

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_save_on_a_full_disk_names_each_scan_and_goes_on(cli, data_dir):
    import os
    import subprocess
    import sys

    from tests.cli.conftest import PASSWORD, REPO

    cli("account", "register", "--username", "dr_bob", "--email", "bob@clinic.org", "--role", "doctor")
    cli("account", "logout")
    cli("account", "register", "--username", "alice", "--email", "a@example.org", "--role", "patient", "--doctor", "dr_bob")
    scans = [SAMPLES / name for name in ("glioma_1.jpg", "meningioma_1.jpg", "pituitary_1.jpg")]
    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_PASSWORD": PASSWORD}
    full = subprocess.run([sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), "predict", "--save",
                           *map(str, scans)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          preexec_fn=_with_file_size_limit(3000))  # smaller than any of the scans
    assert full.returncode == 1, full.stderr
    lines = [line for line in full.stderr.splitlines() if line.startswith(str(SAMPLES))]  # not the log lines
    assert [line.split(":")[0] for line in lines] == [str(p) for p in scans], "one line per file, in order"
    assert "%" in lines[0] and "The disk is full, so the scan “glioma_1.jpg” could not be saved" in lines[0]
    for line in lines[1:]:
        assert "%" in line and f"saving stopped at “{scans[0]}”" in line
    assert "Traceback" not in full.stderr
    app = AppServices.open(data_dir)  # space again: nothing half-saved, and the next save works
    try:
        assert app.reports.for_patient("alice") == []
        assert not [p for p in (data_dir / "blobs").rglob("*") if p.is_file() and len(p.name) == 64]
    finally:
        app.close()
    code, _out, err = cli("predict", "--save", str(scans[0]))
    assert code == 0, err
