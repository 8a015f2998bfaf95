"""The offline JSON store: documents, image blobs and the outbox of changes waiting to sync."""

from .blobs import BlobMissingError
from .collection import Collection
from .errors import StoreError, StoreLockedError, UserFacingError
from .outbox import OutboxEntry
from .store import Store

__all__ = ["BlobMissingError", "Collection", "OutboxEntry", "Store", "StoreError", "StoreLockedError",
           "UserFacingError"]
