"""Compilers and runners: build the generated C for a target and run it on inputs."""
