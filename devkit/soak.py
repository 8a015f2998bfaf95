"""A randomized fault soak: a patient and a doctor syncing at once through every fault the proxy knows.

One run, fixed by its seed: the project's server behind the fault proxy, which gives a share of
all requests a reset, an answer lost after the server committed, an answer cut off mid-body, a
half upload, a 500 or a delay. The patient's device makes scans and messages in rounds; each
round's backlog first meets a `tumorpredict sync` subprocess killed with SIGKILL part-way. Meanwhile the
doctor's device syncs in a thread, reviewing the reports it has (approve, reject, save notes)
and answering. Then the faults stop, both devices sync until nothing moves, and `check_end_state`
asserts what `docs/sync.md` promises: every report and message once on the server and on both
devices, every review state on the patient's device, every scan on the doctor's, one audit row
per review, and every notification pointing at a report that exists.

Used by tests/sync/test_soak.py (short, in the suite) and benchmarks/soak_sync.py (long).
"""

from __future__ import annotations

import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.api_client import ApiClient
from devkit.fault_proxy import fault_proxy
from devkit.sync_scenario import (
    PASSWORDS,
    REPO,
    Device,
    add_offline_reports,
    headless_env,
    register_on_server,
    sync_command,
)

SOAK_FAULTS = ("reset", "reset_after_commit", "cut_answer", "half_upload", "500", "delay")
REVIEWS = (("approve", "Benign appearance.", ""), ("reject", "Motion artefact; please rescan.", "poor image"),
           ("save", "Looking at it again tomorrow.", ""))


@dataclass
class SoakPlan:
    seed: int
    rounds: int = 3  # patient rounds, each ending with a killed sync subprocess
    reports_per_round: int = 3
    messages_per_round: int = 4
    fault_rate: float = 0.25
    max_delay_s: float = 0.3  # the long run uses 3 s
    kill_within_s: float = 0.8  # the SIGKILL lands up to this long after the subprocess's first request


@dataclass
class SoakResult:
    plan: SoakPlan
    requests: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    kills: int = 0  # sync subprocesses that were still running when killed
    reviews: int = 0
    reports: int = 0
    messages: int = 0
    seconds: float = 0.0


class _Doctor(threading.Thread):
    """The doctor's device: syncs, reviews what it has, writes now and then, until stopped."""

    def __init__(self, device: Device, seed: int):
        super().__init__(name="soak-doctor", daemon=True)
        self.device = device
        self.rng = random.Random(seed)
        self.stopping = threading.Event()
        self.reviews: dict[str, int] = {}  # server id -> reviews made here
        self.messages = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                self.device.sync()
                self._work()
                self.stopping.wait(self.rng.uniform(0.05, 0.3))
        except BaseException as exc:  # noqa: BLE001 - surfaced by the test through `error`
            self.error = exc

    def _work(self) -> None:
        app = self.device.app
        for report in app.reports.queue():
            # Only reports the server already knows, so every review can be counted there.
            if report.get("server_id") and self.rng.random() < 0.5:
                action, notes, reason = self.rng.choice(REVIEWS)
                app.reports.review(report["id"], "dr_bob", action, notes, reason=reason)
                self.reviews[report["server_id"]] = self.reviews.get(report["server_id"], 0) + 1
        if self.rng.random() < 0.5:
            app.chat.send("dr_bob", "alice", f"doctor note {self.messages}")
            self.messages += 1


def run_soak(plan: SoakPlan, server_url: str, workdir: Path) -> SoakResult:
    """Runs the plan against the project server at `server_url`; raises AssertionError on a broken promise."""
    started = time.monotonic()
    rng = random.Random(plan.seed)
    result = SoakResult(plan)
    register_on_server(server_url, "alice", "dr_bob")
    with fault_proxy(server_url, hang_seconds=1) as proxy:
        proxy.max_delay_s = plan.max_delay_s
        doctor = Device(workdir / "doctor", proxy.url)
        patient = Device(workdir / "patient", proxy.url)
        for device in (doctor, patient):
            _quick_retries(device)
        _sign_in(doctor, "dr_bob", "doctor")
        _sign_in(patient, "alice", "patient")
        env = headless_env(workdir / "keyring.json", proxy.url, {"alice": patient.app.accounts.token("alice")})
        proxy.randomize(plan.seed, plan.fault_rate, SOAK_FAULTS)
        doctor_thread = _Doctor(doctor, plan.seed + 1)
        doctor_thread.start()
        made_messages = 0
        try:
            for round_number in range(plan.rounds):
                start = round_number * plan.reports_per_round
                add_offline_reports(patient.app, "alice", plan.reports_per_round, start=start)
                for _ in range(plan.messages_per_round):
                    patient.app.chat.send("alice", "dr_bob", f"patient note {made_messages}")
                    made_messages += 1
                # The round's backlog goes first to a sync subprocess that is killed part-way,
                # then to the device itself, restarted on the same data folder.
                patient.close()
                result.kills += _killed_sync(patient.data_dir, proxy, env, rng.uniform(0.0, plan.kill_within_s))
                patient = Device(patient.data_dir, proxy.url)
                _quick_retries(patient)
                _sign_in(patient, "alice", "patient")
                patient.sync()
        finally:
            doctor_thread.stopping.set()
            doctor_thread.join(timeout=120)
        if doctor_thread.error is not None:
            raise doctor_thread.error
        result.requests = len(proxy.events)
        for _path, what in proxy.events:
            if what != "ok":
                result.faults[what] = result.faults.get(what, 0) + 1
        proxy.clear()
        try:
            _settle(patient, doctor)
            check_end_state(server_url, patient, doctor, doctor_thread.reviews,
                            reports=plan.rounds * plan.reports_per_round,
                            messages=made_messages + doctor_thread.messages)
        finally:
            patient.close()
            doctor.close()
    result.reviews = sum(doctor_thread.reviews.values())
    result.reports = plan.rounds * plan.reports_per_round
    result.messages = made_messages + doctor_thread.messages
    result.seconds = time.monotonic() - started
    return result


