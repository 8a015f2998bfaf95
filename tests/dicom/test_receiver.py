"""The C-STORE SCP with a real pynetdicom SCU on 127.0.0.1: echo, storage, refusals, atomic writes."""

from __future__ import annotations

import threading

import pytest
from pydicom.uid import JPEGLSLossless
from pynetdicom.sop_class import CTImageStorage, MRImageStorage

from desktop_app.core.dicom.inbox import Inbox, InstanceRefused, describe
from desktop_app.core.dicom.node import ListenerConfig, parse_allow_list
from desktop_app.core.dicom.scp import StorageServer
from devkit.dicom_scu import associate, send
from devkit.dicom_series import encode, make_series
from tests.small_disk import mounted_tmpfs


def _files(inbox: Inbox) -> list:
    return sorted(p for p in inbox.root.rglob("*") if p.is_file())


def test_echo_is_answered(receiver_factory):
    receiver = receiver_factory()
    assoc = associate(receiver.port)
    assert assoc.is_established
    assert assoc.send_c_echo().Status == 0x0000
    assoc.release()


def test_instances_are_kept_grouped_by_study_and_series(receiver_factory):
    receiver = receiver_factory(settle_seconds=30)  # only the release hands the series over
    first, second = make_series(slices=3, size=64), make_series(slices=2, size=64, description="AX FLAIR")
    assert send(receiver.port, first + second) == [0] * 5
    for series in (first, second):
        folder = receiver.inbox.series_dir(series[0].StudyInstanceUID, series[0].SeriesInstanceUID)
        assert sorted(p.stem for p in folder.glob("*.dcm")) == sorted(ds.SOPInstanceUID for ds in series)
    assert not [p for p in _files(receiver.inbox) if p.suffix != ".dcm"]


def test_unknown_caller_is_rejected_and_nothing_is_kept(receiver_factory):
    receiver = receiver_factory(allow=parse_allow_list("ORTHANC,SCANNER1@10.9.9.9"))
    stranger = associate(receiver.port, calling="STRANGER")
    assert stranger.is_rejected
    wrong_host = associate(receiver.port, calling="SCANNER1")  # allowed title, but from another host
    assert wrong_host.is_rejected
    allowed = associate(receiver.port, calling="ORTHANC")
    assert allowed.is_established
    allowed.release()
    assert _files(receiver.inbox) == []


def test_other_modalities_are_refused(receiver_factory):
    receiver = receiver_factory()
    ct_context = associate(receiver.port, contexts=((CTImageStorage, ["1.2.840.10008.1.2.1"]),))
    assert ct_context.is_established
    assert not [cx for cx in ct_context.accepted_contexts if cx.abstract_syntax == CTImageStorage]
    ct_context.release()
    mislabelled = make_series(slices=1, size=64, modality="CT")  # an MR SOP class that says CT
    assert send(receiver.port, mislabelled) == [0xA900]
    assert _files(receiver.inbox) == []


def test_an_undecodable_transfer_syntax_is_not_negotiated(receiver_factory):
    receiver = receiver_factory()
    assoc = associate(receiver.port, contexts=((MRImageStorage, [JPEGLSLossless]),))
    assert assoc.is_established
    assert [cx for cx in assoc.accepted_contexts if cx.abstract_syntax == MRImageStorage] == []
    assoc.release()


# A UID with a path in it is the attack under test: pydicom warns about it on the way in.
@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")
def test_non_dicom_bytes_and_missing_uids_get_a_status():
    with pytest.raises(InstanceRefused) as garbage:
        describe(b"this is not DICOM at all" * 10)
    assert garbage.value.status == 0xC210
    ds = make_series(slices=1, size=16)[0]
    ds.SeriesInstanceUID = "../../etc"
    with pytest.raises(InstanceRefused) as bad_uid:
        describe(encode(ds))
    assert bad_uid.value.status == 0xA900


def test_a_dropped_association_keeps_what_was_acknowledged(receiver_factory, clinic):
    reports = []
    receiver = receiver_factory(settle_seconds=1.0, on_report=reports.append)
    series = make_series(slices=10, size=128)
    assert send(receiver.port, series[:6], release=False) == [0] * 6  # aborted after six
    folder = receiver.inbox.series_dir(series[0].StudyInstanceUID, series[0].SeriesInstanceUID)
    assert len(list(folder.glob("*.dcm"))) == 6 and not list(folder.glob(".*"))
    assert receiver.completion.wait_idle(60)
    assert len(reports) == 1 and reports[0]["series"]["instance_count"] == 6


def test_five_senders_at_once(receiver_factory, clinic):
    receiver = receiver_factory(settle_seconds=30)
    batches = [make_series(slices=4, size=64, patient_id=f"P{i}") for i in range(5)]
    results: dict[int, list[int]] = {}

    def run(i):
        results[i] = send(receiver.port, batches[i], calling=f"SCANNER{i}")

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert results == {i: [0] * 4 for i in range(5)}
    assert len([p for p in _files(receiver.inbox) if p.suffix == ".dcm"]) == 20


def test_a_full_disk_answers_out_of_resources_and_leaves_no_partial_file(tiny_disk):
    inbox = Inbox(tiny_disk)
    server = StorageServer(ListenerConfig(port=0, bind_address="127.0.0.1"), inbox)
    server.start()
    try:
        series = make_series(slices=4, size=512, blank_ends=0)  # ~0.5 MB each on a 1 MiB disk
        statuses = send(server.port, series)
    finally:
        server.stop()
    assert statuses[0] == 0 and 0xA700 in statuses
    kept = _files(inbox)
    assert all(p.suffix == ".dcm" for p in kept)  # no temp file left behind
    assert len(kept) == statuses.count(0)
    for path in kept:
        assert describe(path.read_bytes()).sop_uid == path.stem  # whole, readable instances only


@pytest.fixture
def tiny_disk(tmp_path):
    """A real 1 MiB filesystem (tmpfs); skipped where mounting is not allowed."""
    yield from mounted_tmpfs(tmp_path, "1m")
