"""Progress of work that can take more than a few seconds (calibration, emission, builds,
emulated runs), shown as one self-erasing status line on stderr when it is a terminal.

The library is silent unless the command line enables it; stages nest freely.

>>> enable(False)
>>> with stage("compiling"):
...     pass
"""
from __future__ import annotations

import contextlib
import sys

_enabled = False


def enable(on: bool) -> None:
    global _enabled
    _enabled = bool(on)


def _show(text: str) -> None:
    sys.stderr.write("\r\033[K" + text)
    sys.stderr.flush()


@contextlib.contextmanager
def stage(what: str):
    """Show 'rnnc: <what>...' while the with-block runs."""
    if not _enabled:
        yield
        return
    _show(f"rnnc: {what}...")
    try:
        yield
    finally:
        _show("")