def _sign_in(device: Device, username: str, role: str) -> None:
    """Signs in through the faulty proxy; a sign-in that met a fault (and so happened offline,
    without a server token) is simply repeated, as a user would."""
    for _ in range(50):
        device.app.accounts.login(username, PASSWORDS[role])
        if device.app.accounts.token(username):
            return
    raise AssertionError(f"{username} could not sign in online")


def _quick_retries(device: Device) -> None:
    device.app.sync.client.backoff_base = 0.02
    device.app.sync.session.scans.base_s = 0.0  # a missing scan is asked for again at the next pass


def _killed_sync(data_dir: Path, proxy, env: dict[str, str], after_s: float) -> int:
    """`tumorpredict sync` in a subprocess, SIGKILLed `after_s` after it is first seen at the proxy
    (so mid-pass, not mid-start-up); 1 if it was still running then."""
    seen = len(proxy.events)
    process = subprocess.Popen(sync_command(data_dir, proxy.url), env=env, cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while len(proxy.events) == seen and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        process.wait(timeout=after_s)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGKILL)
        process.wait()
        return 1
    _stderr = process.stderr.read() if process.stderr else ""
    assert "Traceback" not in _stderr, _stderr
    assert process.returncode in (0, 2), f"sync exited {process.returncode}: {_stderr}"
    return 0


def _settle(patient: Device, doctor: Device, passes: int = 8) -> None:
    """Both devices sync, faults gone, until a full round moves nothing."""
    seen = []
    for _ in range(passes):
        moved = False
        for device in (patient, doctor, patient):
            report = device.sync()
            seen.append(report.lines())
            assert report.error is None, report.error
            moved |= bool(report.sent or report.reports_pulled or report.messages_pulled or report.scans_fetched)
        if not moved and patient.app.sync.status.pending == 0 and doctor.app.sync.status.pending == 0:
            return
    pending = [(e.kind, e.payload, e.last_error) for d in (patient, doctor) for e in d.app.store.outbox.pending()]
    raise AssertionError(f"the devices did not settle: {pending}; last passes: {seen[-3:]}")


def check_end_state(server_url: str, patient: Device, doctor: Device, reviews: dict[str, int], *,
                    reports: int, messages: int) -> None:
    server = ApiClient(server_url)
    server.login("dr_bob", PASSWORDS["doctor"])
    on_server = {str(r["id"]): r for r in server.list_reports("alice").items}
    assert len(on_server) == reports, f"{len(on_server)} reports on the server, {reports} made"
    chat = server.get_messages("alice", "dr_bob").items
    assert len(chat) == messages, f"{len(chat)} messages on the server, {messages} sent"

    for device in (patient, doctor):
        local = device.docs("reports")
        by_server_id = {r.get("server_id"): r for r in local}
        assert len(local) == reports and set(by_server_id) == set(on_server), "every report once on each device"
        for server_id, record in on_server.items():
            mine = by_server_id[server_id]
            assert (mine["status"], mine["doctor_notes"]) == (record["status"], record["doctor_notes"]), server_id
        local_messages = device.docs("messages")
        assert len(local_messages) == messages
        assert {m["server_id"] for m in local_messages} == {str(m["id"]) for m in chat}
        assert device.app.sync.status.scans_downloading == 0

    originals = {r["server_id"]: patient.app.reports.image(r["id"]) for r in patient.docs("reports")}
    for report in doctor.docs("reports"):
        assert doctor.app.reports.image(report["id"]) == originals[report["server_id"]], "every scan on the doctor's device"

    for server_id in on_server:
        audit = server._call("POST", "/get_report", {"report_id": server_id}, safe=True)["audit"]
        actions = [a["action"] for a in audit]
        assert actions.count("created") == 1, (server_id, actions)
        assert len(actions) - 1 == reviews.get(server_id, 0), f"audit rows once: {server_id} {actions}"

    report_ids = {r["id"] for r in patient.docs("reports")}
    for note in patient.app.notifications.for_user("alice"):
        if note["kind"] == "report_reviewed":
            assert note["ref"] in report_ids, "a review notification opens a report that exists"
