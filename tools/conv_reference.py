"""Reference numbers for `tests/conv.rs`: `conv2d`, `max_pool` and `avg_pool` with strides 1
and 2, `same` and `valid` padding, odd and even sizes, several channels and filters, computed
by JAX in float64 (NHWC, as TensorFlow): values, and the gradients of
`sum(y * r)` with respect to the images and the filters.

    pip install jax numpy
    python3 tools/conv_reference.py > tests/reference/conv.rs
"""

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax
from rust_consts import show

jax.config.update("jax_enable_x64", True)


def conv(x, w, stride, padding):
    return lax.conv_general_dilated(x, w, stride, padding, dimension_numbers=("NHWC", "HWIO", "NHWC"))


def pool(x, size, stride, padding, kind):
    window, strides = (1, *size, 1), (1, *stride, 1)
    if kind == "max":
        return lax.reduce_window(x, -jnp.inf, lax.max, window, strides, padding)
    total = lax.reduce_window(x, 0.0, lax.add, window, strides, padding)
    count = lax.reduce_window(jnp.ones_like(x), 0.0, lax.add, window, strides, padding)
    return total / count


def filled(shape, offset):
    n = int(np.prod(shape))
    return jnp.asarray(np.sin(np.arange(n) * 0.37 + offset).reshape(shape))


print("// Written by tools/conv_reference.py (JAX, float64); do not edit.")
images = (2, 5, 6, 3)
convs = {
    "c1": ((3, 3, 3, 4), (1, 1), "VALID"),
    "c2": ((3, 3, 3, 4), (2, 2), "SAME"),
    "c3": ((2, 3, 3, 4), (1, 2), "SAME"),
}
for k, (name, (wshape, stride, padding)) in enumerate(convs.items()):
    x, w = filled(images, k), filled(wshape, 10 + k) * 0.5
    y = conv(x, w, stride, padding)
    r = filled(y.shape, 20 + k)
    dx, dw = jax.grad(lambda x, w: jnp.sum(conv(x, w, stride, padding) * r), argnums=(0, 1))(x, w)
    for label, value in [("x", x), ("w", w), ("r", r), ("y", y), ("dx", dx), ("dw", dw)]:
        show(f"{name}_{label}", value)
pools = {
    "p4": ((2, 2), (2, 2), "VALID", "max"),
    "p5": ((3, 3), (2, 2), "SAME", "avg"),
    "p6": ((2, 3), (1, 1), "SAME", "max"),
    "p7": ((2, 2), (2, 2), "SAME", "avg"),
}
for k, (name, (size, stride, padding, kind)) in enumerate(pools.items()):
    x = filled(images, 30 + k)
    y = pool(x, size, stride, padding, kind)
    r = filled(y.shape, 40 + k)
    dx = jax.grad(lambda x: jnp.sum(pool(x, size, stride, padding, kind) * r))(x)
    for label, value in [("x", x), ("r", r), ("y", y), ("dx", dx)]:
        show(f"{name}_{label}", value)
