#!/usr/bin/env python3
"""Generate SCALE-Sim 3.0.0 reference fixtures for accel-sim.

Usage (from anywhere; plain python3, no third-party packages needed here):

    python3 generate.py [--python /opt/scalesim-venv/bin/python] \
                        [--shared /work/shared/scalesim] [--jobs 2] [--timeout 180] \
                        [--only SUBSTRING] [--cli]

It writes, next to this file:
  runs/<topology>__<rows>x<cols>__<df>/   COMPUTE_REPORT.csv, DETAILED_ACCESS_REPORT.csv,
                                          BANDWIDTH_REPORT.csv, scale.cfg (the exact config
                                          used) and the topology file (the exact copy used)
  failed/<topology>__<rows>x<cols>__<df>/ scale.cfg, topology copy, scalesim_output.txt
                                          (for runs where SCALE-Sim itself errors out)
  index.csv                               one row per (run, layer)
  runs.csv                                one row per planned run: status, seconds, reason

SCALE-Sim is run on the copies inside runs/<name>/ (config and topology), so the Rust test
loads exactly the inputs that produced the reports.

How SCALE-Sim is invoked: by default through its Python API with save_disk_space=True,
i.e. the body of `python -m scalesim.scale` minus trace writing (the CLI's `-s N` flag is
ignored by scalesim 3.0.0's scale.py, which hard-codes save_disk_space=False, so the CLI
always writes full cycle traces).  `--cli` runs the real CLI instead
(`python -m scalesim.scale -t T -l L -c C -p P -i conv|gemm -s N`, traces go to a temp dir
and are discarded); both produce byte-identical reports (checked, see README.md).
"""

import argparse
import concurrent.futures as cf
import csv
import glob
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PY = "/opt/scalesim-venv/bin/python"
DEFAULT_SHARED = "/work/shared/scalesim"

SHAPES_SQUARE = [(32, 32), (128, 128)]
SHAPES_NONSQUARE = [(8, 16), (16, 8)]
DATAFLOWS = ["os", "ws", "is"]
# Non-square runs of the subset files are kept only when the closed-form cycle estimate is at
# most this (SCALE-Sim runs at roughly 5000 simulated cycles per second on the generation
# machine; the whole matrix would be ~57 M cycles ~ 95 min on 2 cores, over the time budget).
NONSQUARE_MAX_EST_CYCLES = 410_000
# Whole shipped networks (only "if time permits"): 32x32 and 128x128 up to these estimates.
# On 128x128 the per-cycle cost is far higher (alexnet.csv 128x128 os, est 67572 cycles, was
# killed at 180 s; vit_s.csv 128x128 os, est 37824, took 70 s). On 32x32 the smallest whole
# network, vit_s.csv (est 352786..397880 cycles), was killed at 180 s for os and is.
SHIPPED_SHAPES = [(32, 32, 300_000), (128, 128, 60_000)]
DP_SHAPES = [(8, 16), (16, 8), (32, 32), (128, 128)]
# Runs tried on 2026-11-23 and killed at the 180 s limit (skip reasons in runs.csv).
MEASURED_SKIPS = {
    "alexnet__128x128__os": "tried: killed at 180 s (over the ~3 min limit)",
    "vit_s__32x32__os": "tried: killed at 180 s (over the ~3 min limit)",
    "vit_s__32x32__is": "tried: killed at 180 s (over the ~3 min limit)",
    "vit_s__32x32__ws": "tried: stopped (est 397880 cycles > vit_s os/is, which hit 180 s)",
}

INDEX_HEADER = [
    "run", "topology_file", "input_type", "rows", "cols", "dataflow", "layer_index",
    "layer_name", "total_cycles_report", "stall_cycles", "sram_ifmap_reads",
    "sram_filter_reads", "sram_ofmap_writes", "dram_ifmap_reads", "dram_filter_reads",
    "dram_ofmap_writes", "overall_util_pct", "mapping_eff_pct", "compute_util_pct",
]

API_DRIVER = r"""
import sys
from scalesim.scale_sim import scalesim
cfg, topo, layout, itype, logdir = sys.argv[1:6]
s = scalesim(save_disk_space=True, verbose=True, config=cfg, topology=topo,
             layout=layout, input_type_gemm=(itype == 'gemm'))
s.run_scale(top_path=logdir)
"""


