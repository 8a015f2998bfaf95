"""Kill -9 a writing process at random moments, hundreds of times; nothing acknowledged may be lost."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from local_store import Store

from .conftest import spawn_python

KILLS = 300

# The writer announces each operation ("I <op>") before it starts and acknowledges it ("A")
# only after the store call has returned. A tiny compaction floor makes it compact often, so
# kills also land inside snapshot writes and log truncations. Python start-up costs more than a
# whole run here, so one launcher process imports the store once and forks a fresh writer per
# round; the test kills the writer, the launcher reports its exit status.
LAUNCHER = r"""
import json, os, random, sys
from local_store import Store, doclog
doclog.MIN_COMPACT_BYTES = 2048

def say(text):
    os.write(1, (text + "\n").encode())  # one write per line: nothing sits in a buffer at a kill

def write_forever(data_dir, seed, next_id):
    say(f"pid {os.getpid()}")
    rng = random.Random(seed)
    store = Store.open(data_dir)
    reports = store.collection("reports")

    def doc(doc_id, version):
        return {"id": doc_id, "v": version, "pad": "é" * rng.randrange(0, 300)}

    say("ready")
    while True:
        ids = reports.ids()
        roll = rng.random()
        if roll < 0.5 or not ids:
            op = {"op": "put", "id": f"r{next_id}", "doc": doc(f"r{next_id}", 0)}
            next_id += 1
        elif roll < 0.65:
            target = rng.choice(ids)
            op = {"op": "put", "id": target, "doc": doc(target, reports.get(target)["v"] + 1)}
        elif roll < 0.75:
            batch = {f"r{next_id + k}": doc(f"r{next_id + k}", 0) for k in range(3)}
            next_id += 3
            op = {"op": "batch", "docs": batch}
        elif roll < 0.85:
            op = {"op": "del", "id": rng.choice(ids)}
        elif roll < 0.93:
            op = {"op": "outbox", "key": f"k{next_id}", "payload": {"report_id": rng.choice(ids)}}
            next_id += 1
        else:
            op = {"op": "blob", "name": f"b{next_id}", "size": rng.randrange(1, 40000)}
            next_id += 1
        say("I " + json.dumps(op))
        if op["op"] == "put":
            reports.put(op["id"], op["doc"])
        elif op["op"] == "batch":
            reports.put_many(op["docs"])
        elif op["op"] == "del":
            reports.delete(op["id"])
        elif op["op"] == "outbox":
            store.outbox.append("create_report", op["payload"], key=op["key"])
        else:
            store.blobs.put(random.Random(op["name"]).randbytes(op["size"]))
        say("A")

for request in sys.stdin:
    data_dir, seed, next_id = request.split()
    pid = os.fork()
    if pid == 0:
        try:
            write_forever(data_dir, int(seed), int(next_id))
        finally:
            os._exit(1)
    # Leading newline: the writer may have been killed halfway through a line.
    say(f"\nexit {os.waitpid(pid, 0)[1]}")
"""


def blob_bytes(op: dict) -> bytes:
    return random.Random(op["name"]).randbytes(op["size"])


class Model:
    """What the store must contain: every acknowledged operation applied, in order."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.outbox: list[str] = []
        self.next_id = 0
        self.new_blobs: list[bytes] = []  # acknowledged since the last check

    def apply(self, op: dict) -> None:
        if op["op"] == "put":
            self.docs[op["id"]] = op["doc"]
        elif op["op"] == "batch":
            self.docs.update(op["docs"])
        elif op["op"] == "del":
            self.docs.pop(op["id"], None)
        elif op["op"] == "outbox":
            self.outbox.append(op["key"])
        else:
            self.new_blobs.append(blob_bytes(op))

    def snapshot(self) -> tuple[list, list]:
        return list(self.docs.items()), list(self.outbox)

    def with_op(self, op: dict) -> tuple[list, list]:
        docs, outbox = dict(self.docs), list(self.outbox)
        shadow = Model()
        shadow.docs, shadow.outbox = docs, outbox
        shadow.apply(op)
        return shadow.snapshot()

    def note_ids(self, op: dict) -> None:
        names = [op.get("id"), op.get("key"), op.get("name"), *op.get("docs", {})]
        numbers = [int(name[1:]) for name in names if name and name[0] in "rkb" and name[1:].isdigit()]
        self.next_id = max([self.next_id, *(n + 1 for n in numbers)])


