"""Small, deterministic C emission helpers.

>>> c_identifier("LSTM/forward:0")
'lstm_forward_0'
>>> c_identifier("3x")
'n3x'
>>> c_identifier("int")
'int_'
>>> c_float(0.1)
'0.100000001f'
>>> c_float(-0.0)
'-0.0f'
>>> print(c_array("int8_t", "w", [1, -2, 3], per_line=2))
static const int8_t w[3] = {
    1, -2,
    3
};
"""
from __future__ import annotations

import re

import numpy as np

C_KEYWORDS = frozenset("""
auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Bool _Complex _Imaginary main
""".split())


def c_identifier(name: str, max_len: int = 32) -> str:
    """Turn any string into a safe lowercase C identifier (model strings never reach C raw)."""
    s = re.sub(r"[^a-z0-9_]+", "_", str(name).lower()).strip("_")
    s = re.sub(r"_+", "_", s) or "x"
    if s[0].isdigit():
        s = "n" + s
    s = s[:max_len].rstrip("_") or "x"
    if s in C_KEYWORDS:
        s += "_"
    return s


def c_float(v: float) -> str:
    """A float32 literal that round-trips exactly."""
    f = np.float32(v)
    if not np.isfinite(f):
        raise ValueError(f"non-finite constant {v!r} cannot be emitted")
    if f == 0:
        return "-0.0f" if np.signbit(f) else "0.0f"
    s = f"{float(f):.9g}"
    if "e" not in s and "." not in s:
        s += ".0"
    return s + "f"


def c_literal(v, ctype: str) -> str:
    if ctype == "float":
        return c_float(v)
    iv = int(v)
    if ctype in ("int32_t",) and iv == -2 ** 31:
        return "(-2147483647 - 1)"
    if ctype == "int64_t":
        return f"INT64_C({iv})"
    if ctype == "uint32_t":
        return f"{iv}u"
    return str(iv)


def c_literals(values, ctype: str) -> list[str]:
    """c_literal of every element, vectorised where it matters (millions of weights): float32
    literals are '%.9g' (exact round trip) with '.0' added to the integral ones, as c_float.

    >>> c_literals(np.array([0.1, -0.0, 2.0, 1e-5, 123456789.0]), "float")
    ['0.100000001f', '-0.0f', '2.0f', '9.99999975e-06f', '123456792.0f']
    >>> c_literals(np.array([-2 ** 31, 7]), "int32_t")
    ['(-2147483647 - 1)', '7']
    """
    flat = np.asarray(values).reshape(-1)
    if ctype == "float":
        f = flat.astype(np.float32)
        if not np.all(np.isfinite(f)):
            raise ValueError("non-finite constant cannot be emitted")
        items = list(map("{:.9g}f".format, f.astype(np.float64).tolist()))
        for i in np.flatnonzero((f == np.round(f)) & (np.abs(f) < 1e9)).tolist():
            items[i] = items[i][:-1] + ".0f"
        return items
    if ctype in ("int32_t", "int64_t", "uint32_t"):
        return [c_literal(v, ctype) for v in flat.tolist()]
    return list(map(str, flat.astype(np.int64).tolist()))


def c_array(ctype: str, name: str, values, per_line: int = 16, static: bool = True,
            const: bool = True, align: int | None = None) -> str:
    """A C array definition with a fixed layout (same values -> same bytes)."""
    flat = np.asarray(values).reshape(-1)
    if flat.size == 0:
        raise ValueError(f"empty array {name}")
    items = c_literals(flat, ctype)
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    quals = ("static " if static else "") + ("const " if const else "")
    attr = f" RNNC_ALIGN({align})" if align else ""
    body = ",\n    ".join(lines)
    return f"{quals}{ctype} {name}[{flat.size}]{attr} = {{\n    {body}\n}};"
