"""rnnc command line: argument parsing only; the work is done by codegen.api.

Exit codes: 0 success, 1 verification mismatch, 2 user error (one line: file, node/layer,
reason), 3 internal error (a bug in rnnc; set RNNC_DEBUG=1 for the traceback).
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

import numpy as np

from . import __version__
from .errors import RnncError, UnsupportedError

INT32_MAX = 2 ** 31 - 1
MAX_STEPS_LIMIT = 1 << 20     # longest sequence a non-causal model may buffer


class _Parser(argparse.ArgumentParser):
    """Argument errors are user errors: one line, exit code 2, like every other error."""

    def error(self, message: str):
        self.exit(2, f"rnnc: error: {message} (see '{self.prog} --help')\n")


def _int_in(lo: int, hi: int, what: str):
    """An argparse type: an integer in [lo, hi], else a one-line error naming the option."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be an integer, got '{text}'") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{what} must be from {lo} to {hi}, got {v}")
        return v
    return parse


def _load_npy(path: str, what: str) -> np.ndarray:
    p = Path(path)
    if p.is_dir():
        raise RnncError(f"{what} is a folder, not a .npy file", file=path)
    if not p.is_file():
        raise RnncError(f"{what} file not found", file=path)
    try:
        return np.load(p, allow_pickle=False)
    except (ValueError, OSError, EOFError) as e:
        raise RnncError(f"not a readable .npy file ({e})", file=path) from None


def _save_npy(path: str, y: np.ndarray) -> None:
    """Write exactly `path` (np.save would append '.npy', and './' would become './.npy')."""
    p = Path(path)
    if path.endswith(("/", os.sep)) or p.is_dir():
        raise RnncError("the output path is a folder; name a .npy file", file=path)
    try:
        with open(p, "wb") as f:
            np.save(f, y, allow_pickle=False)
    except OSError as e:
        raise RnncError(f"cannot write the output ({e.strerror})", file=path) from None


def _input(a, qm) -> np.ndarray:
    """The --input array, checked against the model; errors name the input file."""
    from .simulate import check_input
    x = _load_npy(a.input, "input")
    try:
        return check_input(qm, x)
    except RnncError as e:
        raise e.with_context(file=a.input) from None


def _print_kernel_notes(qm, lead: str = "") -> None:
    """Name the layers a kernel backend (--kernels cmsis-nn) left to rnnc's kernels, and why."""
    for q in qm.layers:
        if "kernels_note" in q.attrs:
            print(f"{lead}layer '{q.name}' keeps rnnc's kernels: {q.attrs['kernels_note']}")


def _layer_schemes(items: list[str] | None) -> dict[str, str] | None:
    if not items:
        return None
    out = {}
    for s in items:
        name, sep, scheme = s.partition("=")
        if not sep or not name or not scheme:
            raise RnncError(f"--layer-scheme '{s}' is not LAYER=SCHEME")
        if name in out:
            raise RnncError(f"--layer-scheme names layer '{name}' twice")
        out[name] = scheme
    return out


def _scheme_name(scheme: str, a) -> str:
    """'binary' with --wbits K [--abits 8] names the scheme binary-wKa8."""
    if scheme != "binary":
        if a.wbits is not None or a.abits is not None:
            if not scheme.startswith("binary"):
                raise RnncError("--wbits/--abits go with --scheme binary")
        return scheme
    if a.wbits is None:
        raise RnncError("--scheme binary needs --wbits K (1 to 4)")
    abits = 8 if a.abits is None else a.abits
    if abits not in (8, a.wbits):
        raise UnsupportedError(f"--abits {abits}: coded activations take as many bits as the weights "
                               f"(--abits {a.wbits}) or int8 (--abits 8)")
    return f"binary-w{a.wbits}a{abits}"


def _lowbit_options(a) -> dict:
    out = {}
    if a.residual is not None:
        if a.residual != "auto" and not a.residual.isdigit():
            raise RnncError(f"--residual must be 'auto' or a number of layers, got '{a.residual[:20]}'")
        out["residual"] = a.residual if a.residual == "auto" else int(a.residual)
    if a.residual_threshold is not None:
        out["residual_threshold_db"] = a.residual_threshold
    if a.sparsity is not None:
        out["sparsity"] = a.sparsity
    return out