def _read_transcript(stdout: str, model: Model) -> dict | None:
    """Applies acknowledged operations to the model; returns the one in flight, if any."""
    in_flight = None
    for line in stdout.splitlines():
        if line.startswith("I "):
            try:
                in_flight = json.loads(line[2:])
            except ValueError:  # the kill cut the announcement itself short
                in_flight = None
                continue
            model.note_ids(in_flight)
        elif line == "A" and in_flight is not None:
            model.apply(in_flight)
            in_flight = None
    return in_flight


def _store_state(data_dir: Path, blobs: list[bytes]) -> tuple[list, list]:
    """Documents and pending outbox keys after reopening; checks the given blobs read back intact."""
    with Store.open(data_dir) as store:
        docs = store.collection("reports").items()
        pending = [entry.key for entry in store.outbox.pending()]
        for data in blobs:
            assert store.blobs.get(hashlib.sha256(data).hexdigest()) == data  # get() also verifies the hash
    return docs, pending


def _next_line(launcher: subprocess.Popen, transcript: list[str]) -> str:
    line = launcher.stdout.readline()
    assert line, f"the launcher stopped: {launcher.stderr.read()}"
    line = line.rstrip("\n")
    if line and not line.startswith(("pid ", "exit ")):
        transcript.append(line)
    return line


def _one_round(launcher: subprocess.Popen, data_dir: Path, seed: int, next_id: int,
               rng: random.Random, writers: list[int]) -> str:
    """Starts a writer, kills it at a random moment, returns everything it printed."""
    transcript: list[str] = []
    launcher.stdin.write(f"{data_dir} {seed} {next_id}\n")
    launcher.stdin.flush()
    line = _next_line(launcher, transcript)
    assert line.startswith("pid "), f"the writer did not start: {line!r}"
    pid = int(line.split()[1])
    writers.append(pid)
    if rng.random() < 0.1:
        time.sleep(rng.uniform(0, 0.01))  # sometimes kill while it is still opening the store
    else:
        while line != "ready":
            line = _next_line(launcher, transcript)
            assert not line.startswith("exit "), f"the writer failed: {launcher.stderr.read()}"
        time.sleep(rng.uniform(0, 0.03))
    os.kill(pid, signal.SIGKILL)
    while not line.startswith("exit "):
        line = _next_line(launcher, transcript)
    status = int(line.split()[1])
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, "the writer died on its own"
    return "\n".join(transcript)


def _stop(launcher: subprocess.Popen, writers: list[int]) -> None:
    """Ends the launcher and a writer still running after a failed check (it holds the pipes)."""
    for pid in writers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    launcher.kill()
    launcher.wait()
    for pipe in (launcher.stdin, launcher.stdout, launcher.stderr):
        pipe.close()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork and SIGKILL (POSIX)")
def test_no_acknowledged_write_is_lost_across_hundreds_of_kills(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(20261128)
    model = Model()
    acknowledged = mid_operation = 0
    launcher = spawn_python(LAUNCHER)
    writers: list[int] = []
    try:
        for kill in range(KILLS):
            stdout = _one_round(launcher, data_dir, kill, model.next_id, rng, writers)
            in_flight = _read_transcript(stdout, model)
            acknowledged += stdout.count("\nA")
            actual = _store_state(data_dir, model.new_blobs)
            model.new_blobs.clear()
            expected = model.snapshot()
            if in_flight is not None and actual != expected:
                expected = model.with_op(in_flight)  # the unacknowledged write may have landed
                model.apply(in_flight)  # it did: from now on it is part of the truth
                mid_operation += 1
            assert actual == expected, f"after kill {kill}: the store differs from the acknowledged writes"
    finally:
        _stop(launcher, writers[-1:])
    assert acknowledged > KILLS, "the writer barely wrote anything before being killed"
    assert not (data_dir / "quarantine").exists(), "a crash must never look like damage"
    assert not list(data_dir.rglob("*.tmp")), "temp files of interrupted writes are cleaned up on open"
