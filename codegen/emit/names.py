"""The C prefix of a generated model, and the names it must not take.

The prefix names the model's files (<prefix>.h, <prefix>.c, <prefix>_weights.h) and symbols
(<prefix>_step, <PREFIX>_INPUT_SIZE). A prefix that is also the name of a standard or
compiler header would write <prefix>.h beside the sources and shadow that header for every
file built with the output folder on its include path; `rnnc*` is rnnc's own namespace (the
kernels, the testbench). Such prefixes are refused when given, and a model whose file name
would make one gets '_model' appended.

>>> check_prefix("kws")
'kws'
>>> default_prefix("math")
'math_model'
>>> default_prefix("rnnc_testbench")
'model_rnnc_testbench'
"""
from __future__ import annotations

from ..errors import RnncError
from .cgen import c_identifier

#: headers of C99/C11 and POSIX, the compilers' intrinsics and the Arm/CMSIS headers the
#: generated code or a firmware around it includes by name
RESERVED_HEADERS = frozenset("""
assert complex ctype errno fenv float inttypes iso646 limits locale math setjmp signal stdalign
stdarg stdatomic stdbool stddef stdint stdio stdlib stdnoreturn string tgmath threads time uchar
wchar wctype unistd fcntl pthread sched semaphore strings alloca malloc memory endian features
immintrin emmintrin xmmintrin pmmintrin tmmintrin smmintrin nmmintrin x86intrin intrin cpuid
arm_acle arm_neon arm_mve arm_math arm_nnfunctions arm_nn_types arm_nnsupportfunctions
cmsis_compiler cmsis_gcc core_cm0 core_cm3 core_cm4 core_cm7 core_cm33 core_cm55 ethosu_driver
semihost startup main
""".split())


def reserved_reason(prefix: str) -> str | None:
    """Why a (valid identifier) prefix cannot be used, or None."""
    if prefix in RESERVED_HEADERS:
        return f"'{prefix}' would write {prefix}.h, which shadows the system or toolchain header of that name"
    if prefix == "rnnc" or prefix.startswith("rnnc_"):
        return f"'{prefix}' is in rnnc's own namespace (its kernels and testbench are rnnc_*)"
    if prefix == "testbench":
        return "'testbench' is the name of rnnc's test harness"
    return None


def check_prefix(prefix: str) -> str:
    """A prefix the user asked for: a lowercase C identifier that collides with nothing."""
    if not isinstance(prefix, str) or not prefix or c_identifier(prefix) != prefix:
        raise RnncError(f"--prefix '{prefix}' is not a lowercase C identifier (try '{c_identifier(prefix)}')")
    why = reserved_reason(prefix)
    if why:
        raise RnncError(f"--prefix {why}; choose another prefix")
    return prefix


def default_prefix(model_name: str) -> str:
    """The prefix made from a model's file name, moved out of the way of reserved names."""
    name = c_identifier(model_name)
    if reserved_reason(name):
        name = c_identifier("model_" + name) if name.startswith("rnnc") else c_identifier(name[:26] + "_model")
    return name


def comment_safe(text: str, limit: int = 60) -> str:
    """A string from the model, fit for a C comment: printable ASCII, no comment delimiters.

    >>> comment_safe("h*/ evil")
    'h__ evil'
    """
    s = "".join(ch if " " <= ch <= "~" else "_" for ch in str(text))[:limit]
    return s.replace("*/", "__").replace("/*", "__")
