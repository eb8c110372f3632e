"""Make the int8 LSTM test fixtures with the official TFLite converter and TFLM goldens.

What it makes
-------------
Each case is a legacy-Keras (tf_keras) model with a fixed batch-1 input (1, T, F), LSTM layers with
return_sequences=True and an optional Dense head applied to every time step. It is converted
full-integer int8 (representative dataset, int8 input and output, TFLITE_BUILTINS_INT8), which makes
each Keras LSTM ONE fused UNIDIRECTIONAL_SEQUENCE_LSTM op and the Dense head one FULLY_CONNECTED
(keep_num_dims) op. For each case it writes, into --out:
  <stem>.tflite        the converted model
  <stem>.input.npy     int8 test sequences (N=6, T, F): 3 at the calibration amplitude, 3 uniform over
                       the whole int8 range (the first has a step of all 127 and one of all -128)
  <stem>.tflm.npy      golden int8 outputs (N, T, outputs) of the tflite-micro Python interpreter:
                       reset() before every sequence, one sequence (batch 1) per invoke
  <stem>.litert.npy    the same from ai-edge-litert, reset_all_variables() before every sequence.
                       LiteRT is NOT bit-exact with TFLM for the int8 LSTM, and where a cell state
                       scale is below 2^-15 its output is garbage (its integer tanh handles only
                       15 + log2(cell scale) in 0..6); MANIFEST.json marks those "litert_valid": false.
and MANIFEST.json: per case the shapes, T, F, H, the op list in order, input/output quantization,
what the converter put in each LSTM op (inputs, weight/bias/state dtypes and scales, cell clip,
intermediates), how many outputs LiteRT and TFLM disagree on, the sha256 of every file, and the
versions of the tools used.

Cases
  lstm_t8_f4_h16              LSTM(16), no head
  lstm_t20_f10_h64_dense      LSTM(64) + Dense(5); trained 3 epochs on a tiny synthetic task
  lstm_t50_f16_h256_dense     LSTM(256) + Dense(8)  (the largest file, ~290 KB)
  lstm2_t12_f6_h32            LSTM(32) -> LSTM(32) + Dense(3)
  lstm_sat_t30_f8_h48_dense   LSTM(48) + Dense(4) built to saturate: LSTM kernel and recurrent
                              kernel x6, calibrated on small inputs N(0, 0.15^2) with 2 isolated
                              +-3 spikes per sequence (the spikes set the int8 input range, the
                              small inputs the LSTM's state ranges). On the full-range test inputs
                              the input-side gate terms clamp to int16 (0.7-13% of them), 11-37% of
                              the gate pre-activations are beyond +-5 (flat ends of sigmoid/tanh),
                              and the last sequence (held -128/127 vectors) drives the cell state
                              to the converter's cell clip (10.0 = 20480 at the 2^-11 cell scale).
                              It also tells a float32 from a double product of the scales in the
                              gate FC multipliers (TFLM: double; a float32 product gives 23
                              outputs off by 1)

The output is byte-identical on every run (seeded with tf.keras.utils.set_random_seed and numpy
Generators, deterministic ops, single-threaded CPU). It takes 15-30 s (13 s of CPU).

How to rerun
------------
TensorFlow is not a dependency of the project or of its tests; it lives in its own venv, outside
the repository:
    python3 -m venv /work/tfvenv
    /work/tfvenv/bin/pip install "tensorflow-cpu==2.21.*" tflite-micro ai-edge-litert numpy
    /work/tfvenv/bin/pip install --no-deps "tf-keras==2.21.*"
    /work/tfvenv/bin/python tools/make_tflite_fixtures.py --out tests/fixtures/tflite
(Made with tensorflow-cpu 2.21.0, tf-keras 2.21.0, tflite-micro 0.dev20261023182759,
ai-edge-litert 2.3.0, numpy 2.4.6; MANIFEST.json records the versions of the last run.)
Keras 3 does not produce the fused LSTM op; TF_USE_LEGACY_KERAS=1 is set below before TensorFlow is
imported. Another TensorFlow version may change the .tflite files and so the goldens: review and
commit all files of a rerun together.

benchmarks/make_bench_models.py imports build() and convert() from this file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")

import numpy as np  # noqa: E402

N_SEQ = 6

# stem, T, F, LSTM hidden sizes, Dense head (None: none), LSTM weight scale, train epochs,
# calibration amplitude (standard deviation of the float calibration inputs), calibration spike
# (0: none; else 2 isolated entries of each calibration sequence are set to +-spike), hold (0: none;
# else the last test sequence holds random -128/127 vectors for `hold` steps at a time)
CASES = [
    ("lstm_t8_f4_h16", 8, 4, [16], None, 1.0, 0, 1.0, 0.0, 0),
    ("lstm_t20_f10_h64_dense", 20, 10, [64], 5, 1.0, 3, 1.0, 0.0, 0),
    ("lstm_t50_f16_h256_dense", 50, 16, [256], 8, 1.0, 0, 1.0, 0.0, 0),
    ("lstm2_t12_f6_h32", 12, 6, [32, 32], 3, 1.0, 0, 1.0, 0.0, 0),
    ("lstm_sat_t30_f8_h48_dense", 30, 8, [48], 4, 6.0, 0, 0.15, 3.0, 10),
]

# UNIDIRECTIONAL_SEQUENCE_LSTM input slots (TFLite schema order)
LSTM_INPUT_NAMES = [
    "input", "input_to_input_weights", "input_to_forget_weights", "input_to_cell_weights",
    "input_to_output_weights", "recurrent_to_input_weights", "recurrent_to_forget_weights",
    "recurrent_to_cell_weights", "recurrent_to_output_weights", "cell_to_input_weights",
    "cell_to_forget_weights", "cell_to_output_weights", "input_gate_bias", "forget_gate_bias",
    "cell_gate_bias", "output_gate_bias", "projection_weights", "projection_bias",
    "output_state", "cell_state", "input_layer_norm_coefficients",
    "forget_layer_norm_coefficients", "cell_layer_norm_coefficients",
    "output_layer_norm_coefficients",
]


def build(tf, T, F, hidden, head, seed):
    """Keras model: Input (1, T, F) -> LSTM(h, return_sequences) for h in hidden -> Dense(head)."""
    tf.keras.utils.set_random_seed(seed)
    inp = tf.keras.Input(shape=(T, F), batch_size=1)
    x = inp
    for h in hidden:
        x = tf.keras.layers.LSTM(h, return_sequences=True)(x)
    if head:
        x = tf.keras.layers.Dense(head)(x)
    return tf.keras.Model(inp, x)


def convert(tf, model, calib):
    """Full-integer int8 conversion with `calib` (n, T, F) float as the representative dataset."""
    def rep():
        for row in calib:
            yield [row[None].astype(np.float32)]
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return conv.convert()


def scale_lstm_weights(tf, model, factor):
    """Multiply every LSTM layer's kernel and recurrent kernel by `factor` (bias and Dense kept)."""
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.LSTM):
            kernel, recurrent, bias = layer.get_weights()
            layer.set_weights([kernel * factor, recurrent * factor, bias])


