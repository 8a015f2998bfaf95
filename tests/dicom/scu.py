"""A real pynetdicom SCU for the tests: sends series to the receiver as a scanner or PACS would."""

from __future__ import annotations

from pydicom.uid import ExplicitVRLittleEndian
from pynetdicom import AE
from pynetdicom.sop_class import MRImageStorage, Verification


def associate(port: int, *, calling: str = "SCANNER1", contexts=((MRImageStorage, [ExplicitVRLittleEndian]),)):
    ae = AE(ae_title=calling)
    ae.dimse_timeout = ae.network_timeout = 120  # a busy test machine's disk may hold an fsync for long
    ae.add_requested_context(Verification)
    for sop_class, syntaxes in contexts:
        ae.add_requested_context(sop_class, syntaxes)
    return ae.associate("127.0.0.1", port, ae_title="TUMORPREDICT")


def send(port: int, series, *, calling: str = "SCANNER1", release: bool = True) -> list[int]:
    """Sends every instance on one association; the statuses the receiver answered."""
    assoc = associate(port, calling=calling)
    assert assoc.is_established, "the receiver did not accept the association"
    statuses = [int(assoc.send_c_store(ds).Status) for ds in series]
    if release:
        assoc.release()
    else:
        assoc.abort()
    return statuses
