"""`tumorpredict account …` in process and as real separate processes."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.conftest import REPO, run_process


def test_register_logout_login_whoami(cli):
    code, out, err = cli("account", "whoami")
    assert code == 1 and "nobody is signed in" in err and err.count("\n") == 1
    code, out, _ = cli("account", "register", "--username", "dr_bob", "--email", "bob@clinic.org",
                       "--role", "doctor", "--full-name", "Bob Stone")
    assert code == 0 and "signed in as dr_bob (doctor)" in out and "administrator" in out
    assert cli("account", "logout")[0] == 0
    code, out, _ = cli("account", "register", "--username", "alice", "--email", "alice@example.org",
                       "--role", "patient", "--doctor", "dr_bob", "--full-name", "Alice Moss")
    assert code == 0
    assert cli("account", "logout") == (0, "Signed out alice.\n", "")
    assert cli("account", "login", "--username", "alice")[0] == 0
    code, out, _ = cli("account", "whoami")
    assert code == 0 and out.startswith("alice (patient) — Alice Moss, doctor: dr_bob; server: none")


def test_failures_are_one_line_with_a_non_zero_exit(cli, monkeypatch):
    cli("account", "register", "--username", "dr_bob", "--email", "bob@clinic.org", "--role", "doctor")
    code, _, err = cli("account", "register", "--username", "dr_eve", "--email", "eve@clinic.org", "--role", "doctor")
    assert code == 1 and "needs an enrollment code" in err and err.count("\n") == 1
    monkeypatch.setenv("TUMORPREDICT_PASSWORD", "wrong password")
    code, _, err = cli("account", "login", "--username", "dr_bob")
    assert (code, err) == (1, "tumorpredict: The username or password is not correct.\n")
    monkeypatch.delenv("TUMORPREDICT_PASSWORD")
    code, _, err = cli("account", "login", "--username", "dr_bob")  # stdin is not a terminal here
    assert code == 1 and "set TUMORPREDICT_PASSWORD" in err


def test_separate_processes_share_the_data_dir_and_a_second_copy_is_told_it_is_locked(data_dir):
    register = run_process(data_dir, "account", "register", "--username", "alice", "--email", "alice@example.org",
                           "--role", "patient")
    assert register.returncode == 0, register.stderr
    assert run_process(data_dir, "account", "logout").returncode == 0
    wrong = run_process(data_dir, "account", "login", "--username", "alice", password="not her password")
    assert wrong.returncode == 1 and wrong.stderr.strip() == "tumorpredict: The username or password is not correct."
    assert run_process(data_dir, "account", "login", "--username", "alice").returncode == 0
    whoami = run_process(data_dir, "account", "whoami")
    assert whoami.returncode == 0 and whoami.stdout.startswith("alice (patient)")

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from desktop_app.core.services import AppServices; "
         f"app = AppServices.open({str(data_dir)!r}); print('open', flush=True); sys.stdin.read(); app.close()"],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        second = run_process(data_dir, "account", "whoami")
        assert second.returncode == 1
        assert second.stderr.startswith("tumorpredict: ") and second.stderr.count("\n") == 1
        assert "already open on this computer" in second.stderr and "Traceback" not in second.stderr
    finally:
        holder.communicate("", timeout=60)
    assert run_process(data_dir, "account", "whoami").returncode == 0  # released again


def _with_stdin(data_dir, text: str | None, *args: str) -> subprocess.CompletedProcess:
    """A separate process with `text` on standard input (None: no input at all)."""
    import os

    from tests.cli.conftest import PASSWORD

    env = {**os.environ, "PYTHONPATH": str(REPO), "TUMORPREDICT_PASSWORD": PASSWORD}
    env.pop("TUMORPREDICT_SERVER", None)
    return subprocess.run([sys.executable, "-m", "desktop_app", "--data-dir", str(data_dir), *args],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
                          input=text, stdin=None if text is not None else subprocess.DEVNULL)


def test_enrollment_codes_come_from_standard_input_never_the_command_line(data_dir):
    first = _with_stdin(data_dir, None, "account", "register", "--username", "dr_bob",
                        "--email", "bob@clinic.org", "--role", "doctor")
    assert first.returncode == 0 and "enrollment-code" in first.stdout  # told they are the administrator
    missing = _with_stdin(data_dir, None, "account", "enrollment-code")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.count("\n") == 1 and "standard input" in missing.stderr
    set_code = _with_stdin(data_dir, "clinic-code-42\n", "account", "enrollment-code")
    assert set_code.returncode == 0, set_code.stderr
    assert _with_stdin(data_dir, None, "account", "logout").returncode == 0
    wrong = _with_stdin(data_dir, "guess-guess\n", "account", "register", "--username", "dr_eve",
                        "--email", "eve@clinic.org", "--role", "doctor", "--enrollment-code")
    assert wrong.returncode == 1 and "not correct" in wrong.stderr
    joined = _with_stdin(data_dir, "clinic-code-42\n", "account", "register", "--username", "dr_eve",
                         "--email", "eve@clinic.org", "--role", "doctor", "--enrollment-code")
    assert joined.returncode == 0, joined.stderr
    assert "signed in as dr_eve (doctor)" in joined.stdout.lower()
    assert "administrator" not in joined.stdout
