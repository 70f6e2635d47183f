"""Weights in and out of static-graph through safetensors, checked from the Python side, for
`tests/safetensors.rs` (its `mlp` graph: x [4, 3] -> tanh(x w1 + b1) w2 + b2, in f32).

1. Writes `tests/reference/from_numpy.safetensors` (weights made here with NumPy) and prints
   the forward pass NumPy computes with them on the test's `x`, which the test checks after
   `Variables::from_safetensors`.
2. Reads `tests/reference/from_rust.safetensors` (written by the test's `Variables::init(3)`
   through `to_safetensors`; `UPDATE_SAFETENSORS=1 cargo test --features safetensors --test
   safetensors` rewrites it) and prints every tensor's name, shape, dtype and values, which
   the test checks against the variables it wrote.

    pip install numpy safetensors
    python3 tools/safetensors_reference.py > tests/reference/safetensors.rs
"""

import numpy as np
from safetensors.numpy import load_file, save_file
from rust_consts import show


def grid(shape, scale, phase):
    n = int(np.prod(shape))
    return (scale * np.sin(0.7 * np.arange(n) + phase)).reshape(shape).astype(np.float32)


weights = {
    "w1": grid((3, 5), 0.8, 0.1),
    "b1": grid((5,), 0.3, 0.7),
    "w2": grid((5, 2), 0.9, 1.3),
    "b2": grid((2,), 0.2, 2.1),
}
save_file(weights, "../tests/reference/from_numpy.safetensors")
x = grid((4, 3), 1.0, 0.5)
out = np.tanh(x @ weights["w1"] + weights["b1"]) @ weights["w2"] + weights["b2"]
show("numpy_x", x, "f32")
show("numpy_out", out, "f32")

loaded = load_file("../tests/reference/from_rust.safetensors")
print(f"pub const RUST_NAMES: [&str; {len(loaded)}] = [{', '.join(repr(k).replace(chr(39), chr(34)) for k in sorted(loaded))}];")
for name in sorted(loaded):
    tensor = loaded[name]
    assert tensor.dtype == np.float32, tensor.dtype
    show(f"rust_shape_{name}", tensor.shape, "usize")
    show(f"rust_{name}", tensor, "f32")
