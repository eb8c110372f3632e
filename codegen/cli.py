"""rnnc command line: argument parsing only; the work is done by codegen.api.

Exit codes: 0 success, 1 verification mismatch, 2 user error (one line: file, node/layer,
reason), 3 internal error (a bug in rnnc; set RNNC_DEBUG=1 for the traceback).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .errors import RnncError


def _load_npy(path: str, what: str) -> np.ndarray:
    p = Path(path)
    if not p.is_file():
        raise RnncError(f"{what} file not found", file=path)
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise RnncError(f"not a readable .npy file ({e})", file=path) from None


def _save_npy(path: str, y: np.ndarray) -> None:
    try:
        np.save(path, y)
    except OSError as e:
        raise RnncError(f"cannot write output ({e.strerror})", file=path) from None


def _print_kernel_notes(qm, lead: str = "") -> None:
    """Name the layers a kernel backend (--kernels cmsis-nn) left to rnnc's kernels, and why."""
    for q in qm.layers:
        if "kernels_note" in q.attrs:
            print(f"{lead}layer '{q.name}' keeps rnnc's kernels: {q.attrs['kernels_note']}")


def cmd_compile(a) -> int:
    from .api import compile_model
    calib = _load_npy(a.calib, "calibration") if a.calib else None
    layer_schemes = dict(s.split("=", 1) for s in a.layer_scheme) if a.layer_scheme else None
    try:
        qm = compile_model(a.model, a.output, target=a.target, scheme=a.scheme, calib=calib,
                           prefix=a.prefix, max_steps=a.max_steps, layer_schemes=layer_schemes,
                           kernels=a.kernels)
    except RnncError as e:
        if a.calib and "calibration" in e.reason and not e.file:
            raise e.with_context(file=a.calib) from None
        raise
    print(f"rnnc: compiled {a.model} -> {a.output} (prefix '{qm.name}', scheme {qm.scheme}, "
          f"target {qm.target}, kernels {qm.kernels}, {len(qm.layers)} layers)")
    _print_kernel_notes(qm, "rnnc: ")
    from .toolchain.targets import load_target
    tgt = load_target(qm.target)
    if tgt.get("runner") == "qemu" and shutil.which(tgt.get("cc", "")):
        from .toolchain.footprint import measure
        print("rnnc: " + measure(Path(a.output), tgt, qm.name).summary(qm.target))
    return 0


def _mode(a) -> int:
    return {"run": 0, "step": 1}.get(a.api, None) if not a.chunk else int(a.chunk)


def cmd_run(a) -> int:
    from .api import run_compiled
    x = _load_npy(a.input, "input")
    y = run_compiled(a.out, x, mode=_mode(a))
    _save_npy(a.output, y)
    return 0


def cmd_sim(a) -> int:
    from .api import simulate_compiled
    x = _load_npy(a.input, "input")
    _save_npy(a.output, simulate_compiled(a.out, x))
    return 0


def cmd_verify(a) -> int:
    from .api import random_input, verify_compiled
    from .qmodel import QModel
    if a.input:
        x = _load_npy(a.input, "input")
    else:
        qm = QModel.load(Path(a.out))
        n = a.random
        if qm.sequence_lens is not None:
            n = len(qm.sequence_lens)
        steps = a.steps or (int(max(qm.sequence_lens)) if qm.sequence_lens is not None else None)
        x = random_input(qm, n, steps, seed=a.seed)
    res = verify_compiled(a.out, x)
    print(f"rnnc verify {a.out}: {res.summary()}")
    return 0 if res.ok else 1


def cmd_inspect(a) -> int:
    from .qmodel import QModel
    from .report import format_table, layer_rows
    from .toolchain.targets import load_target
    qm = QModel.load(Path(a.out))
    print(f"{qm.name}: {qm.source} (sha256 {qm.sha256[:16]}...), scheme {qm.scheme}, "
          f"target {qm.target}, kernels {qm.kernels}, numerics {qm.flavour}, generator {qm.generator}")
    io = f"input {qm.input_size} x {qm.input_dtype}"
    if qm.input_q:
        io += f" (scale {qm.input_q.scale:.6g}, zero point {qm.input_q.zero_point})"
    io += f"; output {qm.output_size} x {qm.output_dtype}"
    if qm.output_q:
        io += f" (scale {qm.output_q.scale:.6g}, zero point {qm.output_q.zero_point})"
    print(io + ("; streaming step API" if qm.causal else "; whole-sequence API only"))
    tgt = load_target(qm.target)
    print(format_table(layer_rows(qm, tgt)))
    _print_kernel_notes(qm)
    if tgt.get("runner") == "qemu":
        from .toolchain.footprint import measure
        print(measure(Path(a.out), tgt, qm.name).summary(qm.target))
    return 0


