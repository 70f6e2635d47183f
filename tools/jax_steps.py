"""Times JAX's jitted SGD steps for the benchmarks in `benches/`, on this machine, so the
generated code is compared with XLA side by side rather than with figures from elsewhere.

    pip install jax
    python3 tools/jax_steps.py            # all steps
    python3 tools/jax_steps.py seed       # only the seed step
    python3 tools/jax_steps.py attention  # only the attention block
    python3 tools/jax_steps.py cnn        # only the digits CNN
    python3 tools/jax_steps.py adam       # only the network with optax.adam (pip install optax)

Prints the median microseconds per step (the same statistic as `benches/`). Inputs as in the
benchmarks: x in [-1, 1), t in [0, 1), w = 0, learning rate 0.1 (seed); Glorot-uniform weights,
zero biases, a batch of 64 (network); Glorot-uniform projections, unit gain, zero bias, inputs
and targets in [-0.5, 0.5), 32 sequences of 64 tokens of 64 (attention); Glorot-uniform
filters and weights, zero biases, 64 images of 8x8 in [0, 1) and random labels (cnn). Each step returns new weights, as a user's jitted
`train_step` would, with the weights donated so XLA can update them in place.
"""

import sys
import time
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_platforms", "cpu")


def median_us(step, state, repeats):
    state = step(*state)  # compile and warm up
    jax.block_until_ready(state)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        state = step(*state)
        jax.block_until_ready(state)
        times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2] * 1e6


def seed(n, repeats):
    def cost(w, x, t):
        y = jax.nn.softmax(x * w)
        return jnp.mean((y - t) ** 2)

    @partial(jax.jit, donate_argnums=0)
    def step(w, x, t):
        return w - 0.1 * jax.grad(cost)(w, x, t), x, t

    rng = np.random.default_rng(0)
    x = jnp.asarray(rng.uniform(-1, 1, n), dtype=jnp.float32)
    t = jnp.asarray(rng.uniform(0, 1, n), dtype=jnp.float32)
    w = jnp.zeros(n, dtype=jnp.float32)
    return median_us(step, (w, x, t), repeats)


def network(repeats):
    n, i, h, o = 64, 784, 256, 10

    def cost(params, x, t):
        w1, b1, w2, b2 = params
        hidden = jnp.tanh(x @ w1 + b1)
        y = jax.nn.softmax(hidden @ w2 + b2)
        return jnp.mean((y - t) ** 2)

    @partial(jax.jit, donate_argnums=0)
    def step(params, x, t):
        grads = jax.grad(cost)(params, x, t)
        return tuple(p - 0.1 * g for p, g in zip(params, grads)), x, t

    rng = np.random.default_rng(0)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, (fan_in, fan_out)), dtype=jnp.float32)

    params = (glorot(i, h), jnp.zeros(h, jnp.float32), glorot(h, o), jnp.zeros(o, jnp.float32))
    x = jnp.asarray(rng.uniform(0, 1, (n, i)), dtype=jnp.float32)
    t = jnp.asarray(np.eye(o)[rng.integers(0, o, n)], dtype=jnp.float32)
    return median_us(step, (params, x, t), repeats)


def attention(repeats):
    b, s, d = 32, 64, 64

    def cost(params, x, t):
        wq, wk, wv, wo, gain, bias = params
        q, k, v = x @ wq, x @ wk, x @ wv
        a = jax.nn.softmax(q @ jnp.transpose(k, (0, 2, 1)) * 0.125, axis=-1)
        o = (a @ v) @ wo + x
        mu = jnp.mean(o, axis=-1, keepdims=True)
        c = o - mu
        var = jnp.mean(c * c, axis=-1, keepdims=True)
        y = c / jnp.sqrt(var + 0.00001) * gain + bias
        return jnp.mean((y - t) ** 2)

    @partial(jax.jit, donate_argnums=0)
    def step(params, x, t):
        grads = jax.grad(cost)(params, x, t)
        return tuple(p - 1e-3 * g for p, g in zip(params, grads)), x, t

    rng = np.random.default_rng(0)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, (fan_in, fan_out)), dtype=jnp.float32)

    params = tuple(glorot(d, d) for _ in range(4)) + (jnp.ones(d, jnp.float32), jnp.zeros(d, jnp.float32))
    x = jnp.asarray(rng.uniform(-0.5, 0.5, (b, s, d)), dtype=jnp.float32)
    t = jnp.asarray(rng.uniform(-0.5, 0.5, (b, s, d)), dtype=jnp.float32)
    return median_us(step, (params, x, t), repeats)


