"""One error type for everything a user can get wrong.

Every message names the file, the node or layer, and the reason, so the CLI can print it
as a single line (exit code 2) instead of a traceback.
"""
from __future__ import annotations


class RnncError(Exception):
    """A user-facing error: bad input, unsupported feature, missing tool.

    >>> str(RnncError("bad shape", file="m.onnx", where="node 'lstm0' (LSTM)"))
    "m.onnx: node 'lstm0' (LSTM): bad shape"
    """

    def __init__(self, reason: str, *, file: str | None = None, where: str | None = None):
        self.reason = reason
        self.file = file
        self.where = where
        super().__init__(self.message())

    def message(self) -> str:
        parts = [p for p in (self.file, self.where) if p]
        return ": ".join(parts + [self.reason])

    def with_context(self, *, file: str | None = None, where: str | None = None) -> "RnncError":
        """Fill in file/where if not already set (outer layers know the file name)."""
        return type(self)(self.reason, file=self.file or file, where=self.where or where)


class UnsupportedError(RnncError):
    """A valid model that uses a feature rnnc refuses, named explicitly."""
