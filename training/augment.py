"""Training-time augmentation on standardised uint8 images, as tf.data operations (fast, threaded)."""

from __future__ import annotations

import math

import tensorflow as tf


def _rotation_zoom_matrices(
    batch: int, size: int, max_degrees: float, zoom: tuple[float, float], shift: float
):
    """Projective transforms (output -> input coordinates) for rotation, scale and translation."""
    angle = tf.random.uniform([batch], -max_degrees, max_degrees) * (math.pi / 180.0)
    scale = tf.exp(tf.random.uniform([batch], math.log(zoom[0]), math.log(zoom[1])))
    dx = tf.random.uniform([batch], -shift, shift) * size
    dy = tf.random.uniform([batch], -shift, shift) * size
    c = (size - 1) / 2.0
    cos, sin = tf.cos(angle) / scale, tf.sin(angle) / scale
    # Rotate and scale about the image centre, then shift.
    a0, a1, b0, b1 = cos, -sin, sin, cos
    a2 = c - a0 * c - a1 * c + dx
    b2 = c - b0 * c - b1 * c + dy
    zeros = tf.zeros([batch])
    return tf.stack([a0, a1, a2, b0, b1, b2, zeros, zeros], axis=1)


def jpeg_and_flip(image: tf.Tensor) -> tf.Tensor:
    """Per image (uint8 H×W×1): JPEG re-encoding at a random quality, random left-right flip."""
    image = tf.cond(
        tf.random.uniform([]) < 0.4,
        lambda: tf.image.random_jpeg_quality(image, 25, 95),
        lambda: image,
    )
    return tf.image.random_flip_left_right(image)


def _chance(batch, p) -> tf.Tensor:
    """(B,1,1,1) booleans, each True with probability p."""
    return tf.random.uniform([batch, 1, 1, 1]) < p


