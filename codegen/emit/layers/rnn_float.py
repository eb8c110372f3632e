"""C for float LSTM / GRU / RNN layers (ONNX semantics, every attribute).

Arrays per direction d: w<d> all gates' W stacked (G*H, In) in the IR's gate order
(LSTM i f c o, GRU z r h, RNN h); r<d> R stacked the same way (G*H, H); both in the
16-row panels of rnnc_fc_panel_f32, R in the groups of rows one call reads (all gates, or
GRU's z and r, then its candidate), each padded to a multiple of 16 rows (packing.py:
running sums without per-row reductions, which cost most on the input projection's short
rows; measured 8-15% off an H = 256 LSTM step on x86); b<d> the summed
biases Wb + Rb (GRU's candidate keeps Rbh apart, in rbh<d>, when linear_before_reset=1);
p<d> peepholes i, o, f (LSTM). Forward layers keep h (and c) in the caller's state;
reverse/bidirectional layers run whole sequences with h/c in static scratch.
"""
from __future__ import annotations

import numpy as np

from ... import ir
from ...registry import emitter
from ..cgen import c_float
from ..layercode import Buffer, LayerCode
from ..packing import pack_panels16


def act_expr(spec: ir.ActivationSpec, v: str) -> str:
    """C expression of an ONNX activation applied to expression v.

    >>> act_expr(ir.ActivationSpec('relu'), 'x')
    '((x) > 0.0f ? (x) : 0.0f)'
    """
    a = c_float(spec.alpha) if spec.alpha is not None else None
    b = c_float(spec.beta) if spec.beta is not None else None
    forms = {
        "sigmoid": f"(1.0f / (1.0f + expf(-({v}))))",
        "tanh": f"tanhf({v})",
        "relu": f"(({v}) > 0.0f ? ({v}) : 0.0f)",
        "affine": f"({a} * ({v}) + {b})",
        "leakyrelu": f"((({v}) >= 0.0f) ? ({v}) : {a} * ({v}))",
        "thresholdedrelu": f"((({v}) > {a}) ? ({v}) : 0.0f)",
        "scaledtanh": f"({a} * tanhf({b} * ({v})))",
        "hardsigmoid": f"rnnc_clampf({a} * ({v}) + {b}, 0.0f, 1.0f)",
        "elu": f"((({v}) >= 0.0f) ? ({v}) : {a} * (expf({v}) - 1.0f))",
        "softsign": f"(({v}) / (1.0f + fabsf({v})))",
        "softplus": f"rnnc_softplusf({v})",
    }
    return forms[spec.name]


def _stacked(layer, d):
    dp = layer.dirs[d]
    names = ir.GATES[layer.kind]
    w = pack_panels16(np.concatenate([dp.gates[g].W for g in names]))
    r = np.concatenate([pack_panels16(np.concatenate([dp.gates[g].R for g in group]))
                        for group in _r_groups(layer.kind)])
    b = np.concatenate([dp.gates[g].Wb + (0 if (layer.kind == "gru" and g == "h") else dp.gates[g].Rb)
                        for g in names])
    return w, r, b


def _r_groups(kind: str) -> list[tuple[str, ...]]:
    """The gates whose R rows one call reads: GRU's candidate needs r * h (or r) first."""
    names = ir.GATES[kind]
    return [names[:2], names[2:]] if kind == "gru" else [names]


def _cell_code(q, ctx, layer, d) -> str:
    H, In, G = layer.hidden_size, layer.input_size, len(ir.GATES[layer.kind])
    dp = layer.dirs[d]
    clip_c = c_float(layer.clip) if layer.clip is not None else None
    peeps = dp.peepholes or {}

    def clip(v):
        return f"rnnc_clampf({v}, -{clip_c}, {clip_c})" if clip_c else v

    def peep(dd, gate, cv):
        if gate not in peeps:
            return ""
        k = ir.PEEPHOLES.index(gate)
        return f" + {ctx.sym('p')}{dd}[{k * H} + j] * {cv}"

    return ctx.render("layers/rnn_float.c.j2", kind=layer.kind, d=d, p=f"{ctx.prefix}_l{ctx.index}",
                      H=H, In=In, G=G, r_cand=(2 * H + 15) // 16 * 16 * H,  # GRU: after z, r's panels
                      acts=layer.activations_for(d), lbr=layer.linear_before_reset,
                      act=act_expr, clip=clip, peep=peep, gate_names=" ".join(ir.GATES[layer.kind]),
                      vector_gates=uses_gate_kernels(layer, d))


def uses_gate_kernels(layer, d: int) -> bool:
    """Whether direction d's element-wise part is ONNX's default (sigmoid/tanh, no clip, no
    peepholes), which the vectorized kernels of rnnc_gates_f32 compute."""
    defaults = tuple(ir.ActivationSpec(a) for a in ir.DEFAULT_ACTIVATIONS[layer.kind])
    return (tuple(layer.activations_for(d)) == defaults and layer.clip is None
            and not layer.dirs[d].peepholes)


