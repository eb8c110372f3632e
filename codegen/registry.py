"""Registries: which function quantizes, simulates and emits each (layer kind, scheme).

Adding a scheme family or a layer kind means registering four functions, never editing an
if-chain. Implementations register for a scheme *family* (every scheme of the family in
codegen/schemes.py gets them) or, rarely, for named schemes:

    @quantizer("lstm", family="tflite-int")
    def quantize_lstm_int(layer: ir.RecurrentLayer, ctx: QuantContext) -> QLayer: ...

    @simulator("lstm", family="tflite-int")
    def simulate_lstm_int(q: QLayer, x, lengths, stats) -> np.ndarray: ...

    @emitter("lstm", family="tflite-int")
    def emit_lstm_int(q: QLayer, ctx: EmitContext) -> LayerCode: ...

    @validator("lstm", family="tflite-int")
    def validate_lstm_int(q: QLayer, check) -> None: ...

Lookups try the layer's scheme first, then its family.

A kernel backend other than rnnc's own (rnnc compile --kernels cmsis-nn) registers emitters
for the layers it implements; every other layer keeps the default emitter:

    @emitter("lstm", family="tflite-int", backend="cmsis-nn")

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
- state_codec(q, role, values, stored) -> array (recurrent kinds): the layer's streaming state
  `role` ('h' or 'c') from real numbers to the form its C state fields hold (stored=True), or
  back (stored=False); arrays (B, hidden).
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
#: (kind, scheme) -> codec(q, role, values, stored: bool): a recurrent layer's state ('h', 'c')
#: between real numbers (B, hidden) and the form its C state fields hold (codegen/state.py)
STATE_CODECS: dict[tuple[str, str], Callable] = {}
#: (backend, kind, scheme) -> emitter of a layer implemented by an external kernel library
BACKEND_EMITTERS: dict[tuple[str, str, str], Callable] = {}
#: (backend, kind, scheme) -> declines(q): None when the library takes the layer, else why not
BACKEND_DECLINES: dict[tuple[str, str, str], Callable | None] = {}


FAMILY = "family:"   # key prefix of a family-wide registration


def _keys(schemes: tuple[str, ...], family: str | None) -> list[str]:
    if bool(schemes) == bool(family):
        raise RuntimeError("register for named schemes or for one family, not both")
    return [FAMILY + family] if family else list(schemes)


def _register(table: dict, kind: str, schemes: tuple[str, ...], family: str | None):
    def deco(fn: Callable) -> Callable:
        for s in _keys(schemes, family):
            key = (kind, s)
            if key in table:
                raise RuntimeError(f"duplicate registration for {key}: {fn.__module__}.{fn.__name__}")
            table[key] = fn
        return fn
    return deco


def quantizer(kind: str, *schemes: str, family: str | None = None):
    return _register(QUANTIZERS, kind, schemes, family)


def simulator(kind: str, *schemes: str, family: str | None = None):
    return _register(SIMULATORS, kind, schemes, family)


def validator(kind: str, *schemes: str, family: str | None = None):
    return _register(VALIDATORS, kind, schemes, family)


def state_codec(kind: str, *schemes: str, family: str | None = None):
    return _register(STATE_CODECS, kind, schemes, family)


def emitter(kind: str, *schemes: str, family: str | None = None, backend: str | None = None,
            declines: Callable | None = None):
    if backend is None:
        return _register(EMITTERS, kind, schemes, family)

    def deco(fn: Callable) -> Callable:
        for s in _keys(schemes, family):
            if (backend, kind, s) in BACKEND_EMITTERS:
                raise RuntimeError(f"duplicate registration for {(backend, kind, s)}: {fn.__module__}.{fn.__name__}")
            BACKEND_EMITTERS[(backend, kind, s)] = fn
            BACKEND_DECLINES[(backend, kind, s)] = declines
        return fn
    return deco


def _find(table: dict, kind: str, scheme: str, prefix: tuple = ()):
    """The registration for (kind, scheme): the scheme's own, else its family's."""
    from .schemes import SCHEMES
    if prefix + (kind, scheme) in table:
        return table[prefix + (kind, scheme)]
    s = SCHEMES.get(scheme) if isinstance(scheme, str) else None
    return table.get(prefix + (kind, FAMILY + s.family)) if s is not None else None


def validate_layer(q, check) -> None:
    """Run the validator of a loaded layer; an unknown (kind, scheme) is a manifest error."""
    load_plugins()
    fn = _find(VALIDATORS, q.kind, q.scheme)
    if fn is None:
        check.fail(f"no layer kind '{q.kind}' with scheme '{q.scheme}' exists")
    fn(q, check)


def lookup_emitter(kind: str, scheme: str, backend: str | None, where: str = ""):
    """The emitter of a layer: the backend's own when it has one, else rnnc's."""
    load_plugins()
    if backend:
        fn = _find(BACKEND_EMITTERS, kind, scheme, (backend,))
        if fn is not None:
            return fn
    return lookup(EMITTERS, kind, scheme, "C emitter", where)


def backend_declines(backend: str, q) -> str | None:
    """None when a kernel backend implements this layer, else why it does not."""
    load_plugins()
    fn = _find(BACKEND_EMITTERS, q.kind, q.scheme, (backend,))
    if fn is None:
        return f"{backend} does not implement {q.kind} layers ({q.scheme})"
    from .schemes import SCHEMES
    key = next(k for k in ((backend, q.kind, q.scheme), (backend, q.kind, FAMILY + SCHEMES[q.scheme].family))
               if k in BACKEND_EMITTERS)
    declines = BACKEND_DECLINES[key]
    return declines(q) if declines else None


def supported_schemes(table: dict, kind: str) -> list[str]:
    """Every registered scheme that has an entry for this kind (named or through its family)."""
    from .schemes import scheme_names
    load_plugins()
    return [s for s in scheme_names() if _find(table, kind, s) is not None]


def lookup(table: dict, kind: str, scheme: str, what: str, where: str = ""):
    load_plugins()
    fn = _find(table, kind, scheme)
    if fn is None:
        have = supported_schemes(table, kind)
        raise UnsupportedError(
            f"no {what} for {kind} layers with scheme '{scheme}' (available: {', '.join(have) or 'none'})",
            where=where or None)
    return fn


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


def layer_kinds() -> list[str]:
    """Every layer kind some implementation is registered for."""
    load_plugins()
    return sorted({k for k, _ in QUANTIZERS} | {k for k, _ in SIMULATORS})