# --------------------------------------------------------------------------------------------
# Topology parsing with SCALE-Sim 3.0.0's semantics (topology_utils.py): the header row is
# skipped, blank rows are skipped, every row is split on ',' and its LAST field is dropped;
# GEMM rows "name,M,N,K," become ifmap MxK, filter 1xK, 1 channel, N filters, stride 1; conv
# ofmap size is ceil((H - R + S) / S); a conv layer whose name contains "DP" becomes one layer
# per channel named <name>Channel_<i>, each with 1 channel and the same number of filters.
# Returns a list of (name, M, N, K) or raises ValueError where SCALE-Sim would fail to parse.
# --------------------------------------------------------------------------------------------
def parse_topology(path, gemm):
    layers = []
    with open(path) as f:
        rows = [r.strip() for r in f]
    for row in rows[1:]:
        if row == "":
            continue
        e = row.split(",")[:-1]
        if gemm:
            if len(e) <= 3:
                raise ValueError("AssertionError: There should be at least 4 entries per row "
                                 "(row %r)" % row)
            m, n, k = int(e[1]), int(e[2]), int(e[3])
            layers.append((e[0].strip(), m, n, k))
        else:
            if len(e) < 8:
                raise ValueError("IndexError: list index out of range (row %r)" % row)
            name = e[0].strip()
            h, w, r, s, c, nf, st = [int(x) for x in e[1:8]]
            if r > h or s > w:
                raise ValueError("AssertionError: filter larger than ifmap (row %r)" % row)
            oh = math.ceil((h - r + st) / st)
            ow = math.ceil((w - s + st) / st)
            if "DP" in name:
                for ch in range(c):
                    layers.append(("%sChannel_%d" % (name, ch), oh * ow, nf, r * s))
            else:
                layers.append((name, oh * ow, nf, r * s * c))
    return layers


def closed_form(m, n, k, rows, cols, df):
    """Closed forms from SCALE-Sim's compute code (CALC bandwidth mode)."""
    if df == "os":
        sr, sc, t = m, n, k
        per_fold = t + rows + cols - 2
    elif df == "ws":
        sr, sc, t = k, n, m
        per_fold = 2 * rows + cols + t - 2
    else:
        sr, sc, t = k, m, n
        per_fold = 2 * rows + cols + t - 2
    folds = math.ceil(sr / rows) * math.ceil(sc / cols)
    out = {"folds": folds, "per_fold": per_fold, "total_cycles": folds * per_fold - 1}
    if df == "os":
        out["sram_ifmap_reads"] = math.ceil(n / cols) * m * k
        out["sram_filter_reads"] = math.ceil(m / rows) * k * n
        out["sram_ofmap_writes"] = m * n + folds * (rows + cols)
    elif df == "ws":
        out["sram_ifmap_reads"] = math.ceil(n / cols) * m * k
        out["sram_filter_reads"] = k * n
        out["sram_ofmap_writes"] = math.ceil(k / rows) * m * n
    else:
        out["sram_ifmap_reads"] = m * k
        out["sram_filter_reads"] = math.ceil(m / cols) * k * n
        out["sram_ofmap_writes"] = math.ceil(k / rows) * m * n
    return out


def is_gemm_file(path):
    with open(path) as f:
        first = f.readline()
    return first.strip().lower().startswith("layer,m,n,k")


def make_cfg(default_cfg_text, run_name, rows, cols, df):
    out = []
    for line in default_cfg_text.splitlines():
        key = line.split(":")[0].split("=")[0].strip()
        if key == "run_name":
            line = "run_name = " + run_name
        elif key == "ArrayHeight":
            line = "ArrayHeight:    %d" % rows
        elif key == "ArrayWidth":
            line = "ArrayWidth:     %d" % cols
        elif key == "Dataflow":
            line = "Dataflow : " + df
        out.append(line)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
