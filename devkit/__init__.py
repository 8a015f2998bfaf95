"""Development kit shared by the tests and the benchmarks: live loopback servers, the legacy
clinic server, sync scenarios and the fault soak, a DICOM sender and series, report factories.

Imported from the repository root; never shipped in the app (not in the wheel, not in the bundle).
"""
