"""Which formula TensorFlow's CPU softmax computes: e / sum(e), or e * (1 / sum(e)).

`pip install tensorflow-cpu`, then `python3 tools/tf_softmax_formula.py` (run once with
TF_ENABLE_ONEDNN_OPTS=0 too: Linux builds on x86 route softmax to oneDNN by default, and to
Eigen's kernel without it). Rows of two logits: the larger logit's exp is exactly 1, so its
probability is 1 / s under both formulas; for the other, the script searches the f32 values
e within 8 ulp of TF's own exp for one that reproduces both outputs under each formula, and
counts the rows each formula can explain. ARCHITECTURE.md records the counts (issue 15).
"""
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import tensorflow as tf  # noqa: E402

rng = np.random.default_rng(0)
x = rng.uniform(-5, 5, size=(20000, 2)).astype(np.float32)
y = tf.nn.softmax(tf.constant(x)).numpy()
big = x.argmax(axis=1)
other = 1 - big
rows = np.arange(len(x))
e_tf = tf.exp(tf.constant(x[rows, other] - x[rows, big])).numpy()

one = np.float32(1)
counts = {"only e * (1 / s)": 0, "only e / s": 0, "both": 0, "neither": 0}
for r in range(len(x)):
    y_big, y_other = y[r, big[r]], y[r, other[r]]
    bits = e_tf[r].view(np.int32)
    by_reciprocal = by_division = False
    for d in range(-8, 9):
        e = np.int32(bits + d).view(np.float32)
        s = np.float32(one + e)
        if np.float32(one / s) != y_big:
            continue
        by_reciprocal |= np.float32(e * np.float32(one / s)) == y_other
        by_division |= np.float32(e / s) == y_other
    if by_reciprocal and by_division:
        counts["both"] += 1
    elif by_reciprocal:
        counts["only e * (1 / s)"] += 1
    elif by_division:
        counts["only e / s"] += 1
    else:
        counts["neither"] += 1

print(f"TensorFlow {tf.__version__}, TF_ENABLE_ONEDNN_OPTS={os.environ.get('TF_ENABLE_ONEDNN_OPTS', 'unset')}")
print(", ".join(f"{k}: {v}" for k, v in counts.items()), f"(of {len(x)} rows)")
