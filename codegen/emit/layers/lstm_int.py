"""C for the integer LSTM: a const params struct per direction and rnnc_lstm_step_s8/_s16."""
from __future__ import annotations

from ...registry import emitter
from ..layercode import Buffer, LayerCode
from ._rnn_int_common import KIND, direction_arrays, sequence_body


def _params(q, ctx, d: int, suffix: str) -> str:
    a = q.attrs["dirs"][d]
    H, In = q.attrs["hidden_size"], q.in_size

    def arr(v):
        return "{" + ", ".join(str(int(x)) for x in v) + "}"
    flavour = 1 if q.attrs.get("flavour") == "cmsis-nn" else 0
    return (f"static const rnnc_lstm_{suffix}_params_t {ctx.sym(f'params{d}')} = {{\n"
            f"    {In}, {H},\n"
            f"    {ctx.sym(f'w{d}')}, {ctx.sym(f'r{d}')}, {ctx.sym(f'bx{d}')}, {ctx.sym(f'bh{d}')},\n"
            f"    {arr(a['in_mult'])}, {arr(a['in_shift'])},\n"
            f"    {arr(a['rec_mult'])}, {arr(a['rec_shift'])},\n"
            f"    {a['fc_mult']}, {a['fc_shift']}, /* forget * cell */\n"
            f"    {a['ig_mult']}, {a['ig_shift']}, /* input * cell gate */\n"
            f"    {a['h_mult']}, {a['h_shift']}, /* output * tanh(cell) -> hidden */\n"
            f"    {a['tanh_shift']}, {a['cell_clip']}, {q.attrs['zp_h']}, {flavour}\n}};")


@emitter("lstm", family="tflite-int")
def emit_lstm_int(q, ctx) -> LayerCode:
    suffix, act_t, bias_t = KIND[q.attrs["act"]]
    H = q.attrs["hidden_size"]
    ndir = len(q.attrs["dirs"])
    code = LayerCode(kernels={f"rnnc_lstm_step_{suffix}", f"rnnc_fc_{suffix}_s16" if suffix == "s8" else "rnnc_fc_s16_s16",
                              "rnnc_sigmoid_s16", "rnnc_tanh_s16", "rnnc_sigmoid_table", "rnnc_requantize",
                              "rnnc_lstm_cell_update"},
                     comment=f"integer LSTM ({q.scheme}, TFLM arithmetic), {q.attrs['direction']}, hidden {H}")
    for d in range(ndir):
        code.weights += direction_arrays(q, ctx, d, suffix, bias_t) + [_params(q, ctx, d, suffix)]
    code.scratch.append(Buffer("int16_t", "scratch", 5 * H, "gates (4H) and one recurrent term (H)"))
    zp = q.attrs["zp_h"]
    step = f"rnnc_lstm_step_{suffix}"
    if q.causal:
        code.state += [Buffer(act_t, "h", H, "hidden state"), Buffer("int16_t", "c", H, "cell state")]
        code.reset = (f"{{\n    int32_t j;\n    for (j = 0; j < {H}; j++) {{\n"
                      f"        {ctx.state('h')}[j] = {zp};\n        {ctx.state('c')}[j] = 0;\n    }}\n}}")
        code.step = (f"int32_t j;\n{step}(&{ctx.sym('params0')}, in, {ctx.state('h')}, {ctx.state('c')}, "
                     f"{ctx.sym('scratch')});\nfor (j = 0; j < {H}; j++) {{\n    out[j] = {ctx.state('h')}[j];\n}}")
        return code
    code.scratch += [Buffer(act_t, "h", H, "hidden state of the running direction"),
                     Buffer("int16_t", "c", H, "cell state of the running direction")]
    h, c = ctx.sym("h"), ctx.sym("c")
    code.sequence = sequence_body(
        q, ctx, [(h, str(zp)), (c, "0")],
        lambda d, x: f"{step}(&{ctx.sym(f'params{d}')}, {x}, {h}, {c}, {ctx.sym('scratch')})")
    return code
