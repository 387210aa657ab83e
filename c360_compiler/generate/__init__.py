"""generate: synthetic bronze data from specs/generation.yaml (see README.md for the steps)."""
