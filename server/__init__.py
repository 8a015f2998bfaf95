"""The project's TumorPredict server: legacy-compatible API with real authentication and roles."""
