"""Training, evaluation and export of the brain-MRI classifier; federated-learning simulation."""
