"""Per-step LSTM and GRU latency on the host, batch 1, one thread, side by side in one run.

For H = 64, 256, 512 (32 inputs, T = 32):
  LSTM  the converter-made int8 benchmarks/models/lstm_h{H}.tflite (TFLM arithmetic, bit-exact),
        and a float ONNX LSTM carrying its dequantized weights
  GRU   a float ONNX GRU (random weights, linear_before_reset=1), and rnnc's int8 of it
Columns:
  rnnc int8 C / float C   the generated C, built once with --cflags; on x86-64 it carries every
                          kernel path and RNNC_X86_PATH selects each one this CPU runs, so every
                          path is timed from the same build (the row names the path that ran)
  onnxruntime float       its LSTM / GRU op on the float ONNX model (intra-op threads = 1)
  LiteRT int8, TFLM       ai-edge-litert and the tflite-micro interpreter on the .tflite (LSTM)
  read bound              every step reads all of the layer's weights, so the time to read those
                          bytes and nothing else (benchmarks/read_bound.c, int8 and float32) bounds
                          any step from below; onnxruntime's time over it is the largest speed-up
                          the memory of this machine allows
Every column is timed once per round, rounds interleaved (a slow spell of a shared machine hits
all columns alike); each timing is a median of repeated runs (our C: repeated step calls) divided
by T. Times are medians over the rounds; in brackets the speed-up over onnxruntime float, the
median of the rounds' ratios (its time / ours). The CPU and its SIMD flags are printed first.

usage: python benchmarks/run_all.py [--cflags "-O2"] [--repeats 9] [--rounds 5] [--sizes 64 256 512]
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from codegen import ir  # noqa: E402
from codegen.api import compile_model  # noqa: E402
from codegen.frontends import load_model  # noqa: E402
from codegen.toolchain.build import model_source_paths  # noqa: E402
from codegen.toolchain.host import find_cc  # noqa: E402
from codegen.toolchain.kernel_path import X86_LEVELS, cpu_flags, x86_levels  # noqa: E402

from cortex_m import gru_onnx  # noqa: E402

SIZES = (64, 256, 512)
SHOWN_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx_vnni", "avx512f", "avx512bw", "avx512vl", "avx512_vnni",
               "asimd", "asimddp")


def cpu_info() -> tuple[str, set[str]]:
    """The CPU's name (with family and model where /proc/cpuinfo gives them: a VM may name only
    the vendor) and its flags."""
    name = platform.processor() or platform.machine()
    try:
        info = Path("/proc/cpuinfo").read_text(errors="replace")
        m = re.search(r"^model name\s*:\s*(.*)$", info, re.MULTILINE)
        name = m.group(1).strip() if m and name in ("", platform.machine()) else name
        fam, mod = (re.search(rf"^{k}\s*:\s*(\d+)$", info, re.MULTILINE) for k in ("cpu family", "model"))
        if fam and mod:
            name += f" (family {fam.group(1)}, model {mod.group(1)})"
    except OSError:
        pass
    return name, cpu_flags() or set()


def host_paths(flags: set[str]) -> list[str]:
    """The kernel paths this CPU runs, best first ('native' off x86: the build decides)."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return ["native"]
    levels = x86_levels(flags)
    return [p for p in reversed(X86_LEVELS) if p in levels]


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


def build_c(out: Path, prefix: str, qm, cflags: list[str]) -> Path:
    exe = out / "bench"
    srcs = [str(p) for p in model_source_paths(out)]
    cmd = [find_cc(), *cflags, "-std=c99", "-DREPEATS=7", f"-DPREFIX={prefix}", f'-DMODEL_HEADER="{prefix}.h"',
           f"-DINPUT_SIZE={qm.input_size}", f"-DOUTPUT_SIZE={qm.output_size}", "-I", str(out),
           str(ROOT / "benchmarks" / "bench_step.c"), *srcs, "-o", str(exe), "-lm"]
    subprocess.run(cmd, check=True)
    return exe


def time_c(exe: Path, path: str) -> tuple[float, str]:
    """(microseconds per step, the kernel path that ran) of one path of a built benchmark."""
    env = dict(os.environ)
    if path != "native":
        env["RNNC_X86_PATH"] = path
    lines = subprocess.run([str(exe)], check=True, capture_output=True, text=True, env=env).stdout.splitlines()
    return float(lines[0]) / 1e3, lines[1].strip()


def build_read_bound(work: Path) -> Path:
    exe = work / "read_bound"
    subprocess.run([find_cc(), "-O3", "-march=native", "-std=c99", str(ROOT / "benchmarks" / "read_bound.c"),
                    "-o", str(exe)], check=True)
    return exe


def time_read(exe: Path, nbytes: int) -> float:
    """Microseconds to read nbytes once, step after step (benchmarks/read_bound.c)."""
    return float(subprocess.run([str(exe), str(nbytes)], check=True, capture_output=True, text=True).stdout) / 1e3


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


