"""The permission matrix: anonymous, patient A, patient B, doctor, admin doctor × every endpoint."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from server.app import state_of
from tests.server.conftest import Api, device_prediction, head_npz, scan_png

ACTORS = ("anonymous", "alice", "bert", "dr_bob", "dr_admin")  # alice: patient A, bert: patient B
EVERYONE_SIGNED_IN = {"alice", "bert", "dr_bob", "dr_admin"}
DOCTORS = {"dr_bob", "dr_admin"}


@dataclass(frozen=True)
class Cell:
    """One endpoint call; `allowed` is who may make it (everyone else must be refused)."""

    name: str
    allowed: set[str]
    call: Callable[[Api, str | None, dict], object]


def _image() -> str:
    return base64.b64encode(scan_png()).decode()


def _npz_upload(api: Api, who: str | None, ctx: dict):
    data = {"username": who or "dr_bob", "num_examples": "12", "base_version": "base-test",
            "weights": (io.BytesIO(head_npz(0.5)), "update.npz")}
    return api.client.post("/upload_weights", data=data, headers=api.headers(who),
                           content_type="multipart/form-data")


CELLS = [
    Cell("predict for alice", {"alice", "dr_bob", "dr_admin"},
         lambda api, who, ctx: api.post("/predict", {"username": "alice", "image_b64": _image(),
                                                     "prediction": device_prediction()}, as_=who)),
    Cell("list alice's reports", {"alice", "dr_bob", "dr_admin"},
         lambda api, who, ctx: api.post("/list_reports", {"username": "alice"}, as_=who)),
    Cell("list all reports", DOCTORS, lambda api, who, ctx: api.post("/list_reports", {"username": "all"}, as_=who)),
    Cell("list pending reports", DOCTORS,
         lambda api, who, ctx: api.post("/list_reports", {"username": "pending"}, as_=who)),
    Cell("read alice's report", {"alice", "dr_bob", "dr_admin"},
         lambda api, who, ctx: api.post("/get_report", {"report_id": ctx["report"]}, as_=who)),
    Cell("alice's scan", {"alice", "dr_bob", "dr_admin"},
         lambda api, who, ctx: api.get(f"/report_image/{ctx['report']}", as_=who)),
    Cell("review alice's report", DOCTORS,
         lambda api, who, ctx: api.post("/doctor_update_report", {"report_id": ctx["report"], "action": "approve",
                                                                  "doctor_notes": "ok"}, as_=who)),
    Cell("send as alice", {"alice"},
         lambda api, who, ctx: api.post("/send_message", {"sender": "alice", "receiver": "dr_bob",
                                                          "message": "hi"}, as_=who)),
    Cell("read alice and dr_bob's chat", {"alice", "dr_bob"},
         lambda api, who, ctx: api.post("/get_messages", {"user1": "alice", "user2": "dr_bob"}, as_=who)),
    Cell("own inbox", EVERYONE_SIGNED_IN, lambda api, who, ctx: api.post("/get_inbox", {}, as_=who)),
    Cell("who am I", EVERYONE_SIGNED_IN, lambda api, who, ctx: api.post("/me", {}, as_=who)),
    Cell("legacy weights upload", DOCTORS,
         lambda api, who, ctx: api.post("/upload_weights", {"username": who or "dr_bob", "weights": [1.0, 2.0]},
                                        as_=who)),
    Cell("npz weights upload", DOCTORS, _npz_upload),
    Cell("global meta", EVERYONE_SIGNED_IN, lambda api, who, ctx: api.get("/get_global_meta", as_=who)),
    Cell("version history", EVERYONE_SIGNED_IN, lambda api, who, ctx: api.get("/fl_versions", as_=who)),
    Cell("download global weights", EVERYONE_SIGNED_IN,
         lambda api, who, ctx: api.get("/download_global_weights", as_=who)),
    Cell("trigger aggregation", {"dr_admin"}, lambda api, who, ctx: api.post("/trigger_aggregation", {}, as_=who)),
    Cell("logout", EVERYONE_SIGNED_IN, lambda api, who, ctx: api.post("/logout", {}, as_=who)),
    Cell("health", set(ACTORS), lambda api, who, ctx: api.get("/health", as_=who)),
    Cell("request a reset code", set(ACTORS),
         lambda api, who, ctx: api.post("/request_otp", {"username": "alice"}, as_=who)),
]


def _snapshot(app, report_id: str) -> tuple:
    storage = state_of(app).storage
    report = storage.get_report(report_id)
    return (storage.counts(), report["status"], report["doctor_notes"],
            len(storage.updates_for_round(1)), len(storage.versions()))


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: c.name)
def test_matrix(api, app, cell: Cell):
    ctx = {"report": api.predict("alice").json["report_id"]}
    api.post("/send_message", {"sender": "alice", "receiver": "dr_bob", "message": "first"}, as_="alice")
    for actor in ACTORS:
        who = None if actor == "anonymous" else actor
        before = _snapshot(app, ctx["report"])
        answer = cell.call(api, who, ctx)
        if actor in cell.allowed:
            # Allowed: served, or refused for a reason that is not about who is asking.
            assert answer.status_code < 400 or answer.status_code == 409, (cell.name, actor, answer.json)
            if cell.name == "logout" and who:
                api.login(who)  # sign back in for the next cells
        else:
            expected = {401} if who is None else {403, 404}
            assert answer.status_code in expected, (cell.name, actor, answer.status_code, answer.get_json())
            assert _snapshot(app, ctx["report"]) == before, f"{cell.name} refused for {actor} but changed data"


def test_patient_cannot_name_someone_else(api):
    """Whatever `username` says, a patient only ever touches their own data."""
    for body in ({"username": "bert"}, {"username": "all"}, {"username": "pending"}):
        assert api.post("/list_reports", body, as_="alice").status_code == 403
    assert api.post("/send_message", {"sender": "bert", "receiver": "dr_bob", "message": "x"}, as_="alice").status_code == 403
    assert api.post("/send_message", {"sender": "alice", "receiver": "bert", "message": "x"}, as_="alice").status_code == 403
    assert api.predict("alice", username="bert").status_code == 403
    own = api.post("/list_reports", {}, as_="alice")
    assert own.status_code == 200 and own.json["reports"] == []


def test_bert_sees_nothing_of_alice(api):
    report_id = api.predict("alice").json["report_id"]
    api.post("/send_message", {"sender": "alice", "receiver": "dr_bob", "message": "private"}, as_="alice")
    assert api.post("/list_reports", {"username": "bert"}, as_="bert").json["reports"] == []
    assert api.post("/get_report", {"report_id": report_id}, as_="bert").status_code == 404
    assert api.post("/get_inbox", {}, as_="bert").json["messages"] == []


def test_doctor_registration_needs_the_enrollment_code(api):
    body = {"username": "dr_fake", "email": "f@x.test", "password": "long enough pw", "role": "doctor"}
    assert api.post("/register", body).status_code == 403
    assert api.post("/register", {**body, "enrollment_code": "guess"}).json == {"error": "invalid_enrollment_code"}
    assert api.post("/register", {**body, "enrollment_code": "CLINIC-ENROL-7731"}).status_code == 200


def test_doctor_enrollment_disabled_without_a_configured_code(tmp_path, database_url):
    from server.app import create_app
    from tests.server.conftest import server_config

    app = create_app(server_config(tmp_path, database_url, enrollment_code=""))
    body = {"username": "dr_x", "email": "x@x.test", "password": "long enough pw", "role": "doctor",
            "enrollment_code": ""}
    answer = app.test_client().post("/register", json=body)
    assert answer.status_code == 403 and answer.json["error"] == "doctor_enrollment_disabled"
    state_of(app).storage.close()


def test_admin_flag_from_configuration(tmp_path, database_url):
    from server.app import create_app
    from tests.server.conftest import server_config

    app = create_app(server_config(tmp_path, database_url))
    Api(app.test_client()).register("dr_conf", role="doctor")
    state_of(app).storage.close()
    app = create_app(server_config(tmp_path, database_url, admins=("dr_conf",)))  # restarted with the setting
    api = Api(app.test_client())
    api.login("dr_conf")
    assert api.post("/me", {}, as_="dr_conf").json["user"]["is_admin"] is True
    assert api.post("/trigger_aggregation", {}, as_="dr_conf").status_code == 409  # allowed; nothing to aggregate
    state_of(app).storage.close()


def test_a_configured_admin_name_is_not_admin_for_whoever_registers_it_first(tmp_path, database_url, caplog):
    import logging

    from server.app import create_app
    from tests.server.conftest import server_config

    caplog.set_level(logging.WARNING, logger="server")
    app = create_app(server_config(tmp_path, database_url, admins=("dr_chief",)))
    assert "not a doctor account on this server yet" in caplog.text
    api = Api(app.test_client())
    api.register("dr_chief", role="doctor")  # a squatter with the enrollment code
    api.login("dr_chief")
    assert api.post("/me", {}, as_="dr_chief").json["user"]["is_admin"] is False
    assert api.post("/trigger_aggregation", {}, as_="dr_chief").status_code == 403
    state_of(app).storage.close()


@pytest.mark.parametrize("taken_by", ["alice"])
@pytest.mark.parametrize("look_alike", ["ALICE", "Alice", "ａｌｉｃｅ", "\u0430lice", "al\u0456ce"])
def test_a_name_that_reads_like_an_existing_one_is_taken(api, taken_by, look_alike):
    answer = api.register(look_alike)
    assert answer.status_code == 400 and answer.json == {"error": "username_taken"}


def test_names_that_only_look_alike_to_a_machine_stay_distinct(api):
    assert api.register("alice2").status_code == 200
    assert api.register("alicia").status_code == 200


@pytest.mark.parametrize("password", ["password1", "Password123", "12345678", "qwertyuiop", "Summer2026!"])
def test_the_most_common_passwords_are_refused(api, password):
    answer = api.post("/register", {"username": "newbie", "email": "n@clinic.test", "password": password})
    assert answer.status_code == 400 and answer.json["error"] == "weak_password"
    assert answer.json["reason"] == "common" and "common" in answer.json["message"]


def test_a_legacy_database_keeps_names_that_collide(tmp_path, database_url):
    from server.app import create_app
    from tests.server.conftest import server_config

    app = create_app(server_config(tmp_path, database_url))
    storage = state_of(app).storage
    for name in ("Bob", "bob"):  # what an import of a legacy server may bring
        storage.create_user({"username": name, "email": "", "password_hash": "x", "role": "patient",
                             "is_admin": False, "doctor": None, "full_name": "", "created_at": 1,
                             "imported": True})
    storage.close()
    app = create_app(server_config(tmp_path, database_url))
    assert state_of(app).storage.get_user("Bob") and state_of(app).storage.get_user("bob")
    assert Api(app.test_client()).register("BOB").json == {"error": "username_taken"}
    state_of(app).storage.close()


def test_workers_starting_together_key_the_existing_names_once(tmp_path, database_url):
    """Every gunicorn worker opens the storage at start; the backfill of name keys must not fail one."""
    import threading

    from server.app import create_app
    from server.storage import Storage
    from tests.server.conftest import server_config

    app = create_app(server_config(tmp_path, database_url))
    storage = state_of(app).storage
    for i in range(200):
        storage.create_user({"username": f"old_user_{i}", "email": "", "password_hash": "x", "role": "patient",
                             "is_admin": False, "doctor": None, "full_name": "", "created_at": 1, "imported": True})
    storage.close()
    url = database_url or f"sqlite:///{tmp_path / 'server-data' / 'tumorpredict.sqlite3'}"
    failures, start = [], threading.Barrier(4)

    def open_storage():
        start.wait(timeout=30)
        try:
            Storage.open(url).close()
        except Exception as exc:  # the failure under test: a worker that cannot start
            failures.append(exc)

    workers = [threading.Thread(target=open_storage) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    app = create_app(server_config(tmp_path, database_url))
    assert Api(app.test_client()).register("OLD_USER_7").json == {"error": "username_taken"}
    state_of(app).storage.close()
