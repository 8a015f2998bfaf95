"""`tumorpredict config …` and `tumorpredict kiosk set-pin`: what IT sets up before handing a computer over."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from contextlib import contextmanager

from desktop_app.core.services import AppServices
from desktop_app.ui.startup_probe import FIRST_PAINT_MARKER
from tests.cli.conftest import REPO


@contextmanager
def next_start(data_dir):
    """The app's services as its next start opens them (settings, sync)."""
    app = AppServices.open(data_dir)
    try:
        yield app
    finally:
        app.close()


def test_config_set_show_and_unset_reach_the_app_settings(cli, data_dir, tmp_path):
    assert cli("config", "set", "server-url", "https://tp.riverside.example/")[0] == 0
    assert cli("config", "set", "clinic-name", "  Riverside Clinic ")[0] == 0
    assert cli("config", "set", "idle-logout-minutes", "30")[0] == 0
    assert cli("config", "set", "kiosk-idle-minutes", "5")[0] == 0
    code, out, _ = cli("config", "set", "kiosk-import-dir", str(tmp_path / "scans"))
    assert code == 0 and "does not exist yet" in out

    code, out, _ = cli("config", "show", "--json")
    shown = json.loads(out)
    assert code == 0 and shown["server-url"] == "https://tp.riverside.example"
    assert shown["kiosk-operator-pin"] == "not set" and shown["data_dir"] == str(data_dir.resolve())

    with next_start(data_dir) as app:
        assert app.settings.server_url == "https://tp.riverside.example"
        assert app.sync is not None  # the app connects to that server at its next start
        assert app.settings.clinic_name == "Riverside Clinic"
        assert app.settings.idle_logout_minutes == 30 and app.settings.kiosk_idle_minutes == 5
        assert app.settings.get("kiosk")["import_dir"] == str((tmp_path / "scans").resolve())

    assert cli("config", "unset", "server-url")[0] == 0
    assert cli("config", "unset", "kiosk-idle-minutes")[0] == 0
    code, out, _ = cli("config", "show")
    assert code == 0 and "server-url: (not set)" in out and "kiosk-idle-minutes: 2" in out
    with next_start(data_dir) as app:
        assert app.sync is None  # offline only again
        assert app.settings.get("kiosk")["import_dir"]  # the rest of the kiosk block is kept


def test_config_refuses_bad_values_in_one_line(cli):
    code, _, err = cli("config", "set", "server-url", "tp.riverside.example")
    assert code == 1 and "is not a server address" in err and err.count("\n") == 1
    code, _, err = cli("config", "set", "idle-logout-minutes", "0")
    assert code == 1 and "from 1 to 1440" in err
    code, _, err = cli("config", "set", "kiosk-idle-minutes", "ten")
    assert code == 1 and "“ten” is not a number of minutes" in err


def test_kiosk_pin_from_stdin_is_stored_as_the_unlock_dialog_checks_it(cli, data_dir, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("2468\n"))
    code, out, _ = cli("kiosk", "set-pin")
    assert code == 0 and "operator PIN was set" in out
    with next_start(data_dir) as app:
        assert "2468" not in json.dumps(app.settings.all())  # a verifier, never the PIN itself
        assert app.settings.check_kiosk_pin("2468") and not app.settings.check_kiosk_pin("2469")
    assert json.loads(cli("config", "show", "--json")[1])["kiosk-operator-pin"] == "set"

    monkeypatch.setattr(sys, "stdin", io.StringIO("12\n"))
    code, _, err = cli("kiosk", "set-pin")
    assert code == 1 and "4 to 32 characters" in err
    with next_start(data_dir) as app:
        assert app.settings.check_kiosk_pin("2468")  # a refused PIN changes nothing


def test_a_kiosk_with_a_preset_pin_starts_straight_to_sign_in(data_dir):
    """The first kiosk start skips the 'choose a PIN' dialog when IT has set one: a real process
    reaches the sign-in window and paints it."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen"}
    env.pop("TUMORPREDICT_SERVER", None)
    base = [sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir)]
    pin = subprocess.run([*base, "kiosk", "set-pin"], input="2468\n", cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=120)
    assert pin.returncode == 0, pin.stderr
    started = subprocess.run([*base, "--kiosk", "--exit-after-first-paint"], cwd=REPO, env=env,
                             stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr
    assert f"{FIRST_PAINT_MARKER} AuthWindow" in started.stdout
