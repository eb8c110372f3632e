"""Cross-compile the generated testbench for a Cortex-M target and run it on QEMU.

The testbench talks to the host through semihosting: QEMU runs in a temporary folder that
holds in.bin, and the testbench writes out.bin (and trace.bin) there.
"""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

from ..emit.layercode import targets_dir
from ..errors import RnncError
from . import external
from .host import WARNINGS, model_sources

INSTALL_HINT = ("install it with: apt-get install --no-install-recommends gcc-arm-none-eabi "
                "libnewlib-arm-none-eabi qemu-system-arm (make setup does this when run as root)")


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RnncError(f"'{name}' is not installed; {INSTALL_HINT}")
    return path


def _linker_script(target: dict, build: Path) -> Path:
    text = (targets_dir() / "cortex_m_common" / "link.ld.in").read_text()
    for key in ("flash_origin", "flash_length", "ram_origin", "ram_length"):
        text = text.replace(f"@{key.upper()}@", str(target[key]))
    path = build / "link.ld"
    path.write_text(text)
    return path


def build_elf(out_dir: Path, target: dict, trace: bool = False, extra: list[str] | None = None) -> Path:
    cc = _tool(target.get("cc", "arm-none-eabi-gcc"))
    out_dir = Path(out_dir).resolve()   # QEMU runs in a temporary folder
    common = targets_dir() / "cortex_m_common"
    srcs = model_sources(Path(out_dir)) + [common / "startup.c", common / "semihost.c"]
    flags = list(target["cpu_flags"]) + list(target["cflags"]) + WARNINGS + list(extra or [])
    flags += ["-DRNNC_TRACE_ENABLE"] if trace else []
    h = hashlib.sha256(" ".join([cc, target["name"]] + flags).encode())
    for p in srcs + sorted(Path(out_dir).glob("*.h")) + sorted((Path(out_dir) / "kernels").glob("*.h")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    external.digest_inputs(out_dir, h)
    build = Path(out_dir) / ".build" / f"{target['name']}-{h.hexdigest()[:16]}"
    elf = build / "testbench.elf"
    if elf.is_file():
        return elf
    build.mkdir(parents=True, exist_ok=True)
    inc, objs = external.build_objects(out_dir, cc, external.without_strict_warnings(flags), build)
    cmd = [cc, *flags, "-I", str(out_dir), "-I", str(common), *inc, *map(str, srcs), *objs, "-o", str(elf),
           "-nostdlib", "-T", str(_linker_script(target, build)), "-Wl,--gc-sections",
           "-Wl,--start-group", "-lm", "-lc", "-lgcc", "-Wl,--end-group"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        first = "\n".join((res.stderr or res.stdout).strip().splitlines()[:20])
        raise RnncError(f"cross-compilation for {target['name']} failed:\n{first}", file=str(out_dir))
    return elf


def run_elf(elf: Path, target: dict, workdir: Path, timeout: float = 600, plugin: str | None = None) -> None:
    qemu = _tool("qemu-system-arm")
    cmd = [qemu, "-M", target["qemu_machine"], "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    cmd += ["-plugin", plugin] if plugin else []
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=workdir)
    except subprocess.TimeoutExpired:
        raise RnncError(f"QEMU ({target['qemu_machine']}) did not finish within {timeout:.0f} s",
                        file=str(elf)) from None
    if res.returncode != 0:
        tail = "\n".join((res.stdout + res.stderr).strip().splitlines()[-10:])
        why = "a fault (status 99)" if res.returncode == 99 else f"status {res.returncode}"
        raise RnncError(f"the testbench on {target['name']} ended with {why}:\n{tail}", file=str(elf))