def plan(shared):
    """Deterministic list of planned runs: dicts with name, topo, rows, cols, df, skip."""
    subsets = sorted(glob.glob(os.path.join(shared, "topologies", "subsets", "*.csv")))
    shipped = sorted(glob.glob(os.path.join(shared, "topologies", "shipped", "*.csv")))
    dp = os.path.join(HERE, "dp_small.csv")
    runs = []

    def add(topo, rows, cols, df, group, max_est=None):
        gemm = is_gemm_file(topo)
        stem = os.path.splitext(os.path.basename(topo))[0]
        try:
            layers = parse_topology(topo, gemm)
            est = sum(closed_form(m, n, k, rows, cols, df)["total_cycles"] + 1
                      for _, m, n, k in layers)
            parse_err = None
        except ValueError as exc:
            est, parse_err = 0, str(exc)
        skip = None
        if max_est is not None and est > max_est:
            skip = ("estimated %d cycles > %d (time budget; SCALE-Sim does ~5000 cycles/s)"
                    % (est, max_est))
        name = "%s__%dx%d__%s" % (stem, rows, cols, df)
        if skip and name in MEASURED_SKIPS:
            skip = MEASURED_SKIPS[name] + "; " + skip
        runs.append(dict(name=name, topo=topo,
                         gemm=gemm, rows=rows, cols=cols, df=df, group=group, est=est,
                         expect_fail=parse_err, skip=skip))

    for topo in subsets:
        for rows, cols in SHAPES_SQUARE:
            for df in DATAFLOWS:
                add(topo, rows, cols, df, "subset")
        for rows, cols in SHAPES_NONSQUARE:
            for df in DATAFLOWS:
                add(topo, rows, cols, df, "subset", NONSQUARE_MAX_EST_CYCLES)
    for rows, cols in DP_SHAPES:
        for df in DATAFLOWS:
            add(dp, rows, cols, df, "dp")
    for topo in shipped:
        for rows, cols, max_est in SHIPPED_SHAPES:
            for df in DATAFLOWS:
                add(topo, rows, cols, df, "shipped", max_est)
    return runs


