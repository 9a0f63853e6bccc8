"""A stand-in for a training script written against NNI's trial API: it asks for its
hyperparameters, reports an accuracy per epoch, then the final one. The "model" is a
closed-form curve, so the test needs neither a dataset nor a framework."""

import math

import nni

EPOCHS = 3


def accuracy(params, epoch):
    # Best near lr = 0.01 and momentum = 0.9; wider layers help a little; epochs help.
    lr_term = math.exp(-(math.log10(params["lr"]) + 2) ** 2)
    momentum_term = 1 - abs(params["momentum"] - 0.9)
    width_term = math.log2(params["features"]) / 10
    return (0.5 * lr_term + 0.3 * momentum_term + 0.2 * width_term) * (epoch + 1) / EPOCHS


def main():
    params = {"features": 512, "lr": 0.001, "momentum": 0.5}
    params.update(nni.get_next_parameter())
    print("parameters:", params)
    for epoch in range(EPOCHS):
        acc = accuracy(params, epoch)
        nni.report_intermediate_result(acc)
        print("epoch", epoch, "accuracy", acc)
    nni.report_final_result(acc)


if __name__ == "__main__":
    main()
