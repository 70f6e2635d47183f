"""Reference numbers for `tests/second_order.rs`: `jax.jvp` of every `let` and the
Hessian-vector product `jax.jvp(jax.grad(cost), ...)` on the seed graph, an MLP and a
softmax-cross-entropy classifier, in float64, at inputs and directions this script makes.

    pip install jax numpy
    python3 tools/second_order_reference.py > tests/reference/second_order.rs
"""

import jax
import jax.numpy as jnp
import numpy as np
from rust_consts import show

jax.config.update("jax_enable_x64", True)


def grid(shape, scale, phase):
    """Deterministic inputs: `scale * sin(0.7 k + phase)` over the elements in row-major order."""
    n = int(np.prod(shape))
    return scale * np.sin(0.7 * np.arange(n) + phase).reshape(shape)


def report(prefix, lets, cost, params, direction):
    """Prints the tangents of the `lets` (a function of the parameters) and the Hessian of
    `cost` times `direction`."""
    _, tangents = jax.jvp(lets, (params,), (direction,))
    for name, t in tangents.items():
        show(f"{prefix}_tangent_{name}", t)
    _, products = jax.jvp(jax.grad(cost), (params,), (direction,))
    for name, h in products.items():
        show(f"{prefix}_hvp_{name}", h)


# The seed graph: logits = x * w; y = softmax(logits); loss = (y - y_true)^2; cost = mean(loss).
x, y_true = grid(5, 1.5, 0.3), np.array([0.0, 0.0, 1.0, 0.0, 0.0])
params, direction = {"w": grid(5, 1.0, 1.1)}, {"w": grid(5, 1.0, 2.9)}


def seed_lets(p):
    logits = x * p["w"]
    y = jax.nn.softmax(logits)
    loss = (y - y_true) ** 2
    return {"logits": logits, "y": y, "loss": loss, "cost": jnp.mean(loss)}


show("seed_x", x)
show("seed_y_true", y_true)
show("seed_w", params["w"])
show("seed_direction_w", direction["w"])
report("seed", seed_lets, lambda p: seed_lets(p)["cost"], params, direction)

# An MLP: h = tanh(x w1 + b1); out = h w2 + b2; cost = mean((out - y)^2).
x, y = grid((4, 3), 1.0, 0.2), grid((4, 2), 1.0, 0.9)
shapes = {"w1": (3, 5), "b1": (5,), "w2": (5, 2), "b2": (2,)}
params = {k: grid(s, 0.8, 0.5 + i) for i, (k, s) in enumerate(shapes.items())}
direction = {k: grid(s, 1.0, 3.0 + i) for i, (k, s) in enumerate(shapes.items())}


def mlp_lets(p):
    h = jnp.tanh(x @ p["w1"] + p["b1"])
    out = h @ p["w2"] + p["b2"]
    return {"h": h, "out": out, "cost": jnp.mean((out - y) ** 2)}


show("mlp_x", x)
show("mlp_y", y)
for k in shapes:
    show(f"mlp_{k}", params[k])
    show(f"mlp_direction_{k}", direction[k])
report("mlp", mlp_lets, lambda p: mlp_lets(p)["cost"], params, direction)

# A classifier: logits = x w + b; cost = mean(softmax_cross_entropy(logits, labels)).
x = grid((4, 3), 1.5, 0.1)
labels = np.array([[1.0, 0, 0], [0, 0, 1], [0.25, 0.75, 0], [0, 1, 0]])
params = {"w": grid((3, 3), 1.0, 0.4), "b": grid(3, 0.5, 1.3)}
direction = {"w": grid((3, 3), 1.0, 2.2), "b": grid(3, 1.0, 0.6)}


def classifier_lets(p):
    logits = x @ p["w"] + p["b"]
    losses = -jnp.sum(labels * jax.nn.log_softmax(logits), axis=-1)
    return {"logits": logits, "cost": jnp.mean(losses)}


show("classifier_x", x)
show("classifier_labels", labels)
for k in params:
    show(f"classifier_{k}", params[k])
    show(f"classifier_direction_{k}", direction[k])
report("classifier", classifier_lets, lambda p: classifier_lets(p)["cost"], params, direction)