def train(model, rng, T, F, head, epochs):
    """A few epochs on a tiny synthetic task: every output tracks a running sum of feature 0."""
    xs = rng.standard_normal((64, T, F)).astype(np.float32)
    ys = np.cumsum(xs[..., :1], axis=1) * 0.3 * np.ones((1, 1, head), np.float32)
    model.compile("adam", "mse")
    model.fit(xs, ys, epochs=epochs, batch_size=16, verbose=0)


def make_calibration(rng, T, F, amp, spike):
    """32 float sequences N(0, amp^2); with a spike, 2 isolated entries of each are +-spike.

    The spikes widen the input range (the int8 test inputs then span +-spike) while the LSTM's
    calibrated state ranges stay those of small inputs."""
    calib = rng.standard_normal((32, T, F)) * amp
    if spike:
        for row in calib:
            for _ in range(2):
                row[rng.integers(T), rng.integers(F)] = spike * rng.choice([-1.0, 1.0])
    return calib.astype(np.float32)


def make_inputs(rng, T, F, amp, scale, zero_point, hold=0):
    """N_SEQ int8 sequences: half at the calibration amplitude, half uniform over all of int8;
    with hold, the last one instead holds random -128/127 vectors for `hold` steps at a time."""
    small = np.clip(np.round(rng.standard_normal((N_SEQ // 2, T, F)) * amp / scale) + zero_point,
                    -128, 127)
    full = rng.integers(-128, 128, (N_SEQ - N_SEQ // 2, T, F))
    full[0, 0, :] = 127
    full[0, 1, :] = -128
    if hold:
        steps = rng.choice(np.array([-128, 127]), ((T + hold - 1) // hold, F))
        full[-1] = np.repeat(steps, hold, axis=0)[:T]
    return np.concatenate([small, full]).astype(np.int8)


def run_tflm(data: bytes, x: np.ndarray) -> np.ndarray:
    from tflite_micro.python.tflite_micro import runtime
    interp = runtime.Interpreter.from_bytes(data)
    outs = []
    for row in x:
        interp.reset()
        interp.set_input(row[None], 0)
        interp.invoke()
        outs.append(interp.get_output(0)[0].copy())
    # reset() really clears the LSTM state: the first sequence again gives the same output
    interp.reset()
    interp.set_input(x[:1], 0)
    interp.invoke()
    assert np.array_equal(interp.get_output(0)[0], outs[0]), "TFLM reset() did not reset"
    return np.stack(outs)


def run_litert(data: bytes, x: np.ndarray) -> np.ndarray:
    from ai_edge_litert.interpreter import Interpreter
    interp = Interpreter(model_content=data, num_threads=1)
    interp.allocate_tensors()
    i, o = interp.get_input_details()[0]["index"], interp.get_output_details()[0]["index"]
    outs = []
    for row in x:
        interp.reset_all_variables()
        interp.set_tensor(i, row[None])
        interp.invoke()
        outs.append(interp.get_tensor(o)[0].copy())
    return np.stack(outs)


# --- reading the converted flatbuffer (TensorFlow's generated schema bindings) -------------------

def _enum_names(cls) -> dict[int, str]:
    return {v: k for k, v in vars(cls).items() if not k.startswith("_") and isinstance(v, int)}


def describe(data: bytes) -> dict:
    """Ops in order, graph input/output quantization and what each LSTM / FC op holds."""
    from tensorflow.lite.python import schema_py_generated as schema
    op_names = _enum_names(schema.BuiltinOperator)
    type_names = _enum_names(schema.TensorType)
    act_names = _enum_names(schema.ActivationFunctionType)
    m = schema.ModelT.InitFromPackedBuf(data, 0)
    assert len(m.subgraphs) == 1, "expected a single subgraph (no WHILE loops)"
    g = m.subgraphs[0]

    def tensor(t: int) -> dict:
        tt = g.tensors[t]
        q = tt.quantization
        d = {"dtype": type_names[tt.type].lower(),
             "shape": [int(v) for v in tt.shape] if tt.shape is not None else []}
        if q is not None and q.scale is not None and len(q.scale):
            sc = [float(v) for v in q.scale]
            zp = [int(v) for v in q.zeroPoint]
            if len(sc) == 1:
                d.update(quant="per-tensor", scale=sc[0], zero_point=zp[0])
                exp = float(np.log2(sc[0]))
                d["scale_is_power_of_two"] = bool(exp == round(exp))
            else:
                d.update(quant="per-channel", axis=int(q.quantizedDimension), scale=sc,
                         zero_point=zp)
        else:
            d["quant"] = None
        if tt.isVariable:
            d["variable"] = True
        buf = m.buffers[tt.buffer].data
        d["constant"] = buf is not None and len(buf) > 0
        return d

    ops, lstms, fcs = [], [], []
    for op in g.operators:
        oc = m.operatorCodes[op.opcodeIndex]
        name = op_names[max(oc.builtinCode, oc.deprecatedBuiltinCode)]
        ops.append(name)
        opts = op.builtinOptions
        if name == "UNIDIRECTIONAL_SEQUENCE_LSTM":
            ins = [int(v) for v in op.inputs]
            inter = [int(v) for v in op.intermediates] if op.intermediates is not None else []
            lstms.append({
                "version": int(oc.version),
                "num_inputs": len(ins),
                "absent_inputs": [LSTM_INPUT_NAMES[k] for k, t in enumerate(ins) if t < 0],
                "inputs": {LSTM_INPUT_NAMES[k]: tensor(t) for k, t in enumerate(ins) if t >= 0},
                "output": tensor(int(op.outputs[0])),
                "intermediates": [dict(name=g.tensors[t].name.decode(), **tensor(t))
                                  for t in inter],
                "fused_activation": act_names[opts.fusedActivationFunction],
                "cell_clip": float(opts.cellClip), "proj_clip": float(opts.projClip),
                "time_major": bool(opts.timeMajor),
            })
        elif name == "FULLY_CONNECTED":
            ins = [int(v) for v in op.inputs]
            fcs.append({
                "version": int(oc.version), "keep_num_dims": bool(opts.keepNumDims),
                "fused_activation": act_names[opts.fusedActivationFunction],
                "input": tensor(ins[0]), "weights": tensor(ins[1]),
                "bias": tensor(ins[2]) if len(ins) > 2 and ins[2] >= 0 else None,
                "output": tensor(int(op.outputs[0])),
            })
    return {"ops": ops, "num_tensors": len(g.tensors),
            "input": tensor(int(g.inputs[0])), "output": tensor(int(g.outputs[0])),
            "lstm": lstms, "fully_connected": fcs}


def litert_valid(info: dict) -> bool:
    """LiteRT's integer LSTM computes tanh(cell) only for 15 + log2(cell scale) in 0..6; outside
    that its output is garbage (TFLM has no such limit)."""
    for lstm in info["lstm"]:
        bits = 15 + round(float(np.log2(lstm["inputs"]["cell_state"]["scale"])))
        if not 0 <= bits <= 6:
            return False
    return True


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="tests/fixtures/tflite", help="output folder")
    a = ap.parse_args()

    import tensorflow as tf
    import tf_keras
    assert tf.keras.__name__.startswith("tf_keras"), (
        f"tf.keras is {tf.keras.__name__}, not legacy Keras: is tf-keras installed?")
    tf.config.threading.set_inter_op_parallelism_threads(1)
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.experimental.enable_op_determinism()

    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    from importlib.metadata import version
    manifest = {
        "generator": "tools/make_tflite_fixtures.py",
        "versions": {"python": sys.version.split()[0], "tensorflow": tf.__version__,
                     "tf_keras": tf_keras.__version__, "tflite-micro": version("tflite-micro"),
                     "ai-edge-litert": version("ai-edge-litert"), "numpy": np.__version__},
        "cases": {},
    }
    for k, (stem, T, F, hidden, head, wscale, epochs, amp, spike, hold) in enumerate(CASES):
        rng = np.random.default_rng(100 + k)
        model = build(tf, T, F, hidden, head, seed=k)
        if epochs:
            train(model, rng, T, F, head, epochs)
        if wscale != 1.0:
            scale_lstm_weights(tf, model, wscale)
        calib = make_calibration(rng, T, F, amp, spike)
        data = convert(tf, model, calib)
        info = describe(data)
        assert info["ops"].count("UNIDIRECTIONAL_SEQUENCE_LSTM") == len(hidden), info["ops"]
        iq, oq = info["input"], info["output"]
        assert iq["dtype"] == "int8" and oq["dtype"] == "int8"
        x = make_inputs(rng, T, F, amp, iq["scale"], iq["zero_point"], hold)
        y_tflm = run_tflm(data, x)
        y_litert = run_litert(data, x)
        assert y_tflm.dtype == np.int8 and y_tflm.shape == (N_SEQ, T, head or hidden[-1])
        assert y_litert.shape == y_tflm.shape and y_litert.dtype == np.int8

        files = {"tflite": f"{stem}.tflite", "input": f"{stem}.input.npy",
                 "tflm": f"{stem}.tflm.npy", "litert": f"{stem}.litert.npy"}
        (out / files["tflite"]).write_bytes(data)
        np.save(out / files["input"], x)
        np.save(out / files["tflm"], y_tflm)
        np.save(out / files["litert"], y_litert)

        diff = np.abs(y_tflm.astype(np.int32) - y_litert.astype(np.int32))
        valid = litert_valid(info)
        manifest["cases"][stem] = {
            "T": T, "F": F, "H": hidden, "head": head, "N": N_SEQ,
            "input_shape": list(x.shape), "output_shape": list(y_tflm.shape),
            "model_input_shape": iq["shape"], "model_output_shape": oq["shape"],
            "ops": info["ops"], "num_tensors": info["num_tensors"],
            "input_scale": iq["scale"], "input_zero_point": iq["zero_point"],
            "output_scale": oq["scale"], "output_zero_point": oq["zero_point"],
            "lstm": info["lstm"], "fully_connected": info["fully_connected"],
            "recipe": {"keras_seed": k, "numpy_seed": 100 + k, "train_epochs": epochs,
                       "lstm_weight_scale": wscale,
                       "calibration": f"32 sequences N(0, {amp}^2)"
                                      + (f", 2 entries each at +-{spike}" if spike else ""),
                       "inputs": f"{N_SEQ // 2} at N(0, {amp}^2) quantized, "
                                 f"{N_SEQ - N_SEQ // 2} uniform int8 [-128, 127]"
                                 + (f", the last held -128/127 vectors, {hold} steps each"
                                    if hold else "")},
            "litert_valid": valid,
            "litert_vs_tflm": {"outputs": int(diff.size), "differ": int((diff > 0).sum()),
                               "max_abs_diff": int(diff.max())},
            "sha256": {name: _sha256(out / name) for name in files.values()},
        }
        print(f"{stem}: {' '.join(info['ops'])}; LiteRT differs from TFLM on "
              f"{int((diff > 0).sum())}/{diff.size} outputs (max {int(diff.max())} LSB)"
              + ("" if valid else "; LiteRT INVALID here (cell scale < 2^-15)"))
    (out / "MANIFEST.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    print("wrote", out)


if __name__ == "__main__":
    main()
