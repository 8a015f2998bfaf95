"""The data-folder lock: a second app gets a clear message; a dead app's lock never blocks."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

from local_store import Store, StoreLockedError

from .conftest import spawn_python

HOLDER = r"""
import sys
from local_store import Store
store = Store.open(sys.argv[1])
print("holding", flush=True)
sys.stdin.readline()
store.close()
print("released", flush=True)
"""


def test_second_process_is_refused_with_the_holders_pid(data_dir: Path) -> None:
    holder = spawn_python(HOLDER, str(data_dir))
    try:
        assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
        with pytest.raises(StoreLockedError) as refused:
            Store.open(data_dir)
        message = refused.value.user_message
        assert f"TumorPredict is already open on this computer (process {holder.pid})" in message
        assert str(data_dir) in message
        assert refused.value.pid == holder.pid and refused.value.host == socket.gethostname()

        holder.stdin.write("\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        Store.open(data_dir).close()  # free again once the holder closed the store
    finally:
        holder.kill()
        holder.communicate()


def test_lock_of_a_killed_process_does_not_block(data_dir: Path) -> None:
    holder = spawn_python(HOLDER, str(data_dir))
    assert holder.stdout.readline().strip() == "holding", holder.stderr.read()
    holder.send_signal(signal.SIGKILL if hasattr(signal, "SIGKILL") else signal.SIGTERM)
    holder.communicate()
    # The lock file and its owner note are still on disk, but the OS dropped the lock itself.
    assert (data_dir / "store.lock").exists() and (data_dir / "store.lock.json").exists()
    with Store.open(data_dir) as store:
        store.collection("settings").put("app", {"ok": True})


def test_second_open_in_the_same_process_is_refused(data_dir: Path) -> None:
    with Store.open(data_dir):
        with pytest.raises(StoreLockedError, match=f"process {os.getpid()}"):
            Store.open(data_dir)
    Store.open(data_dir).close()


def test_refused_open_leaves_the_first_store_working(data_dir: Path) -> None:
    with Store.open(data_dir) as first:
        with pytest.raises(StoreLockedError):
            Store.open(data_dir)
        first.collection("reports").put("r1", {"still": "fine"})
    with Store.open(data_dir) as again:
        assert again.collection("reports").get("r1") == {"still": "fine"}
