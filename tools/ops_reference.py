"""Reference numbers for `tests/ops.rs`: every elementwise op of the language's second issue,
its value and its gradient, computed by JAX in float64 and in float32.

Each op is applied to the same inputs, chosen away from kinks (the kinks are tested exactly
in `tests/ops.rs`); the gradient is of `sum(op(x) * weights)`, so every element's derivative
shows.

    pip install jax numpy
    python3 tools/ops_reference.py > tests/reference/ops.rs
"""

import jax
import jax.numpy as jnp
import numpy as np
from rust_consts import show

jax.config.update("jax_enable_x64", True)

x = jnp.asarray(np.linspace(-2.3, 2.1, 9))
y = jnp.asarray(np.cos(np.arange(9) * 1.3) * 2)
weights = jnp.asarray(np.sin(np.arange(9) * 0.9 + 0.4))

unary = {
    "abs": jnp.abs,
    "square": jnp.square,
    "softplus": jax.nn.softplus,
    "leaky_relu": lambda v: jax.nn.leaky_relu(v, 0.2),
    "leaky_relu_alpha": lambda v: jax.nn.leaky_relu(v, 0.05),
    "elu": jax.nn.elu,
    "gelu": lambda v: jax.nn.gelu(v, approximate=False),
    "silu": jax.nn.silu,
    "log1p": lambda v: jnp.log1p(v * v),
    "expm1": jnp.expm1,
    "sin": jnp.sin,
    "cos": jnp.cos,
    "rsqrt": lambda v: jax.lax.rsqrt(v * v + 0.5),
    "erf": jax.scipy.special.erf,
    "clip": lambda v: jnp.clip(v, -1.0, 1.5),
}
binary = {
    "maximum": jnp.maximum,
    "minimum": jnp.minimum,
    "select": lambda a, b: jnp.where(a > b, a * 2, b),
}


print("// Written by tools/ops_reference.py (JAX, float64); do not edit.")
show("x", x)
show("y", y)
show("weights", weights)
for name, f in unary.items():
    value, grad = jax.value_and_grad(lambda v: jnp.sum(f(v) * weights))(x)
    show(name, f(x))
    show("d_" + name, grad)
# logsumexp over the whole vector, and over the rows of it as a [3, 3] matrix.
for name, f in {
    "logsumexp": lambda v: jax.scipy.special.logsumexp(v),
    "logsumexp_rows": lambda v: jax.scipy.special.logsumexp(v.reshape(3, 3), axis=1),
}.items():
    w = weights[: np.size(f(x))]
    show(name, f(x))
    show("d_" + name, jax.grad(lambda v: jnp.sum(f(v) * w))(x))
for name, f in binary.items():
    dx, dy = jax.grad(lambda a, b: jnp.sum(f(a, b) * weights), argnums=(0, 1))(x, y)
    show(name, f(x, y))
    show("d_" + name + "_a", dx)
    show("d_" + name + "_b", dy)

# The same in float32, on the inputs rounded to float32.
x32, y32, w32 = x.astype(jnp.float32), y.astype(jnp.float32), weights.astype(jnp.float32)
for name, f in unary.items():
    show(name + "_f32", f(x32), "f32")
    show("d_" + name + "_f32", jax.grad(lambda v: jnp.sum(f(v) * w32))(x32), "f32")
for name, f in binary.items():
    dx, dy = jax.grad(lambda a, b: jnp.sum(f(a, b) * w32), argnums=(0, 1))(x32, y32)
    show(name + "_f32", f(x32, y32), "f32")
    show("d_" + name + "_a_f32", dx, "f32")
    show("d_" + name + "_b_f32", dy, "f32")
lse = jax.scipy.special.logsumexp
show("logsumexp_f32", [lse(x32)], "f32")
show("d_logsumexp_f32", jax.grad(lambda v: lse(v) * w32[0])(x32), "f32")