def intensity_remap(x: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """A random intensity curve per image: monotone, inverted or non-monotone (BigAug's remapping).

    Sequences (T1, T2, FLAIR, contrast T1) differ in which tissue is bright: a lesion may be bright
    or dark. The curve keeps black black (the background stays background) and is applied as a
    256-entry lookup table per image.
    """
    batch = tf.shape(x)[0]
    knots = 6
    values = tf.random.uniform([batch, knots], 0.0, 255.0)
    ascending = tf.sort(values, axis=1)
    kind = tf.random.uniform([batch, 1])
    curve = tf.where(kind < 0.6, ascending, tf.where(kind < 0.9, ascending[:, ::-1], values))
    curve = tf.concat([tf.zeros([batch, 1]), curve], axis=1)  # level 0 -> 0
    # Knots at 0, 8 and then evenly to 255: the steep first step keeps the background dark.
    positions = tf.constant([0.0, 8.0, 57.4, 106.8, 156.2, 205.6, 255.0])
    levels = tf.range(256, dtype=tf.float32)
    segment = tf.clip_by_value(tf.searchsorted(positions, levels, side="right") - 1, 0, knots - 1)
    left, right = tf.gather(positions, segment), tf.gather(positions, segment + 1)
    t = (levels - left) / (right - left)
    lut = tf.gather(curve, segment, axis=1) * (1 - t) + tf.gather(curve, segment + 1, axis=1) * t
    shape = tf.shape(x)
    index = tf.reshape(tf.cast(tf.clip_by_value(tf.round(x), 0, 255), tf.int32), [batch, -1])
    remapped = tf.reshape(tf.gather(lut, index, batch_dims=1), shape)
    return tf.where(_chance(batch, 0.5 * strength), remapped, x)


def bias_field(x: tf.Tensor, size: int, strength: float = 1.0) -> tf.Tensor:
    """Smooth multiplicative intensity non-uniformity (coil sensitivity), up to about ±50 %."""
    batch = tf.shape(x)[0]
    coarse = tf.random.normal([batch, 3, 3, 1])
    amplitude = tf.random.uniform([batch, 1, 1, 1], 0.0, 0.4)
    field = tf.exp(amplitude * tf.image.resize(coarse, [size, size], method="bicubic"))
    return tf.where(_chance(batch, 0.4 * strength), x * field, x)


def slice_thickness_blur(x: tf.Tensor, size: int, strength: float = 1.0) -> tf.Tensor:
    """Low resolution along one axis (thick slices, reformatted planes): shrink and re-grow it."""
    batch = tf.shape(x)[0]
    low = tf.random.uniform([], size // 4, size // 2 + 1, dtype=tf.int32)
    vertical = tf.image.resize(tf.image.resize(x, [low, size], antialias=True), [size, size])
    horizontal = tf.image.resize(tf.image.resize(x, [size, low], antialias=True), [size, size])
    blurred = tf.where(_chance(batch, 0.5), vertical, horizontal)
    return tf.where(_chance(batch, 0.2 * strength), blurred, x)


def strip_skull(x: tf.Tensor, size: int, strength: float = 1.0) -> tf.Tensor:
    """Removes the head's outer rim (skull and scalp) on some images: skull-stripped exports.

    The input is already cropped to the head's box, so the head is close to the square's inscribed
    ellipse; a slightly smaller ellipse with a soft edge cuts the rim away.
    """
    batch = tf.shape(x)[0]
    grid = (tf.range(size, dtype=tf.float32) + 0.5) / size * 2.0 - 1.0
    radius2 = grid[None, :, None, None] ** 2 + grid[None, None, :, None] ** 2
    keep = tf.random.uniform([batch, 1, 1, 1], 0.78, 0.9)
    mask = tf.clip_by_value((keep - tf.sqrt(radius2)) / 0.04, 0.0, 1.0)
    return tf.where(_chance(batch, 0.15 * strength), x * mask, x)


def rician_noise(x: tf.Tensor, strength: float = 1.0) -> tf.Tensor:
    """Magnitude-image noise (Rician): noisy low-field or fast scans."""
    batch = tf.shape(x)[0]
    sigma = tf.random.uniform([batch, 1, 1, 1], 0.0, 12.0)
    real = x + tf.random.normal(tf.shape(x)) * sigma
    imaginary = tf.random.normal(tf.shape(x)) * sigma
    return tf.where(_chance(batch, 0.25 * strength), tf.sqrt(real * real + imaginary * imaginary), x)


APPEARANCE_TRANSFORMS = (
    "strip_skull", "wide_framing", "intensity_remap", "bias_field", "slice_thickness_blur", "rician_noise",
)


def augment_batch(
    images: tf.Tensor, size: int, appearance: float = 1.0, without: frozenset[str] = frozenset()
) -> tf.Tensor:
    """Batch of uint8 (B,S,S,1) -> float32 0..255 with geometry, gamma, contrast, blur and noise.

    `appearance` (0..1) scales how often the stacked scan-appearance transformations (intensity
    curves, bias field, slice thickness, skull stripping, Rician noise) are applied: they make the
    network judge anatomy rather than one collection's look. 0 turns them off; `without` leaves
    out single ones (APPEARANCE_TRANSFORMS) to measure what each buys.
    """

    unknown = set(without) - set(APPEARANCE_TRANSFORMS)
    if unknown:
        raise ValueError(f"unknown appearance transformation(s): {', '.join(sorted(unknown))}")

    def applies(name: str) -> bool:
        return bool(appearance) and name not in without

    batch = tf.shape(images)[0]
    x = tf.cast(images, tf.float32)
    if applies("strip_skull"):
        x = strip_skull(x, size, appearance)
    zoom, shift = ((0.7, 1.35), 0.1) if applies("wide_framing") else ((0.8, 1.2), 0.08)
    transforms = _rotation_zoom_matrices(batch, size, 15.0, zoom, shift)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=[size, size],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    if applies("intensity_remap"):
        x = intensity_remap(x, appearance)
    if applies("bias_field"):
        x = bias_field(x, size, appearance)
    if applies("slice_thickness_blur"):
        x = slice_thickness_blur(x, size, appearance)
    if applies("rician_noise"):
        x = rician_noise(tf.clip_by_value(x, 0.0, 255.0), appearance)
    # Gamma and contrast: scanners, sequences (T1/T2/FLAIR) and exports differ in intensity mapping.
    gamma = tf.exp(tf.random.uniform([batch, 1, 1, 1], math.log(0.5), math.log(2.0)))
    x = 255.0 * tf.pow(tf.clip_by_value(x / 255.0, 0.0, 1.0), gamma)
    gain = tf.random.uniform([batch, 1, 1, 1], 0.7, 1.3)
    offset = tf.random.uniform([batch, 1, 1, 1], -15.0, 15.0)
    x = tf.clip_by_value(x * gain + offset, 0.0, 255.0)
    # Blur / low resolution: down- and up-sample the whole batch to a random size.
    low = tf.random.uniform([], size // 2, size + 1, dtype=tf.int32)
    blurred = tf.image.resize(tf.image.resize(x, [low, low], antialias=True), [size, size])
    x = tf.where(tf.random.uniform([batch, 1, 1, 1]) < 0.4, blurred, x)
    noise_sigma = tf.random.uniform([batch, 1, 1, 1], 0.0, 8.0)
    noisy = x + tf.random.normal(tf.shape(x)) * noise_sigma
    x = tf.where(tf.random.uniform([batch, 1, 1, 1]) < 0.3, noisy, x)
    return tf.clip_by_value(x, 0.0, 255.0)
