"""Federated learning on the clinic's side: local dataset, head training, weight files, versions and rollback."""

from desktop_app.core.federated.client import (
    FederatedClient,
    FederatedError,
    TrainOutcome,
    restore_federated_head,
)
from desktop_app.core.federated.head import HeadWeights
from desktop_app.core.federated.history import RollbackError, WeightsHistory
from desktop_app.core.federated.npz_format import WeightsFileError, dump_npz, load_npz
from desktop_app.core.federated.trainer import (
    NotEnoughData,
    TrainConfig,
    TrainingCancelled,
    train_head,
)

__all__ = [
    "FederatedClient",
    "FederatedError",
    "HeadWeights",
    "NotEnoughData",
    "RollbackError",
    "TrainConfig",
    "TrainOutcome",
    "TrainingCancelled",
    "WeightsFileError",
    "WeightsHistory",
    "dump_npz",
    "load_npz",
    "restore_federated_head",
    "train_head",
]
