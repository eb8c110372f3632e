"""Layer emitters, one module per layer family and scheme family, registered by decorator."""
