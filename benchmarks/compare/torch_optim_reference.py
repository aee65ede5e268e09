#!/usr/bin/env python3
"""Reference trajectories of torch.optim for GpuAe's optimizer and schedule tests.

Writes JSON to stdout (commit it as tests/GpuAe.Tests/Training/Fixtures/torch_optim_reference.json):

    python3 benchmarks/compare/torch_optim_reference.py > tests/GpuAe.Tests/Training/Fixtures/torch_optim_reference.json

Problem: a float32 quadratic bowl, gradient g = (p - c) * a computed in float32 (no autograd, so the C# side can form the
same bits), 10 optimizer steps per case, p recorded after every step. Each case names the GpuAe recipe fields that give
the same optimizer (the C# test builds its OptimizerStep from them). Schedules: the learning rate per epoch of StepLR,
CosineAnnealingLR and ReduceLROnPlateau (fed a fixed sequence of losses), and one Adam trajectory whose rate follows
StepLR with 3 steps per epoch. Python floats are doubles: every scalar PyTorch forms (1 - beta, lr / (1 - beta1^t), ...)
is formed in double and rounded to float32 inside the tensor op, the behaviour GpuAe's kernels reproduce.
"""
import json
import math

import torch

torch.set_num_threads(1)
STEPS = 10
P0 = [0.5, -1.25, 2.0, 0.001, -0.3, 7.5, -0.02]
C = [0.1, 0.4, -1.0, 0.0, 0.25, -2.0, 3.0]
A = [1.0, 0.5, 2.0, 10.0, 0.01, 0.3, 1.5]


def floats(t):
    # repr of a float32 value widened to double: reads back as exactly that float
    return [float(x) for x in t.tolist()]


def trajectory(make, schedule=None, steps_per_epoch=None):
    p = torch.tensor(P0, dtype=torch.float32, requires_grad=True)
    c = torch.tensor(C, dtype=torch.float32)
    a = torch.tensor(A, dtype=torch.float32)
    opt = make([p])
    sched = schedule(opt) if schedule else None
    out, rates = [], []
    for step in range(STEPS):
        with torch.no_grad():
            p.grad = (p - c) * a
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        out.append(floats(p.detach()))
        if sched is not None and (step + 1) % steps_per_epoch == 0:
            sched.step()
    return out, rates


