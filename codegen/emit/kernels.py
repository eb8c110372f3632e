"""The kernel files of an output folder (OUT/kernels/), from templates/kernels/.

A kernel file is copied as is (`rnnc_fc_s8.c`), rendered from its own template
(`rnnc_types.h.j2`, `rnnc_sigmoid_table.c.j2`: generated data), or rendered from one source
shared by the dtype variants of a kernel (`rnnc_lstm_step.c.j2` -> `rnnc_lstm_step_s8.c` and
`rnnc_lstm_step_s16.c`, with DTYPE_VARS; `rnnc_requantize_io.c.j2` -> `rnnc_requantize_s8_s16.c`
and `_s16_s8.c`). Nothing here depends on the model: every output of
one rnnc version carries byte-identical kernel files, so a firmware with several models
compiles one copy of them.
"""
from __future__ import annotations

import re

from ..fixedpoint import SIGMOID_TABLE_U16
from .layercode import templates_dir

#: Template variables of the dtype-suffixed kernels rendered from one shared source.
DTYPE_VARS = {
    "s8": dict(sfx="s8", SFX="S8", act_t="int8_t", bias_t="int32_t", act_min="INT8_MIN", act_max="INT8_MAX",
               act_desc="int8", act_name="int8"),
    "s16": dict(sfx="s16", SFX="S16", act_t="int16_t", bias_t="int64_t", act_min="INT16_MIN",
                act_max="INT16_MAX", act_desc="int16 (zero point 0, int64 FC accumulators)", act_name="int16"),
}

#: x86 run-time dispatch levels -> (RNNC_ISA_* macro, description); a kernel whose .c defines
#: its dispatcher (RNNC_X86_DISPATCHER) gets one <kernel>_<level>.c per level on targets
#: with x86_dispatch (rnnc_common.h)
X86_LEVELS = {"avx2": ("RNNC_ISA_AVX2", "AVX2 and FMA"),
              "avxvnni": ("RNNC_ISA_AVXVNNI", "AVX2, FMA and AVX-VNNI"),
              "avx512vnni": ("RNNC_ISA_AVX512VNNI", "AVX-512 F/BW/VL and VNNI")}

#: every output carries these (the shared definitions every kernel and parameter block uses)
ALWAYS = {"rnnc_common", "rnnc_types", "rnnc_dispatch_x86"}


def kernel_source(env, name: str, ext: str) -> str | None:
    """The text of kernels/<name><ext>, or None when that kernel has no such file."""
    kdir = templates_dir() / "kernels"
    if (kdir / f"{name}{ext}").is_file():
        return (kdir / f"{name}{ext}").read_text()
    if (kdir / f"{name}{ext}.j2").is_file():
        return env.get_template(f"kernels/{name}{ext}.j2").render(
            sigmoid_table=[int(v) for v in SIGMOID_TABLE_U16], dtypes=[DTYPE_VARS["s8"], DTYPE_VARS["s16"]])
    base, _, sfx = name.rpartition("_")
    if sfx in X86_LEVELS and ext == ".c" and is_dispatched(env, base):
        macro, desc = X86_LEVELS[sfx]
        return env.get_template("kernels/rnnc_isa_level.c.j2").render(kernel=base, level=sfx, macro=macro, desc=desc)
    if sfx in DTYPE_VARS and (kdir / f"{base}{ext}.j2").is_file():
        return env.get_template(f"kernels/{base}{ext}.j2").render(**DTYPE_VARS[sfx])
    head, _, sfx_in = base.rpartition("_")   # <head>_<in>_<out>: one source per conversion
    if sfx in DTYPE_VARS and sfx_in in DTYPE_VARS and (kdir / f"{head}_io{ext}.j2").is_file():
        return env.get_template(f"kernels/{head}_io{ext}.j2").render(in_=DTYPE_VARS[sfx_in], out=DTYPE_VARS[sfx])
    return None


def is_dispatched(env, name: str) -> bool:
    """Whether a kernel chooses its x86 path at run time (its .c defines the dispatcher)."""
    return "RNNC_X86_DISPATCHER(" in (kernel_source(env, name, ".c") or "")


def kernel_closure(env, kernels: set[str], x86_dispatch: bool = False) -> list[str]:
    """The kernels asked for, the shared ones, every rnnc kernel header they #include
    (transitively) and, with x86_dispatch, the per-level builds of dispatched kernels; sorted."""
    todo, seen = list(kernels | ALWAYS), set(kernels | ALWAYS)
    while todo:
        k = todo.pop()
        for ext in (".h", ".c"):
            for inc in re.findall(r'#include "(rnnc_[a-z0-9_]+)\.h"', kernel_source(env, k, ext) or ""):
                if inc not in seen:
                    seen.add(inc)
                    todo.append(inc)
    if x86_dispatch:
        seen |= {f"{k}_{level}" for k in list(seen) if is_dispatched(env, k) for level in X86_LEVELS}
        seen |= {"rnnc_isa_x86", "rnnc_isa_x86_end"}
    return sorted(seen)


def kernel_files(env, kernels: list[str]) -> dict[str, str]:
    """{'kernels/<file>': text} of the given kernels."""
    files = {}
    for k in kernels:
        for ext in (".h", ".c"):
            text = kernel_source(env, k, ext)
            if text is not None:
                files[f"kernels/{k}{ext}"] = text
    return files
