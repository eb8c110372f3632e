"""What a layer emitter returns, and the context it gets.

The frame (frame.py) wraps `step` in

    static void <prefix>_l<i>_step(<prefix>_state_t *state, const IN_T *in, OUT_T *out)

and, when given, `sequence` in

    static void <prefix>_l<i>_sequence(<prefix>_state_t *state, const IN_T *in,
                                       int32_t steps, OUT_T *out)

where `in`/`out` hold steps x width values, row-major. A causal layer gives `step` only
(the frame loops it over time when a sequence is needed). A non-causal layer (reverse or
bidirectional RNN, last step) gives `sequence` only.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import numpy as np

from .cgen import c_array, c_float


@dataclass
class Buffer:
    ctype: str
    name: str       # field name in the state struct, or the static's suffix
    count: int
    comment: str = ""


#: bytes of each C type the emitters declare
C_SIZES = {"float": 4, "int8_t": 1, "int16_t": 2, "int32_t": 4, "uint8_t": 1, "uint16_t": 2, "uint32_t": 4,
           "int64_t": 8}


@dataclass
class ConstArray:
    """A static const array of a layer's parameters; rendered into <prefix>_weights.h."""
    ctype: str
    name: str                 # the full C symbol
    values: np.ndarray
    per_line: int = 16
    align: int | None = None

    @property
    def nbytes(self) -> int:
        return C_SIZES[self.ctype] * int(np.asarray(self.values).size)

    def __str__(self) -> str:
        return c_array(self.ctype, self.name, self.values, per_line=self.per_line, align=self.align)


@dataclass
class LayerCode:
    #: const definitions: ConstArray (parameters, counted by `rnnc inspect`) or C text
    #: (parameter blocks: structs of scalars and pointers into the arrays)
    weights: list = field(default_factory=list)
    state: list[Buffer] = field(default_factory=list)  # fields of <prefix>_state_t
    scratch: list[Buffer] = field(default_factory=list)  # file-scope static buffers
    reset: str = ""            # statements; `state` is in scope
    step: str | None = None
    sequence: str | None = None
    kernels: set[str] = field(default_factory=set)     # kernel file stems, e.g. 'rnnc_fc_s8'
    # sources of an external kernel library the layer calls: (library, path in its checkout),
    # e.g. ('cmsis-nn', 'Source/LSTMFunctions/arm_lstm_unidirectional_s8.c')
    external_sources: set[tuple[str, str]] = field(default_factory=set)
    external_headers: set[str] = field(default_factory=set)  # e.g. 'arm_nnfunctions.h'
    functions: list[str] = field(default_factory=list)  # static helpers, after the scratch buffers
    comment: str = ""          # one-line description above the layer's functions


@dataclass
class EmitContext:
    prefix: str
    index: int
    env: jinja2.Environment
    target: dict
    flavour: str = "tflm"
    kernels: str = "auto"

    def sym(self, name: str) -> str:
        """File-scope symbol for this layer: weights and scratch."""
        return f"{self.prefix}_l{self.index}_{name}"

    def field(self, name: str) -> str:
        """Name of a state struct field of this layer."""
        return f"l{self.index}_{name}"

    def state(self, name: str) -> str:
        return f"state->l{self.index}_{name}"

    def array(self, ctype: str, name: str, values, per_line: int = 16, align: int | None = None) -> ConstArray:
        return ConstArray(ctype, self.sym(name), np.asarray(values), per_line, align)

    def render(self, template: str, **kw) -> str:
        return self.env.get_template(template).render(ctx=self, **kw)

    def macro(self, template: str, name: str, **kw) -> str:
        """One macro of a template under templates/ (a layer family's C fragments), rendered
        with this context as `ctx`; surrounding blank lines trimmed."""
        return str(getattr(self.env.get_template(template).make_module({"ctx": self}), name)(**kw)).strip("\n")


def templates_dir() -> Path:
    """templates/ in a source checkout, or codegen/templates inside an installed wheel."""
    here = Path(__file__).resolve().parent.parent
    for cand in (here.parent / "templates", here / "templates"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("rnnc templates folder not found (broken installation)")


def targets_dir() -> Path:
    here = Path(__file__).resolve().parent.parent
    for cand in (here.parent / "targets", here / "targets"):
        if cand.is_dir():
            return cand
    raise FileNotFoundError("rnnc targets folder not found (broken installation)")


def _basename_safe(path: str) -> str:
    """A file name fit for a C comment: the base name, limited to harmless characters."""
    return re.sub(r"[^A-Za-z0-9._+-]", "_", Path(str(path)).name)[:80]


def make_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["cfloat"] = c_float
    env.filters["basename_safe"] = _basename_safe
    return env
