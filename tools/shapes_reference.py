"""Reference numbers for `tests/jax_shapes.rs`: a self-attention block over a batch of
sequences, with layer normalisation, indexing, reshape, concat and reductions over several
axes, computed by JAX in float64 and in float32.

The inputs are formulas the test recomputes in Rust: element `i` (row-major) of a tensor
with offset `c` is `sin(0.7 * i + c) * scale`.

    pip install jax numpy
    python3 tools/shapes_reference.py > tests/reference/shapes.rs
"""

import jax
import jax.numpy as jnp
import numpy as np
from rust_consts import show

jax.config.update("jax_enable_x64", True)

B, N, D = 2, 4, 6


def filled(shape, offset, scale):
    count = int(np.prod(shape))
    return jnp.asarray(np.sin(0.7 * np.arange(count) + offset) * scale).reshape(shape)


inputs = {
    "x": filled((B, N, D), 0.0, 1.0),
    "wq": filled((D, D), 1.0, 0.5),
    "wk": filled((D, D), 2.0, 0.5),
    "wv": filled((D, D), 3.0, 0.5),
    "gain": filled((D,), 4.0, 1.0),
}


def block(x, wq, wk, wv, gain):
    q = x @ wq
    k = x @ wk
    v = x @ wv
    scores = jax.nn.softmax(q @ jnp.transpose(k, (0, 2, 1)) * 0.4, axis=-1)
    h = scores @ v + x
    mu = jnp.mean(h, axis=-1, keepdims=True)
    centred = h - mu
    var = jnp.mean(centred * centred, axis=-1, keepdims=True)
    normed = centred / jnp.sqrt(var + 0.001) * gain
    first = normed[:, 0]
    pairs = jnp.reshape(normed, (B, N, 3, 2))
    joined = jnp.concatenate([first, normed[:, -1, 1:4]], axis=1)
    spread = jnp.max(pairs, axis=(1, 3)) - jnp.min(pairs, axis=(1, 3))
    cost = jnp.mean(joined * joined) + jnp.sum(spread, axis=(0, 1))
    return cost, {"normed": normed, "joined": joined, "spread": spread}


def run(dtype):
    args = [jnp.asarray(v, dtype) for v in inputs.values()]
    return jax.value_and_grad(block, argnums=(0, 1, 2, 3, 4), has_aux=True)(*args)


print("// Written by tools/shapes_reference.py (JAX); do not edit.")
for dtype, suffix, rust_type in [(jnp.float64, "", "f64"), (jnp.float32, "_F32", "f32")]:
    (cost, values), grads = run(dtype)
    show("cost" + suffix, [cost], rust_type)
    for name in ["normed", "joined", "spread"]:
        show(name + suffix, values[name], rust_type)
    for name, g in zip(["x", "wq", "wk", "wv", "gain"], grads):
        show("d_" + name + suffix, g, rust_type)
