"""C for the integer LSTM: a const rnnc_lstm_s8/_s16 params block per direction and one call
of rnnc_lstm_step_s8/_s16 per time step (fragments in templates/layers/recurrent_int.c.j2)."""
from __future__ import annotations

from ...registry import emitter
from ...schemes import get_scheme
from ..layercode import Buffer, LayerCode
from ._rnn_int_common import TEMPLATE, GateWeights, int8_gate_weights

KERNELS = {"rnnc_sigmoid_s16", "rnnc_tanh_s16", "rnnc_sigmoid_table", "rnnc_requantize", "rnnc_lstm_cell_update"}


@emitter("lstm", family="tflite-int")
def emit_lstm_int(q, ctx) -> LayerCode:
    return emit_lstm(q, ctx, int8_gate_weights(q, ctx))


def emit_lstm(q, ctx, gw: GateWeights) -> LayerCode:
    """The integer LSTM with its gate weights in the form `gw` describes."""
    s = get_scheme(q.scheme)
    H, zp = q.attrs["hidden_size"], q.attrs["zp_h"]
    litert = q.attrs.get("flavour") == "litert"
    step = "rnnc_lstm_step_litert_s8" if litert else f"rnnc_lstm_step_{s.kernel_suffix}"
    code = LayerCode(kernels={step, gw.fc} | KERNELS | gw.kernels,
                     comment=f"integer LSTM ({q.scheme}, {'LiteRT' if litert else 'TFLM'} arithmetic), "
                             f"{q.attrs['direction']}, hidden {H}")
    for d, a in enumerate(q.attrs["dirs"]):
        gw.place(code, d, ctx.macro(TEMPLATE, "lstm_params", d=d, sfx=s.kernel_suffix, fc=gw.fc, strides=gw.strides,
                                    q=q, a=gw.gate_params(a), wcast=gw.weight_cast,
                                    signed_fc=gw.signed_fc))
    code.scratch.append(Buffer("int16_t", "scratch", 5 * H, "gates (4H) and one recurrent term (H)"))
    if q.causal:
        h, c = ctx.state("h"), ctx.state("c")
        code.state += [Buffer(s.act_ctype, "h", H, "hidden state"), Buffer("int16_t", "c", H, "cell state")]
        code.reset = ctx.macro(TEMPLATE, "reset", resets=[(h, zp), (c, 0)], hidden=H)
        code.step = ctx.macro(TEMPLATE, "causal_step", step=step, rest=f"{h}, {c}, {ctx.sym('scratch')}", h=h, hidden=H)
        return code
    code.scratch += [Buffer(s.act_ctype, "h", H, "hidden state of the running direction"),
                     Buffer("int16_t", "c", H, "cell state of the running direction")]
    h, c = ctx.sym("h"), ctx.sym("c")
    code.sequence = ctx.macro(TEMPLATE, "sequence", q=q, step=step, rest=f"{h}, {c}, {ctx.sym('scratch')}",
                              h=h, resets=[(h, zp), (c, 0)])
    return code
