"""Reads a folder of class sub-folders once into a cached uint8 array of standardised images."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_app.core import labels
from desktop_app.core.imaging import MODEL_INPUT_SIZE, standardize
from desktop_app.core.imaging.scan import load_gray
from training.near_duplicates import image_hashes

log = logging.getLogger(__name__)

# The class order of the network's output, and the data folder's sub-folders: models/model.json's.
LABEL_KEYS = labels.keys()
if not LABEL_KEYS:
    raise SystemExit("models/model.json lists no labels; training needs its class list")
# Label of a slice known to show a tumour of unrecorded type (`--extra`): only "notumor" is wrong.
TUMOUR_UNKNOWN = -1
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".dcm"}


@dataclass
class CachedDataset:
    images: np.ndarray  # (N, S, S) uint8, standardised
    labels: np.ndarray  # (N,) int, index into LABEL_KEYS
    paths: np.ndarray  # (N,) relative paths, for traceability
    hashes: np.ndarray  # (N, 4) uint64: dHash, mirrored dHash, pHash, mirrored pHash


def list_files(data_dir: Path) -> list[tuple[Path, int]]:
    files = []
    for index, key in enumerate(LABEL_KEYS):
        folder = data_dir / key
        if not folder.is_dir():
            raise SystemExit(f"missing class folder: {folder}")
        files += [
            (p, index) for p in sorted(folder.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES
        ]
    return files


def list_flat_files(folder: Path, label: int) -> list[tuple[Path, int]]:
    """Every image under `folder` (walked), all with one label."""
    return [
        (p, label) for p in sorted(folder.rglob("*")) if p.suffix.lower() in IMAGE_SUFFIXES
    ]


def build_cache(data_dir: Path, cache_file: Path, size: int = MODEL_INPUT_SIZE) -> CachedDataset:
    """Decodes every image of the class folders once into `cache_file`."""
    return cached_files(data_dir, list_files(data_dir), cache_file, size)


def cached_files(
    root: Path, files: list[tuple[Path, int]], cache_file: Path, size: int = MODEL_INPUT_SIZE
) -> CachedDataset:
    """Decodes `files` once (through the app's own loader and preprocessing) into `cache_file`."""
    if cache_file.exists():
        with np.load(cache_file, allow_pickle=False) as npz:
            if npz["images"].shape[1] == size and npz["hashes"].shape[1] == 4 and len(npz["paths"]) == len(files):
                return CachedDataset(npz["images"], npz["labels"], npz["paths"], npz["hashes"])
    images = np.zeros((len(files), size, size), dtype=np.uint8)
    hashes = np.zeros((len(files), 4), dtype=np.uint64)
    for i, (path, _) in enumerate(files):
        image = standardize(load_gray(path.read_bytes(), name=path.name), size)
        images[i] = image
        hashes[i] = image_hashes(image)
        if i % 1000 == 0:
            log.info("decoded %d/%d", i, len(files))
    labels = np.array([label for _, label in files], dtype=np.int64)
    paths = np.array([str(p.relative_to(root)) for p, _ in files])
    cache_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache_file, images=images, labels=labels, paths=paths, hashes=hashes)
    return CachedDataset(images, labels, paths, hashes)