def cmd_compile(a) -> int:
    from .api import compile_model
    calib = _load_npy(a.calib, "calibration") if a.calib else None
    if calib is not None and calib.dtype == np.float64:
        print(f"rnnc: calibration data {a.calib} is float64; using it as float32")
    try:
        scheme, layer_schemes, lowbit = scheme_settings(a)
        qm = compile_model(a.model, a.output, target=a.target, scheme=scheme, calib=calib, prefix=a.prefix,
                           max_steps=a.max_steps, layer_schemes=layer_schemes, kernels=a.kernels, force=a.force,
                           lowbit=lowbit, npu_steps=a.npu_steps, numerics=a.numerics)
    except RnncError as e:
        if a.calib and "calibration" in e.reason and not e.file:
            raise e.with_context(file=a.calib) from None
        raise
    print(f"rnnc: compiled {a.model} -> {a.output} (prefix '{qm.name}', scheme {qm.scheme}, "
          f"target {qm.target}, kernels {qm.kernels}, {len(qm.layers)} layers)")
    last = qm.layers[-1].report.get("sqnr_db") if qm.layers else None
    if last is not None:
        print(f"rnnc: output against float on the calibration data: SQNR {last:.1f} dB "
              "(per layer: rnnc inspect)")
    _print_kernel_notes(qm, "rnnc: ")
    if len(qm.npu_placement) > 1:
        print("rnnc: NPU and Cortex-M55 share the model: " + "; ".join(qm.npu_placement))
    _print_footprint(qm, Path(a.output), "rnnc: ", quiet_without_tools=True)
    return 0


def _print_footprint(qm, out: Path, lead: str = "", quiet_without_tools: bool = False) -> None:
    """Flash, RAM and stack of the model code, on targets whose runner measures them."""
    import shutil
    from .toolchain.footprint import measure
    from .toolchain.runners import runner_for
    from .toolchain.targets import load_target
    tgt = load_target(qm.target)
    if not runner_for(tgt).measures_footprint or (quiet_without_tools and shutil.which(tgt["cc"]) is None):
        return
    print(lead + measure(out, tgt, qm).summary(qm.target))


def _model(a):
    from .qmodel import QModel
    return QModel.load(Path(a.out))


def _load_states(path: str | None) -> dict | None:
    """--state-in: a .npz of the model's state inputs by name, in the model's layout."""
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise RnncError("state file not found", file=path)
    try:
        with np.load(p, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, KeyError) as e:
        raise RnncError(f"not a readable .npz file ({type(e).__name__})", file=path) from None


def _save_states(path: str, states: dict) -> None:
    import io
    buf = io.BytesIO()
    np.savez(buf, **states)
    try:
        Path(path).write_bytes(buf.getvalue())
    except OSError as e:
        raise RnncError(f"cannot write the state ({e.strerror})", file=path) from None


def _run_or_sim(a, fn, **kw) -> int:
    qm = _model(a)
    x = _input(a, qm)
    try:
        res = fn(a.out, x, state_in=_load_states(a.state_in), state_out=a.state_out is not None, **kw)
    except RnncError as e:
        if e.reason.startswith(("--state-in", "--state-out")):
            raise e.with_context(file=a.state_in if e.reason.startswith("--state-in") else a.state_out) from None
        raise
    y, states = res if a.state_out is not None else (res, None)
    _save_npy(a.output, _dequantized(qm, y) if a.dequantize else y)
    if states is not None:
        _save_states(a.state_out, states)
    return 0


def _dequantized(qm, y):
    """--dequantize: real values from a quantized model's output (scale, zero point)."""
    if qm.output_q is None:
        return y
    return ((y.astype(np.float64) - qm.output_q.zero_point) * qm.output_q.scale).astype(np.float32)


def cmd_run(a) -> int:
    from .api import run_compiled
    return _run_or_sim(a, run_compiled, api=a.api, chunk=a.chunk)


def cmd_sim(a) -> int:
    from .api import simulate_compiled
    return _run_or_sim(a, simulate_compiled)


def cmd_verify(a) -> int:
    from .api import random_input, verify_compiled
    qm = _model(a)
    if a.input:
        x = _input(a, qm)
    else:
        n = a.random
        if qm.sequence_lens is not None:
            n = len(qm.sequence_lens)
        steps = a.steps or (int(max(qm.sequence_lens)) if qm.sequence_lens is not None else None)
        from .api import check_run_size
        check_run_size(qm, n, steps or min(qm.max_steps, 16), trace=True)
        x = random_input(qm, n, steps, seed=a.seed)
    state_in = _load_states(a.state_in)
    if state_in is None and not a.input:   # a streaming model: random initial states as well
        from .state import random_states
        state_in = random_states(qm, x.shape[0], a.seed) or None
    try:
        res = verify_compiled(a.out, x, state_in=state_in)
    except RnncError as e:
        if a.state_in and e.reason.startswith("--state-in"):
            raise e.with_context(file=a.state_in) from None
        raise
    print(f"rnnc verify {a.out}: {res.summary()}")
    return 0 if res.ok else 1