def measure(kind: str, H: int, work: Path, cflags: list[str], paths: list[str], repeats: int,
            rounds: int, reader: Path) -> dict:
    T, F = 32, 32
    weights = (4 if kind == "lstm" else 3) * H * (F + H)   # W and R, one byte each in int8
    rng = np.random.default_rng(0)
    xf = rng.standard_normal((T, 1, F)).astype(np.float32)
    onnx_path = work / f"{kind}_h{H}.onnx"
    row = {"model": kind.upper(), "H": H, "litert": None, "tflm": None, "weight_bytes": weights}
    if kind == "lstm":
        tfl = ROOT / "benchmarks" / "models" / f"lstm_h{H}.tflite"
        m = load_model(str(tfl))
        onnx_from_ir(m.layers[0], T, onnx_path)
        qi = compile_model(str(tfl), str(work / f"i{kind}{H}"), scheme="int8", prefix="bench")
        xi = rng.integers(-60, 60, (1, T, F)).astype(np.int8)
        row["litert"], row["tflm"] = time_litert(tfl, xi, repeats), time_tflm(tfl, xi, repeats)
    else:
        gru_onnx(H, F, onnx_path)
        calib = np.random.default_rng(1).standard_normal((8, T, F)).astype(np.float32)
        qi = compile_model(str(onnx_path), str(work / f"i{kind}{H}"), scheme="int8", calib=calib, prefix="bench")
    qf = compile_model(str(onnx_path), str(work / f"f{kind}{H}"), scheme="float", prefix="bench")
    exe_i = build_c(work / f"i{kind}{H}", "bench", qi, cflags)
    exe_f = build_c(work / f"f{kind}{H}", "bench", qf, cflags)
    # Interleaved rounds: onnxruntime and every C build timed once per round, so that a slow
    # spell of a shared machine hits all columns alike; times are medians over the rounds,
    # speed-ups the medians of the per-round ratios.
    ort_t, c_t, read_t = [], {p: ([], []) for p in paths}, ([], [])
    ran = {}
    for _ in range(rounds):
        ort_t.append(time_ort(onnx_path, xf, repeats))
        read_t[0].append(time_read(reader, weights))
        read_t[1].append(time_read(reader, 4 * weights))
        for p in paths:
            (ti, ran_i), (tf, ran_f) = time_c(exe_i, p), time_c(exe_f, p)
            c_t[p][0].append(ti)
            c_t[p][1].append(tf)
            ran[p] = ran_i if ran_i == ran_f else f"{ran_i} / {ran_f}"
    row["ort"] = statistics.median(ort_t)
    row["bound"] = [(statistics.median(ts), statistics.median(o / t for o, t in zip(ort_t, ts))) for ts in read_t]
    row["paths"] = [(ran[p], *[(statistics.median(ts), statistics.median(o / t for o, t in zip(ort_t, ts)))
                               for ts in c_t[p]]) for p in paths]
    return row


def print_table(rows, cflags: str, cpu: str, flags: set[str]) -> None:
    print(f"CPU: {cpu}")
    print(f"SIMD flags: {' '.join(f for f in SHOWN_FLAGS if f in flags) or '(none of interest)'}")
    print(f"Per-step latency, batch 1, one thread, 32 inputs, T = 32; generated C built with {cflags}")
    print("microseconds per step (medians of interleaved rounds); in brackets: speed-up over onnxruntime")
    print("float (the median of the rounds' ratios, its time / ours)\n")
    head = (f"{'model':>5} {'H':>4}  {'kernel path that ran':<26} {'rnnc int8 C':>18} {'rnnc float C':>18} "
            f"{'onnxruntime':>12} {'LiteRT int8':>12} {'TFLM':>9}")
    print(head)
    print("-" * len(head))
    for r in rows:
        for k, (ran, (ti, si), (tf, sf)) in enumerate(r["paths"]):
            extra = (f"{r['ort']:>12.2f} {_cell(r['litert']):>12} {_cell(r['tflm']):>9}" if k == 0 else "")
            print(f"{r['model']:>5} {r['H']:>4}  {ran:<26} {ti:>9.2f} ({si:5.2f}x) "
                  f"{tf:>9.2f} ({sf:5.2f}x) {extra}")
    print("\nRead bound: microseconds to read the layer's weights once and do nothing else (int8 and")
    print("float32 bytes, benchmarks/read_bound.c); in brackets onnxruntime's time over it, the largest")
    print("speed-up over onnxruntime that any step reading those weights could show on this machine\n")
    head = f"{'model':>5} {'H':>4} {'weights KB':>10} {'int8 read':>18} {'float32 read':>18}"
    print(head)
    print("-" * len(head))
    for r in rows:
        (bi, xi), (bf, xf) = r["bound"]
        print(f"{r['model']:>5} {r['H']:>4} {r['weight_bytes'] / 1024:>10.0f} {bi:>9.2f} ({xi:5.2f}x) "
              f"{bf:>9.2f} ({xf:5.2f}x)")


def _cell(v) -> str:
    return "n/a" if v is None else f"{v:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cflags", default="-O2", help="flags for the generated C (default: the Makefile's -O2)")
    ap.add_argument("--repeats", type=int, default=9, help="runs per onnxruntime/LiteRT timing")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved rounds of all columns")
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    a = ap.parse_args()
    cpu, flags = cpu_info()
    paths = host_paths(flags)
    rows = []
    with tempfile.TemporaryDirectory(prefix="rnnc-bench-") as tmp:
        reader = build_read_bound(Path(tmp))
        for H in a.sizes:
            for kind in ("lstm", "gru"):
                rows.append(measure(kind, H, Path(tmp), a.cflags.split(), paths, a.repeats, a.rounds, reader))
    print_table(rows, a.cflags, cpu, flags)


if __name__ == "__main__":
    main()