@emitter("lstm", family="float")
@emitter("gru", family="float")
@emitter("rnn", family="float")
def emit_rnn_float(q, ctx) -> LayerCode:
    layer: ir.RecurrentLayer = q.ir
    H, G = layer.hidden_size, len(ir.GATES[layer.kind])
    code = LayerCode(kernels={"rnnc_fc_panel_f32", "rnnc_math_f32"}
                     | ({"rnnc_gates_f32"} if any(uses_gate_kernels(layer, d) for d in range(layer.num_directions))
                        else set()),
                     comment=f"{layer.kind.upper()} {layer.direction}, hidden {H}")
    for d, dp in enumerate(layer.dirs):
        w, r, b = _stacked(layer, d)
        code.weights += [ctx.array("float", f"w{d}", w, per_line=8, align=ctx.target.get("weight_align")),
                         ctx.array("float", f"r{d}", r, per_line=8, align=ctx.target.get("weight_align")),
                         ctx.array("float", f"b{d}", b, per_line=8)]
        if layer.kind == "gru" and layer.linear_before_reset:
            code.weights.append(ctx.array("float", f"rbh{d}", dp.gates["h"].Rb, per_line=8))
        elif layer.kind == "gru":
            code.weights[-1] = ctx.array("float", f"b{d}", b + np.concatenate(
                [np.zeros(2 * H, np.float32), dp.gates["h"].Rb]), per_line=8)
        if dp.peepholes:
            code.weights.append(ctx.array("float", f"p{d}", np.concatenate(
                [dp.peepholes[p] for p in ir.PEEPHOLES]), per_line=8))
        for name, init in (("h0", dp.initial_h), ("c0", dp.initial_c)):
            if _nonzero(init):
                code.weights.append(ctx.array("float", f"{name}_{d}", init, per_line=8))
    code.scratch.append(Buffer("float", "g", G * H, "gate pre-activations"))
    if layer.kind == "gru":
        code.scratch.append(Buffer("float", "s", H, "r * h or R h + Rbh"))
    has_c = layer.kind == "lstm"
    decl = "int32_t j;\nfloat *g = " + ctx.sym("g") + ";\n" + \
        (f"float *s = {ctx.sym('s')};\n" if layer.kind == "gru" else "")
    if layer.causal:
        code.state.append(Buffer("float", "h", H, "hidden state"))
        if has_c:
            code.state.append(Buffer("float", "c", H, "cell state"))
        code.reset = _reset(ctx, layer, 0, ctx.state("h"), ctx.state("c") if has_c else None)
        body = _cell_code(q, ctx, layer, 0)
        code.step = (decl + f"float *h = {ctx.state('h')};\n" + (f"float *c = {ctx.state('c')};\n" if has_c else "")
                     + f"const float *x = in;\n{body}for (j = 0; j < {H}; j++) {{\n    out[j] = h[j];\n}}")
        return code
    code.scratch += [Buffer("float", "h", H, "hidden state of the running direction")]
    if has_c:
        code.scratch.append(Buffer("float", "c", H, "cell state of the running direction"))
    parts = [decl + "int32_t k;\nfloat *h = " + ctx.sym("h") + ";\n" + (f"float *c = {ctx.sym('c')};\n" if has_c else "")]
    width = layer.output_size
    for d in range(layer.num_directions):
        reverse = layer.direction == "reverse" or d == 1
        parts.append(f"/* direction {d}: {'backward, from the last step' if reverse else 'forward'} */\n"
                     + _reset(ctx, layer, d, "h", "c" if has_c else None))
        t = "steps - 1 - k" if reverse else "k"
        body = _cell_code(q, ctx, layer, d)
        parts.append(f"for (k = 0; k < steps; k++) {{\n    const float *x = in + (int32_t){layer.input_size} * ({t});\n"
                     + _indent(body) + f"\n    for (j = 0; j < {H}; j++) {{\n        out[(int32_t){width} * ({t}) + {d * H} + j] = h[j];\n    }}\n}}")
    code.sequence = "\n".join(parts)
    return code


def _reset(ctx, layer, d, h, c) -> str:
    dp = layer.dirs[d]
    H = layer.hidden_size
    lines = []
    for name, init, target in (("h0", dp.initial_h, h), ("c0", dp.initial_c, c)):
        if target is None:
            continue
        if _nonzero(init):
            sym = ctx.sym(f"{name}_{d}")
            lines.append(f"{{\n    int32_t j;\n    for (j = 0; j < {H}; j++) {{\n        {target}[j] = {sym}[j];\n    }}\n}}")
        else:
            lines.append(f"{{\n    int32_t j;\n    for (j = 0; j < {H}; j++) {{\n        {target}[j] = 0.0f;\n    }}\n}}")
    return "\n".join(lines)


def _nonzero(a) -> bool:
    return a is not None and bool(np.any(a != 0))


def _indent(s: str) -> str:
    return "\n".join(("    " + l) if l else l for l in s.splitlines())
