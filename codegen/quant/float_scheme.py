"""Float 'quantizer' for recurrent layers: the QLayer just carries the IR layer."""
from __future__ import annotations

import numpy as np

from ..qmodel import QLayer
from ..manifest_check import check_float_layer
from ..registry import quantizer, state_codec, validator


@quantizer("lstm", family="float")
@quantizer("gru", family="float")
@quantizer("rnn", family="float")
def quantize_rnn_float(layer, ctx) -> QLayer:
    return QLayer(layer.name, layer.kind, "float", layer.input_size, layer.output_size,
                  "float32", "float32", causal=layer.causal, ir=layer,
                  attrs={"direction": layer.direction, "hidden_size": layer.hidden_size,
                         "input_size": layer.input_size, "num_directions": layer.num_directions})


@validator("lstm", family="float")
@validator("gru", family="float")
@validator("rnn", family="float")
def validate_rnn_float(q, c) -> None:
    if q.in_dtype != "float32" or q.out_dtype != "float32" or getattr(q.ir, "kind", None) != q.kind:
        c.fail("a float recurrent layer takes and gives float32")
    check_float_layer(q, c)


@state_codec("lstm", family="float")
@state_codec("gru", family="float")
@state_codec("rnn", family="float")
def state_codec_float(q, role, values, stored):
    return np.asarray(values, np.float32)
