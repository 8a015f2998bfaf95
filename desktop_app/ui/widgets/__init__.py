"""Reusable widgets shared by the patient and doctor screens."""
