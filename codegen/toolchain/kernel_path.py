"""Which kernel path a build of the generated C takes, for `rnnc inspect`.

The path is decided by the C preprocessor (kernels/rnnc_common.h: RNNC_PATH_NAME from the
target's compiler flags and the --kernels variant), so rnnc asks the target's compiler rather
than repeating those rules here. x86-64 host builds choose at start-up instead
(RNNC_X86_DISPATCH): for them the CPU that runs `rnnc inspect` is read from /proc/cpuinfo with
the same tests the dispatcher makes (kernels/rnnc_dispatch_x86.h), and RNNC_X86_PATH caps it as
it caps the C.
"""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from ..errors import RnncError

#: dispatch levels, lowest first (the names rnnc_x86_path_name() gives them)
X86_LEVELS = ("portable", "avx2", "avx-vnni", "avx512-vnni")

_PROBE = """#include "rnnc_common.h"
rnnc_path = RNNC_PATH_NAME;
#if RNNC_X86_DISPATCH
rnnc_dispatch = 1;
#if RNNC_CC_AVXVNNI
rnnc_cc_avxvnni = 1;
#endif
#if RNNC_CC_AVX512VNNI
rnnc_cc_avx512vnni = 1;
#endif
#endif
"""


def x86_levels(flags: set[str], cc_avxvnni: bool = True, cc_avx512vnni: bool = True) -> set[str]:
    """The levels a CPU with these /proc/cpuinfo flags supports (rnnc_x86_cpu_levels()); they
    are not nested: AVX-512 VNNI CPUs without AVX-VNNI exist.

    >>> sorted(x86_levels({"avx", "fma", "avx2", "popcnt", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"}))
    ['avx2', 'avx512-vnni', 'portable']
    >>> sorted(x86_levels({"avx", "avx2", "popcnt"}))   # no FMA: only the portable C
    ['portable']
    """
    levels = {"portable"}
    if not {"avx", "fma", "avx2", "popcnt"} <= flags:
        return levels
    levels.add("avx2")
    if {"avx512f", "avx512bw", "avx512vl", "avx512_vnni"} <= flags and cc_avx512vnni:
        levels.add("avx512-vnni")
    if "avx_vnni" in flags and cc_avxvnni:
        levels.add("avx-vnni")
    return levels


def chosen(levels: set[str], cap: str | None = None) -> str:
    """The dispatcher's choice (rnnc_x86_level()): the highest supported level, at or below the
    one RNNC_X86_PATH names.

    >>> zen4 = {"portable", "avx2", "avx512-vnni"}
    >>> chosen(zen4), chosen(zen4, "avx-vnni"), chosen(zen4, "portable"), chosen({"portable", "avx2"}, "avx512-vnni")
    ('avx512-vnni', 'avx2', 'portable', 'avx2')
    """
    top = X86_LEVELS.index(cap) if cap in X86_LEVELS else len(X86_LEVELS) - 1
    return next(lv for lv in reversed(X86_LEVELS[:top + 1]) if lv in levels or lv == "portable")


def cpu_flags() -> set[str] | None:
    """This machine's CPU flags from /proc/cpuinfo (x86 'flags', Arm 'Features'), or None."""
    try:
        text = Path("/proc/cpuinfo").read_text(errors="replace")
    except OSError:
        return None
    m = re.search(r"^(?:flags|Features)\s*:\s*(.*)$", text, re.MULTILINE)
    return set(m.group(1).split()) if m else None


def _probe(runner, out_dir: Path, defines: list[str]) -> dict[str, str]:
    cc = runner.compiler()
    cmd = [cc, *runner.target.get("cpu_flags", []), *runner.target["cflags"], *defines,
           "-I", str(Path(out_dir) / "kernels"), "-E", "-P", "-x", "c", "-"]
    try:
        res = subprocess.run(cmd, input=_PROBE, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise RnncError(f"could not run {cc}: {e}") from None
    if res.returncode != 0:
        raise RnncError(f"{cc} could not preprocess kernels/rnnc_common.h: {res.stderr.strip()[-300:]}")
    return dict(re.findall(r"^(rnnc_\w+) = (.*);$", res.stdout, re.MULTILINE))


def describe(runner, out_dir: Path, defines: list[str]) -> str:
    """One line naming the path, e.g. 'dsp', or the x86 dispatch order and this CPU's choice."""
    try:
        found = _probe(runner, out_dir, defines)
    except RnncError as e:
        return f"unknown ({e})"
    path = found.get("rnnc_path", '"unknown"').strip('"')
    if "rnnc_dispatch" not in found:
        return path
    cc_avxvnni, cc_avx512vnni = "rnnc_cc_avxvnni" in found, "rnnc_cc_avx512vnni" in found
    order = [lv for lv in reversed(X86_LEVELS)
             if (lv != "avx-vnni" or cc_avxvnni) and (lv != "avx512-vnni" or cc_avx512vnni)]
    line = f"x86 run-time dispatch ({' > '.join(order)})"
    flags = cpu_flags()
    if flags is None:
        return line + "; this CPU: unknown (no /proc/cpuinfo)"
    cap = os.environ.get("RNNC_X86_PATH")
    level = chosen(x86_levels(flags, cc_avxvnni, cc_avx512vnni), cap)
    return line + f"; this CPU: {level}" + (f" (RNNC_X86_PATH={cap})" if cap else "")