def cmd_inspect(a) -> int:
    from .kernel_variants import build_defines
    from .report import format_table, layer_rows
    from .toolchain.kernel_path import describe as describe_kernel_path
    from .toolchain.runners import runner_for
    from .toolchain.targets import load_target
    qm = _model(a)
    print(f"{qm.name}: {qm.source} (sha256 {qm.sha256[:16]}...), scheme {qm.scheme}, "
          f"target {qm.target}, kernels {qm.kernels}, numerics {qm.flavour}, generator {qm.generator}")
    io = f"input {qm.input_size} x {qm.input_dtype}"
    if qm.input_q:
        io += f" (scale {qm.input_q.scale:.6g}, zero point {qm.input_q.zero_point})"
    io += f"; output {qm.output_size} x {qm.output_dtype}"
    if qm.output_q:
        io += f" (scale {qm.output_q.scale:.6g}, zero point {qm.output_q.zero_point})"
    print(io + ("; streaming step API" if qm.causal else "; whole-sequence API only"))
    target = load_target(qm.target)
    print(f"kernel path: {describe_kernel_path(runner_for(target), Path(a.out), build_defines(qm.kernels))}")
    print(format_table(layer_rows(qm, target)))
    _print_kernel_notes(qm)
    _print_footprint(qm, Path(a.out))
    if a.npu:
        _print_npu_estimates(qm, Path(a.out), target, a.npu, a.steps)
    return 0


def _print_npu_estimates(qm, out: Path, target: dict, accelerators, steps: int) -> None:
    """Vela's estimate per time step for each NPU (of the layers an Ethos-U target would put on
    it, npu/partition.py), beside the instructions per step on the compiled Cortex-M target
    (counted in its emulator) when the target is one."""
    from .npu.partition import partition
    from .toolchain import vela
    from .toolchain.runners import runner_for
    print(f"Ethos-U estimates (Vela {vela.vela_version()}, {steps} steps per invocation, as an Ethos-U target "
          "builds the model; estimates, not measurements):")
    for acc in accelerators:
        segments = partition(qm, acc, steps)
        for s in segments:
            where = f"layers {s.first}..{s.last}" if len(segments) > 1 else "the model"
            if not s.on_npu:
                print(f"  {acc}: {where} on the Cortex-M55: {'; '.join(s.reasons)}")
                continue
            e = s.estimate
            print(f"  {acc} ({e.system_config}, {e.clock_hz / 1e6:.0f} MHz), {where}: {e.npu_ops} NPU operators; "
                  f"{e.per_step(s.in_steps):.0f} cycles per step ({e.cycles_npu / s.in_steps:.0f} NPU compute); "
                  f"{e.memory()}")
    if runner_for(target).counts_instructions:
        from .toolchain.insncount import instructions_per_step
        print(f"  {qm.target} ({qm.kernels} kernels): {instructions_per_step(out, target, qm):.0f} instructions per step"
              " (the whole model)")


def cmd_bench(a) -> int:
    from .toolchain.insncount import instructions_per_step
    from .toolchain.runners import runner_for
    from .toolchain.targets import load_target
    qm = _model(a)
    tgt = load_target(qm.target)
    runner = runner_for(tgt)
    if not runner.counts_instructions:
        raise RnncError(f"rnnc bench counts instructions on emulated targets (Cortex-M, aarch64); '{qm.target}' "
                        "is not one (compile with --target cortex-m4 etc., or time the host with make bench)")
    ips = instructions_per_step(Path(a.out), tgt, qm)
    print(f"{qm.name} on {qm.target}: {ips:.0f} instructions per time step (model code only, "
          f"counted in {runner.emulation()})")
    return 0


def add_scheme_args(c) -> None:
    """--scheme and the flags that refine it (compile and train take the same)."""
    from .schemes import SCHEMES
    c.add_argument("--scheme", default="int8", help="; ".join(f"{n}: {s.description}" for n, s in sorted(SCHEMES.items())))
    c.add_argument("--layer-scheme", action="append", metavar="LAYER=SCHEME",
                   help="per-layer scheme override (repeatable); conversion layers join layers of different schemes")
    c.add_argument("--wbits", type=_int_in(1, 4, "--wbits"), help="--scheme binary: code bits per weight (1-4)")
    c.add_argument("--abits", type=_int_in(1, 8, "--abits"), help="--scheme binary: gate inputs coded in as many bits as the weights "
                        "(popcount kernels), or 8 (int8 inputs; default)")
    c.add_argument("--residual", metavar="auto|N",
                   help="int4: a second int4 tensor for W - Q(W) in layers coding below --residual-threshold "
                        "(auto) or in the N worst layers")
    c.add_argument("--residual-threshold", type=float, metavar="DB",
                   help="weight SQNR below which --residual auto adds the tensor (default 20)")
    c.add_argument("--sparsity", type=float, metavar="S",
                   help="low-bit schemes: prune the fraction S of each gate matrix (smallest |w|) before coding")


