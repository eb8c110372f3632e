"""Reference simulators, one module per layer family and scheme family (see registry.py)."""
