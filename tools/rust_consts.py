"""Writes reference numbers as Rust constants, for the `tools/*_reference.py` scripts."""

import numpy as np


def show(name, value, rust_type="f64"):
    """Prints `pub const NAME: [type; n] = [...];`, each number as briefly as its type allows
    (the shortest text that reads back to the same value)."""
    if rust_type == "f32":
        texts = [str(np.float32(v)) for v in np.asarray(value, np.float32).ravel()]
    else:
        texts = [repr(float(v)) for v in np.asarray(value, np.float64).ravel()]
    print(f"pub const {name.upper()}: [{rust_type}; {len(texts)}] = [{', '.join(texts)}];")