O = torch.optim
cases = [
    # name, GpuAe recipe fields, torch optimizer
    ("sgd", {"optimizer": "sgd", "learning_rate": 0.1}, lambda ps: O.SGD(ps, lr=0.1)),
    ("sgd_wd", {"optimizer": "sgd", "learning_rate": 0.1, "weight_decay": 0.01}, lambda ps: O.SGD(ps, lr=0.1, weight_decay=0.01)),
    ("sgd_momentum", {"optimizer": "sgd", "learning_rate": 0.05, "momentum": 0.9}, lambda ps: O.SGD(ps, lr=0.05, momentum=0.9)),
    ("momentum_dampening", {"optimizer": "momentum", "learning_rate": 0.05, "momentum": 0.8, "dampening": 0.5},
     lambda ps: O.SGD(ps, lr=0.05, momentum=0.8, dampening=0.5)),
    ("momentum_wd", {"optimizer": "momentum", "learning_rate": 0.05, "weight_decay": 0.05},
     lambda ps: O.SGD(ps, lr=0.05, momentum=0.9, weight_decay=0.05)),
    ("nesterov", {"optimizer": "nesterov", "learning_rate": 0.05, "momentum": 0.7},
     lambda ps: O.SGD(ps, lr=0.05, momentum=0.7, nesterov=True)),
    ("nesterov_wd", {"optimizer": "nesterov", "learning_rate": 0.03, "weight_decay": 0.1},
     lambda ps: O.SGD(ps, lr=0.03, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("rmsprop_pytorch", {"optimizer": "rms_prop", "learning_rate": 0.01, "optimizer_defaults": "pytorch"},
     lambda ps: O.RMSprop(ps, lr=0.01)),
    ("rmsprop_keras", {"optimizer": "rms_prop", "learning_rate": 0.001}, lambda ps: O.RMSprop(ps, lr=0.001, alpha=0.9, eps=1e-7)),
    ("rmsprop_centered", {"optimizer": "rms_prop", "learning_rate": 0.01, "rho": 0.95, "epsilon": 1e-6, "centered": True},
     lambda ps: O.RMSprop(ps, lr=0.01, alpha=0.95, eps=1e-6, centered=True)),
    ("rmsprop_momentum", {"optimizer": "rms_prop", "learning_rate": 0.01, "momentum": 0.5, "optimizer_defaults": "pytorch"},
     lambda ps: O.RMSprop(ps, lr=0.01, momentum=0.5)),
    ("rmsprop_centered_momentum_wd", {"optimizer": "rms_prop", "learning_rate": 0.005, "rho": 0.9, "momentum": 0.3, "centered": True,
                                      "weight_decay": 0.01, "optimizer_defaults": "pytorch"},
     lambda ps: O.RMSprop(ps, lr=0.005, alpha=0.9, momentum=0.3, centered=True, weight_decay=0.01)),
    ("adam_pytorch", {"optimizer": "adam", "learning_rate": 0.001, "optimizer_defaults": "pytorch"}, lambda ps: O.Adam(ps, lr=0.001)),
    ("adam_keras", {"optimizer": "adam", "learning_rate": 0.001}, lambda ps: O.Adam(ps, lr=0.001, eps=1e-7)),
    ("adam_betas_wd", {"optimizer": "adam", "learning_rate": 0.01, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6, "weight_decay": 0.05},
     lambda ps: O.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.05)),
    ("adamw_pytorch", {"optimizer": "adam_w", "learning_rate": 0.001, "weight_decay": 0.01, "optimizer_defaults": "pytorch"},
     lambda ps: O.AdamW(ps, lr=0.001)),
    ("adamw_betas", {"optimizer": "adam_w", "learning_rate": 0.02, "beta1": 0.85, "beta2": 0.995, "weight_decay": 0.1, "epsilon": 1e-7},
     lambda ps: O.AdamW(ps, lr=0.02, betas=(0.85, 0.995), weight_decay=0.1, eps=1e-7)),
]

result = {
    "command": "python3 benchmarks/compare/torch_optim_reference.py > tests/GpuAe.Tests/Training/Fixtures/torch_optim_reference.json",
    "torch": torch.__version__,
    "p0": P0, "c": C, "a": A, "steps": STEPS,
    "gradient": "g = (p - c) * a in float32",
    "optimizers": [],
    "schedules": [],
}
for name, recipe, make in cases:
    out, _ = trajectory(make)
    result["optimizers"].append({"name": name, "recipe": recipe, "trajectory": out})

# Adam whose rate follows StepLR(step_size=1, gamma=0.5) with 3 steps per epoch
out, rates = trajectory(lambda ps: O.Adam(ps, lr=0.01), lambda opt: O.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5), 3)
result["optimizers"].append({"name": "adam_step_lr", "recipe": {"optimizer": "adam", "learning_rate": 0.01, "optimizer_defaults": "pytorch",
                             "schedule": {"type": "step", "step_size": 1, "gamma": 0.5}}, "steps_per_epoch": 3,
                             "trajectory": out, "learning_rates": rates})

EPOCHS = 25
LOSSES = [1.0, 0.8, 0.7, 0.69, 0.695, 0.7, 0.71, 0.6, 0.6, 0.6, 0.6, 0.6, 0.59, 0.5999, 0.58, 0.58, 0.58, 0.58, 0.58, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]


def rates_of(make_sched, losses=None):
    p = torch.zeros(1, requires_grad=True)
    opt = O.SGD([p], lr=0.1)
    sched = make_sched(opt)
    rates = []
    for epoch in range(EPOCHS):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()  # a no-op step (no gradient), in the order PyTorch expects
        if losses is None:
            sched.step()
        else:
            sched.step(losses[epoch])
    return rates


for name, schedule, make, losses in [
    ("step", {"type": "step", "step_size": 3, "gamma": 0.5}, lambda o: O.lr_scheduler.StepLR(o, step_size=3, gamma=0.5), None),
    ("cosine", {"type": "cosine", "t_max": 10, "eta_min": 0.001}, lambda o: O.lr_scheduler.CosineAnnealingLR(o, T_max=10, eta_min=0.001), None),
    ("cosine_t7", {"type": "cosine", "t_max": 7}, lambda o: O.lr_scheduler.CosineAnnealingLR(o, T_max=7), None),
    ("plateau", {"type": "plateau", "factor": 0.5, "patience": 2}, lambda o: O.lr_scheduler.ReduceLROnPlateau(o, factor=0.5, patience=2), LOSSES),
    ("plateau_cooldown", {"type": "plateau", "factor": 0.1, "patience": 1, "threshold": 0.01, "cooldown": 2, "min_lr": 0.0005},
     lambda o: O.lr_scheduler.ReduceLROnPlateau(o, factor=0.1, patience=1, threshold=0.01, cooldown=2, min_lr=0.0005), LOSSES),
]:
    result["schedules"].append({"name": name, "learning_rate": 0.1, "schedule": schedule, "losses": losses, "rates": rates_of(make, losses)})

print(json.dumps(result, indent=1))
