"""Writes reference numbers as Rust constants, for the `tools/*_reference.py` scripts."""

import numpy as np


def show(name, value, rust_type="f64"):
    """Prints `pub const NAME: [type; n] = [...];`, each number as briefly as its type allows
    (the shortest text that reads back to the same value)."""
    if rust_type in ("usize", "i32", "i64"):
        texts = [str(int(v)) for v in np.asarray(value).ravel()]
    elif rust_type == "f32":
        texts = [text(np.float32(v), "f32") for v in np.asarray(value, np.float32).ravel()]
    else:
        texts = [text(float(v), "f64") for v in np.asarray(value, np.float64).ravel()]
    print(f"pub const {name.upper()}: [{rust_type}; {len(texts)}] = [{', '.join(texts)}];")


def text(v, rust_type):
    """One number as Rust reads it: non-finite ones by the type's constants."""
    if np.isnan(v):
        return f"{rust_type}::NAN"
    if np.isinf(v):
        return f"{rust_type}::INFINITY" if v > 0 else f"{rust_type}::NEG_INFINITY"
    return str(v) if rust_type == "f32" else repr(v)
