"""Pieces the test suites share: a loopback WSGI server, a dict-backed keyring, racing chat sends."""
