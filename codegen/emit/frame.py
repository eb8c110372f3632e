"""Assemble the generated C sources of a whole model from per-layer fragments.

Output files (all deterministic: same QModel -> same bytes):
  <prefix>.h          public API, documented
  <prefix>.c          layer functions, reset/step/run
  <prefix>_weights.h  packed const parameter arrays (included by <prefix>.c only)
  kernels/rnnc_*.c|h  the kernels the model uses, one per file
  rnnc_testbench.c    host/target harness used by `rnnc run` (not part of the model code)
  target/             what the target's testbench links besides the model (startup code,
                      semihosting, linker script), copied from targets/
  Makefile            builds the testbench for the output's target; CC/CFLAGS overridable
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..fixedpoint import SIGMOID_TABLE_U16
from ..qmodel import C_TYPES, QModel
from ..kernel_variants import MACROS, backend, fc_s8_rows, layer_backend
from ..registry import lookup_emitter
from .layercode import EmitContext, LayerCode, make_env, templates_dir


@dataclass
class LayerView:
    """What the frame templates need to know about one layer."""
    index: int
    name: str
    kind: str
    scheme: str
    in_ctype: str
    out_ctype: str
    in_size: int
    out_size: int
    causal: bool
    last_step: bool
    code: LayerCode


def layer_views(qm: QModel, target: dict, env=None) -> list[LayerView]:
    """Run every layer's emitter; the views also feed the inspect report (RAM per layer)."""
    env = env or make_env()
    views = []
    for i, q in enumerate(qm.layers):
        fn = lookup_emitter(q.kind, q.scheme, layer_backend(qm, q), q.where)
        ctx = EmitContext(qm.name, i, env, target, qm.flavour, qm.kernels)
        code = fn(q, ctx)
        views.append(LayerView(i, q.name, q.kind, q.scheme, C_TYPES[q.in_dtype], C_TYPES[q.out_dtype],
                               q.in_size, q.out_size, q.causal, q.kind == "last_step", code))
    return views


def emit_model(qm: QModel, target: dict) -> dict[str, str]:
    """Return {relative path: file text} for the whole output folder."""
    env = make_env()
    views = layer_views(qm, target, env)
    kernels = sorted(_with_included_kernels(env, set().union(*(v.code.kernels for v in views)) | {"rnnc_common"}))
    header_only = {k for k in kernels if kernel_source(env, k, ".c") is None}
    external = sorted(set().union(*(v.code.external_sources for v in views)))
    external_headers = sorted(set().union(*(v.code.external_headers for v in views)))
    from ..toolchain.runners import runner_for
    from ..toolchain.targets import support_files
    runner = runner_for(target)
    support = support_files(target)
    info = dict(header_only=header_only, semihost=runner.testbench_io == "semihosting", target=target,
                support_sources=sorted(p for p in support if p.endswith(".c")),
                arena=int(target.get("testbench_arena", 1 << 20)),
        prefix=qm.name, upper=qm.name.upper(), version=__version__, qm=qm, layers=views,
        in_ctype=C_TYPES[qm.input_dtype], out_ctype=C_TYPES[qm.output_dtype],
        causal=qm.causal, last_step=qm.last_step, kernels=kernels, external_sources=external,
        external_headers=external_headers, external_library=backend(qm.kernels) or "",
        external_libraries=_libraries(external), program="testbench.elf" if runner.testbench_io == "semihosting" else "testbench",
        model_sources=[f"{qm.name}.c"] + [f"kernels/{k}.c" for k in kernels if k not in header_only],
        out_steps_expr="1" if qm.last_step else "steps",
        scheme_summary=", ".join(sorted({f"{q.name}={q.scheme}" for q in qm.layers})),
    )
    files = {
        f"{qm.name}.h": env.get_template("model.h.j2").render(**info),
        f"{qm.name}_weights.h": env.get_template("weights.h.j2").render(**info),
        f"{qm.name}.c": env.get_template("model.c.j2").render(**info),
        "rnnc_testbench.c": env.get_template("testbench.c.j2").render(**info),
        "Makefile": env.get_template("Makefile.j2").render(**info),
    }
    files.update(support)
    if external:
        from ..toolchain.external import LIST_FILE, list_text
        files[LIST_FILE] = list_text(external)
    for k in kernels:
        for ext in (".h", ".c"):
            text = kernel_source(env, k, ext, qm.kernels, fc_s8_rows(target, qm.kernels))
            if text is not None:
                files[f"kernels/{k}{ext}"] = text
    return files


