"""External kernel libraries a generated model calls (today: CMSIS-NN for --kernels cmsis-nn).

The output folder lists the library sources it needs in external_sources.txt, relative to the
library checkout. The user supplies the checkout (CMSIS_NN_PATH); rnnc never ships it. Those
sources are compiled with the target's flags but without rnnc's -Werror -pedantic (and without
UBSan on sanitized host builds): they are not rnnc's code, and a newer release must not break
the build over a warning.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from ..errors import RnncError

LIST_FILE = "external_sources.txt"
CMSIS_NN_HINT = ("set CMSIS_NN_PATH to a CMSIS-NN checkout "
                 "(git clone https://github.com/ARM-software/CMSIS-NN)")


def external_sources(out_dir: Path) -> list[str]:
    p = Path(out_dir) / LIST_FILE
    return [l.strip() for l in p.read_text().splitlines() if l.strip()] if p.is_file() else []


def cmsis_nn_root() -> Path | None:
    """The CMSIS-NN checkout named by CMSIS_NN_PATH, or None when unset."""
    val = os.environ.get("CMSIS_NN_PATH", "")
    if not val:
        return None
    root = Path(val).expanduser()
    if not (root / "Include" / "arm_nnfunctions.h").is_file():
        raise RnncError(f"CMSIS_NN_PATH does not point at a CMSIS-NN checkout (no Include/arm_nnfunctions.h); "
                        f"{CMSIS_NN_HINT}", file=str(root))
    return root


def require_cmsis_nn(out_dir: Path) -> Path:
    root = cmsis_nn_root()
    if root is None:
        raise RnncError(f"this model calls CMSIS-NN (compiled with --kernels cmsis-nn): {CMSIS_NN_HINT}",
                        file=str(out_dir))
    return root


def digest_inputs(out_dir: Path, h) -> None:
    """Feed the external sources and headers into a build-cache hash."""
    srcs = external_sources(out_dir)
    if not srcs:
        return
    root = require_cmsis_nn(out_dir)
    h.update(str(root.resolve()).encode())
    for p in [root / s for s in srcs] + sorted((root / "Include").rglob("*.h")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())


def build_objects(out_dir: Path, cc: str, flags: list[str], build: Path) -> tuple[list[str], list[str]]:
    """Compile the external sources into build/; returns (include flags, object paths)."""
    srcs = external_sources(out_dir)
    if not srcs:
        return [], []
    root = require_cmsis_nn(out_dir)
    include = ["-I", str(root / "Include")]
    objs = []
    for rel in srcs:
        src = root / rel
        if not src.is_file():
            raise RnncError(f"CMSIS-NN source '{rel}' is missing from the checkout (an older CMSIS-NN? "
                            "rnnc needs one with arm_lstm_unidirectional_s8/_s16)", file=str(root))
        obj = build / "external" / (hashlib.sha256(rel.encode()).hexdigest()[:12] + "_" + src.stem + ".o")
        obj.parent.mkdir(parents=True, exist_ok=True)
        res = subprocess.run([cc, *flags, *include, "-c", str(src), "-o", str(obj)], capture_output=True, text=True)
        if res.returncode != 0:
            first = "\n".join((res.stderr or res.stdout).strip().splitlines()[:20])
            raise RnncError(f"compiling CMSIS-NN's {rel} failed:\n{first}", file=str(root))
        objs.append(str(obj))
    return include, objs


def include_flags(out_dir: Path) -> list[str]:
    return ["-I", str(require_cmsis_nn(out_dir) / "Include")] if external_sources(out_dir) else []


def without_strict_warnings(flags: list[str]) -> list[str]:
    """The target's flags for library code: no -Werror/-pedantic, and on a sanitized host build
    AddressSanitizer only. CMSIS-NN shifts negative values left (undefined in ISO C, defined by
    every compiler it supports); UBSan would stop on that, while ASan still checks that the
    buffers and dimensions rnnc passes keep every access in bounds."""
    out = []
    for f in flags:
        if f in ("-Werror", "-pedantic", "-Wall", "-Wextra"):
            continue
        out.append("-fsanitize=address" if f == "-fsanitize=address,undefined" else f)
    return out
