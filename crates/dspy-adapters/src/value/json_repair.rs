//! A port of the behaviour of Python's `json_repair.loads` (0.64.6) that DSPy relies on.
