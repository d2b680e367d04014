#!/usr/bin/env python3
"""Reference hypervolumes for pymoo NSGA-II and Optuna TPE on ZDT1/2/3 and DTLZ2.

Usage (venv: /opt/peers-venv, pymoo 0.6.2, optuna 5.0.0):
  measure.py one  TOOL PROBLEM BUDGET SEED      # print normalised HV of one run
  measure.py all  [--tools nsga2,tpe] [--problems ...] [--budgets 100,300,1000]
                  [--seeds 0-9] [--tpe-seeds-1000 0-9]
                                                # append rows to results.csv
  measure.py summary                            # results.csv -> summary.csv
  measure.py truefront                          # HV of the true fronts

HV definition: nondominated set of ALL points the tool evaluated (a sweep reports
the front of everything it evaluated); each objective normalised as
(f - ideal)/(nadir - ideal) with ideal/nadir = min/max of pymoo's pareto_front();
reference point 1.1 in every normalised objective (points not strictly dominating it
are dropped); HV (pymoo.indicators.hv.HV) divided by 1.1**m.
"""
import csv
import os
import sys
import time

import numpy as np
from pymoo.indicators.hv import HV
from pymoo.problems import get_problem
from pymoo.core.problem import Problem
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results.csv")
SUMMARY = os.path.join(HERE, "summary.csv")

PROBLEMS = ["zdt1", "zdt2", "zdt3", "dtlz2"]
TOOLS = ["nsga2", "tpe"]
BUDGETS = [100, 300, 1000]
REF = 1.1
# Optuna TPE setting (see README for why): multivariate=True
TPE_MULTIVARIATE = True


def make_problem(name):
    if name == "dtlz2":
        return get_problem("dtlz2", n_var=12, n_obj=3)
    return get_problem(name)


def ideal_nadir(name):
    pf = make_problem(name).pareto_front()
    return pf.min(axis=0), pf.max(axis=0)


def hv_normalized(F, name):
    """Normalised HV of the nondominated subset of F (rows = evaluated points)."""
    F = np.asarray(F, dtype=float)
    m = F.shape[1]
    ideal, nadir = ideal_nadir(name)
    N = (F - ideal) / (nadir - ideal)
    N = N[np.all(N < REF, axis=1)]  # points beyond the reference are ignored
    if len(N) == 0:
        return 0.0
    front = N[NonDominatedSorting().do(N, only_non_dominated_front=True)]
    hv = HV(ref_point=np.full(m, REF))(front)
    return float(hv) / REF ** m


class Recorded(Problem):
    """Wraps a pymoo problem and records every evaluated F."""

    def __init__(self, inner):
        super().__init__(n_var=inner.n_var, n_obj=inner.n_obj, xl=inner.xl, xu=inner.xu,
                         vtype=float)
        self.inner = inner
        self.log = []

    def _evaluate(self, x, out, *args, **kwargs):
        self.inner._evaluate(x, out, *args, **kwargs)
        self.log.append(np.array(out["F"], dtype=float).reshape(len(x), -1).copy())


def run_nsga2(name, budget, seed):
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.optimize import minimize
    prob = Recorded(make_problem(name))
    minimize(prob, NSGA2(pop_size=100), ("n_eval", budget), seed=seed, verbose=False)
    F = np.vstack(prob.log)
    return F


def run_tpe(name, budget, seed):
    """Returns all evaluated F in trial order (row i = trial i)."""
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    import warnings
    warnings.filterwarnings("ignore")
    prob = make_problem(name)
    n, m = prob.n_var, prob.n_obj
    log = []

    def objective(trial):
        x = np.array([trial.suggest_float(f"x{i}", 0.0, 1.0) for i in range(n)])
        f = np.asarray(prob.evaluate(x[None, :], return_values_of=["F"]), dtype=float)[0]
        log.append(f)
        return tuple(float(v) for v in f)

    sampler = optuna.samplers.TPESampler(seed=seed, multivariate=TPE_MULTIVARIATE)
    study = optuna.create_study(directions=["minimize"] * m, sampler=sampler)
    study.optimize(objective, n_trials=budget)
    return np.vstack(log)


def one(tool, name, budget, seed):
    F = (run_nsga2 if tool == "nsga2" else run_tpe)(name, budget, seed)
    assert len(F) == budget, (tool, name, budget, seed, len(F))
    return hv_normalized(F, name)


def parse_list(s, conv=int):
    out = []
    for part in s.split(","):
        if "-" in part and conv is int:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(conv(part))
    return out


def closest(F, name):
    """min over evaluated points of max_i normalised f_i (< 1.1 <=> the point counts)."""
    ideal, nadir = ideal_nadir(name)
    return float(((np.asarray(F) - ideal) / (nadir - ideal)).max(axis=1).min())


