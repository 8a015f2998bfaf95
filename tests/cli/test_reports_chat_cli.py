"""`tumorpredict reports …` and `chat …` as a doctor and a patient would use them."""

from __future__ import annotations

import json

import pytest

from desktop_app.core.services import AppServices
from tests.core.conftest import make_prediction, scan_bytes


@pytest.fixture
def clinic(cli, data_dir):
    """dr_bob and alice registered through the CLI; alice has two scans; dr_bob is signed in."""
    cli("account", "register", "--username", "dr_bob", "--email", "bob@clinic.org", "--role", "doctor")
    cli("account", "logout")
    cli("account", "register", "--username", "alice", "--email", "alice@example.org", "--role", "patient", "--doctor", "dr_bob")
    app = AppServices.open(data_dir)
    try:
        ids = [app.reports.create("alice", scan_bytes(i), f"scan{i}.png", make_prediction())["id"] for i in range(2)]
        app.settings.set("clinic_name", "Riverside Neurology Clinic")
    finally:
        app.close()
    cli("account", "logout")
    cli("account", "login", "--username", "dr_bob")
    return ids


def test_doctor_lists_reviews_and_the_patient_sees_the_outcome(cli, clinic):
    code, out, _ = cli("reports", "list", "--status", "pending", "--json")
    rows = json.loads(out)
    assert code == 0 and {r["id"] for r in rows} == set(clinic)
    assert {"id", "server_id", "username", "status", "label", "confidence", "doctor_notes", "timestamp"} <= set(rows[0])
    code, _, err = cli("reports", "review", clinic[0], "--reject", "--label", "meningioma")
    assert code == 1 and "give a reason" in err
    code, out, _ = cli("reports", "review", clinic[0][:8], "--reject", "--label", "meningioma",
                       "--reason", "Dural-based lesion", "--notes", "Looks like a meningioma.")
    assert code == 0 and "rejected" in out and "meningioma" in out
    assert cli("reports", "review", clinic[1], "--approve", "--notes", "Agree.")[0] == 0
    statuses = {r["id"]: (r["status"], r["doctor_notes"]) for r in json.loads(cli("reports", "list", "--json")[1])}
    assert statuses == {clinic[0]: ("rejected", "Looks like a meningioma."), clinic[1]: ("approved", "Agree.")}
    assert json.loads(cli("reports", "list", "--status", "pending", "--json")[1]) == []

    cli("account", "logout")
    cli("account", "login", "--username", "alice")
    mine = json.loads(cli("reports", "list", "--json")[1])
    assert {r["username"] for r in mine} == {"alice"} and len(mine) == 2
    code, _, err = cli("reports", "review", clinic[1], "--save", "--notes", "patients cannot review")
    assert code == 1 and "only available to doctors" in err


def test_export_writes_a_pdf(cli, clinic, tmp_path):
    cli("reports", "review", clinic[0], "--approve", "--notes", "Agree with the software.")
    out_pdf = tmp_path / "exports" / "report.pdf"
    code, out, err = cli("reports", "export", clinic[0], "--pdf", str(out_pdf))
    assert code == 0, err
    data = out_pdf.read_bytes()
    assert data.startswith(b"%PDF") and b"/Image" in data and len(data) > 5_000
    assert not list(out_pdf.parent.glob("*.part"))
    code, _, err = cli("reports", "export", "nonexistent", "--pdf", str(tmp_path / "x.pdf"))
    assert code == 1 and "no report" in err


def test_chat_send_and_show(cli, clinic):
    assert cli("chat", "send", "--to", "alice", "Your", "results", "are", "ready.")[0] == 0
    cli("account", "logout")
    cli("account", "login", "--username", "alice")
    code, out, _ = cli("chat", "show", "--with", "dr_bob", "--json")
    [message] = json.loads(out)
    assert (message["sender"], message["message"], message["state"]) == ("dr_bob", "Your results are ready.", "sending")
    code, out, _ = cli("chat", "show", "--with", "dr_bob")
    assert "dr_bob: Your results are ready." in out
    assert cli("chat", "send", "--to", "dr_bob", "Thank you")[0] == 0
    code, _, err = cli("chat", "show", "--with", "carol")
    assert code == 0
    code, _, err = cli("chat", "send", "--to", "dr_nobody", "hi")
    assert code == 1 and "no one called" in err
