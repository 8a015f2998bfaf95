"""The PySide6 user interface: windows, screens, Qt models and workers."""
