"""Pure-Python services of the app: nothing here imports Qt."""
