"""The classifier: a small depthwise-separable CNN whose last feature map feeds a linear head."""

from __future__ import annotations

import keras
from keras import layers, ops

EMBEDDING_DIM = 128
NUM_CLASSES = 4
# (output channels, stride) of each depthwise-separable block after the stem.
BLOCKS = (
    (32, 1),
    (64, 2),
    (64, 1),
    (128, 2),
    (128, 1),
    (128, 1),
    (192, 2),
    (192, 1),
)


@keras.saving.register_keras_serializable(package="tumorpredict")
class PerImageStandardize(layers.Layer):
    """Zero mean, unit variance per image: the intensity normalisation of the shared preprocessing."""

    def call(self, x):
        mean = ops.mean(x, axis=(1, 2, 3), keepdims=True)
        variance = ops.mean(ops.square(x - mean), axis=(1, 2, 3), keepdims=True)
        return (x - mean) / ops.sqrt(variance + 1.0)  # +1 keeps near-constant images finite


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str):
    x = layers.Conv2D(
        filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv"
    )(x)
    x = layers.BatchNormalization(name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu")(x)


def _separable_block(x, filters: int, stride: int, name: str):
    shortcut = x
    y = layers.DepthwiseConv2D(
        3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw"
    )(x)
    y = layers.BatchNormalization(name=f"{name}_dw_bn")(y)
    y = layers.ReLU(6.0, name=f"{name}_dw_relu")(y)
    y = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(y)
    y = layers.BatchNormalization(name=f"{name}_pw_bn")(y)
    if stride == 1 and shortcut.shape[-1] == filters:
        return layers.Add(name=f"{name}_add")(
            [shortcut, y]
        )  # residual: easier to train from scratch
    return layers.ReLU(6.0, name=f"{name}_pw_relu")(y)


def build_model(size: int, dropout: float = 0.2) -> keras.Model:
    """Outputs [probabilities, last feature map, pooled embedding]; the head is the `head` Dense layer."""
    inputs = keras.Input((size, size, 1), name="image")  # float32 intensities 0..255
    x = PerImageStandardize(name="standardize")(inputs)
    x = _conv_bn(x, 24, 3, 2, "stem")
    for i, (filters, stride) in enumerate(BLOCKS):
        x = _separable_block(x, filters, stride, f"block{i}")
    features = _conv_bn(x, EMBEDDING_DIM, 1, 1, "features")
    embedding = layers.GlobalAveragePooling2D(name="embedding")(features)
    logits = layers.Dense(NUM_CLASSES, name="head")(
        layers.Dropout(dropout, name="dropout")(embedding)
    )
    probabilities = layers.Softmax(name="probabilities")(logits)
    return keras.Model(inputs, [probabilities, features, embedding], name="tumornet")
