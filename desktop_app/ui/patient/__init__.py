"""The patient's main window and its screens."""
