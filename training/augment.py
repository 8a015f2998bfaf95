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


def augment_batch(images: tf.Tensor, size: int) -> tf.Tensor:
    """Batch of uint8 (B,S,S,1) -> float32 0..255 with geometry, gamma, contrast, blur and noise."""
    batch = tf.shape(images)[0]
    x = tf.cast(images, tf.float32)
    transforms = _rotation_zoom_matrices(batch, size, 15.0, (0.8, 1.2), 0.08)
    x = tf.raw_ops.ImageProjectiveTransformV3(
        images=x,
        transforms=transforms,
        output_shape=[size, size],
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
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
