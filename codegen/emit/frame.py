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

from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..kernel_variants import backend, build_defines, layer_backend
from ..qmodel import C_TYPES, QModel
from ..registry import lookup_emitter
from .kernels import ALWAYS, kernel_closure, kernel_files
from .layercode import EmitContext, LayerCode, make_env


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
    """Return {relative path: file text} for the whole output folder (and record the fields of
    <prefix>_state_t in qm.state_fields, for streaming state in and out)."""
    from ..state import state_fields
    env = make_env()
    views = layer_views(qm, target, env)
    qm.state_fields = state_fields(views)
    called = set().union(*(v.code.kernels for v in views))
    kernels = kernel_closure(env, called,
                             x86_dispatch=bool(target.get("x86_dispatch", False)))
    kfiles = kernel_files(env, kernels)
    header_only = {k for k in kernels if f"kernels/{k}.c" not in kfiles}
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
        kernel_headers=[k for k in kernels if (k in called or k in ALWAYS) and f"kernels/{k}.h" in kfiles],
        external_headers=external_headers, external_library=backend(qm.kernels) or "",
        external_libraries=_libraries(external), program="testbench.elf" if runner.testbench_io == "semihosting" else "testbench",
        model_sources=[f"{qm.name}.c"] + [f"kernels/{k}.c" for k in kernels if k not in header_only],
        kernels_define=" ".join(build_defines(qm.kernels)),
        out_steps_expr="1" if qm.last_step else "steps",
        scheme_summary=", ".join(sorted({f"{q.name}={q.scheme}" for q in qm.layers})),
        state_doc=_state_doc(qm),
    )
    from ..npu.ethosu import npu_files, npu_segments
    segments = npu_segments(qm, target)
    info["cpu_segments"] = [s for s in segments if not s.on_npu]
    qm.npu_placement = [f"layers {s.first}..{s.last}: " + ("NPU" if s.on_npu else f"Cortex-M55 ({'; '.join(s.reasons)})")
                        for s in segments]
    files = {
        f"{qm.name}.h": env.get_template("model.h.j2").render(**info),
        f"{qm.name}_weights.h": env.get_template("weights.h.j2").render(**info),
        f"{qm.name}.c": env.get_template("model.c.j2").render(**info),
        "rnnc_testbench.c": env.get_template("testbench.c.j2").render(**info),
        "Makefile": env.get_template("Makefile.j2").render(**info),
    }
    files.update(support)
    files.update(npu_files(qm, target, env, info, segments))
    if external:
        from ..toolchain.external import LIST_FILE, list_text
        files[LIST_FILE] = list_text(external)
    files.update(kfiles)
    return files


def _state_doc(qm: QModel) -> list[str]:
    """One comment line per state tensor of the model: which fields hold its entries, and how
    a quantized field maps to real numbers."""
    from .names import comment_safe
    index = {q.name: i for i, q in enumerate(qm.layers)}
    lines = []
    for t in qm.state_io:
        fields = ", ".join(f"l{index[l]}_{t.role}" for l in t.layers)
        what = "initial" if t.io == "in" else "final"
        lines.append(f"{what} {'hidden' if t.role == 'h' else 'cell'} state '{comment_safe(t.name)}' "
                     f"[{len(t.layers)} x batch x {t.hidden}]: entry k is field {fields.split(', ')[0] if len(t.layers) == 1 else '(' + fields + ')[k]'}")
    for i, q in enumerate(qm.layers):
        if q.out_q is not None and any(f["layer"] == i for f in qm.state_fields):
            zp = q.out_q.zero_point
            lines.append(f"l{i}_h holds q with real = {q.out_q.scale:.9g} * (q {'-' if zp >= 0 else '+'} {abs(zp)})")
            if "cell_scale" in q.attrs:
                lines.append(f"l{i}_c holds q with real = {float(q.attrs['cell_scale']):.9g} * q")
    return lines


def _libraries(external) -> list[dict]:
    """Per external library: its environment variable, include folders and sources."""
    from ..toolchain.external import library
    out = []
    for name in sorted({lib for lib, _ in external}):
        lib = library(name)
        out.append(dict(name=lib.name, title=lib.title, env=lib.env, include=list(lib.include),
                        sources=[p for l, p in external if l == name]))
    return out