def adam(repeats):
    """The network step with `optax.adam` (state and weights donated), as `benches/network_step.rs`
    times the generated Adam step."""
    import optax

    n, i, h, o = 64, 784, 256, 10
    optimizer = optax.adam(1e-3, b1=0.9, b2=0.999, eps=1e-8)

    def cost(params, x, t):
        w1, b1, w2, b2 = params
        hidden = jnp.tanh(x @ w1 + b1)
        y = jax.nn.softmax(hidden @ w2 + b2)
        return jnp.mean((y - t) ** 2)

    @partial(jax.jit, donate_argnums=(0, 1))
    def step(params, state, x, t):
        grads = jax.grad(cost)(params, x, t)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, x, t

    rng = np.random.default_rng(0)

    def glorot(fan_in, fan_out):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, (fan_in, fan_out)), dtype=jnp.float32)

    params = (glorot(i, h), jnp.zeros(h, jnp.float32), glorot(h, o), jnp.zeros(o, jnp.float32))
    x = jnp.asarray(rng.uniform(0, 1, (n, i)), dtype=jnp.float32)
    t = jnp.asarray(np.eye(o)[rng.integers(0, o, n)], dtype=jnp.float32)
    return median_us(step, (params, optimizer.init(params), x, t), repeats)


def cnn(repeats):
    b = 64
    dims = ("NHWC", "HWIO", "NHWC")

    def cost(params, x, labels):
        k1, c1, k2, c2, w, bias = params
        h = jax.nn.relu(jax.lax.conv_general_dilated(x, k1, (1, 1), "SAME", dimension_numbers=dims) + c1)
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        h = jax.nn.relu(jax.lax.conv_general_dilated(h, k2, (1, 1), "SAME", dimension_numbers=dims) + c2)
        h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
        logits = h.reshape(b, 128) @ w + bias
        log_p = jax.nn.log_softmax(logits)
        return -jnp.mean(jnp.take_along_axis(log_p, labels[:, None], axis=1))

    @partial(jax.jit, donate_argnums=0)
    def step(params, x, labels):
        grads = jax.grad(cost)(params, x, labels)
        return tuple(p - 0.1 * g for p, g in zip(params, grads)), x, labels

    rng = np.random.default_rng(0)

    def glorot(shape):
        field = int(np.prod(shape[:-2]))
        fan_in, fan_out = shape[-2] * field, shape[-1] * field
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, shape), dtype=jnp.float32)

    params = (
        glorot((3, 3, 1, 16)),
        jnp.zeros(16, jnp.float32),
        glorot((3, 3, 16, 32)),
        jnp.zeros(32, jnp.float32),
        glorot((128, 10)),
        jnp.zeros(10, jnp.float32),
    )
    x = jnp.asarray(rng.uniform(0, 1, (b, 8, 8, 1)), dtype=jnp.float32)
    labels = jnp.asarray(rng.integers(0, 10, b))
    return median_us(step, (params, x, labels), repeats)


def main():
    which = sys.argv[1:] or ["seed", "network", "attention", "cnn", "adam"]
    print(f"jax {jax.__version__}, {jax.devices()}")
    if "seed" in which:
        for n, repeats in [(5, 20000), (4096, 20000), (32768, 4000), (131072, 1000), (1048576, 200)]:
            print(f"seed n = {n:>9}: jax {seed(n, repeats):>9.3f} us")
    if "network" in which:
        print(f"network 64 x 784-256-10: jax {network(2000):>9.3f} us")
    if "attention" in which:
        print(f"attention block 32 x 64 x 64: jax {attention(300):>9.3f} us")
    if "adam" in which:
        print(f"network 64 x 784-256-10, optax.adam: jax {adam(2000):>9.3f} us")
    if "cnn" in which:
        print(f"digits cnn, batch 64: jax {cnn(1000):>9.3f} us")


if __name__ == "__main__":
    main()
