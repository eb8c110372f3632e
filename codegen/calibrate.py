"""Calibration statistics: ranges of every tensor a quantizer needs, from a float run.

The float simulator records the input and output of each layer and any internals a layer
chooses to expose (an LSTM's cell state, gate pre-activations) while running the
calibration sequences with the same reset schedule as deployment: every batch row is an
independent sequence starting from the reset state.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class Range:
    min: float = float("inf")
    max: float = float("-inf")
    count: int = 0

    @property
    def absmax(self) -> float:
        return max(abs(self.min), abs(self.max)) if self.count else 0.0

    def update(self, values: np.ndarray) -> None:
        v = np.asarray(values)
        if v.size == 0:
            return
        self.min = min(self.min, float(v.min()))
        self.max = max(self.max, float(v.max()))
        self.count += int(v.size)


@dataclass
class Stats:
    """Named ranges for one layer ('in', 'out', and layer-specific internals)."""
    ranges: dict[str, Range] = field(default_factory=dict)
    samples: dict[str, np.ndarray] = field(default_factory=dict)

    def observe(self, name: str, values: np.ndarray, mask: np.ndarray | None = None) -> None:
        """Record values (optionally only where mask is true: valid time steps)."""
        v = np.asarray(values)
        if mask is not None:
            v = v[np.broadcast_to(mask, v.shape)]
        self.ranges.setdefault(name, Range()).update(v)

    def keep(self, name: str, values: np.ndarray) -> None:
        """Keep a full tensor (layer outputs, for SQNR and MMSE fits)."""
        self.samples[name] = np.asarray(values)

    def range(self, name: str) -> Range:
        return self.ranges.get(name, Range())
