"""The offline JSON store: documents, image blobs and the outbox of changes waiting to sync."""
