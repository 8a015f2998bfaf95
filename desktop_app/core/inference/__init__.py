"""On-device brain-MRI inference (LiteRT, no TensorFlow, no Qt).

    engine = InferenceEngine.load()          # models/ of the install; verifies SHA-256 checksums
    p = engine.predict_file("scan.dcm")      # or predict_bytes(data, name="scan.jpg")

The model outputs a pooled embedding and the last feature map; the classifier head is applied
here in numpy: probabilities = softmax((embedding · W + b) / T), T the calibrated temperature
from model.json, and the heatmap is the feature map · W[:, predicted class].

Federated-learning hook: `engine.set_head(W, b, version)` swaps the head (W: embedding_dim ×
classes, b: classes) without re-exporting the .tflite; `engine.reset_head()` restores the
shipped head (`base_head()` returns it, `current_head()` the active one). While a swapped head
is active `model_version` reads "<model version>+<head version>", and every Prediction carries it.
`embed_bytes(data, name)` gives the embedding a head is trained on.
"""

from desktop_app.core.inference.engine import InferenceEngine
from desktop_app.core.inference.errors import ModelError
from desktop_app.core.inference.prediction import NOT_MRI_MESSAGE, Prediction

__all__ = ["InferenceEngine", "ModelError", "NOT_MRI_MESSAGE", "Prediction"]
