"""DICOM networking, headless: receive series (C-STORE), triage them, query and retrieve from a PACS."""
