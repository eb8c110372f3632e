"""Make the int8 LSTM test fixtures with the official TFLite converter and TFLM goldens.

Each case is a legacy-Keras (tf_keras) LSTM model converted full-integer int8 (the fused
UNIDIRECTIONAL_SEQUENCE_LSTM op). For each it writes, into --out:
  <stem>.tflite        the converted model
  <stem>.input.npy     int8 test sequences (N, T, F), half of them at full int8 amplitude
  <stem>.tflm.npy      golden outputs of the tflite-micro interpreter, reset per sequence
  <stem>.litert.npy    the same from ai-edge-litert (not bit-exact with TFLM; for reference)
and MANIFEST.json (shapes, ops, quantization, tool versions).

Needs its own venv (TensorFlow is not a test dependency):
    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install "tensorflow-cpu==2.21.*" tflite-micro ai-edge-litert
    /tmp/tfvenv/bin/pip install --no-deps "tf-keras==2.21.*"
    /tmp/tfvenv/bin/python tools/make_tflite_fixtures.py --out tests/fixtures/tflite
"""
from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

CASES = [
    # stem, T, F, hidden sizes, dense head, weight scale (saturation), train epochs
    ("lstm_t8_f4_h16", 8, 4, [16], None, 1.0, 0),
    ("lstm_t20_f10_h64_dense", 20, 10, [64], 5, 1.0, 3),
    ("lstm_t50_f16_h256_dense", 50, 16, [256], 8, 1.0, 0),
    ("lstm2_t12_f6_h32", 12, 6, [32, 32], 3, 1.0, 0),
    ("lstm_sat_t30_f8_h48_dense", 30, 8, [48], 4, 6.0, 0),
]
N_SEQ = 6


def build(tf, T, F, hidden, head, seed):
    tf.keras.utils.set_random_seed(seed)
    inp = tf.keras.Input(shape=(T, F), batch_size=1)
    x = inp
    for h in hidden:
        x = tf.keras.layers.LSTM(h, return_sequences=True)(x)
    if head:
        x = tf.keras.layers.Dense(head)(x)
    return tf.keras.Model(inp, x)


def convert(tf, model, calib):
    def rep():
        for row in calib:
            yield [row[None].astype(np.float32)]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    return conv.convert()


def run_tflm(data: bytes, x: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(data)
    outs = []
    for row in x:
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        outs.append(interp.get_output(0)[0].copy())
    return np.stack(outs)


def run_litert(data: bytes, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=data)
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    outs = []
    for row in x:
        interp.reset_all_variables()
        interp.set_tensor(i, row[None])
        interp.invoke()
        outs.append(interp.get_tensor(o)[0].copy())
    return np.stack(outs)


def op_names(data: bytes) -> list[str]:
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=data)
    return [d["op_name"] for d in interp._get_ops_details()]


def main() -> None:
    import tensorflow as tf
    import tf_keras  # noqa: F401  (legacy Keras must be importable)
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="tests/fixtures/tflite")
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    manifest = {"versions": {"tensorflow": tf.__version__}, "cases": {}}
    for k, (stem, T, F, hidden, head, wscale, epochs) in enumerate(CASES):
        rng = np.random.default_rng(100 + k)
        model = build(tf, T, F, hidden, head, seed=k)
        if epochs:
            xs = rng.standard_normal((64, T, F)).astype(np.float32)
            ys = np.cumsum(xs[..., :1], axis=1) * 0.3 * np.ones((1, 1, head), np.float32)
            model.compile("adam", "mse")
            model.fit(xs, ys, epochs=epochs, batch_size=16, verbose=0)
        if wscale != 1.0:
            model.set_weights([w * wscale if w.ndim == 2 else w for w in model.get_weights()])
        amp = 0.5 if wscale != 1.0 else 1.0
        calib = (rng.standard_normal((32, T, F)) * amp).astype(np.float32)
        data = convert(tf, model, calib)
        from ai_edge_litert.interpreter import Interpreter
        det = Interpreter(model_content=data).get_input_details()[0]
        s, zp = det["quantization"]
        small = np.clip(np.round(rng.standard_normal((N_SEQ // 2, T, F)) * amp / s) + zp, -128, 127)
        full = rng.integers(-128, 128, (N_SEQ - N_SEQ // 2, T, F))
        full[0, 0, :] = 127
        full[0, 1, :] = -128
        x = np.concatenate([small, full]).astype(np.int8)
        (out / f"{stem}.tflite").write_bytes(data)
        np.save(out / f"{stem}.input.npy", x)
        np.save(out / f"{stem}.tflm.npy", run_tflm(data, x))
        np.save(out / f"{stem}.litert.npy", run_litert(data, x))
        odet = Interpreter(model_content=data).get_output_details()[0]
        manifest["cases"][stem] = {
            "T": T, "F": F, "hidden": hidden, "head": head, "ops": op_names(data),
            "input_quant": [float(s), int(zp)], "output_quant": [float(odet["quantization"][0]),
                                                                 int(odet["quantization"][1])]}
        print(stem, manifest["cases"][stem]["ops"])
    from importlib.metadata import version
    for pkg in ("tf-keras", "tflite-micro", "ai-edge-litert"):
        manifest["versions"][pkg] = version(pkg)
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
