"""Shared pieces of the integer LSTM / GRU / RNN emitters: per-direction arrays and the
whole-sequence loop of reverse and bidirectional layers."""
from __future__ import annotations

from ...kernel_variants import fc_s8_rows
from ..packing import kernel_arrays

#: activation dtype -> (kernel suffix, C type of activations, C type of effective biases)
KIND = {"int8": ("s8", "int8_t", "int32_t"), "int16": ("s16", "int16_t", "int64_t")}


def direction_arrays(q, ctx, d: int, suffix: str, bias_t: str) -> list[str]:
    """Weights and effective biases of direction d, as the step kernel reads them."""
    w, r, bx, bh = kernel_arrays(q, d, suffix, rows=fc_s8_rows(ctx.target, ctx.kernels))
    return [ctx.array("int8_t", f"w{d}", w), ctx.array("int8_t", f"r{d}", r),
            ctx.array(bias_t, f"bx{d}", bx, per_line=8), ctx.array(bias_t, f"bh{d}", bh, per_line=8)]


def sequence_body(q, ctx, resets: list[tuple[str, str]], step_call) -> str:
    """Run every direction over the whole sequence: `resets` are (buffer, value) pairs set
    before each direction; step_call(d, input_expr) is one step's call; h is ctx.sym('h')."""
    H = q.attrs["hidden_size"]
    h = ctx.sym("h")
    parts = ["int32_t j, k;"]
    for d in range(len(q.attrs["dirs"])):
        reverse = q.attrs["direction"] == "reverse" or d == 1
        t = "steps - 1 - k" if reverse else "k"
        init = "\n".join(f"    {buf}[j] = {val};" for buf, val in resets)
        parts.append(
            f"/* direction {d}: {'backward, from the last step' if reverse else 'forward'} */\n"
            f"for (j = 0; j < {H}; j++) {{\n{init}\n}}\n"
            f"for (k = 0; k < steps; k++) {{\n"
            f"    {step_call(d, f'in + (int32_t){q.in_size} * ({t})')};\n"
            f"    for (j = 0; j < {H}; j++) {{\n        out[(int32_t){q.out_size} * ({t}) + {d * H} + j] = {h}[j];\n    }}\n}}")
    return "\n".join(parts)
