"""Reference numbers for the seed question, from TensorFlow 1.x semantics (tf.compat.v1).

Prints the values the acceptance test `tests/seed_tensorflow.rs` compares against:
the forward values before training, the gradients TensorFlow derives at the start, and the
values after one GradientDescentOptimizer(1.0) step. All in float32, like the question.

    pip install tensorflow-cpu
    python3 tools/seed_reference.py
"""

import numpy as np
import tensorflow as tf

tf.compat.v1.disable_eager_execution()
v1 = tf.compat.v1

x = v1.placeholder(tf.float32, [5])
y_true = v1.placeholder(tf.float32, [5])
w = v1.Variable(tf.zeros([5]))

logits = tf.multiply(x, w)
y = tf.nn.softmax(logits)
loss = tf.pow(y - y_true, 2)
cost = tf.reduce_mean(loss)
grads = tf.gradients(cost, [w, logits, y])
step = v1.train.GradientDescentOptimizer(1.0).minimize(cost)

feed = {x: np.array([1, 2, 3, 4, 5], np.float32), y_true: np.array([3, 4, 5, 6, 7], np.float32)}


def show(name, value):
    print(f"{name} = {np.array2string(np.asarray(value, np.float32), precision=8, separator=', ')}")


with v1.Session() as sess:
    sess.run(v1.global_variables_initializer())
    before = sess.run({"loss": loss, "cost": cost, "y": y, "logits": logits}, feed)
    d_w, d_logits, d_y = sess.run(grads, feed)
    print("# before training")
    for k, v in before.items():
        show(k, v)
    print("# gradients at the start")
    show("d_w", d_w)
    show("d_logits", d_logits)
    show("d_y", d_y)
    sess.run(step, feed)
    after = sess.run({"w": w, "logits": logits, "y": y, "loss": loss, "cost": cost}, feed)
    print("# after one step, learning rate 1")
    for k, v in after.items():
        show(k, v)
