"""DICOM receiver figures: triage latency after a series' last instance, 5 senders at once, memory on a 300-slice study.

Run: PYTHONPATH=. .venv/bin/python benchmarks/bench_dicom.py [--slices 30] [--study-slices 300]

Series are written with pydicom from the shipped sample images (512×512, 16-bit, uncompressed) and sent
by a real pynetdicom SCU over 127.0.0.1. Each figure is printed next to a baseline from the same run
on the same files: the files read from disk one by one and analysed by the same model
(what `tumorpredict predict FOLDER` does), and for memory that same one-by-one read in its own process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devkit.dicom_scu import send  # noqa: E402
from devkit.dicom_series import make_series, write_series  # noqa: E402

SENDER_TIMEOUT = 120  # seconds; a shared, busy disk can hold one fsync for tens of seconds
SAMPLES = ("glioma_1.jpg", "meningioma_1.jpg", "pituitary_1.jpg", "notumor_1.jpg", "glioma_2.jpg")


def _open_app(folder: Path):
    from desktop_app.core.services import AppServices

    return AppServices.open(folder)


def _receiver(app, on_report):
    from desktop_app.core.dicom.node import ListenerConfig
    from desktop_app.core.dicom.receiver import DicomReceiver

    receiver = DicomReceiver(app, ListenerConfig(port=0, bind_address="127.0.0.1", settle_seconds=3.0),
                             on_report=on_report)
    receiver.start()
    return receiver


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM; ru_maxrss would include the parent's from before exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("needs Linux /proc")


def one_by_one(engine, paths: list[Path]) -> float:
    """Baseline: every file read from disk and analysed in turn; seconds."""
    from desktop_app.core.imaging import ImageError

    started = time.perf_counter()
    for path in paths:
        try:
            engine.predict_file(path)
        except ImageError:  # a blank end slice: refused, as the receiver skips it
            pass
    return time.perf_counter() - started


def latency(work: Path, slices: int) -> None:
    app = _open_app(work / "latency")
    _ = app.engine  # loaded once, as in a running app
    arrived: dict[str, float] = {}
    receiver = _receiver(app, lambda doc: arrived.setdefault(doc["id"], time.perf_counter()))
    series = make_series(SAMPLES[0], slices=slices, size=512)
    paths = write_series(series, work / "latency-files")
    os.sync()
    from pynetdicom import AE
    from pynetdicom.sop_class import MRImageStorage

    ae = AE(ae_title="BENCH")
    ae.dimse_timeout = ae.network_timeout = SENDER_TIMEOUT
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", receiver.port, ae_title="TUMORPREDICT")
    sent_started = time.perf_counter()
    for path in paths:
        assoc.send_c_store(path)
    last_ack = time.perf_counter()
    assoc.release()
    receiver.completion.wait_idle(120)
    triaged_after = next(iter(arrived.values())) - last_ack
    baseline = one_by_one(app.engine, paths)
    receiver.stop()
    app.close()
    print(f"series of {slices} slices 512x512: sent in {last_ack - sent_started:.2f} s; "
          f"report ready {triaged_after:.2f} s after the last instance was acknowledged "
          f"(target <= 1 s) | baseline: the same {slices} files read and analysed one by one: {baseline:.2f} s")


def concurrent(work: Path, slices: int, senders: int = 5) -> None:
    app = _open_app(work / "concurrent")
    _ = app.engine
    done = threading.Semaphore(0)
    receiver = _receiver(app, lambda doc: done.release())
    batches = [make_series(SAMPLES[i % len(SAMPLES)], slices=slices, size=512, patient_id=f"P{i}")
               for i in range(senders)]

    def receive(parallel: bool) -> float:
        started = time.perf_counter()
        if parallel:
            threads = [threading.Thread(target=send, args=(receiver.port, batch), kwargs={"calling": f"S{i}"})
                       for i, batch in enumerate(batches)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for batch in batches:
                send(receiver.port, batch)
        for _ in batches:
            done.acquire(timeout=300)
        return time.perf_counter() - started

    sequential = receive(parallel=False)
    parallel = receive(parallel=True)  # the same series again: their pending reports are updated
    receiver.stop()
    app.close()
    print(f"{senders} associations at once, {slices} slices each: all {senders} reports in {parallel:.2f} s "
          f"| baseline: the same {senders} series sent one after another: {sequential:.2f} s")


def child_receive(data_dir: str, folder: str) -> None:
    """Child process: receive every file of `folder` over DICOM, wait for the report, print peak RSS (MB)."""
    app = _open_app(Path(data_dir))
    reports = []
    receiver = _receiver(app, reports.append)
    paths = sorted(Path(folder).glob("*.dcm"))
    app.engine.predict_file(paths[len(paths) // 2])  # the model loaded and run once: the process's floor
    floor_mb = peak_mb()
    from pynetdicom import AE
    from pynetdicom.sop_class import MRImageStorage

    ae = AE(ae_title="BENCH")
    ae.dimse_timeout = ae.network_timeout = SENDER_TIMEOUT
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", receiver.port, ae_title="TUMORPREDICT")
    for path in paths:  # read by the sender one at a time, as a PACS streams from its disk
        assoc.send_c_store(path)
    assoc.release()
    receiver.completion.wait_idle(600)
    receiver.stop()
    print(json.dumps({"peak_mb": peak_mb(),
                      "floor_mb": floor_mb, "reports": len(reports)}))


def child_store_only(data_dir: str, folder: str) -> None:
    """Child process: the storage server alone (no model), receiving every file of `folder`; peak RSS (MB)."""
    from pynetdicom import AE
    from pynetdicom.sop_class import MRImageStorage

    from desktop_app.core.dicom.inbox import Inbox
    from desktop_app.core.dicom.node import ListenerConfig
    from desktop_app.core.dicom.scp import StorageServer

    server = StorageServer(ListenerConfig(port=0, bind_address="127.0.0.1"), Inbox(Path(data_dir)))
    server.start()
    floor_mb = peak_mb()
    ae = AE(ae_title="BENCH")
    ae.dimse_timeout = ae.network_timeout = SENDER_TIMEOUT
    ae.add_requested_context(MRImageStorage)
    assoc = ae.associate("127.0.0.1", server.port, ae_title="TUMORPREDICT")
    for path in sorted(Path(folder).glob("*.dcm")):
        assoc.send_c_store(path)
    assoc.release()
    server.stop()
    print(json.dumps({"peak_mb": peak_mb(), "floor_mb": floor_mb}))


def child_one_by_one(folder: str) -> None:
    from desktop_app.core.inference import InferenceEngine

    engine = InferenceEngine.load()
    paths = sorted(Path(folder).glob("*.dcm"))
    engine.predict_file(paths[len(paths) // 2])
    floor_mb = peak_mb()
    one_by_one(engine, paths)
    print(json.dumps({"peak_mb": peak_mb(), "floor_mb": floor_mb}))


def memory(work: Path, slices: int) -> None:
    folder = work / "study"
    # A real study's first and last slices are mostly empty; keep most of a short study a brain.
    write_series(make_series(SAMPLES[1], slices=slices, size=512, blank_ends=min(10, slices // 4)), folder)
    os.sync()  # the receiver's fsyncs must not pay for flushing these source files
    size_mb = sum(p.stat().st_size for p in folder.glob("*.dcm")) / 1e6

    def run(*args: str) -> dict:
        out = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                             cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
        if out.returncode != 0:
            raise RuntimeError(f"{args[1]} failed: {out.stderr[-2000:]}")
        return json.loads(out.stdout.strip().splitlines()[-1])

    received = run("--child", "receive", str(work / "memory-data"), str(folder))
    store_only = run("--child", "store-only", str(work / "memory-store-only"), str(folder))
    baseline = run("--child", "one-by-one", str(folder))
    print(f"study of {slices} slices ({size_mb:.0f} MB on disk): receiver process peak {received['peak_mb']:.0f} MB, "
          f"of which {received['peak_mb'] - received['floor_mb']:.0f} MB above the same process with the model loaded "
          f"and run once ({received['floor_mb']:.0f} MB; target < 200 MB, {received['reports']} report) | baseline: "
          f"the same files read and analysed one by one in a process of their own: peak {baseline['peak_mb']:.0f} MB, "
          f"{baseline['peak_mb'] - baseline['floor_mb']:.0f} MB above its floor ({baseline['floor_mb']:.0f} MB)")
    print(f"the storage server alone (no model in the process) receiving the same {slices} slices: peak "
          f"{store_only['peak_mb']:.0f} MB ({store_only['peak_mb'] - store_only['floor_mb']:.0f} MB above its "
          f"{store_only['floor_mb']:.0f} MB at start)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slices", type=int, default=30)
    parser.add_argument("--study-slices", type=int, default=300)
    parser.add_argument("--memory-only", action="store_true", help="only the 300-slice memory figure")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        {"receive": child_receive, "store-only": child_store_only, "one-by-one": child_one_by_one}[kind](*rest)
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        latency(work, args.slices) if not args.memory_only else None
        concurrent(work, args.slices) if not args.memory_only else None
        memory(work, args.study_slices)


if __name__ == "__main__":
    main()
