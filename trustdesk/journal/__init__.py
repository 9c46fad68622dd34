"""The journal: append-only, hash-chained evidence of every change of state."""