def run_one(r, args, default_cfg_text, layout):
    """Run SCALE-Sim for one planned run. Returns (status, seconds, message)."""
    run_dir = os.path.join(HERE, "runs", r["name"])
    fail_dir = os.path.join(HERE, "failed", r["name"])
    for d in (run_dir, fail_dir):
        if os.path.isdir(d):
            shutil.rmtree(d)
    os.makedirs(run_dir)
    topo_copy = os.path.join(run_dir, os.path.basename(r["topo"]))
    shutil.copyfile(r["topo"], topo_copy)
    cfg_path = os.path.join(run_dir, "scale.cfg")
    with open(cfg_path, "w") as f:
        f.write(make_cfg(default_cfg_text, r["name"], r["rows"], r["cols"], r["df"]))

    itype = "gemm" if r["gemm"] else "conv"
    tmp = tempfile.mkdtemp(prefix="scalesim_")
    try:
        if args.cli:
            cmd = [args.python, "-m", "scalesim.scale", "-t", topo_copy, "-l", layout,
                   "-c", cfg_path, "-p", tmp, "-i", itype, "-s", "N"]
        else:
            cmd = [args.python, "-c", API_DRIVER, cfg_path, topo_copy, layout, itype, tmp]
        t0 = time.time()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True, cwd=tmp)
        try:
            out, _ = proc.communicate(timeout=args.timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            timed_out = True
        secs = time.time() - t0
        out = out.decode(errors="replace")
        rep = os.path.join(tmp, r["name"])
        ok = (not timed_out and proc.returncode == 0
              and os.path.isfile(os.path.join(rep, "COMPUTE_REPORT.csv")))
        if ok:
            for fn in ("COMPUTE_REPORT.csv", "DETAILED_ACCESS_REPORT.csv",
                       "BANDWIDTH_REPORT.csv"):
                shutil.copyfile(os.path.join(rep, fn), os.path.join(run_dir, fn))
            return "ok", secs, ""
        if timed_out:
            shutil.rmtree(run_dir)
            return "timeout", secs, "killed after %ds" % args.timeout
        # SCALE-Sim itself failed: keep its inputs and output under failed/
        os.makedirs(os.path.dirname(fail_dir), exist_ok=True)
        shutil.move(run_dir, fail_dir)
        with open(os.path.join(fail_dir, "scalesim_output.txt"), "w") as f:
            f.write("$ " + " ".join(cmd if args.cli else cmd[:2] + ["<API_DRIVER>"] + cmd[3:])
                    + "\n")
            f.write(out[-4000:])
        last = [l for l in out.strip().splitlines() if l.strip()]
        return "failed", secs, (last[-1] if last else "rc=%s" % proc.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def read_report(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    header = [h.strip() for h in rows[0]]
    out = []
    for row in rows[1:]:
        if not row:
            continue
        out.append({h: v.strip() for h, v in zip(header, row) if h})
    return out


def build_index(runs):
    lines = []
    for r in runs:
        run_dir = os.path.join(HERE, "runs", r["name"])
        comp_path = os.path.join(run_dir, "COMPUTE_REPORT.csv")
        if not os.path.isfile(comp_path):
            continue
        topo_copy = os.path.join(run_dir, os.path.basename(r["topo"]))
        layers = parse_topology(topo_copy, r["gemm"])
        comp = read_report(comp_path)
        det = read_report(os.path.join(run_dir, "DETAILED_ACCESS_REPORT.csv"))
        assert len(comp) == len(det) == len(layers), r["name"]
        for i, (c, d, lay) in enumerate(zip(comp, det, layers)):
            assert int(c["LayerID"]) == i and int(d["LayerID"]) == i
            lines.append([
                r["name"], os.path.relpath(topo_copy, HERE), "gemm" if r["gemm"] else "conv",
                r["rows"], r["cols"], r["df"], i, lay[0],
                c["Total Cycles"], c["Stall Cycles"],
                d["SRAM IFMAP Reads"], d["SRAM Filter Reads"], d["SRAM OFMAP Writes"],
                d["DRAM IFMAP Reads"], d["DRAM Filter Reads"], d["DRAM OFMAP Writes"],
                c["Overall Util %"], c["Mapping Efficiency %"], c["Compute Util %"],
            ])
    with open(os.path.join(HERE, "index.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(INDEX_HEADER)
        w.writerows(lines)
    return len(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=DEFAULT_PY, help="python with scalesim==3.0.0")
    ap.add_argument("--shared", default=DEFAULT_SHARED, help="folder with scale.cfg, topologies/")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=180, help="seconds per run")
    ap.add_argument("--only", default=None, help="only runs whose name contains this")
    ap.add_argument("--group", default=None,
                    help="comma list of plan groups to run: subset,dp,shipped")
    ap.add_argument("--cli", action="store_true", help="use python -m scalesim.scale")
    ap.add_argument("--plan", action="store_true", help="print the plan and exit")
    ap.add_argument("--index-only", action="store_true", help="rebuild index.csv only")
    args = ap.parse_args()

    with open(os.path.join(args.shared, "scale.cfg")) as f:
        default_cfg_text = f.read()
    layout = os.path.join(args.shared, "topologies", "layout_dummy.csv")
    runs = plan(args.shared)
    if args.plan:
        for r in runs:
            print(r["name"], r["est"], r["skip"] or "", r["expect_fail"] or "")
        return
    if args.index_only:
        print("index rows:", build_index(runs))
        return

    todo = [r for r in runs if not r["skip"] and (not args.only or args.only in r["name"])
            and (not args.group or r["group"] in args.group.split(","))]
    todo.sort(key=lambda r: r["est"])  # cheapest first
    results = {}
    t_all = time.time()
    with cf.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        futs = {ex.submit(run_one, r, args, default_cfg_text, layout): r for r in todo}
        for fut in cf.as_completed(futs):
            r = futs[fut]
            status, secs, msg = fut.result()
            results[r["name"]] = (status, secs, msg)
            print("%-45s %-8s %7.1fs est=%d %s" % (r["name"], status, secs, r["est"], msg),
                  flush=True)
    wall = time.time() - t_all

    # runs.csv: merge with an existing one so that --only reruns keep the other rows
    runs_csv = os.path.join(HERE, "runs.csv")
    old = {}
    if os.path.isfile(runs_csv):
        with open(runs_csv) as f:
            for row in csv.DictReader(f):
                old[row["run"]] = row
    with open(runs_csv, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["run", "topology", "rows", "cols", "dataflow", "est_cycles", "status",
                    "seconds", "note"])
        for r in runs:
            if r["name"] in results:
                status, secs, msg = results[r["name"]]
                row = [r["name"], os.path.basename(r["topo"]), r["rows"], r["cols"], r["df"],
                       r["est"], status, "%.1f" % secs, msg]
            elif r["skip"]:
                row = [r["name"], os.path.basename(r["topo"]), r["rows"], r["cols"], r["df"],
                       r["est"], "skipped", "", r["skip"]]
            elif r["name"] in old:
                o = old[r["name"]]
                row = [o[k] for k in ("run", "topology", "rows", "cols", "dataflow",
                                      "est_cycles", "status", "seconds", "note")]
            else:
                continue
            w.writerow(row)
    n = build_index(runs)
    print("wall %.1fs, index rows %d" % (wall, n))


if __name__ == "__main__":
    sys.exit(main())
