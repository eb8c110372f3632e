"""Registries: which function quantizes, simulates and emits each (layer kind, scheme).

Adding a scheme or a layer kind means registering three functions, never editing an
if-chain:

    @quantizer("lstm", "int8")
    def quantize_lstm_int8(layer: ir.RecurrentLayer, ctx: QuantContext) -> QLayer: ...

    @simulator("lstm", "int8", "int16x8")
    def simulate_lstm_int(q: QLayer, x, lengths, stats) -> np.ndarray: ...

    @emitter("lstm", "int8", "int16x8")
    def emit_lstm_int(q: QLayer, ctx: EmitContext) -> LayerCode: ...

A kernel backend other than rnnc's own (rnnc compile --kernels cmsis-nn) registers emitters
for the layers it implements; every other layer keeps the default emitter:

    @emitter("lstm", "int8", "int16x8", backend="cmsis-nn")

`declines=fn` narrows that to the layers the library computes exactly: fn(q) returns None for a
layer it takes, or why not; a declined layer keeps rnnc's kernels and numerics.

Signatures
- quantizer(layer, ctx) -> QLayer. ctx.in_q / ctx.in_dtype describe the input the layer
  receives (the previous layer's output); ctx.stats holds the float calibration statistics of
  this layer (see calibrate.Stats); the QLayer must set out_q/out_dtype.
- simulator(q, x, lengths, stats) -> y. x: (B, T, in) numpy array in q.in_dtype; lengths:
  int array (B,) of valid steps per row (steps >= length produce zeros and leave state alone);
  returns (B, T, out) in q.out_dtype. Vectorised over B, exact integer arithmetic for integer
  schemes. `stats` is None or a calibrate.Stats to record internals into (float runs only).
- emitter(q, ctx) -> emit.LayerCode (C fragments; see codegen/emit/frame.py).
- validator(q, check) -> None: checks a layer read back from a manifest (dtypes, shapes and
  ranges of everything the quantizer stored), failing through check.fail(reason).
"""
from __future__ import annotations

from typing import Callable

from .errors import UnsupportedError

QUANTIZERS: dict[tuple[str, str], Callable] = {}
SIMULATORS: dict[tuple[str, str], Callable] = {}
EMITTERS: dict[tuple[str, str], Callable] = {}
#: (kind, scheme) -> validator(q, check): raises through `check` when a loaded layer's arrays
#: or attrs are not what the quantizer writes (codegen/manifest_check.py)
VALIDATORS: dict[tuple[str, str], Callable] = {}
#: (backend, kind, scheme) -> emitter of a layer implemented by an external kernel library
BACKEND_EMITTERS: dict[tuple[str, str, str], Callable] = {}
#: (backend, kind, scheme) -> declines(q): None when the library takes the layer, else why not
BACKEND_DECLINES: dict[tuple[str, str, str], Callable | None] = {}


def _register(table: dict, kind: str, schemes: tuple[str, ...]):
    def deco(fn: Callable) -> Callable:
        for s in schemes:
            key = (kind, s)
            if key in table:
                raise RuntimeError(f"duplicate registration for {key}: {fn.__module__}.{fn.__name__}")
            table[key] = fn
        return fn
    return deco


def quantizer(kind: str, *schemes: str):
    return _register(QUANTIZERS, kind, schemes)


def simulator(kind: str, *schemes: str):
    return _register(SIMULATORS, kind, schemes)


def validator(kind: str, *schemes: str):
    return _register(VALIDATORS, kind, schemes)


def validate_layer(q, check) -> None:
    """Run the validator of a loaded layer; an unknown (kind, scheme) is a manifest error."""
    load_plugins()
    fn = VALIDATORS.get((q.kind, q.scheme))
    if fn is None:
        check.fail(f"no layer kind '{q.kind}' with scheme '{q.scheme}' exists")
    fn(q, check)


def emitter(kind: str, *schemes: str, backend: str | None = None, declines: Callable | None = None):
    if backend is None:
        return _register(EMITTERS, kind, schemes)

    def deco(fn: Callable) -> Callable:
        for s in schemes:
            if (backend, kind, s) in BACKEND_EMITTERS:
                raise RuntimeError(f"duplicate registration for {(backend, kind, s)}: {fn.__module__}.{fn.__name__}")
            BACKEND_EMITTERS[(backend, kind, s)] = fn
            BACKEND_DECLINES[(backend, kind, s)] = declines
        return fn
    return deco


def lookup_emitter(kind: str, scheme: str, backend: str | None, where: str = ""):
    """The emitter of a layer: the backend's own when it has one, else rnnc's."""
    load_plugins()
    if backend and (backend, kind, scheme) in BACKEND_EMITTERS:
        return BACKEND_EMITTERS[(backend, kind, scheme)]
    return lookup(EMITTERS, kind, scheme, "C emitter", where)


def backend_declines(backend: str, q) -> str | None:
    """None when a kernel backend implements this layer, else why it does not."""
    load_plugins()
    key = (backend, q.kind, q.scheme)
    if key not in BACKEND_EMITTERS:
        return f"{backend} does not implement {q.kind} layers ({q.scheme})"
    declines = BACKEND_DECLINES[key]
    return declines(q) if declines else None


def lookup(table: dict, kind: str, scheme: str, what: str, where: str = ""):
    load_plugins()
    try:
        return table[(kind, scheme)]
    except KeyError:
        have = sorted(s for k, s in table if k == kind)
        raise UnsupportedError(
            f"no {what} for {kind} layers with scheme '{scheme}' (available: {', '.join(have) or 'none'})",
            where=where or None) from None


_loaded = False


def load_plugins() -> None:
    """Import every module that registers layer implementations."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib
    import pkgutil
    from . import quant, sim
    from .emit import layers as emit_layers
    for pkg in (quant, sim, emit_layers):
        for m in pkgutil.iter_modules(pkg.__path__):
            if not m.name.startswith("_"):
                importlib.import_module(f"{pkg.__name__}.{m.name}")


def schemes() -> list[str]:
    load_plugins()
    return sorted({s for _, s in QUANTIZERS})