def scheme_settings(a) -> tuple[str, dict | None, dict]:
    """(scheme, layer schemes, low-bit settings) from add_scheme_args' flags."""
    layers = {k: _scheme_name(v, a) for k, v in (_layer_schemes(a.layer_scheme) or {}).items()} or None
    return _scheme_name(a.scheme, a), layers, _lowbit_options(a)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="rnnc", description="Quantizing RNN-to-C compiler.")
    p.add_argument("--version", action="version", version=f"rnnc {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    c = sub.add_parser("compile", help="import, quantize and emit C")
    c.add_argument("model", help="model file (.onnx or .tflite)")
    c.add_argument("-o", "--output", required=True, help="output folder")
    from .toolchain.targets import available_targets
    c.add_argument("--target", default="host", help=f"where the C runs: {', '.join(available_targets())} "
                   "(targets/<name>/target.toml)")
    add_scheme_args(c)
    c.add_argument("--calib", help="calibration data, float32 .npy of shape (batch, T, features)")
    c.add_argument("--prefix", help="C prefix of every generated symbol (default: from the model name)")
    c.add_argument("--max-steps", type=_int_in(1, MAX_STEPS_LIMIT, "--max-steps"),
                   help="longest sequence for non-causal models")
    c.add_argument("--force", action="store_true",
                   help="replace files in the output folder that rnnc did not write, or that were edited")
    c.add_argument("--numerics", default="tflm", choices=("tflm", "litert"),
                   help="whose integer arithmetic the model computes bit for bit: TFLite Micro (default) or "
                        "full TFLite / LiteRT (ai-edge-litert; differs in the int8 LSTM by 1-2 LSB)")
    c.add_argument("--npu-steps", type=_int_in(1, 4096, "--npu-steps"),
                   help="Ethos-U targets: time steps per NPU invocation (default 1, streaming)")
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
        r.add_argument("--dequantize", action="store_true",
                       help="write real values (float32) for a quantized model's output, not its integers")
        r.add_argument("--state-in", metavar="FILE.npz",
                       help="the model's state inputs by name, in its layout (entries, batch or 1, hidden): "
                            "every row starts from them instead of the reset state")
        r.add_argument("--state-out", metavar="FILE.npz",
                       help="write the model's state outputs (the final recurrent state) by name, in its layout")
        if name == "run":
            r.add_argument("--api", choices=("run", "step"), default="run",
                           help="drive the model through <prefix>_run (default) or <prefix>_step")
            r.add_argument("--chunk", type=_int_in(1, INT32_MAX, "--chunk"),
                           help="stream: call <prefix>_run on chunks of N steps")
        r.set_defaults(fn=fn)

    v = sub.add_parser("verify", help="run + sim + exact comparison")
    v.add_argument("out")
    g = v.add_mutually_exclusive_group()
    g.add_argument("--input")
    g.add_argument("--random", type=_int_in(1, INT32_MAX, "--random"), default=8, metavar="N",
                   help="N random sequences (default 8)")
    v.add_argument("--steps", type=_int_in(1, INT32_MAX, "--steps"), help="length of random sequences")
    v.add_argument("--seed", type=_int_in(0, 2 ** 63 - 1, "--seed"), default=0)
    v.add_argument("--state-in", metavar="FILE.npz",
                   help="start every row from these state inputs (a streaming model; with --random, random "
                        "states are used unless given)")
    v.set_defaults(fn=cmd_verify)

    b = sub.add_parser("bench", help="instructions per time step on an emulated core")
    b.add_argument("out")
    b.set_defaults(fn=cmd_bench)

    i = sub.add_parser("inspect", help="per-layer table")
    i.add_argument("out")
    from .toolchain.vela import ACCELERATORS
    i.add_argument("--npu", action="append", choices=ACCELERATORS, metavar="ETHOS_U",
                   help=f"also Vela's estimate for an Ethos-U NPU ({', '.join(ACCELERATORS)}; repeatable; needs the "
                        "npu extra) beside the instructions per step of the model's own Cortex-M target")
    i.add_argument("--steps", type=_int_in(1, 1 << 20, "--steps"), default=16,
                   help="--npu: time steps per NPU invocation of the exported model (default 16)")
    i.set_defaults(fn=cmd_inspect)

    from .export_cli import add_export_parser
    from .train_cli import add_train_parser
    add_export_parser(sub)
    add_train_parser(sub)
    return p


def _exit_on_signal(signum, frame):
    """SIGTERM/SIGHUP unwind like Ctrl-C: temporary folders are removed, child processes killed."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    a = parser.parse_args(argv)
    from . import progress
    progress.enable(sys.stderr.isatty() and os.environ.get("TERM") != "dumb")
    import threading
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                signal.signal(sig, _exit_on_signal)
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
