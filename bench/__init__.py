"""Data generator and load benchmark: see bench/README.md."""
