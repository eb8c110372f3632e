"""The float IR: what a frontend produces and every quantizer consumes.

A model is a chain of layers applied to a sequence. Each layer maps a per-time-step input
vector to a per-time-step output vector (an RNN layer also carries state across steps).
That chain is the shape of every RNN model our users deploy: optional embedding, stacked
recurrent layers, a dense head, an activation. Frontends lower the glue ops of ONNX or
TFLite graphs (transposes, reshapes, squeezes) into this chain or refuse the graph by name.

Conventions
- Weights are float32 numpy arrays; shapes are (out, in) like ONNX and TFLite.
- Recurrent gates are stored by NAME, never by position, so no gate-order bug can hide:
  LSTM i, f, c, o; GRU z, r, h; RNN h (ONNX names).
- A bidirectional layer has two DirectionParams (forward, backward) and outputs
  concat(h_forward, h_backward) at each step: width 2*hidden.
- `fixed_quant` carries quantization that came with the model (an int8 .tflite);
  quantizers must then take it as-is instead of calibrating.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np

GATES: dict[str, tuple[str, ...]] = {
    "lstm": ("i", "f", "c", "o"),
    "gru": ("z", "r", "h"),
    "rnn": ("h",),
}
PEEPHOLES = ("i", "o", "f")  # ONNX order of the P input

#: ONNX activation names accepted in RecurrentLayer.activations (lower case).
RNN_ACTIVATIONS = (
    "sigmoid", "tanh", "relu", "affine", "leakyrelu", "thresholdedrelu",
    "scaledtanh", "hardsigmoid", "elu", "softsign", "softplus",
)

#: Default activations per kind (ONNX defaults): LSTM f,g,h; GRU f,g; RNN f.
DEFAULT_ACTIVATIONS: dict[str, tuple[str, ...]] = {
    "lstm": ("sigmoid", "tanh", "tanh"),
    "gru": ("sigmoid", "tanh"),
    "rnn": ("tanh",),
}


@dataclass(frozen=True)
class QuantParams:
    """Affine quantization of a tensor: real = scale * (q - zero_point)."""
    scale: float
    zero_point: int
    dtype: str  # 'int8' | 'int16' | 'int32'


@dataclass(frozen=True)
class ActivationSpec:
    """One ONNX RNN activation with its optional alpha/beta."""
    name: str
    alpha: float | None = None
    beta: float | None = None


@dataclass
class GateWeights:
    W: np.ndarray   # (H, In) input weights
    R: np.ndarray   # (H, H) recurrent weights
    Wb: np.ndarray  # (H,) input bias
    Rb: np.ndarray  # (H,) recurrent bias


@dataclass
class DirectionParams:
    gates: dict[str, GateWeights]
    peepholes: dict[str, np.ndarray] | None = None  # LSTM only: 'i','o','f' -> (H,)
    initial_h: np.ndarray | None = None             # (H,) reset value, zeros if None
    initial_c: np.ndarray | None = None             # (H,) LSTM only


@dataclass
class RecurrentLayer:
    name: str
    kind: str                 # 'lstm' | 'gru' | 'rnn'
    input_size: int
    hidden_size: int
    direction: str            # 'forward' | 'reverse' | 'bidirectional'
    dirs: list[DirectionParams]
    activations: tuple[ActivationSpec, ...] = ()  # per direction: LSTM 3, GRU 2, RNN 1 (ONNX f,g,h)
    clip: float | None = None
    linear_before_reset: bool = False              # GRU only
    fixed_quant: dict[str, Any] | None = None      # pre-quantized model data (TFLite)

    @property
    def num_directions(self) -> int:
        return 2 if self.direction == "bidirectional" else 1

    @property
    def output_size(self) -> int:
        return self.hidden_size * self.num_directions

    @property
    def causal(self) -> bool:
        return self.direction == "forward"

    def activations_for(self, d: int) -> tuple[ActivationSpec, ...]:
        """Activations for direction d (ONNX lists forward's then reverse's)."""
        n = len(DEFAULT_ACTIVATIONS[self.kind])
        acts = self.activations or tuple(ActivationSpec(a) for a in DEFAULT_ACTIVATIONS[self.kind])
        if len(acts) == n:
            return acts
        return acts[d * n:(d + 1) * n]


@dataclass
class DenseLayer:
    """y = W x + b at each time step (Gemm/MatMul+Add, FULLY_CONNECTED)."""
    name: str
    weight: np.ndarray        # (out, in)
    bias: np.ndarray          # (out,)
    fixed_quant: dict[str, Any] | None = None

    kind = "dense"
    causal = True

    @property
    def input_size(self) -> int:
        return int(self.weight.shape[1])

    @property
    def output_size(self) -> int:
        return int(self.weight.shape[0])


@dataclass
class ActivationLayer:
    """Element-wise (relu, sigmoid, tanh, leakyrelu) or per-step softmax."""
    name: str
    function: str             # 'relu' | 'sigmoid' | 'tanh' | 'softmax' | 'leakyrelu'
    size: int
    alpha: float | None = None
    fixed_quant: dict[str, Any] | None = None

    kind = "activation"
    causal = True

    @property
    def input_size(self) -> int:
        return self.size

    @property
    def output_size(self) -> int:
        return self.size


@dataclass
class EmbeddingLayer:
    """Token id -> row of `table`. Only valid as the first layer; input is int32 ids."""
    name: str
    table: np.ndarray         # (vocab, dim)

    kind = "embedding"
    causal = True
    input_size = 1

    @property
    def output_size(self) -> int:
        return int(self.table.shape[1])


@dataclass
class LastStepLayer:
    """Keeps only the output of the final time step (e.g. Y[-1] feeding a classifier).

    Layers after it see a sequence of length 1; the model output is (batch, 1, size).
    The last `reverse_width` features are taken from step 0 instead: the final state of a
    backward direction (ONNX Y_h of a reverse or bidirectional RNN).
    """
    name: str
    size: int
    reverse_width: int = 0

    kind = "last_step"
    causal = False

    @property
    def input_size(self) -> int:
        return self.size

    @property
    def output_size(self) -> int:
        return self.size


@dataclass
class ConvertLayer:
    """A change of number representation between two layers of different schemes (identity
    in real numbers). Never produced by a frontend: quantize_model inserts it where a layer's
    scheme wants its input in another form than the previous layer gives."""
    name: str
    size: int

    kind = "convert"
    causal = True

    @property
    def input_size(self) -> int:
        return self.size

    @property
    def output_size(self) -> int:
        return self.size


Layer = Union[RecurrentLayer, DenseLayer, ActivationLayer, EmbeddingLayer, LastStepLayer, ConvertLayer]


@dataclass
class StateTensor:
    """A recurrent state the model takes or gives as a tensor of its own (streaming exports:
    x, h, c -> y, hn, cn). Entry k along its first axis is the state `role` ('h' or 'c') of the
    forward layer named layers[k]; its layout is (entries, batch, hidden). In the generated C
    these are fields of the caller-owned <prefix>_state_t."""
    name: str                 # the tensor's name in the model file (kept for the user's files)
    io: str                   # 'in' (initial state) | 'out' (final state)
    role: str                 # 'h' | 'c'
    layers: list[str]         # IR layer names, one per entry along the first axis
    hidden: int
    layout: str = "LBH"       # 'LBH' (entries, batch, hidden; ONNX) | 'BH' (batch, hidden; one layer, TFLite)
    dtype: str = "float32"    # float32: real values; int8/int16: the layer's stored integers (TFLite)


@dataclass
class Model:
    """A whole model: input description and the chain of layers."""
    name: str                 # sanitized C identifier, default prefix
    source: str               # file name it came from (for messages and the C header)
    sha256: str               # of the source file bytes
    input_size: int
    layers: list[Layer]
    input_kind: str = "float"                # 'float' | 'tokens' (embedding input)
    fixed_input_quant: QuantParams | None = None   # pre-quantized model input
    fixed_output_quant: QuantParams | None = None
    sequence_lens: np.ndarray | None = None  # ONNX constant sequence_lens, one per batch row
    time_steps: int | None = None            # static T if the model fixes it
    metadata: dict[str, Any] = field(default_factory=dict)
    state_io: list[StateTensor] = field(default_factory=list)  # streaming state tensors

    @property
    def output_size(self) -> int:
        return self.layers[-1].output_size if self.layers else self.input_size

    @property
    def causal(self) -> bool:
        """True when every layer can run one step at a time (streaming step API)."""
        return all(l.causal for l in self.layers)

    def validate(self) -> None:
        """Check the chain's widths line up; frontends call this before returning."""
        from .errors import RnncError
        width = self.input_size
        for l in self.layers:
            if l.kind == "embedding":
                if l is not self.layers[0]:
                    raise RnncError("an embedding must be the first layer", where=f"layer '{l.name}'")
                width = l.output_size
                continue
            if l.input_size != width:
                raise RnncError(
                    f"input width {l.input_size} does not match the previous output width {width}",
                    file=self.source, where=f"layer '{l.name}' ({l.kind})")
            for arr_name, arr in _arrays_of(l):
                if not np.all(np.isfinite(arr)):
                    raise RnncError(f"{arr_name} contains NaN or Inf", file=self.source,
                                    where=f"layer '{l.name}' ({l.kind})")
            width = l.output_size


def _arrays_of(layer: Layer):
    if isinstance(layer, RecurrentLayer):
        for d, dp in enumerate(layer.dirs):
            for g, gw in dp.gates.items():
                for n in ("W", "R", "Wb", "Rb"):
                    yield f"direction {d} gate {g} {n}", getattr(gw, n)
            for n, p in (dp.peepholes or {}).items():
                yield f"direction {d} peephole {n}", p
            for n in ("initial_h", "initial_c"):
                if getattr(dp, n) is not None:
                    yield f"direction {d} {n}", getattr(dp, n)
    elif isinstance(layer, DenseLayer):
        yield "weight", layer.weight
        yield "bias", layer.bias
    elif isinstance(layer, EmbeddingLayer):
        yield "table", layer.table
