#!/usr/bin/env python3
"""torch_semantics.py -- optbench's double reference against torch.optim itself.

For each case below (every optimizer torch has, with the options that change
its update: momentum, dampening, Nesterov, L2 and decoupled decay, centering,
lr decay, AMSGrad), replays the same random gradient stream through
`optbench trace --isa reference` and through torch.optim in float64, and
reports the worst relative difference of the parameters over all steps,
|ours - torch| / max(1, |torch|).  Both compute in double, so anything above
rounding (--tol, default 1e-12) is a difference in the update rule.

NAdam is compared only with torch >= 2.0: torch 1.13's single-tensor NAdam
uses prod_{i<=t} mu_i * mu_t * mu_{t+1} in the bias correction of m, which
torch 2.0 corrected to prod_{i<=t} mu_i * mu_{t+1}; optbench follows 2.x
(REFERENCES.md).  Lion is not in torch.

Usage:
  torch_semantics.py [--optbench PATH] [--seed S] [--steps T] [--n N] [--tol X]

Output: one line per case, "ok" or "DIFF", the case, the worst difference and
its step; a line "skipped: ..." per case torch cannot run.  Exit status: 0 all
agree, 1 a difference (the seed is printed), 2 bad arguments or optbench
failed, 3 torch is not available.
"""
import argparse
import os
import random
import subprocess
import sys
import tempfile

# (optbench name, torch class, hyperparameters by optbench's names, fixed torch
# keyword arguments).  beta1/beta2 become torch's betas.
CASES = [
    ("sgd", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}, {}),
    ("sgd", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": 1, "weight_decay": 0.01}, {}),
    ("adagrad", "Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01,
                            "initial_accumulator_value": 0.1, "eps": 1e-10}, {}),
    ("rmsprop", "RMSprop", {"lr": 0.01, "alpha": 0.9, "weight_decay": 0.01, "momentum": 0.9, "centered": 1}, {}),
    ("rmsprop", "RMSprop", {"lr": 0.01, "alpha": 0.99}, {}),
    ("adam", "Adam", {"lr": 0.01, "beta1": 0.8, "beta2": 0.99, "weight_decay": 0.01}, {}),
    ("adamw", "AdamW", {"lr": 0.01, "weight_decay": 0.1}, {}),
    ("amsgrad", "Adam", {"lr": 0.01, "weight_decay": 0.01}, {"amsgrad": True}),
    ("nadam", "NAdam", {"lr": 0.01, "weight_decay": 0.01, "momentum_decay": 0.004}, {}),
    ("radam", "RAdam", {"lr": 0.01, "weight_decay": 0.01}, {}),
    ("adamax", "Adamax", {"lr": 0.01, "weight_decay": 0.01}, {}),
]

BOOLEAN = ("nesterov", "centered", "amsgrad")


def torch_kwargs(hp, fixed):
    kw = dict(fixed)
    hp = dict(hp)
    if "beta1" in hp or "beta2" in hp:
        kw["betas"] = (hp.pop("beta1", 0.9), hp.pop("beta2", 0.999))
    for key, value in hp.items():
        kw[key] = bool(value) if key in BOOLEAN else value
    return kw


def run_ours(optbench, name, hp, x0_path, g_path):
    cmd = [optbench, "trace", "--opt", name, "--isa", "reference", "--x0", x0_path, "--grads", g_path]
    for key, value in hp.items():
        cmd += ["--set", f"{key}={value!r}"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {out.returncode}: {out.stderr.strip()}")
    return [[float(v) for v in line.split(",")] for line in out.stdout.strip().split("\n")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--optbench", default="build/optbench")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("OPTBENCH_SEED", "20261128"), 0))
    ap.add_argument("--steps", type=int, default=40)
    ap.add_argument("--n", type=int, default=6)
    ap.add_argument("--tol", type=float, default=1e-12)
    args = ap.parse_args()
    if args.steps < 1 or args.n < 1 or not args.tol > 0:
        print("torch_semantics.py: --steps and --n must be >= 1 and --tol > 0", file=sys.stderr)
        return 2
    try:
        import torch
    except Exception as e:  # ImportError, or a broken installation
        print(f"torch is not available: {e}", file=sys.stderr)
        return 3
    torch.set_default_dtype(torch.float64)
    rng = random.Random(args.seed)
    x0 = [rng.uniform(-2.0, 2.0) for _ in range(args.n)]
    grads = [[rng.gauss(0.0, 1.0) for _ in range(args.n)] for _ in range(args.steps)]
    major = int(torch.__version__.split(".")[0])
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        x0_path, g_path = os.path.join(tmp, "x0"), os.path.join(tmp, "grads")
        with open(x0_path, "w") as f:
            f.write(",".join(repr(v) for v in x0) + "\n")
        with open(g_path, "w") as f:
            f.write("\n".join(",".join(repr(v) for v in row) for row in grads) + "\n")
        for name, cls, hp, fixed in CASES:
            label = f"{name} {','.join(f'{k}={v}' for k, v in hp.items())}"
            if name == "nadam" and major < 2:
                print(f"skipped: {label}: torch {torch.__version__}'s NAdam has the pre-2.0 bias correction of m")
                continue
            if not hasattr(torch.optim, cls):
                print(f"skipped: {label}: torch {torch.__version__} has no {cls}")
                continue
            try:
                ours = run_ours(args.optbench, name, hp, x0_path, g_path)
            except (OSError, RuntimeError) as e:
                print(f"torch_semantics.py: {e}", file=sys.stderr)
                return 2
            p = torch.nn.Parameter(torch.tensor(x0))
            opt = getattr(torch.optim, cls)([p], **torch_kwargs(hp, fixed))
            worst, at = 0.0, 0
            for t in range(args.steps):
                p.grad = torch.tensor(grads[t])
                opt.step()
                for i in range(args.n):
                    ref = p[i].item()
                    e = abs(ours[t][i] - ref) / max(1.0, abs(ref))
                    if not e <= worst:  # also catches NaN
                        worst, at = e, t + 1
            ok = worst <= args.tol
            bad += not ok
            print(f"{'ok  ' if ok else 'DIFF'} {label}: worst relative difference {worst:.3g} (step {at})")
    if bad:
        print(f"{bad} case(s) differ from torch {torch.__version__} (seed {args.seed}; "
              f"rerun with --seed {args.seed})")
        return 1
    print(f"every case agrees with torch {torch.__version__} to {args.tol:g} (seed {args.seed}, "
          f"{args.steps} steps, n = {args.n})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
