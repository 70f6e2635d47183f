"""Reference numbers for `tests/ids.rs`: the ops on integer ids (`gather`, `one_hot`,
`sparse_softmax_cross_entropy`, `argmax`, comparisons of ids), values and gradients,
computed by JAX in float64 and in float32.

The cost is `sum(gather(table, ids) * weights) + sum(losses * row_weights)`, so every
element's derivative shows; `ids` repeats a row, whose gradient must accumulate.

    pip install jax numpy
    python3 tools/ids_reference.py > tests/reference/ids.rs
"""

import jax
import jax.numpy as jnp
import numpy as np
from rust_consts import show

jax.config.update("jax_enable_x64", True)

ids = np.array([3, 0, 3, 4])
labels = np.array([1, 4, 0, 2])
table = jnp.asarray(np.sin(np.arange(15) * 0.7).reshape(5, 3))
weights = jnp.asarray(np.cos(np.arange(12) * 0.4).reshape(4, 3))
# The last row is large: a naive exp would overflow.
logits = np.cos(np.arange(20) * 1.1).reshape(4, 5) * 3
logits[3] += 1000.0
logits = jnp.asarray(logits)
row_weights = jnp.asarray([0.5, -1.0, 2.0, 0.25])


def losses(logits):
    return -jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1)[:, 0]


def cost(table, logits, weights, row_weights):
    return jnp.sum(table[ids] * weights) + jnp.sum(losses(logits) * row_weights)


def report(suffix, dtype, rust_type):
    t, lg, w, rw = (a.astype(dtype) for a in (table, logits, weights, row_weights))
    d_table, d_logits = jax.grad(cost, argnums=(0, 1))(t, lg, w, rw)
    show("picked" + suffix, t[ids], rust_type)
    show("losses" + suffix, losses(lg), rust_type)
    show("d_table" + suffix, d_table, rust_type)
    show("d_logits" + suffix, d_logits, rust_type)


print("// Written by tools/ids_reference.py (JAX); do not edit.")
show("table", table)
show("weights", weights)
show("logits", logits)
show("row_weights", row_weights)
report("", jnp.float64, "f64")
report("_f32", jnp.float32, "f32")
show("hot", jax.nn.one_hot(ids, 5))
predicted = jnp.argmax(logits, axis=-1)
show("predicted", predicted, "usize")
show("correct", (predicted == labels).astype(jnp.float64))
show("single_loss", losses(logits)[:1])

# argmax at ties (the first) and NaN (the first NaN), along each axis.
scores = jnp.asarray(
    [
        [1.0, 3.0, 3.0, 0.0],
        [np.nan, 5.0, np.nan, 1.0],
        [2.0, np.nan, 9.0, 9.0],
        [-np.inf, -np.inf, -np.inf, -np.inf],
    ]
)
show("scores", scores)
show("argmax_rows", jnp.argmax(scores, axis=1), "usize")
show("argmax_columns", jnp.argmax(scores, axis=0), "usize")
