"""Server storage: one interface (`Storage`) over SQLite or PostgreSQL, plus content-addressed files."""

from server.storage.blobs import BlobStore
from server.storage.sql import DuplicateError, Storage, conversation_key

__all__ = ["BlobStore", "DuplicateError", "Storage", "conversation_key"]
