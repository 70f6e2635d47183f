"""Reference numbers for `tests/optimizers.rs`: ten steps of each optimizer on a small linear
least-squares fit, with TensorFlow 1.x's update formulas (`tf.train.MomentumOptimizer`,
`AdamOptimizer`, `RMSPropOptimizer`, `AdagradOptimizer`; AdamW as
`tf.keras.optimizers.AdamW`, decoupled) and `tf.clip_by_global_norm`, written here in NumPy
from the formulas, independently of the generated code, in float64.

    pip install numpy
    python3 tools/optimizer_reference.py > tests/reference/optimizers.rs
"""

import numpy as np
from rust_consts import show

x = np.array([[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.5, 1.0], [1.5, 1.0, 0.5]])
y = np.array([1.0, -2.0, 0.5, 3.0])
w0, b0 = np.array([0.5, -0.25, 1.0]), 0.1


def cost_and_grads(w, b):
    err = x @ w + b - y
    return np.mean(err**2), [2 / len(y) * x.T @ err, np.array(2 / len(y) * np.sum(err))]


def clipped(grads, clip):
    if clip is None:
        return grads
    norm = np.sqrt(sum(np.sum(g**2) for g in grads))
    return [g * clip / max(norm, clip) for g in grads]


def run(update, state, clip=None, steps=10):
    params = [w0.copy(), np.array(b0)]
    costs = []
    for t in range(1, steps + 1):
        cost, grads = cost_and_grads(*params)
        costs.append(cost)
        grads = clipped(grads, clip)
        for k in range(2):
            params[k] = update(t, params[k], grads[k], state[k])
    return costs, params


def momentum(lr, mu, nesterov):
    def update(t, w, g, s):
        s["a"] = mu * s["a"] + g
        return w - (lr * (g + mu * s["a"]) if nesterov else lr * s["a"])

    return update, [{"a": np.zeros(3)}, {"a": 0.0}]


def adam(lr, b1, b2, eps, wd=0.0):
    def update(t, w, g, s):
        rate = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - lr * wd * w
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        return w - rate * s["m"] / (np.sqrt(s["v"]) + eps)

    return update, [{"m": np.zeros(3), "v": np.zeros(3)}, {"m": 0.0, "v": 0.0}]


def rmsprop(lr, decay, mu, eps):
    def update(t, w, g, s):
        s["ms"] = decay * s["ms"] + (1 - decay) * g * g
        s["mom"] = mu * s["mom"] + lr * g / np.sqrt(s["ms"] + eps)
        return w - s["mom"]

    # TensorFlow 1.x starts the mean square at one.
    return update, [{"ms": np.ones(3), "mom": np.zeros(3)}, {"ms": 1.0, "mom": 0.0}]


def adagrad(lr, initial):
    def update(t, w, g, s):
        s["a"] = s["a"] + g * g
        return w - lr * g / np.sqrt(s["a"])

    return update, [{"a": np.full(3, initial)}, {"a": initial}]


# As `tests/optimizers.rs` declares them.
cases = {
    "momentum": (momentum(0.05, 0.9, True), None),
    "momentum_plain": (momentum(0.05, 0.9, False), None),
    "momentum_clipped": (momentum(0.05, 0.9, True), 0.5),
    "momentum_unclipped": (momentum(0.05, 0.9, True), 1000.0),
    "adam": (adam(0.1, 0.9, 0.999, 1e-8), None),
    "adamw": (adam(0.05, 0.9, 0.999, 1e-8, wd=0.1), None),
    "rmsprop": (rmsprop(0.01, 0.9, 0.5, 1e-10), None),
    "adagrad": (adagrad(0.5, 0.1), None),
}

print("// Written by tools/optimizer_reference.py (NumPy, float64); do not edit.")
for name, ((update, state), clip) in cases.items():
    costs, (w, b) = run(update, state, clip)
    show(name + "_costs", costs)
    show(name + "_w", w)
    show(name + "_b", [b])
