"""Values of the ONNX abstract interpretation: constants, symbolic shapes and sequences.

An ONNX graph around an RNN is mostly glue (transposes, reshapes, shape arithmetic for the
batch size). We interpret it with three kinds of values:
- a numpy constant (initializers, folded constant subgraphs);
- a symbolic constant: an object array whose entries are ints or the symbols 'T'/'B'
  (what Shape() of a sequence gives), so shape arithmetic folds with batch/time unknown;
- a Seq: the running sequence tensor, described by labelled axes. Labels: 'T' time,
  'B' batch, 'F' features, 'D' RNN direction, '1' a unit axis, and '?0', '?1' for input
  axes not yet known to be time or batch (resolved when an RNN consumes them).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Axis:
    label: str
    size: int | None = None   # None for T and B


@dataclass
class Seq:
    axes: tuple[Axis, ...]
    dtype: str = "float"        # 'float' | 'ids'
    dense_index: int | None = None  # index of the IR dense layer that produced it (bias folding)
    last_step: bool = False      # time axis already reduced to the final step
    version: int = 0             # number of IR layers that existed when it was made (chain check)
    origin: int = 0              # which RNN output it derives from (joining direction parts)
    dir_part: int | None = None  # only this direction of a bidirectional output was selected
    pieces: tuple | None = None  # Concat of several layers' Y_h along D (PyTorch's h_n)
    # Y_h is lowered lazily: ('last', size, reverse_width) becomes a LastStepLayer when a layer
    # or the graph output consumes it (dead or discarded Y_h costs nothing); ('cell',) is Y_c.
    pending: tuple | None = None
    # an RNN's Y_h or Y_c as it came out of the node: (IR layer, 'h' | 'c'), for state outputs
    rnn_state: tuple | None = None

    def labels(self, resolve: dict[str, str]) -> tuple[str, ...]:
        return tuple(resolve.get(a.label, a.label) for a in self.axes)

    def find(self, label: str, resolve: dict[str, str]) -> int | None:
        labels = self.labels(resolve)
        return labels.index(label) if label in labels else None


@dataclass
class SymZeros:
    """ConstantOfShape(0) of a shape with symbolic entries (PyTorch's initial state)."""
    shape: tuple


@dataclass
class Graph:
    """What the interpreter knows while walking the nodes."""
    values: dict[str, object] = field(default_factory=dict)
    resolve: dict[str, str] = field(default_factory=dict)


def is_const(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype != object


def is_symbolic(v) -> bool:
    return isinstance(v, np.ndarray) and v.dtype == object


def seq_shape(seq: Seq, resolve: dict[str, str]) -> np.ndarray:
    """Shape() of a sequence: symbols for T/B, sizes for the rest."""
    out = []
    for a, lab in zip(seq.axes, seq.labels(resolve)):
        out.append(a.size if a.size is not None else (lab if lab in ("T", "B") else a.label))
    return np.array(out, dtype=object)
