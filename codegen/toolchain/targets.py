"""Targets are folders under targets/: target.toml describes the compiler, flags, memory and
the runner that builds and runs outputs for it (codegen/toolchain/runners.py).

Keys every target has: name, description, runner, cc, cflags, kernel_variants. A target whose
extends = "<target>" takes every key of that target and overrides what it sets itself (an
Ethos-U system is a Cortex-M55 with `npu = "<accelerator>"`). A target whose
testbench needs more than the model (startup code, semihosting, a linker script) lists those
files under `support` and `linker_script` (paths under targets/); rnnc compile copies them into
OUT/target/ (the linker script rendered with the target's memory map), so the output folder
builds on its own with the generated Makefile.
"""
from __future__ import annotations

import tomllib

from ..emit.layercode import targets_dir
from ..errors import RnncError

REQUIRED = ("name", "description", "runner", "cc", "cflags")
SUPPORT_DIR = "target"


def available_targets() -> list[str]:
    return sorted(p.parent.name for p in targets_dir().glob("*/target.toml"))


def load_target(name: str) -> dict:
    if not isinstance(name, str) or "/" in name or name.startswith(".") or name not in available_targets():
        raise RnncError(f"unknown target '{str(name)[:40]}' (available: {', '.join(available_targets())})")
    path = targets_dir() / name / "target.toml"
    try:
        with open(path, "rb") as f:
            t = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise RnncError(f"cannot read the target description ({e})", file=str(path)) from None
    base = t.pop("extends", None)
    if base is not None:
        if base == name or not isinstance(base, str):
            raise RnncError("'extends' must name another target", file=str(path))
        t = {**{k: v for k, v in load_target(base).items() if k != "dir"}, **t}
    missing = [k for k in REQUIRED if k not in t]
    if missing:
        raise RnncError(f"target description lacks {', '.join(missing)}", file=str(path))
    t["dir"] = str(path.parent)
    return t


def support_files(target: dict) -> dict[str, str]:
    """{OUT-relative path: text} of what the target's testbench links besides the model."""
    files = {}
    root = targets_dir()
    for rel in target.get("support", []):
        src = root / rel
        files[f"{SUPPORT_DIR}/{src.name}"] = src.read_text()
    if target.get("linker_script"):
        text = (root / target["linker_script"]).read_text()
        for key in ("flash_origin", "flash_length", "ram_origin", "ram_length"):
            text = text.replace(f"@{key.upper()}@", str(target[key]))
        files[f"{SUPPORT_DIR}/link.ld"] = text
    return files
