"""`tumorpredict fl …` from a shell: plain one-line errors and exit codes where there is nothing to do."""

from __future__ import annotations

import json

import pytest

from desktop_app.cli import main
from desktop_app.paths import models_dir


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["fl", "rollback"], "nothing to roll back"),
        (["fl", "upload"], "no new trained update to upload"),
        (["fl", "pull"], "no server is configured"),
        (["fl", "aggregate"], "no server is configured"),
    ],
)
def test_nothing_to_do_is_one_clear_line_and_a_failure_code(tmp_path, capsys, argv, message):
    code = main(["--data-dir", str(tmp_path / "data"), *argv])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("tumorpredict: ") and message in err.lower() and err.count("\n") == 1


def test_fl_help_lists_every_action(capsys):
    with pytest.raises(SystemExit) as done:
        main(["fl", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for action in ("status", "train", "upload", "pull", "rollback", "aggregate", "simulate"):
        assert action in out


@pytest.mark.skipif(not any(models_dir().glob("*.tflite")), reason="needs the shipped model")
def test_status_and_train_on_a_new_computer(tmp_path, capsys):
    data_dir = str(tmp_path / "data")
    assert main(["--data-dir", data_dir, "fl", "status", "--json", "--offline"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["using_shipped_head"] and status["active_version"] == status["base_version"]
    assert sum(status["dataset"].values()) == 0
    assert main(["--data-dir", data_dir, "fl", "train"]) == 1
    assert "Only 0 confirmed cases are available" in capsys.readouterr().err
