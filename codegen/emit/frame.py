"""Assemble the generated C sources of a whole model from per-layer fragments.

Output files (all deterministic: same QModel -> same bytes):
  <prefix>.h          public API, documented
  <prefix>.c          layer functions, reset/step/run
  <prefix>_weights.h  packed const parameter arrays (included by <prefix>.c only)
  kernels/rnnc_*.c|h  the kernels the model uses, one per file
  testbench.c         host/target harness used by `rnnc run` (not part of the model code)
  Makefile            builds the testbench; CC/CFLAGS overridable
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from .. import __version__
from ..fixedpoint import SIGMOID_TABLE_U16
from ..qmodel import C_TYPES, QModel
from ..registry import EMITTERS, lookup
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
        fn = lookup(EMITTERS, q.kind, q.scheme, "C emitter", q.where)
        ctx = EmitContext(qm.name, i, env, target, qm.flavour)
        code = fn(q, ctx)
        views.append(LayerView(i, q.name, q.kind, q.scheme, C_TYPES[q.in_dtype], C_TYPES[q.out_dtype],
                               q.in_size, q.out_size, q.causal, q.kind == "last_step", code))
    return views


def emit_model(qm: QModel, target: dict) -> dict[str, str]:
    """Return {relative path: file text} for the whole output folder."""
    env = make_env()
    views = layer_views(qm, target, env)
    kernels = sorted(set().union(*(v.code.kernels for v in views)) | {"rnnc_common"})
    kdir = templates_dir() / "kernels"
    header_only = {k for k in kernels if not (kdir / f"{k}.c").is_file() and not (kdir / f"{k}.c.j2").is_file()}
    info = dict(header_only=header_only,
        prefix=qm.name, upper=qm.name.upper(), version=__version__, qm=qm, layers=views,
        in_ctype=C_TYPES[qm.input_dtype], out_ctype=C_TYPES[qm.output_dtype],
        causal=qm.causal, last_step=qm.last_step, kernels=kernels,
        out_steps_expr="1" if qm.last_step else "steps",
        scheme_summary=", ".join(sorted({f"{q.name}={q.scheme}" for q in qm.layers})),
    )
    files = {
        f"{qm.name}.h": env.get_template("model.h.j2").render(**info),
        f"{qm.name}_weights.h": env.get_template("weights.h.j2").render(**info),
        f"{qm.name}.c": env.get_template("model.c.j2").render(**info),
        "testbench.c": env.get_template("testbench.c.j2").render(**info),
        "Makefile": env.get_template("Makefile.j2").render(**info),
    }
    kdir = templates_dir() / "kernels"
    for k in kernels:
        for ext in (".h", ".c"):
            p = kdir / (k + ext)
            if p.is_file():
                files[f"kernels/{k}{ext}"] = p.read_text()
            elif (kdir / (k + ext + ".j2")).is_file():   # kernels carrying generated data
                files[f"kernels/{k}{ext}"] = env.get_template(f"kernels/{k}{ext}.j2").render(
                    sigmoid_table=[int(v) for v in SIGMOID_TABLE_U16])
    return files


def write_files(files: dict[str, str], out_dir: Path) -> None:
    out_dir = Path(out_dir)
    for rel, text in files.items():
        p = out_dir / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists() or p.read_text() != text:
            p.write_text(text)


def sources_digest(files: dict[str, str]) -> str:
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    return h.hexdigest()
