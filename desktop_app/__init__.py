"""TumorPredict Desktop: offline-first brain-MRI triage for clinics."""

import os

__version__ = "1.0.0"
APP_NAME = "TumorPredict"

# NumPy's BLAS would start its own threads for the brain-MRI check's small matrix products
# (the embedding's distance to the class means), fighting the app's worker threads and the
# model runtime's for the same cores: a batch ran at half speed on two cores. Set before NumPy
# loads; a value the user or IT chose is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
