"""C for the integer GRU and simple RNN: a const params struct per direction and
rnnc_gru_step_s8/_s16 or rnnc_rnn_step_s8/_s16."""
from __future__ import annotations

from ...registry import emitter
from ..layercode import Buffer, LayerCode
from ._rnn_int_common import KIND, direction_arrays, sequence_body


def _arr(v):
    return "{" + ", ".join(str(int(x)) for x in v) + "}"


def _params(q, ctx, d, suffix) -> str:
    p = q.attrs["dirs"][d]
    H, In = q.attrs["hidden_size"], q.in_size
    head = (f"    {In}, {H},\n    {ctx.sym(f'w{d}')}, {ctx.sym(f'r{d}')}, {ctx.sym(f'bx{d}')}, {ctx.sym(f'bh{d}')},\n")
    if q.kind == "gru":
        body = (f"    {_arr(p['in_mult'])}, {_arr(p['in_shift'])},\n"
                f"    {_arr(p['rec_mult'])}, {_arr(p['rec_shift'])},\n"
                f"    {p['rh_mult']}, {p['rh_shift']}, /* r * h */\n"
                f"    {p['rb_mult']}, {p['rb_shift']}, /* r * (R h + Rb) */\n"
                f"    {p['omz_mult']}, {p['omz_shift']}, /* (1 - z) * n */\n"
                f"    {p['zh_mult']}, {p['zh_shift']}, /* z * h */\n"
                f"    {q.attrs['zp_h']}, {int(q.attrs['linear_before_reset'])}\n")
    else:
        body = (f"    {p['in_mult'][0]}, {p['in_shift'][0]}, {p['rec_mult'][0]}, {p['rec_shift'][0]},\n"
                f"    {p['out_mult']}, {p['out_shift']}, {q.attrs['zp_h']}, "
                f"{int(q.attrs['activation'] == 'relu')}\n")
    return f"static const rnnc_{q.kind}_{suffix}_params_t {ctx.sym(f'params{d}')} = {{\n{head}{body}}};"


@emitter("gru", family="tflite-int")
@emitter("rnn", family="tflite-int")
def emit_gru_rnn_int(q, ctx) -> LayerCode:
    suffix, act_t, bias_t = KIND[q.attrs["act"]]
    H = q.attrs["hidden_size"]
    ndir = len(q.attrs["dirs"])
    kind = q.kind
    code = LayerCode(kernels={f"rnnc_{kind}_step_{suffix}", "rnnc_fc_s8_s16" if suffix == "s8" else "rnnc_fc_s16_s16",
                              "rnnc_sigmoid_s16", "rnnc_tanh_s16", "rnnc_sigmoid_table", "rnnc_requantize"},
                     comment=f"integer {kind.upper()} ({q.scheme}), {q.attrs['direction']}, hidden {H}")
    for d in range(ndir):
        code.weights += direction_arrays(q, ctx, d, suffix, bias_t) + [_params(q, ctx, d, suffix)]
    code.scratch.append(Buffer("int16_t", "scratch", (4 if kind == "gru" else 2) * H, "gate values"))
    extra = ""
    if kind == "gru":
        code.scratch.append(Buffer(act_t, "rh", H, "r * h, input of the candidate's recurrent FC"))
        extra = f", {ctx.sym('rh')}"
    zp = q.attrs["zp_h"]
    step = f"rnnc_{kind}_step_{suffix}"
    if q.causal:
        code.state.append(Buffer(act_t, "h", H, "hidden state"))
        code.reset = f"{{\n    int32_t j;\n    for (j = 0; j < {H}; j++) {{\n        {ctx.state('h')}[j] = {zp};\n    }}\n}}"
        code.step = (f"int32_t j;\n{step}(&{ctx.sym('params0')}, in, {ctx.state('h')}, {ctx.sym('scratch')}{extra});\n"
                     f"for (j = 0; j < {H}; j++) {{\n    out[j] = {ctx.state('h')}[j];\n}}")
        return code
    code.scratch.append(Buffer(act_t, "h", H, "hidden state of the running direction"))
    code.sequence = sequence_body(
        q, ctx, [(ctx.sym("h"), str(zp))],
        lambda d, x: f"{step}(&{ctx.sym(f'params{d}')}, {x}, {ctx.sym('h')}, {ctx.sym('scratch')}{extra})")
    return code
