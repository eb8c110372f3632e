"""State of the ONNX lowering: the IR chain being built and the op-handler registry.

Every handler that appends an IR layer goes through Lowering.append, which enforces that the
graph is a chain (the consumed sequence is the newest one) and turns a pending Y_h into its
LastStepLayer first.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .. import ir
from ..errors import RnncError, UnsupportedError
from .onnx_values import Graph, Seq

OPS: dict[str, Callable] = {}


def op(*names):
    def deco(fn):
        for n in names:
            OPS[n] = fn
        return fn
    return deco


@dataclass
class Lowering:
    graph: Graph
    layers: list
    path: str
    opset: int = 17
    input_size: int = 0
    tokens: bool = False
    sequence_lens: np.ndarray | None = None
    input_static: list = field(default_factory=list)
    origins: int = 0
    batchless: bool = False      # the input is (time, features): one sequence, no batch axis
    state_inputs: dict = field(default_factory=dict)   # name -> StateIn of the whole input
    state_used: list = field(default_factory=list)     # (StateIn, layer, role) per RNN taking one

    def new_name(self, kind: str) -> str:
        return f"{kind}{len(self.layers)}"

    def new_origin(self) -> int:
        self.origins += 1
        return self.origins

    def append(self, seq_in: Seq, layer) -> None:
        before = len(self.layers)
        self.settle(seq_in)
        if len(self.layers) != before:   # a LastStepLayer went first: keep names in chain order
            layer.name = re.sub(r"\d+$", str(len(self.layers)), layer.name)
        for what, arr in ir._arrays_of(layer):   # here the message can name the ONNX node
            if not np.all(np.isfinite(arr)):
                raise RnncError(f"{what} contains NaN or Inf")
        self.layers.append(layer)

    def settle(self, seq: Seq) -> None:
        """Check that `seq` is the whole current sequence; lower a pending Y_h."""
        if seq.pieces is not None:
            raise UnsupportedError("the stacked final states of several RNN layers are used as a "
                                   "whole; only one layer's state (e.g. h_n[-1]) can be used")
        if seq.dir_part is not None:
            raise UnsupportedError("only one direction of a bidirectional RNN is used; rnnc needs "
                                   "both, concatenated in order (forward, backward)")
        if seq.pending and seq.pending[0] == "cell":
            raise UnsupportedError("Y_c (the final cell state) is used; rnnc outputs hidden states")
        if seq.version != len(self.layers):
            raise UnsupportedError("the graph branches (a value feeds two paths, e.g. both Y and "
                                   "Y_h of an RNN are used): rnnc compiles a chain of layers")
        if seq.pending:
            _, size, reverse_width = seq.pending
            self.layers.append(ir.LastStepLayer(self.new_name("last"), size, reverse_width))


def seq_input(inputs, i=0) -> Seq:
    v = inputs[i] if i < len(inputs) else None
    if not isinstance(v, Seq):
        raise UnsupportedError("expected the sequence as input")
    return v


def after_layer(seq: Seq, low: Lowering, **kw) -> Seq:
    """The sequence a newly appended layer outputs (selection state cleared)."""
    kw.setdefault("pending", None)
    return dataclasses.replace(seq, version=len(low.layers), pieces=None, dir_part=None, rnn_state=None, **kw)
