"""A classifier trained with NNI's trial API, unchanged from how one writes it for NNI.

A one-hidden-layer network learns the "two moons" toy dataset with minibatch SGD, in
plain Python so the example needs no packages. Reports validation accuracy per epoch.
"""

import argparse
import logging
import math
import random

import nni
from nni.utils import merge_parameter

logger = logging.getLogger("moons_AutoML")


def make_moons(n, noise, rng):
    points = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), 0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        points.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise), label))
    return points


class Net:
    def __init__(self, hidden, rng):
        self.w1 = [[rng.gauss(0, 1), rng.gauss(0, 1)] for _ in range(hidden)]
        self.b1 = [0.0] * hidden
        self.w2 = [rng.gauss(0, 1 / math.sqrt(hidden)) for _ in range(hidden)]
        self.b2 = 0.0
        self.velocity = None

    def forward(self, x, y):
        h = [math.tanh(w[0] * x + w[1] * y + b) for w, b in zip(self.w1, self.b1)]
        z = sum(w * v for w, v in zip(self.w2, h)) + self.b2
        return h, 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))

    def train_batch(self, batch, lr, momentum):
        hidden = len(self.b1)
        grads = [0.0] * (4 * hidden + 1)  # w1 (2 per unit), b1, w2, b2
        for x, y, label in batch:
            h, p = self.forward(x, y)
            dz = p - label
            for j in range(hidden):
                dh = dz * self.w2[j] * (1 - h[j] * h[j])
                grads[2 * j] += dh * x
                grads[2 * j + 1] += dh * y
                grads[2 * hidden + j] += dh
                grads[3 * hidden + j] += dz * h[j]
            grads[-1] += dz
        if self.velocity is None:
            self.velocity = [0.0] * len(grads)
        for i, g in enumerate(grads):
            self.velocity[i] = momentum * self.velocity[i] - lr * g / len(batch)
        v = self.velocity
        for j in range(hidden):
            self.w1[j][0] += v[2 * j]
            self.w1[j][1] += v[2 * j + 1]
            self.b1[j] += v[2 * hidden + j]
            self.w2[j] += v[3 * hidden + j]
        self.b2 += v[-1]

    def accuracy(self, data):
        return sum((self.forward(x, y)[1] > 0.5) == label for x, y, label in data) / len(data)


def main(args):
    rng = random.Random(args["seed"])
    train, test = make_moons(400, 0.2, rng), make_moons(200, 0.2, rng)
    net = Net(args["hidden_size"], rng)
    accuracy = 0.0
    for epoch in range(args["epochs"]):
        rng.shuffle(train)
        for i in range(0, len(train), args["batch_size"]):
            net.train_batch(train[i:i + args["batch_size"]], args["lr"], args["momentum"])
        accuracy = net.accuracy(test)
        logger.debug("epoch %d: test accuracy %.4f", epoch, accuracy)
        nni.report_intermediate_result(accuracy)
    logger.debug("final test accuracy %.4f", accuracy)
    nni.report_final_result(accuracy)


def get_params():
    parser = argparse.ArgumentParser(description="two moons classifier")
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--momentum", type=float, default=0.5)
    parser.add_argument("--hidden_size", type=int, default=8)
    parser.add_argument("--batch_size", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args, _ = parser.parse_known_args()
    return args


if __name__ == "__main__":
    try:
        tuner_params = nni.get_next_parameter()
        logger.debug(tuner_params)
        params = vars(merge_parameter(get_params(), tuner_params))
        print(params)
        main(params)
    except Exception as exception:
        logger.exception(exception)
        raise