def append_diag(row):
    path = os.path.join(HERE, "diagnostics.csv")
    new = not os.path.exists(path)
    with open(path, "a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["tool", "problem", "budget", "seed", "closest_max_norm_coord"])
        w.writerow(row)


def append_row(row):
    new = not os.path.exists(RESULTS)
    with open(RESULTS, "a", newline="") as fh:
        w = csv.writer(fh)
        if new:
            w.writerow(["tool", "problem", "budget", "seed", "hv_normalized"])
        w.writerow(row)


def done_keys():
    if not os.path.exists(RESULTS):
        return set()
    with open(RESULTS) as fh:
        return {(r["tool"], r["problem"], int(r["budget"]), int(r["seed"]))
                for r in csv.DictReader(fh)}


def all_runs(args):
    opts = dict(zip(args[::2], args[1::2]))
    tools = opts.get("--tools", ",".join(TOOLS)).split(",")
    problems = opts.get("--problems", ",".join(PROBLEMS)).split(",")
    budgets = parse_list(opts.get("--budgets", "100,300,1000"))
    seeds = parse_list(opts.get("--seeds", "0-9"))
    done = done_keys()
    for tool in tools:
        for name in problems:
            for seed in seeds:
                if tool == "nsga2":
                    # independent runs per budget (termination n_eval = budget)
                    for b in budgets:
                        if (tool, name, b, seed) in done:
                            continue
                        t = time.time()
                        F = run_nsga2(name, b, seed)
                        assert len(F) == b, (name, b, seed, len(F))
                        hv = hv_normalized(F, name)
                        append_row([tool, name, b, seed, f"{hv:.6f}"])
                        append_diag([tool, name, b, seed, f"{closest(F, name):.6f}"])
                        print(f"{tool} {name} b={b} s={seed} hv={hv:.4f} "
                              f"{time.time()-t:.1f}s", flush=True)
                else:
                    # TPE never looks at n_trials, so the first b trials of a run of
                    # max(budgets) trials are identical to a run of b trials with the
                    # same seed (checked in README): evaluate prefixes of one run.
                    todo = [b for b in budgets if (tool, name, b, seed) not in done]
                    if not todo:
                        continue
                    t = time.time()
                    F = run_tpe(name, max(todo), seed)
                    assert len(F) == max(todo)
                    for b in sorted(todo):
                        hv = hv_normalized(F[:b], name)
                        append_row([tool, name, b, seed, f"{hv:.6f}"])
                        append_diag([tool, name, b, seed, f"{closest(F[:b], name):.6f}"])
                        print(f"{tool} {name} b={b} s={seed} hv={hv:.4f}", flush=True)
                    print(f"  ({max(todo)} trials in {time.time()-t:.1f}s)", flush=True)


def summary():
    rows = {}
    with open(RESULTS) as fh:
        for r in csv.DictReader(fh):
            rows.setdefault((r["tool"], r["problem"], int(r["budget"])), []).append(
                float(r["hv_normalized"]))
    with open(SUMMARY, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["tool", "problem", "budget", "median", "q1", "q3", "n_seeds"])
        for tool in TOOLS:
            for name in PROBLEMS:
                for b in BUDGETS:
                    v = rows.get((tool, name, b))
                    if not v:
                        continue
                    q1, med, q3 = np.percentile(v, [25, 50, 75])
                    w.writerow([tool, name, b, f"{med:.4f}", f"{q1:.4f}", f"{q3:.4f}",
                                len(v)])
    print(open(SUMMARY).read())


def truefront():
    for name in PROBLEMS:
        p = make_problem(name)
        pf = p.pareto_front()
        ideal, nadir = pf.min(axis=0), pf.max(axis=0)
        if name == "dtlz2":
            from pymoo.util.ref_dirs import get_reference_directions
            rd = get_reference_directions("das-dennis", 3, n_partitions=150)
            dense = rd / np.linalg.norm(rd, axis=1, keepdims=True)
        elif name == "zdt3":
            dense = p._calc_pareto_front(n_points=100000)
        else:
            dense = p._calc_pareto_front(n_pareto_points=100000)
        print(f"{name}: ideal={ideal.tolist()} nadir={nadir.tolist()} "
              f"HV(pareto_front(), {len(pf)} pts)={hv_normalized(pf, name):.6f} "
              f"HV(dense, {len(dense)} pts)={hv_normalized(dense, name):.6f}")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "one":
        tool, name, b, s = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
        print(f"{one(tool, name, b, s):.6f}")
    elif cmd == "all":
        all_runs(sys.argv[2:])
    elif cmd == "summary":
        summary()
    elif cmd == "truefront":
        truefront()
