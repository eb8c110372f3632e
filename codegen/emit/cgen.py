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


def c_array(ctype: str, name: str, values, per_line: int = 16, static: bool = True,
            const: bool = True, align: int | None = None) -> str:
    """A C array definition with a fixed layout (same values -> same bytes)."""
    flat = np.asarray(values).reshape(-1)
    if flat.size == 0:
        raise ValueError(f"empty array {name}")
    items = [c_literal(v, ctype) for v in flat.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    quals = ("static " if static else "") + ("const " if const else "")
    attr = f" RNNC_ALIGN({align})" if align else ""
    body = ",\n    ".join(lines)
    return f"{quals}{ctype} {name}[{flat.size}]{attr} = {{\n    {body}\n}};"


def c_comment(text: str) -> str:
    """A block comment; '*/' in text can never close it early."""
    safe = str(text).replace("*/", "* /")
    return "/* " + safe + " */"
