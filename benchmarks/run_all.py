"""Per-step LSTM latency on the host, batch 1, one thread, side by side in one run.

For H = 64, 256, 512 (32 inputs, T = 32) the same network runs as:
  rnnc float C   generated from a float ONNX LSTM carrying the model's (dequantized) weights
  rnnc int8 C    generated from the converter-made int8 .tflite (TFLM arithmetic, bit-exact)
  onnxruntime    its LSTM op on the float ONNX model (intra-op threads = 1)
  LiteRT int8    ai-edge-litert on the .tflite (num_threads = 1)
  TFLM           the tflite-micro Python interpreter on the .tflite
Times are medians of repeated whole-sequence runs divided by T (our C: repeated step calls),
printed with ratios against rnnc int8 C. Also prints weight bytes (int8 vs float32).

usage: python benchmarks/run_all.py [--cflags "-O2"] [--repeats 15]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from codegen import ir  # noqa: E402
from codegen.api import compile_ir, compile_model  # noqa: E402
from codegen.frontends import load_model  # noqa: E402
from codegen.toolchain.build import model_source_paths  # noqa: E402
from codegen.toolchain.host import find_cc  # noqa: E402

SIZES = (64, 256, 512)


def onnx_from_ir(layer: ir.RecurrentLayer, T: int, path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    g = layer.dirs[0].gates
    order = ("i", "o", "f", "c")
    W = np.concatenate([g[k].W for k in order])[None]
    R = np.concatenate([g[k].R for k in order])[None]
    B = np.concatenate([g[k].Wb for k in order] + [g[k].Rb for k in order])[None]
    nodes = [helper.make_node("LSTM", ["X", "W", "R", "B"], ["Y"], hidden_size=layer.hidden_size),
             helper.make_node("Squeeze", ["Y", "axes"], ["out"])]
    inits = [numpy_helper.from_array(a.astype(np.float32), n) for a, n in ((W, "W"), (R, "R"), (B, "B"))]
    inits.append(numpy_helper.from_array(np.array([1], np.int64), "axes"))
    graph = helper.make_graph(nodes, "lstm", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [T, 1, layer.input_size])],
                              [helper.make_tensor_value_info("out", TensorProto.FLOAT, None)], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8), str(path))


def time_c(out: Path, prefix: str, qm, cflags: list[str]) -> float:
    exe = out / "bench"
    srcs = [str(p) for p in model_source_paths(out)]
    cmd = [find_cc(), *cflags, "-std=c99", f"-DPREFIX={prefix}", f'-DMODEL_HEADER="{prefix}.h"',
           f"-DINPUT_SIZE={qm.input_size}", f"-DOUTPUT_SIZE={qm.output_size}", "-I", str(out),
           str(ROOT / "benchmarks" / "bench_step.c"), *srcs, "-o", str(exe), "-lm"]
    subprocess.run(cmd, check=True)
    return float(subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout) / 1e3


def median_time(fn, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def time_ort(path: Path, x: np.ndarray, repeats: int) -> float:
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return median_time(lambda: s.run(None, {"X": x}), repeats) / x.shape[0] * 1e6


def time_litert(path: Path, x: np.ndarray, repeats: int) -> float:
    from ai_edge_litert.interpreter import Interpreter
    it = Interpreter(model_path=str(path), num_threads=1)
    it.allocate_tensors()
    idx = it.get_input_details()[0]["index"]

    def run():
        it.reset_all_variables()
        it.set_tensor(idx, x)
        it.invoke()
    return median_time(run, repeats) / x.shape[1] * 1e6


def time_tflm(path: Path, x: np.ndarray, repeats: int) -> float | None:
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError:
        return None
    it = runtime.Interpreter.from_file(str(path))

    def run():
        it.reset()
        it.set_input(x, 0)
        it.invoke()
    return median_time(run, max(3, repeats // 3)) / x.shape[1] * 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cflags", default="-O2", help="flags for the generated C (default: the Makefile's -O2)")
    ap.add_argument("--repeats", type=int, default=15)
    a = ap.parse_args()
    cflags = a.cflags.split()
    rows = []
    with tempfile.TemporaryDirectory(prefix="rnnc-bench-") as tmp:
        tmp = Path(tmp)
        for H in SIZES:
            tfl = ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite"
            m = load_model(str(tfl))
            T, F = m.time_steps, m.input_size
            onnx_path = tmp / f"lstm_h{H}.onnx"
            onnx_from_ir(m.layers[0], T, onnx_path)
            qf = compile_model(str(onnx_path), str(tmp / f"f{H}"), scheme="float", prefix="bench")
            qi = compile_model(str(tfl), str(tmp / f"i{H}"), scheme="int8", prefix="bench")
            rng = np.random.default_rng(0)
            xf = rng.standard_normal((T, 1, F)).astype(np.float32)
            xi = rng.integers(-60, 60, (1, T, F)).astype(np.int8)
            row = {"H": H,
                   "rnnc int8 C": time_c(tmp / f"i{H}", "bench", qi, cflags),
                   "rnnc float C": time_c(tmp / f"f{H}", "bench", qf, cflags),
                   "onnxruntime float": time_ort(onnx_path, xf, a.repeats),
                   "LiteRT int8": time_litert(tfl, xi, a.repeats),
                   "TFLM interpreter": time_tflm(tfl, xi, a.repeats)}
            w_int8 = sum(v.nbytes for v in qi.layers[0].arrays.values())
            w_f32 = 4 * sum(g.W.size + g.R.size + g.Wb.size + g.Rb.size for g in m.layers[0].dirs[0].gates.values())
            row["weights"] = (w_int8, w_f32)
            rows.append(row)
    print_table(rows, a.cflags)


def print_table(rows, cflags) -> None:
    names = ["rnnc int8 C", "rnnc float C", "onnxruntime float", "LiteRT int8", "TFLM interpreter"]
    print(f"Per-step LSTM latency, batch 1, one thread, 32 inputs, T = 32 (generated C built with {cflags})")
    print("microseconds per step; in brackets: time / rnnc int8 C time\n")
    head = f"{'H':>5}  " + "  ".join(f"{n:>22}" for n in names)
    print(head)
    print("-" * len(head))
    for r in rows:
        base = r["rnnc int8 C"]
        cells = []
        for n in names:
            v = r[n]
            cells.append(f"{'n/a':>22}" if v is None else f"{v:>12.2f} ({v / base:5.2f}x)")
        print(f"{r['H']:>5}  " + "  ".join(cells))
    print("\nweights (bytes): int8 (rnnc, incl. int32 effective biases) vs float32")
    for r in rows:
        i8, f32 = r["weights"]
        print(f"  H={r['H']:>4}: {i8:>9} vs {f32:>9}  ({f32 / i8:.2f}x smaller)")


if __name__ == "__main__":
    main()
