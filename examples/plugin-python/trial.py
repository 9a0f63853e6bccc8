"""The trial: a noisy quadratic with its optimum at x=0.3, y=-1, act=tanh."""

import random

import hone

p = hone.get_params()
loss = (p["x"] - 0.3) ** 2 + (p["y"] + 1) ** 2 + (0 if p["act"] == "tanh" else 0.5)
loss += random.Random(hone.get_sequence_id()).gauss(0, 0.01)
for step in range(3):
    hone.report_intermediate(loss * (3 - step))
hone.report_final(loss)
