"""Fake quantization with straight-through gradients (PyTorch): the forward pass sees the values
the integer model computes with, the backward pass the identity (clipped to the range).

The online activation codes follow docs/numerics-lowbit.md "Coded activations" on the
centered integers v = q - zp (greedy binary codes with rounded integer coefficients; threshold
ternary), so the training forward pass sees the same coded values as the simulator.
"""
from __future__ import annotations

import torch

from .. import ir
from ..quant.common import DTYPE_RANGE


def straight_through(x: torch.Tensor, value: torch.Tensor) -> torch.Tensor:
    """`value` forward, the gradient of x backward."""
    return x + (value - x).detach()


def _centered(x: torch.Tensor, q: ir.QuantParams):
    """(x clipped to the representable range, the centered integers v = q - zp as floats)."""
    lo, hi = DTYPE_RANGE[q.dtype]
    x = x.clamp((lo - q.zero_point) * q.scale, (hi - q.zero_point) * q.scale)
    v = x / q.scale
    return x, torch.sign(v) * torch.floor(v.abs() + 0.5)     # half away from zero, as QUANTIZE


def fake_quantize(x: torch.Tensor, q: ir.QuantParams | None) -> torch.Tensor:
    """x rounded to the affine grid of q and clipped to its dtype's range (identity if None).

    >>> q = ir.QuantParams(0.5, 3, "int8")
    >>> fake_quantize(torch.tensor([0.3, 0.8, -100.0]), q).tolist()
    [0.5, 1.0, -65.5]
    """
    if q is None:
        return x
    xc, v = _centered(x, q)
    return straight_through(xc, v * q.scale)


def code_binary(v: torch.Tensor, bits: int) -> torch.Tensor:
    """sum_k beta_k s_k of the greedy binary codes of each row of v (integers as floats):
    s_k = sign of the residual (+1 at 0), beta_k = (sum|r| + n // 2) // n.

    >>> code_binary(torch.tensor([[5., -3., 0., 2.]]), 2).tolist()     # betas 3, 2
    [[5.0, -1.0, 1.0, 1.0]]
    """
    n = v.shape[-1]
    r, total = v, torch.zeros_like(v)
    for _ in range(bits):
        s = torch.where(r >= 0, 1.0, -1.0)
        beta = torch.floor((r.abs().sum(-1, keepdim=True) + n // 2) / n)
        total = total + beta * s
        r = r - beta * s
    return total


def code_ternary(v: torch.Tensor) -> torch.Tensor:
    """beta * t of the threshold ternary code: t = sign(v) where 10 n |v| > 7 sum|v|, beta the
    rounded mean |v| of the kept entries.

    >>> code_ternary(torch.tensor([[10., -10., 1., 0.]])).tolist()
    [[10.0, -10.0, 0.0, 0.0]]
    """
    n = v.shape[-1]
    a = v.abs()
    keep = 10 * n * a > 7 * a.sum(-1, keepdim=True)
    count = keep.sum(-1, keepdim=True)
    kept_sum = torch.where(keep, a, torch.zeros_like(a)).sum(-1, keepdim=True)
    beta = torch.where(count > 0, torch.floor((kept_sum + count // 2) / count.clamp(min=1)), torch.zeros_like(kept_sum))
    return torch.where(keep, torch.sign(v) * beta, torch.zeros_like(v))


def fake_code(x: torch.Tensor, q: ir.QuantParams, act: dict) -> torch.Tensor:
    """x quantized at q, then coded online like a popcount kernel's input (act: {'kind', 'bits'})."""
    xc, v = _centered(x, q)
    coded = code_ternary(v) if act["kind"] == "ternary" else code_binary(v, act["bits"])
    return straight_through(xc, coded * q.scale)
