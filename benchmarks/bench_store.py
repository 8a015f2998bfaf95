"""Local store figures: saving one report and opening the store, next to a one-file-per-document baseline.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_store.py [--sizes 1000,5000,10000] [--saves 200]

For each size the store holds N reports (~600-byte documents as the app writes them) and 5·N
chat messages. "store" is local_store (snapshot + append-only log, one fdatasync per save);
"naive" writes each document to its own file (temp file, fsync, rename, directory fsync) and
opens by reading every file. Both are measured in the same run on the same disk. The naive
baseline is populated without fsync to keep set-up short; its measured saves do fsync.
Open times are with the files in the OS cache (the usual case for a second start).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from local_store import Store
from local_store.fsio import atomic_write

SAVE_TARGET_MS = 5.0
OPEN_TARGET_MS = 500.0
LABELS = {"glioma": "Glioma", "meningioma": "Meningioma", "pituitary": "Pituitary tumor", "notumor": "No Tumor"}


def report_doc(rng: random.Random, n: int) -> dict:
    """A report shaped like desktop_app.core.reports writes it (~600 bytes of JSON)."""
    key = rng.choice(list(LABELS))
    probabilities = {label: round(rng.random(), 4) for label in LABELS.values()}
    now = 1_790_000_000_000 + n * 60_000
    return {
        "id": f"rep-{n:06d}", "server_id": None, "username": f"patient{n % 400}", "doctor": f"dr{n % 12}",
        "timestamp": now, "status": rng.choice(["pending", "approved", "rejected"]), "doctor_notes": "",
        "label": LABELS[key], "label_key": key, "confidence": probabilities[LABELS[key]],
        "probabilities": probabilities, "is_brain_mri": True, "model_version": "2026.11-b0",
        "image_hash": uuid.UUID(int=rng.getrandbits(128)).hex * 2, "image_name": f"scan_{n}.jpg",
        "reviewed_by": None, "reviewed_at": None, "confirmed_label": None, "reject_reason": "",
        "audit": [{"at": now, "by": f"patient{n % 400}", "action": "created", "status": "pending",
                   "notes": "", "label": LABELS[key]}],
        "conflict": None, "updated_at": now,
    }


def message_doc(rng: random.Random, n: int) -> dict:
    return {"id": f"msg-{n:07d}", "server_id": n, "sender": f"patient{n % 400}", "receiver": f"dr{n % 12}",
            "message": "Hello doctor, " + "x" * rng.randrange(10, 120), "timestamp": 1_790_000_000_000 + n * 1000,
            "state": "sent", "read_by": [f"patient{n % 400}"]}


def p50_p95_max(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.95 * (len(ordered) - 1))], ordered[-1]


def timed_ms(action) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


# ---- local_store -------------------------------------------------------------------------

def build_store(folder: Path, reports: int, rng: random.Random) -> None:
    with Store.open(folder) as store:
        for name, count, make in (("reports", reports, report_doc), ("messages", reports * 5, message_doc)):
            collection = store.collection(name)
            for start in range(0, count, 500):
                batch = (make(rng, n) for n in range(start, min(count, start + 500)))
                collection.put_many({doc["id"]: doc for doc in batch})


def cpu_ms(action) -> float:
    start = time.process_time()
    action()
    return (time.process_time() - start) * 1000


def open_and_close(folder: Path) -> None:
    Store.open(folder).close()


def store_open_ms(folder: Path, repeats: int) -> tuple[float, float]:
    """(wall, CPU) medians: on a shared machine the CPU time shows the cost without the waiting."""
    wall = statistics.median(timed_ms(lambda: open_and_close(folder)) for _ in range(repeats))
    cpu = statistics.median(cpu_ms(lambda: open_and_close(folder)) for _ in range(repeats))
    return wall, cpu


# ---- naive baseline: one JSON file per document ------------------------------------------

def naive_save(folder: Path, doc: dict) -> None:
    atomic_write(folder / f"{doc['id']}.json", json.dumps(doc).encode("utf-8"))


def build_naive(folder: Path, reports: int, rng: random.Random) -> None:
    for name, count, make in (("reports", reports, report_doc), ("messages", reports * 5, message_doc)):
        (folder / name).mkdir(parents=True)
        for n in range(count):
            doc = make(rng, n)
            (folder / name / f"{doc['id']}.json").write_text(json.dumps(doc), encoding="utf-8")


def naive_open(folder: Path) -> dict[str, dict[str, dict]]:
    collections = {}
    for sub in sorted(folder.iterdir()):
        collections[sub.name] = {path.stem: json.loads(path.read_bytes()) for path in sub.iterdir()}
    return collections


def interleaved_saves_ms(store_dir: Path, naive_dir: Path, reports: int, saves: int,
                        rng: random.Random) -> tuple[list[float], list[float]]:
    """Half new reports, half updates (a doctor's review). Store and naive saves alternate, so
    both meet the same disk conditions on a machine shared with other work."""
    store_times, naive_times = [], []
    with Store.open(store_dir) as store:
        collection = store.collection("reports")
        for n in range(saves):
            doc = report_doc(rng, reports + n if n % 2 else rng.randrange(reports))
            store_times.append(timed_ms(lambda doc=doc: collection.put(doc["id"], doc)))
            naive_times.append(timed_ms(lambda doc=doc: naive_save(naive_dir / "reports", doc)))
    return store_times, naive_times


# ---- report --------------------------------------------------------------------------------

def read_costs_ms(store_dir: Path, naive_dir: Path, size: int, repeats: int) -> dict[str, float]:
    """Reads on the messages: served from memory (copies) vs reading the files of the baseline."""
    with Store.open(store_dir) as store:
        messages = store.collection("messages")
        ids = messages.ids()
        get = statistics.median(timed_ms(lambda doc_id=doc_id: messages.get(doc_id)) for doc_id in ids[:: max(1, len(ids) // 200)])
        find = statistics.median(timed_ms(lambda n=n: messages.find(sender=f"patient{n}")) for n in range(repeats))
        every = statistics.median(timed_ms(messages.all) for _ in range(repeats))
    folder = naive_dir / "messages"
    naive_get = statistics.median(
        timed_ms(lambda doc_id=doc_id: json.loads((folder / f"{doc_id}.json").read_bytes()))
        for doc_id in ids[:: max(1, len(ids) // 200)])
    naive_every = timed_ms(lambda: [json.loads(path.read_bytes()) for path in folder.iterdir()])
    return {"get": get, "find": find, "all": every, "naive_get": naive_get, "naive_all": naive_every}


def measure(size: int, saves: int, repeats: int, root: Path) -> dict[str, float]:
    rng = random.Random(size)
    store_dir, naive_dir = root / f"store-{size}", root / f"naive-{size}"
    build_store(store_dir, size, rng)
    build_naive(naive_dir, size, rng)
    store_open_ms(store_dir, 1)  # warm the OS cache the same way for both
    naive_open(naive_dir)
    row = {"size": size}
    row["store_open"], row["store_open_cpu"] = store_open_ms(store_dir, repeats)
    row["naive_open"] = statistics.median(timed_ms(lambda: naive_open(naive_dir)) for _ in range(repeats))
    row["naive_open_cpu"] = statistics.median(cpu_ms(lambda: naive_open(naive_dir)) for _ in range(repeats))
    store_times, naive_times = interleaved_saves_ms(store_dir, naive_dir, size, saves, rng)
    row["store_save"], row["store_p95"], row["store_max"] = p50_p95_max(store_times)
    row["naive_save"], row["naive_p95"], row["naive_max"] = p50_p95_max(naive_times)
    row.update(read_costs_ms(store_dir, naive_dir, size, repeats))
    row["store_bytes"] = sum(path.stat().st_size for path in store_dir.rglob("*") if path.is_file())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="report counts (messages are 5x)")
    parser.add_argument("--saves", type=int, default=200, help="timed saves per size")
    parser.add_argument("--repeats", type=int, default=5, help="timed opens per size")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    sizes = [int(part) for part in args.sizes.split(",")]
    print(f"local_store vs one-file-per-document, {os.cpu_count()} CPUs, "
          f"{args.saves} saves and {args.repeats} opens per size\n")
    print(f"load average before: {os.getloadavg()[0]:.1f} (other work on this machine slows wall times)\n"
          if hasattr(os, "getloadavg") else "")
    header = (f"{'reports':>8} {'messages':>9} | {'save ms p50':>11} {'p95':>6} {'max':>6} | {'open ms':>7} "
              f"{'(cpu)':>6} | {'naive save p50':>14} {'p95':>6} | {'naive open':>10} {'(cpu)':>6} | {'on disk':>8}")
    print(header)
    print("-" * len(header))
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_store_") as tmp:
        for size in sizes:
            row = measure(size, args.saves, args.repeats, Path(tmp))
            rows.append(row)
            print(f"{size:>8} {size * 5:>9} | {row['store_save']:>11.2f} {row['store_p95']:>6.2f} "
                  f"{row['store_max']:>6.1f} | {row['store_open']:>7.0f} {row['store_open_cpu']:>6.0f} | "
                  f"{row['naive_save']:>14.2f} {row['naive_p95']:>6.2f} | {row['naive_open']:>10.0f} "
                  f"{row['naive_open_cpu']:>6.0f} | {row['store_bytes'] / 1e6:>6.1f}MB",
                  flush=True)
    print("\nReads on the messages (median ms; naive = reading the files):")
    print(f"{'messages':>9} | {'get':>6} {'naive get':>10} | {'find(sender=)':>13} | {'all()':>7} {'naive all':>10}")
    for row in rows:
        print(f"{row['size'] * 5:>9} | {row['get']:>6.3f} {row['naive_get']:>10.3f} | {row['find']:>13.1f} | "
              f"{row['all']:>7.0f} {row['naive_all']:>10.0f}")
    largest = rows[-1]
    print(f"\nAt {largest['size']} reports / {largest['size'] * 5} messages:")
    print(f"  save one report: {largest['store_save']:.2f} ms median (target <= {SAVE_TARGET_MS} ms; "
          f"naive {largest['naive_save']:.2f} ms) -> {'OK' if largest['store_save'] <= SAVE_TARGET_MS else 'MISSED'}")
    print(f"  open the store:  {largest['store_open']:.0f} ms wall, {largest['store_open_cpu']:.0f} ms CPU "
          f"(target <= {OPEN_TARGET_MS:.0f} ms; naive {largest['naive_open']:.0f} ms wall, "
          f"{largest['naive_open_cpu']:.0f} ms CPU) -> wall {'OK' if largest['store_open'] <= OPEN_TARGET_MS else 'MISSED'}, "
          f"CPU {'OK' if largest['store_open_cpu'] <= OPEN_TARGET_MS else 'MISSED'}")
    if hasattr(os, "getloadavg"):
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
    if len(rows) > 1:
        first = rows[0]
        scale = largest["size"] / first["size"]
        print(f"  growth {first['size']} -> {largest['size']} reports (x{scale:.0f}): open x"
              f"{largest['store_open'] / first['store_open']:.1f} (naive x{largest['naive_open'] / first['naive_open']:.1f}), "
              f"save x{largest['store_save'] / first['store_save']:.1f} "
              f"(naive x{largest['naive_save'] / first['naive_save']:.1f})")


if __name__ == "__main__":
    main()