def cmd_bench(a) -> int:
    from .qmodel import QModel
    from .toolchain.insncount import instructions_per_step
    from .toolchain.targets import load_target
    qm = QModel.load(Path(a.out))
    tgt = load_target(qm.target)
    if tgt.get("runner") != "qemu":
        raise RnncError(f"rnnc bench counts instructions on emulated Cortex-M targets; '{qm.target}' is "
                        "not one (compile with --target cortex-m4 etc., or time the host with make bench)")
    ips = instructions_per_step(Path(a.out), tgt, qm)
    print(f"{qm.name} on {qm.target}: {ips:.0f} instructions per time step (model code only, "
          f"counted in QEMU {tgt['qemu_machine']})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rnnc", description="Quantizing RNN-to-C compiler.")
    p.add_argument("--version", action="version", version=f"rnnc {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    c = sub.add_parser("compile", help="import, quantize and emit C")
    c.add_argument("model", help="model file (.onnx or .tflite)")
    c.add_argument("-o", "--output", required=True, help="output folder")
    c.add_argument("--target", default="host")
    c.add_argument("--scheme", default="int8", help="float | int8 | int16x8")
    c.add_argument("--calib", help="calibration data, float32 .npy of shape (batch, T, features)")
    c.add_argument("--prefix", help="C prefix of every generated symbol (default: from the model name)")
    c.add_argument("--max-steps", type=int, help="longest sequence for non-causal models")
    c.add_argument("--layer-scheme", action="append", metavar="LAYER=SCHEME",
                   help="per-layer scheme override (repeatable)")
    c.add_argument("--kernels", default="auto",
                   help="auto | portable | dsp | mve | cmsis-nn (what the target offers: see its target.toml; "
                        "cmsis-nn builds against the checkout in CMSIS_NN_PATH)")
    c.set_defaults(fn=cmd_compile)

    for name, fn, hlp in (("run", cmd_run, "build the generated C and run it"),
                          ("sim", cmd_sim, "run the Python reference simulator")):
        r = sub.add_parser(name, help=hlp)
        r.add_argument("out", help="folder made by 'rnnc compile'")
        r.add_argument("--input", required=True, help=".npy of shape (batch, T, features)")
        r.add_argument("--output", required=True, help=".npy to write")
        if name == "run":
            r.add_argument("--api", choices=("run", "step"), default="run",
                           help="drive the model through <prefix>_run (default) or <prefix>_step")
            r.add_argument("--chunk", type=int, help="stream: call <prefix>_run on chunks of N steps")
        r.set_defaults(fn=fn)

    v = sub.add_parser("verify", help="run + sim + exact comparison")
    v.add_argument("out")
    g = v.add_mutually_exclusive_group()
    g.add_argument("--input")
    g.add_argument("--random", type=int, default=8, metavar="N", help="N random sequences (default 8)")
    v.add_argument("--steps", type=int, help="length of random sequences")
    v.add_argument("--seed", type=int, default=0)
    v.set_defaults(fn=cmd_verify)

    b = sub.add_parser("bench", help="instructions per time step on an emulated core")
    b.add_argument("out")
    b.set_defaults(fn=cmd_bench)

    i = sub.add_parser("inspect", help="per-layer table")
    i.add_argument("out")
    i.set_defaults(fn=cmd_inspect)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    try:
        return a.fn(a)
    except RnncError as e:
        print(f"rnnc: error: {e.message()}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug in rnnc, not the user's fault
        if os.environ.get("RNNC_DEBUG"):
            raise
        print(f"rnnc: internal error: {type(e).__name__}: {e} (set RNNC_DEBUG=1 for details)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
