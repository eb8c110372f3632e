"""Deterministic byte mutations for parser fuzzing."""
from __future__ import annotations

import numpy as np


def mutations(seeds: list[bytes], count: int, seed: int = 0):
    """Yield `count` mutated copies of the seed files: bit flips, truncation, insertion,
    deletion, and 4-byte words overwritten with extreme values (lengths, offsets)."""
    rng = np.random.default_rng(seed)
    extremes = [0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000, 0xFFFF, 64, 1 << 20]
    for k in range(count):
        data = bytearray(seeds[k % len(seeds)])
        kind = k % 5
        n = len(data)
        if kind == 0:
            for _ in range(int(rng.integers(1, 8))):
                i = int(rng.integers(0, n))
                data[i] ^= 1 << int(rng.integers(0, 8))
        elif kind == 1:
            data = data[:int(rng.integers(0, n))]
        elif kind == 2:
            i = int(rng.integers(0, n))
            data[i:i] = rng.integers(0, 256, int(rng.integers(1, 16)), dtype=np.uint8).tobytes()
        elif kind == 3:
            i = int(rng.integers(0, n))
            del data[i:i + int(rng.integers(1, 64))]
        else:
            i = int(rng.integers(0, max(n - 4, 1)))
            v = extremes[int(rng.integers(0, len(extremes)))]
            data[i:i + 4] = int(v).to_bytes(4, "little")
        yield bytes(data)
