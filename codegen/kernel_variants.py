"""Kernel variants: which implementation of the integer kernels the generated C builds.

    auto       the best path the target's compiler flags enable (the default); on x86-64
               hosts every x86 path is built and the running CPU's best is chosen at start-up
    portable   plain C99 kernels only
    dsp        Arm DSP-extension paths (Cortex-M4/M7/M33/M55)
    mve        Helium paths (Cortex-M55), DSP paths where a kernel has no Helium path
    neon       Arm64 NEON paths without SDOT ('auto' uses SDOT where the flags enable it)
    cmsis-nn   integer LSTM and dense layers call CMSIS-NN (arm_lstm_unidirectional_s8/_s16,
               arm_fully_connected_s8/_per_channel_s8/_s16), built from the checkout named by
               CMSIS_NN_PATH; numerics follow CMSIS-NN ('cmsis-nn' flavour)

Each target lists the variants it can build in targets/<name>/target.toml (kernel_variants).
"""
from __future__ import annotations

from .errors import RnncError

#: variant -> RNNC_KERNELS_* value it builds with (kernels/rnnc_common.h)
MACROS = {"auto": "AUTO", "portable": "PORTABLE", "dsp": "DSP", "mve": "MVE", "neon": "NEON", "cmsis-nn": "AUTO"}

#: variants that hand some layers to an external kernel library -> the library's numerics flavour
BACKENDS = {"cmsis-nn": "cmsis-nn"}


def target_variants(target: dict) -> list[str]:
    return ["auto"] + [v for v in target.get("kernel_variants", ["portable"]) if v != "auto"]


def check_kernels(kernels: str, target: dict) -> str:
    """Validate --kernels for a target; returns the variant name."""
    have = target_variants(target)
    if kernels not in MACROS:
        raise RnncError(f"unknown --kernels '{kernels}' (choose one of {', '.join(have)})")
    if kernels not in have:
        raise RnncError(f"--kernels {kernels} is not available on target {target['name']} "
                        f"(choose one of {', '.join(have)})")
    return kernels


def build_defines(kernels: str) -> list[str]:
    """The compiler flag that selects a variant's kernel paths (nothing for 'auto'): the kernel
    files are the same for every variant, the choice is made when they are compiled."""
    return [] if MACROS[kernels] == "AUTO" else [f"-DRNNC_KERNELS=RNNC_KERNELS_{MACROS[kernels]}"]


def fc_s8_rows(target: dict, kernels: str) -> bool:
    """Lay int8 FC weights out row-major for Helium (VMLADAV dot products along each row)
    instead of rnnc's 16x4 blocks; the kernels' portable path follows the same layout."""
    return kernels in ("auto", "mve", "cmsis-nn") and "mve" in target_variants(target)


def fc_s8_signed_inputs(target: dict) -> bool:
    """Give the int8 gate FC its inputs as they are (rnnc_fc_s8_s16_b16x4_signed, plain
    biases) instead of offset by +128: on Arm64, whose SDOT and SMULL multiply signed bytes, one
    dot product then covers 4 rows x 4 inputs where the offset inputs need two."""
    return "neon" in target_variants(target)


def fc_s8_signed_avx2(target: dict, kernels: str) -> bool:
    """x86 outputs whose int8 gate FC is rnnc_fc_s8_s16_b16x4 also carry plain biases for
    rnnc_fc_s8_s16_b16x4_signed, which their steps call on the AVX2 level without VNNI
    (kernels/rnnc_gate_fc_s8.h): VPMADDUBSW takes 32 products an instruction on signed inputs,
    where the +128-offset inputs the VNNI levels need could saturate it."""
    return bool(target.get("x86_dispatch")) and kernels != "portable"


def backend(kernels: str) -> str | None:
    """The external kernel library of a variant, or None for rnnc's own kernels."""
    return kernels if kernels in BACKENDS else None


def use_kernel_variant(qm, kernels: str) -> None:
    """Record the variant in a quantized model; a backend's layers take its numerics flavour.

    Only layers the backend implements change flavour (the simulator then models the
    library's arithmetic for them, and the emitter calls the library); every other layer keeps
    rnnc's kernels and numerics, with the reason in q.attrs['kernels_note']."""
    from .registry import backend_declines
    qm.kernels = kernels
    lib = backend(kernels)
    if lib is None:
        return
    used = False
    for q in qm.layers:
        why = backend_declines(lib, q)
        if why is None:
            q.attrs["flavour"] = BACKENDS[lib]
            used = True
        else:
            q.attrs["kernels_note"] = why
    if used:
        qm.flavour = BACKENDS[lib]


def layer_backend(qm, q) -> str | None:
    """The external library that computes this layer, or None for rnnc's kernels."""
    lib = backend(qm.kernels)
    return lib if lib is not None and q.attrs.get("flavour") == BACKENDS[lib] else None
