"""The classifier: a small residual CNN of plain 3×3 convolutions whose last feature map feeds a linear head.

Plain convolutions rather than depthwise-separable ones: TensorFlow's depthwise backward pass is slow
on CPU, and this net trains about twice as fast per image as tumornet-1.0's separable one.
"""

from __future__ import annotations

import keras
from keras import layers, ops

EMBEDDING_DIM = 128
NUM_CLASSES = 4
STEM_CHANNELS = 16  # few channels at 64 px, where every channel is expensive
# Channels of each stage; each stage halves the resolution (32, 16, 8 px) and adds one residual block.
STAGES = (32, 64, 128)


@keras.saving.register_keras_serializable(package="tumorpredict")
class PerImageStandardize(layers.Layer):
    """Zero mean, unit variance per image: the intensity normalisation of the shared preprocessing."""

    def call(self, x):
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2, 3), keepdims=True)
        return (x - mean) / ops.sqrt(variance + 1.0)  # +1 keeps near-constant images finite


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str, relu: bool = True):
    x = layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x) if relu else x


def _residual_block(x, filters: int, name: str):
    y = _conv_bn(x, filters, 3, 1, f"{name}_a")
    y = _conv_bn(y, filters, 3, 1, f"{name}_b", relu=False)
    # Residual: easier to train from scratch.
    return layers.ReLU(name=f"{name}_relu")(layers.Add(name=f"{name}_add")([x, y]))


def stage_channels(width: float = 1.0) -> list[int]:
    """Channels of each stage at a width multiplier (`train.py --width`)."""
    return [int(round(filters * width)) for filters in STAGES]


def build_model(size: int, dropout: float = 0.2, width: float = 1.0) -> keras.Model:
    """Outputs [probabilities, last feature map, pooled embedding, guard features]; the head is the
    `head` Dense layer.

    The guard features (every stage's mean activation, coarse to fine) feed the "is this a brain
    MRI?" check: early stages describe texture and contrast (CT, X-ray, photos), later ones anatomy.

    `width` scales the stages' channels; the stem and the embedding keep theirs, so the heatmap and
    the federated head see the same shapes whatever the width.
    """
    inputs = keras.Input((size, size, 1), name="image")  # float32 intensities 0..255
    x = PerImageStandardize(name="standardize")(inputs)
    x = _conv_bn(x, STEM_CHANNELS, 3, 2, "stem")
    pooled = [layers.GlobalAveragePooling2D(name="stem_pool")(x)]
    for i, filters in enumerate(stage_channels(width)):
        x = _conv_bn(x, filters, 3, 2, f"down{i}")
        x = _residual_block(x, filters, f"stage{i}")
        pooled.append(layers.GlobalAveragePooling2D(name=f"stage{i}_pool")(x))
    features = _conv_bn(x, EMBEDDING_DIM, 1, 1, "features")
    embedding = layers.GlobalAveragePooling2D(name="embedding")(features)
    guard = layers.Concatenate(name="guard_features")(pooled)
    logits = layers.Dense(NUM_CLASSES, name="head")(
        layers.Dropout(dropout, name="dropout")(embedding)
    )
    probabilities = layers.Softmax(name="probabilities")(logits)
    return keras.Model(inputs, [probabilities, features, embedding, guard], name="tumornet")
