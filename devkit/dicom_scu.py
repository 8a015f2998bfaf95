"""A real pynetdicom SCU for the tests and benchmarks/bench_dicom.py: sends series to the receiver as a scanner or PACS would."""

from __future__ import annotations

from pydicom.uid import ExplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import MRImageStorage, Verification

SENDER_TIMEOUT = 30  # seconds to wait for one answer before sending again, as PACS do
RESENDS = 3


def associate(port: int, *, calling: str = "SCANNER1", contexts=((MRImageStorage, [ExplicitVRLittleEndian]),)):
    ae = AE(ae_title=calling)
    ae.dimse_timeout = ae.network_timeout = SENDER_TIMEOUT
    ae.add_requested_context(Verification)
    for sop_class, syntaxes in contexts:
        ae.add_requested_context(sop_class, syntaxes)
    return ae.associate("127.0.0.1", port, ae_title="TUMORPREDICT")


def send(port: int, series, *, calling: str = "SCANNER1", release: bool = True) -> list[int]:
    """Sends every instance; the statuses the receiver answered.

    An instance whose answer never came is sent again on a new association, as a PACS retries:
    pynetdicom's sending side can lose an answer when its threads are starved on a busy machine
    (its reactor takes the response off the queue), and a slow disk can delay one past the timeout.
    """
    assoc = associate(port, calling=calling)
    assert assoc.is_established, "the receiver did not accept the association"
    statuses, resends = [], 0
    for ds in series:
        status = assoc.send_c_store(ds)
        while "Status" not in status:
            resends += 1
            assert resends <= RESENDS, "the receiver stopped answering"
            assoc.abort()
            assoc = associate(port, calling=calling)
            status = assoc.send_c_store(ds)
        statuses.append(int(status.Status))
    if release:
        assoc.release()
    else:
        assoc.abort()
    return statuses
