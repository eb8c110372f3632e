"""Build and run the generated testbench on the host with the system C compiler."""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from ..errors import RnncError
from . import external

WARNINGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
SANITIZERS = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer", "-g"]


def find_cc(cc: str | None = None) -> str:
    cc = cc or os.environ.get("CC") or "cc"
    if shutil.which(cc) is None:
        raise RnncError(f"C compiler '{cc}' not found; install gcc (apt-get install gcc) or set CC")
    return cc


def model_sources(out_dir: Path) -> list[Path]:
    srcs = sorted(p for p in out_dir.glob("*.c"))
    srcs += sorted((out_dir / "kernels").glob("*.c"))
    return srcs


def build_testbench(out_dir: Path, *, cc: str | None = None, sanitize: bool | None = None,
                    opt: str = "-O2", extra: list[str] | None = None, trace: bool = False) -> Path:
    """Compile testbench + model into a cached executable; rebuilt only when inputs change."""
    out_dir = Path(out_dir)
    cc = find_cc(cc)
    if sanitize is None:
        sanitize = os.environ.get("RNNC_SANITIZE", "") not in ("", "0")
    flags = [opt] + WARNINGS + (SANITIZERS if sanitize else []) + (["-DRNNC_TRACE_ENABLE"] if trace else [])
    flags += list(extra or [])
    srcs = model_sources(out_dir)
    h = hashlib.sha256(" ".join([cc] + flags).encode())
    for p in srcs + sorted(out_dir.glob("*.h")) + sorted((out_dir / "kernels").glob("*.h")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    external.digest_inputs(out_dir, h)
    exe = out_dir / ".build" / h.hexdigest()[:16] / "testbench"
    if exe.is_file():
        return exe
    exe.parent.mkdir(parents=True, exist_ok=True)
    inc, objs = external.build_objects(out_dir, cc, external.without_strict_warnings(flags), exe.parent)
    cmd = [cc, *flags, "-I", str(out_dir), *inc, "-o", str(exe), *map(str, srcs), *objs, "-lm"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        first = "\n".join((res.stderr or res.stdout).strip().splitlines()[:20])
        raise RnncError(f"C compilation failed ({cc}):\n{first}", file=str(out_dir))
    return exe


def run_testbench(exe: Path, in_path: Path, out_path: Path, trace_path: Path | None = None,
                  timeout: float = 600) -> None:
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
    env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
    cmd = [str(exe), str(in_path), str(out_path)] + ([str(trace_path)] if trace_path else [])
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise RnncError(f"the testbench did not finish within {timeout:.0f} s", file=str(exe)) from None
    if res.returncode != 0 or "runtime error" in res.stderr:
        tail = "\n".join(res.stderr.strip().splitlines()[-15:])
        raise RnncError(f"the testbench failed (exit {res.returncode}):\n{tail}", file=str(exe))
