"""TumorPredict Desktop: offline-first brain-MRI triage for clinics."""

__version__ = "1.0.0"
APP_NAME = "TumorPredict"
