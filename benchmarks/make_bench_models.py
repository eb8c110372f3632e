"""Make the int8 LSTM benchmark models with the official TFLite converter (H = 64, 256, 512).

Single-layer Keras LSTM, 32 input features, T = 32 steps, converted full-integer int8.
The same weights are also written as a float ONNX LSTM by benchmarks/run_all.py (from the
.tflite, dequantized), so every runtime in the table runs the same network.
Needs the TensorFlow venv described in tools/make_tflite_fixtures.py:
    /tmp/tfvenv/bin/python benchmarks/make_bench_models.py
"""
import os
import sys
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))

import numpy as np  # noqa: E402

from make_tflite_fixtures import build, convert  # noqa: E402

T, F = 32, 32


def main():
    import tensorflow as tf
    out = Path(__file__).parent / "models"
    out.mkdir(exist_ok=True)
    for H in (64, 256, 512):
        model = build(tf, T, F, [H], None, seed=H)
        calib = np.random.default_rng(H).standard_normal((16, T, F)).astype(np.float32)
        (out / f"lstm_h{H}.tflite").write_bytes(convert(tf, model, calib))
        print("wrote", out / f"lstm_h{H}.tflite")


if __name__ == "__main__":
    main()
