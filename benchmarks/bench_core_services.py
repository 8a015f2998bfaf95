"""Core service figures on a big store: queue and history reads, chat reads, saving and reviewing a report, sign-in.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_core_services.py [--reports 10000] [--messages 50000]

Each figure is a median over repeated calls, printed next to a baseline measured in the same run on
the same store: the raw store operation the service call is built on (so the figure shows what the
service adds: access checks, sorting, audit, outbox), and for sign-in the scrypt cost alone.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from keyring.backends import fail

from desktop_app.core.credentials import CredentialStore
from desktop_app.core.passwords import hash_password, verify_password
from desktop_app.core.services import AppServices

PASSWORD = "benchmark password"
LABELS = [("Glioma", "glioma"), ("Meningioma", "meningioma"), ("Pituitary tumor", "pituitary"), ("No Tumor", "notumor")]


def median_ms(func, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def populate(app: AppServices, n_reports: int, n_messages: int, n_patients: int = 200) -> list[str]:
    """Users, reports and messages written straight into the store (as years of synced use would leave them)."""
    patients = [f"patient{i:03d}" for i in range(n_patients)]
    app.accounts.register("dr_bench", "dr@clinic.org", PASSWORD, "doctor")
    verifier = hash_password(PASSWORD)
    app.store.collection("users").put_many({p: {
        "username": p, "email": f"{p}@example.org", "role": "patient", "full_name": p, "doctor": "dr_bench",
        "password_verifier": verifier, "server_user": False, "created_at": 0, "is_admin": False,
    } for p in patients})
    now = int(time.time() * 1000)
    reports = {}
    for i in range(n_reports):
        label, key = LABELS[i % 4]
        rid = uuid.uuid4().hex
        reports[rid] = {
            "id": rid, "server_id": f"srv-{rid}", "username": patients[i % n_patients], "doctor": "dr_bench",
            "timestamp": now - i * 60_000, "status": ("pending", "approved", "rejected")[i % 3], "doctor_notes": "",
            "label": label, "label_key": key, "confidence": 0.8, "probabilities": {label: 0.8},
            "is_brain_mri": True, "model_version": "bench", "image_hash": None, "image_name": "scan.png",
            "reviewed_by": None, "reviewed_at": None, "confirmed_label": None, "reject_reason": "",
            "audit": [], "conflict": None, "updated_at": now,
        }
    app.store.collection("reports").put_many(reports)
    messages = {}
    for i in range(n_messages):
        mid = uuid.uuid4().hex
        patient = patients[i % n_patients]
        sender, receiver = (patient, "dr_bench") if i % 2 else ("dr_bench", patient)
        messages[mid] = {"id": mid, "server_id": mid, "sender": sender, "receiver": receiver, "message": f"message {i}",
                         "timestamp": now - i * 1000, "state": "sent", "read_by": [sender]}
    app.store.collection("messages").put_many(messages)
    return list(reports)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        app = AppServices.open(data_dir, credentials=CredentialStore(fail.Keyring()))
        report_ids = populate(app, args.reports, args.messages)
        app.close()

        start = time.perf_counter()
        app = AppServices.open(data_dir, credentials=CredentialStore(fail.Keyring()))
        open_ms = (time.perf_counter() - start) * 1000
        from local_store import Store

        app.close()
        start = time.perf_counter()
        Store.open(data_dir).close()
        store_open_ms = (time.perf_counter() - start) * 1000
        app = AppServices.open(data_dir, credentials=CredentialStore(fail.Keyring()))
        reports, messages = app.store.collection("reports"), app.store.collection("messages")
        print(f"store: {args.reports} reports, {args.messages} messages, 201 users")
        rows = [("open the app services (incl. crash repair sweep)", open_ms, "Store.open alone", store_open_ms)]

        verifier = hash_password(PASSWORD)
        rows.append(("sign in (doctor)", median_ms(lambda: app.accounts.login("dr_bench", PASSWORD), 5),
                     "scrypt check alone", median_ms(lambda: verify_password(PASSWORD, verifier), 5)))
        r = args.repeat
        rows.append(("reports.queue('pending')", median_ms(lambda: app.reports.queue("pending"), r),
                     "store find(status=pending)", median_ms(lambda: reports.find(status="pending"), r)))
        rows.append(("reports.queue() (all, sorted)", median_ms(lambda: app.reports.queue(), r),
                     "store all()", median_ms(lambda: reports.all(), r)))
        rows.append(("reports.for_patient", median_ms(lambda: app.reports.for_patient("patient007"), r),
                     "store find(username=…)", median_ms(lambda: reports.find(username="patient007"), r)))
        rows.append(("chat.conversation", median_ms(lambda: app.chat.conversation("dr_bench", "patient007"), r),
                     "store find(sender, receiver)", median_ms(lambda: messages.find(sender="patient007", receiver="dr_bench"), r)))
        rows.append(("chat.conversations (doctor's list)", median_ms(lambda: app.chat.conversations("dr_bench"), r),
                     "store find(receiver=doctor)", median_ms(lambda: messages.find(receiver="dr_bench"), r)))
        rows.append(("chat.unread_count", median_ms(lambda: app.chat.unread_count("dr_bench"), r),
                     "store find(receiver=doctor)", median_ms(lambda: messages.find(receiver="dr_bench"), r)))
        pending = iter(report_ids[::3])
        rows.append(("reports.review (approve: audit+outbox+notify)",
                     median_ms(lambda: app.reports.review(next(pending), "dr_bench", "approve", notes="ok"), r),
                     "one store put", median_ms(lambda: reports.put("probe", {"id": "probe"}), r)))
        app.accounts.logout()
        app.accounts.login("patient007", PASSWORD)
        scan = b"\x89PNG" + uuid.uuid4().bytes * 1000
        prediction = {"label": "Glioma", "label_key": "glioma", "confidence": 0.9, "probabilities": {"Glioma": 0.9},
                      "is_brain_mri": True, "model_version": "bench"}
        rows.append(("reports.create (blob+report+outbox)",
                     median_ms(lambda: app.reports.create("patient007", scan + uuid.uuid4().bytes, "s.png", prediction), r),
                     "one store put", median_ms(lambda: reports.put("probe", {"id": "probe"}), r)))
        rows.append(("chat.send (message+outbox)", median_ms(lambda: app.chat.send("patient007", "dr_bench", "hi"), r),
                     "one store put", median_ms(lambda: messages.put("probe", {"id": "probe"}), r)))
        app.close()
    width = max(len(name) for name, *_ in rows)
    print(f"{'operation'.ljust(width)}  {'median ms':>10}   baseline (same run)")
    for name, value, base_name, base in rows:
        print(f"{name.ljust(width)}  {value:10.2f}   {base_name}: {base:.2f} ms")


if __name__ == "__main__":
    main()
