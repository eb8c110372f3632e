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

Lookups try the layer's scheme first, then its family, then the family it extends
(codegen/schemes.py).

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
- weight_projector(layer, ctx) -> layer: a copy of the IR layer whose weights are replaced by
  the real values the scheme's integer weights stand for (levels * scales), computed by the
  same coders as the quantizer; quantization-aware training uses it in its forward pass
  (codegen/train). Kinds without quantized weights need none.
- tflite_exporter(q, ctx, x) -> y: writes the layer into ctx.writer as TFLite operators whose
  reference arithmetic (TFLite Micro) equals the simulator's, reading tensor index x and
  returning the output tensor's index; raises UnsupportedError for what TFLite cannot express.
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
#: (kind, scheme) -> projector(layer, ctx): the layer with its weights as the scheme codes them
WEIGHT_PROJECTORS: dict[tuple[str, str], Callable] = {}
#: (kind, scheme) -> exporter(q, ctx, x) -> y: the layer as TFLite operators reading tensor x
#: and giving tensor y (codegen/tflite_export)
TFLITE_EXPORTERS: dict[tuple[str, str], Callable] = {}
#: family -> planner(model, schemes, options): model-wide choices a family makes before its
#: layers are quantized one by one (which int4 layers get a residual tensor)
PLANNERS: dict[str, Callable] = {}
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


def weight_projector(kind: str, *schemes: str, family: str | None = None):
    return _register(WEIGHT_PROJECTORS, kind, schemes, family)


def tflite_exporter(kind: str, *schemes: str, family: str | None = None):
    return _register(TFLITE_EXPORTERS, kind, schemes, family)


def planner(family: str):
    def deco(fn: Callable) -> Callable:
        if family in PLANNERS:
            raise RuntimeError(f"duplicate planner for family '{family}'")
        PLANNERS[family] = fn
        return fn
    return deco


def run_planners(model, schemes, options: dict) -> None:
    """Each family used by the model plans what it needs to know about the whole model."""
    load_plugins()
    for family in sorted({s.family for s in schemes}):
        if family in PLANNERS:
            PLANNERS[family](model, schemes, options)


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


def _owners(scheme: str) -> list[str]:
    """Registration keys of a scheme, most specific first: the scheme, its family, and the
    family that family extends."""
    from .schemes import SCHEMES
    s = SCHEMES.get(scheme) if isinstance(scheme, str) else None
    if s is None:
        return [scheme]
    return [scheme, FAMILY + s.family] + ([FAMILY + s.extends] if s.extends else [])


def _find(table: dict, kind: str, scheme: str, prefix: tuple = ()):
    """The registration for (kind, scheme): the scheme's own, else its family's, else the
    extended family's."""
    for owner in _owners(scheme):
        if prefix + (kind, owner) in table:
            return table[prefix + (kind, owner)]
    return None


def _find_backend(backend: str, kind: str, scheme: str):
    """A kernel backend's (emitter, declines) for a layer, or None. A backend serves a layer
    only at the level that owns its default emitter: an extending family that emits a kind
    itself (low-bit LSTM weights) is never handed to the extended family's library."""
    for owner in _owners(scheme):
        if (backend, kind, owner) in BACKEND_EMITTERS:
            return BACKEND_EMITTERS[(backend, kind, owner)], BACKEND_DECLINES[(backend, kind, owner)]
        if (kind, owner) in EMITTERS:
            return None
    return None


def validate_layer(q, check) -> None:
    """Run the validator of a loaded layer; an unknown (kind, scheme) is a manifest error."""
    load_plugins()
    fn = _find(VALIDATORS, q.kind, q.scheme)
    if fn is None:
        check.fail(f"no layer kind '{q.kind}' with scheme '{q.scheme}' exists")
    fn(q, check)


def find_tflite_exporter(kind: str, scheme: str):
    """The .tflite exporter of a layer kind under a scheme, or None (not expressible)."""
    load_plugins()
    return _find(TFLITE_EXPORTERS, kind, scheme)


def find_projector(kind: str, scheme: str):
    """The weight projector of a layer kind under a scheme, or None (no quantized weights)."""
    load_plugins()
    return _find(WEIGHT_PROJECTORS, kind, scheme)


def lookup_emitter(kind: str, scheme: str, backend: str | None, where: str = ""):
    """The emitter of a layer: the backend's own when it has one, else rnnc's."""
    load_plugins()
    if backend:
        found = _find_backend(backend, kind, scheme)
        if found is not None:
            return found[0]
    return lookup(EMITTERS, kind, scheme, "C emitter", where)


def backend_declines(backend: str, q) -> str | None:
    """None when a kernel backend implements this layer, else why it does not."""
    load_plugins()
    found = _find_backend(backend, q.kind, q.scheme)
    if found is None:
        return f"{backend} does not implement {q.kind} layers ({q.scheme})"
    declines = found[1]
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
    from . import quant, sim, tflite_export
    from .emit import layers as emit_layers
    for pkg in (quant, sim, emit_layers, tflite_export):
        for m in pkgutil.iter_modules(pkg.__path__):
            if not m.name.startswith("_"):
                importlib.import_module(f"{pkg.__name__}.{m.name}")


def layer_kinds() -> list[str]:
    """Every layer kind some implementation is registered for."""
    load_plugins()
    return sorted({k for k, _ in QUANTIZERS} | {k for k, _ in SIMULATORS})
