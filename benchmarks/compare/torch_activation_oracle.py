#!/usr/bin/env python3
"""PyTorch reference values for GpuAe's activation and BCE-on-probabilities extreme cases.

Prints JSON that tests/GpuAe.Tests/Fixtures/torch_activation_oracle.json holds; the test
TorchOracleTests compares GpuAe's CPU kernels (float32 and float64) and the float64 formulas of the
conformance suite (ActivationReference) with it. Regenerate with:

    OMP_WAIT_POLICY=passive python3 benchmarks/compare/torch_activation_oracle.py > tests/GpuAe.Tests/Fixtures/torch_activation_oracle.json

The inputs are the conformance suite's ExtremeInputs; the parameter sets its ParameterSets (PyTorch's defaults,
(negative_slope 0.2, alpha 0.5, beta 2, threshold 10), (negative_slope 0, alpha 2.5, beta 0.5, threshold 30)).
"""
import json
import sys

import torch

INPUTS = [0.0, -0.0, 1e-8, -1e-8, 1e-3, -1e-3, 15.0, -15.0, 17.5, -17.5, 20.0, -20.0, 88.7, -88.7, 100.0, -100.0]
PARAMETER_SETS = [(0.01, 1.0, 1.0, 20.0), (0.2, 0.5, 2.0, 10.0), (0.0, 2.5, 0.5, 30.0)]


def module(name, slope, alpha, beta, threshold):
    return {
        "linear": torch.nn.Identity(),
        "relu": torch.nn.ReLU(),
        "leaky_relu": torch.nn.LeakyReLU(slope),
        "elu": torch.nn.ELU(alpha),
        "sigmoid": torch.nn.Sigmoid(),
        "tanh": torch.nn.Tanh(),
        "softplus": torch.nn.Softplus(beta, threshold),
    }[name]


def run(f, values, dtype):
    x = torch.tensor(values, dtype=dtype, requires_grad=True)
    y = f(x)
    (dx,) = torch.autograd.grad(y.sum(), x)
    return [float(v) for v in y.detach()], [float(v) for v in dx]


def main():
    # float32 inputs as float32 rounds them (88.7 is not exact), widened for the float64 run
    inputs32 = [float(v) for v in torch.tensor(INPUTS, dtype=torch.float32)]
    cases = []
    for name in ["linear", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softplus"]:
        sets = PARAMETER_SETS if name in ("leaky_relu", "elu", "softplus") else PARAMETER_SETS[:1]
        for slope, alpha, beta, threshold in sets:
            f = module(name, slope, alpha, beta, threshold)
            y32, dx32 = run(f, inputs32, torch.float32)
            y64, dx64 = run(f, inputs32, torch.float64)
            cases.append({"activation": name, "negative_slope": slope, "alpha": alpha, "beta": beta, "threshold": threshold,
                          "x": inputs32, "y_float32": y32, "dx_float32": dx32, "y_float64": y64, "dx_float64": dx64})

    # BCELoss on probabilities: the ends (log clamped at -100), tiny and near-one p, targets at 0, 1 and between
    p = [0.0, 1.0, 1e-8, 1 - 2 ** -24, 1e-3, 0.25, 0.5, 0.75, 0.999, 0.3]
    t = [1.0, 0.0, 1.0, 0.0, 0.0, 1.0, 0.5, 0.0, 1.0, 0.3]
    bce = {"p": [float(v) for v in torch.tensor(p, dtype=torch.float32)], "t": t}
    for reduction in ("mean", "sum"):
        for dtype, suffix in ((torch.float32, "float32"), (torch.float64, "float64")):
            pt = torch.tensor(bce["p"], dtype=dtype, requires_grad=True)
            loss = torch.nn.BCELoss(reduction=reduction)(pt, torch.tensor(t, dtype=dtype))
            (grad,) = torch.autograd.grad(loss, pt)
            bce[f"{reduction}_loss_{suffix}"] = float(loss)
            bce[f"{reduction}_grad_{suffix}"] = [float(v) for v in grad]
    json.dump({"torch": torch.__version__, "activations": cases, "bce": bce}, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
