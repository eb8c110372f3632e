"""C for the integer GRU and simple RNN: a const params block per direction and one call of
rnnc_gru_step_s8/_s16 or rnnc_rnn_step_s8/_s16 per time step (fragments in
templates/layers/recurrent_int.c.j2)."""
from __future__ import annotations

from ...registry import emitter
from ...schemes import get_scheme
from ..layercode import Buffer, LayerCode
from ._rnn_int_common import TEMPLATE, GateWeights, int8_gate_weights

KERNELS = {"rnnc_sigmoid_s16", "rnnc_tanh_s16", "rnnc_sigmoid_table", "rnnc_requantize"}


@emitter("gru", family="tflite-int")
@emitter("rnn", family="tflite-int")
def emit_gru_rnn_int(q, ctx) -> LayerCode:
    return emit_gru_rnn(q, ctx, int8_gate_weights(q, ctx))


def emit_gru_rnn(q, ctx, gw: GateWeights) -> LayerCode:
    """The integer GRU or RNN with its gate weights in the form `gw` describes."""
    s = get_scheme(q.scheme)
    H, zp, kind = q.attrs["hidden_size"], q.attrs["zp_h"], q.kind
    step = f"rnnc_{kind}_step_{s.kernel_suffix}"
    code = LayerCode(kernels={step, gw.fc} | KERNELS | gw.kernels,
                     comment=f"integer {kind.upper()} ({q.scheme}), {q.attrs['direction']}, hidden {H}")
    for d, a in enumerate(q.attrs["dirs"]):
        gw.place(code, d, ctx.macro(TEMPLATE, f"{kind}_params", d=d, sfx=s.kernel_suffix, fc=gw.fc, strides=gw.strides,
                                    q=q, a=gw.gate_params(a), wcast=gw.weight_cast,
                                    signed_fc=gw.signed_fc))
    code.scratch.append(Buffer("int16_t", "scratch", (4 if kind == "gru" else 2) * H, "gate values"))
    extra = ""
    if kind == "gru":
        code.scratch.append(Buffer(s.act_ctype, "rh", H, "r * h, input of the candidate's recurrent FC"))
        extra = f", {ctx.sym('rh')}"
    if q.causal:
        h = ctx.state("h")
        code.state.append(Buffer(s.act_ctype, "h", H, "hidden state"))
        code.reset = ctx.macro(TEMPLATE, "reset", resets=[(h, zp)], hidden=H)
        code.step = ctx.macro(TEMPLATE, "causal_step", step=step, rest=f"{h}, {ctx.sym('scratch')}{extra}", h=h,
                              hidden=H)
        return code
    h = ctx.sym("h")
    code.scratch.append(Buffer(s.act_ctype, "h", H, "hidden state of the running direction"))
    code.sequence = ctx.macro(TEMPLATE, "sequence", q=q, step=step, rest=f"{h}, {ctx.sym('scratch')}{extra}", h=h,
                              resets=[(h, zp)])
    return code
