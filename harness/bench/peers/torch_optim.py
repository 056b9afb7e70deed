#!/usr/bin/env python3
"""torch_optim.py -- the torch.optim peer of `optbench bench --peer torch`.

Times torch.optim's step() on one fp32 parameter tensor of each size, with
torch.set_num_threads(T), the optimizer's default implementation (on CPU
tensors torch 1.13 runs the single-tensor "for-loop" code), the same
hyperparameters as optbench and the same protocol: a warm-up step that
creates the state, a batch of steps long enough for --min-time seconds,
--reps batches, the median.  The gradient stays fixed, as in optbench.

With --model FILE (`optbench bench --model`), the parameters are instead a
model's tensor list, read from its shape file (one "name d1xd2x..." line
per tensor, '#' comments; the format of harness/bench/models/*.shapes,
parsed here on its own), one fp32 tensor of each shape, stepped by one
optimizer two ways: foreach=True (torch's multi-tensor path, one
torch._foreach_* call per operation over the whole list) and foreach=False
(the single-tensor path, one set of ops per tensor).

Usage:
  torch_optim.py --check
  torch_optim.py --opt NAME:key=value,... [--opt ...] --sizes N,... --threads T,...
                 [--reps R] [--min-time S]
  torch_optim.py --model FILE --opt NAME:key=value,... --threads T,... [--reps R] [--min-time S]

Output: one line per case on stdout,
  ROW,<opt>,<size>,<threads>,<ns per element and step, median>
or with --model
  MODEL,<opt>,<foreach|single>,<threads>,<ns per step, median>
progress lines start with '#'.  Exit status: 0 done, 2 bad arguments or
model file, 3 torch is not available (the message says why).
"""
import argparse
import inspect
import statistics
import sys
import time


def parse_opt(spec):
    name, _, rest = spec.partition(":")
    hp = {}
    for item in filter(None, rest.split(",")):
        key, _, value = item.partition("=")
        hp[key] = float(value)
    return name, hp


# optbench name -> (torch.optim class name, fixed keyword arguments).
CLASSES = {
    "sgd": ("SGD", {}), "adagrad": ("Adagrad", {}), "rmsprop": ("RMSprop", {}),
    "adam": ("Adam", {}), "adamw": ("AdamW", {}), "amsgrad": ("Adam", {"amsgrad": True}),
    "nadam": ("NAdam", {}), "radam": ("RAdam", {}), "adamax": ("Adamax", {}),
}


def make_optimizer(torch, name, hp, params, foreach=None):
    """The torch optimizer with optbench's hyperparameters (same names; beta1
    and beta2 become betas), and foreach= where it is not None.  Returns
    (optimizer, None) or (None, why)."""
    if name not in CLASSES or not hasattr(torch.optim, CLASSES[name][0]):
        return None, f"torch {torch.__version__} has no optimizer for '{name}'"
    cls_name, fixed = CLASSES[name]
    cls = getattr(torch.optim, cls_name)
    accepted = inspect.signature(cls.__init__).parameters
    kw = dict(fixed)
    if foreach is not None:
        if "foreach" not in accepted:
            return None, f"torch {torch.__version__} {cls_name} has no foreach option"
        kw["foreach"] = foreach
    hp = dict(hp)
    if "beta1" in hp:
        kw["betas"] = (hp.pop("beta1"), hp.pop("beta2"))
    for key, value in hp.items():
        if key in accepted:
            default = accepted[key].default
            kw[key] = bool(value) if isinstance(default, bool) else value
        elif value != 0:
            return None, f"torch {torch.__version__} {cls_name} has no option {key} (= {value:g})"
    return cls(params, **kw), None


def measure(opt, reps, min_time):
    """The median seconds per step."""
    opt.step()  # creates the state
    k = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(k):
            opt.step()
        dt = time.perf_counter() - t0
        if dt >= min_time or k >= 1 << 24:
            break
        k = max(2 * k, int(k * 1.2 * min_time / max(dt, 1e-9)))
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(k):
            opt.step()
        samples.append((time.perf_counter() - t0) / k)
    return statistics.median(samples)


def read_shapes(path):
    """The shapes of a model's tensors, in file order."""
    shapes = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            try:
                if len(words) != 2:
                    raise ValueError("expected a name and a shape")
                dims = [int(d) for d in words[1].split("x")]
                if min(dims) <= 0:
                    raise ValueError("a zero dimension")
            except ValueError as e:
                raise ValueError(f"{path}:{lineno}: {e}") from None
            shapes.append(dims)
    if not shapes:
        raise ValueError(f"{path} lists no tensor")
    return shapes


def model_params(torch, shapes):
    """One fp32 parameter of each shape, with a fixed gradient (filled as
    optbench fills its arrays: p in [-1, 1), |g| in [0.01, 0.1))."""
    params = []
    for dims in shapes:
        p = torch.nn.Parameter(torch.rand(*dims) * 2 - 1)
        p.grad = torch.rand(*dims) * 0.09 + 0.01
        params.append(p)
    return params


def run_model(torch, shapes, opts, threads, reps, min_time):
    """--model: every optimizer over the model's list, foreach and single."""
    for name, hp in opts:
        for t in threads:
            torch.set_num_threads(t)
            for impl, foreach in (("foreach", True), ("single", False)):
                opt, why = make_optimizer(torch, name, hp, model_params(torch, shapes), foreach)
                if why:
                    print(f"# skipped: {why}", flush=True)
                    break
                ns = measure(opt, reps, min_time) * 1e9
                print(f"# torch {name} {impl} {len(shapes)} tensors threads {t}: {ns * 1e-6:.3f} ms/step",
                      flush=True)
                print(f"MODEL,{name},{impl},{t},{ns:.6g}", flush=True)
                del opt
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 0 if torch can be imported")
    ap.add_argument("--opt", action="append", default=[], help="NAME:key=value,...")
    ap.add_argument("--sizes", default="4096")
    ap.add_argument("--threads", default="1")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--model", help="a shape file: step its tensor list, foreach and single")
    a = ap.parse_args()
    try:
        import torch
    except Exception as e:  # ImportError, or a broken installation
        print(f"torch is not available for {sys.executable}: {e}", file=sys.stderr)
        return 3
    if a.check:
        print(f"torch {torch.__version__}")
        return 0
    try:
        sizes = [int(s) for s in a.sizes.split(",")]
        threads = [int(t) for t in a.threads.split(",")]
        opts = [parse_opt(s) for s in a.opt]
    except ValueError as e:
        print(f"bad argument: {e}", file=sys.stderr)
        return 2
    if a.model:
        try:
            shapes = read_shapes(a.model)
        except (OSError, ValueError) as e:
            print(f"bad model file: {e}", file=sys.stderr)
            return 2
        return run_model(torch, shapes, opts, threads, a.reps, a.min_time)
    for name, hp in opts:
        _, why = make_optimizer(torch, name, hp, [torch.nn.Parameter(torch.rand(1))])
        if why:
            print(f"# skipped: {why}", flush=True)
            continue
        for n in sizes:
            for t in threads:
                torch.set_num_threads(t)
                p = torch.nn.Parameter(torch.rand(n) * 2 - 1)
                p.grad = torch.rand(n) * 0.09 + 0.01
                opt, _ = make_optimizer(torch, name, hp, [p])
                ns = measure(opt, a.reps, a.min_time) / n * 1e9
                print(f"# torch {name} size {n} threads {t}: {ns:.3f} ns/element", flush=True)
                print(f"ROW,{name},{n},{t},{ns:.6g}", flush=True)
                del opt, p
    return 0


if __name__ == "__main__":
    sys.exit(main())