def _libraries(external) -> list[dict]:
    """Per external library: its environment variable, include folders and sources."""
    from ..toolchain.external import library
    out = []
    for name in sorted({lib for lib, _ in external}):
        lib = library(name)
        out.append(dict(name=lib.name, title=lib.title, env=lib.env, include=list(lib.include),
                        sources=[p for l, p in external if l == name]))
    return out


def _with_included_kernels(env, kernels: set[str]) -> set[str]:
    """Add every rnnc kernel header that the chosen kernels #include (transitively)."""
    todo, seen = list(kernels), set(kernels)
    while todo:
        k = todo.pop()
        for ext in (".h", ".c"):
            for inc in re.findall(r'#include "(rnnc_[a-z0-9_]+)\.h"', kernel_source(env, k, ext) or ""):
                if inc not in seen:
                    seen.add(inc)
                    todo.append(inc)
    return seen


#: Template variables of the dtype-suffixed kernels rendered from one shared source.
DTYPE_VARS = {
    "s8": dict(sfx="s8", SFX="S8", act_t="int8_t", bias_t="int32_t", act_min="INT8_MIN", act_max="INT8_MAX",
               fc="rnnc_fc_s8_s16", act_desc="int8", act_name="int8",
               store_x16="_mm_storeu_si128((__m128i *)(hidden + k), _mm512_cvtepi32_epi8(v));",
               store_mve="vstrbq_s32(hidden + k, v);",
               in_stride="RNNC_FC_S8_S16_PACKED_SIZE(h, n_in)", rec_stride="RNNC_FC_S8_S16_PACKED_SIZE(h, h)",
               layout="packed 16x4 per gate, see rnnc_fc_s8_s16.h"),
    "s16": dict(sfx="s16", SFX="S16", act_t="int16_t", bias_t="int64_t", act_min="INT16_MIN",
                act_max="INT16_MAX", fc="rnnc_fc_s16_s16", act_desc="int16 (zero point 0, int64 FC accumulators)",
                act_name="int16",
                store_x16="_mm256_storeu_si256((__m256i *)(hidden + k), _mm512_cvtepi32_epi16(v));",
                store_mve="vstrhq_s32(hidden + k, v);",
                in_stride="h * n_in", rec_stride="h * h", layout="row-major"),
}


def kernel_source(env, name: str, ext: str, variant: str = "auto", s8_rows: bool = False) -> str | None:
    """A kernel file: copied as is, rendered from <name><ext>.j2 (generated data, the kernel
    variant), or rendered from <base><ext>.j2 shared by the _s8 and _s16 variants of a kernel."""
    kdir = templates_dir() / "kernels"
    if (kdir / f"{name}{ext}").is_file():
        return (kdir / f"{name}{ext}").read_text()
    if (kdir / f"{name}{ext}.j2").is_file():
        return env.get_template(f"kernels/{name}{ext}.j2").render(
            sigmoid_table=[int(v) for v in SIGMOID_TABLE_U16], kernels=variant, kernels_macro=MACROS[variant],
            s8_rows=s8_rows)
    base, _, sfx = name.rpartition("_")
    if sfx in DTYPE_VARS and (kdir / f"{base}{ext}.j2").is_file():
        return env.get_template(f"kernels/{base}{ext}.j2").render(**DTYPE_VARS[sfx])
    return None


def sources_digest(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return h.hexdigest()
