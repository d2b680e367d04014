#!/usr/bin/env python3
"""Check every row of index.csv against closed forms derived from SCALE-Sim 3.0.0's code.

Plain python3, no dependencies.  Exit status 0 iff every row matches.

With M = ofmap pixels (ofmap_h*ofmap_w, ofmap size ceil((H-R+S)/S)), N = filters,
K = R*S*C (GEMM "name,M,N,K": ifmap MxK, filter 1xK, 1 channel, N filters, stride 1),
array R rows x C cols:
  os: Sr=M, Sc=N, T=K, per_fold = T+R+C-2
  ws: Sr=K, Sc=N, T=M, per_fold = 2R+C+T-2
  is: Sr=K, Sc=M, T=N, per_fold = 2R+C+T-2
  F = ceil(Sr/R)*ceil(Sc/C);   Total Cycles (CALC bandwidth mode) = F*per_fold - 1
  SRAM reads/writes:
  os: ifmap = ceil(N/C)*M*K, filter = ceil(M/R)*K*N, ofmap = M*N + F*(R+C)
  ws: ifmap = ceil(N/C)*M*K, filter = K*N,           ofmap = ceil(K/R)*M*N
  is: ifmap = M*K,           filter = ceil(M/C)*K*N, ofmap = ceil(K/R)*M*N
A layer whose name contains "DP" is split by SCALE-Sim into one layer per channel
(<name>Channel_<i>, C=1, same number of filters).

Also reported (informational, not failures): stall cycles != 0, and whether layers that appear
in several runs with the same array/dataflow (the *_sb subsets vs *_s/*_b) give identical rows.
"""

import csv
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_topology(path, gemm):
    layers = []
    with open(path) as f:
        rows = [r.strip() for r in f]
    for row in rows[1:]:
        if row == "":
            continue
        e = row.split(",")[:-1]          # SCALE-Sim drops the last field of every row
        if gemm:
            layers.append((e[0].strip(), int(e[1]), int(e[2]), int(e[3])))
        else:
            name = e[0].strip()
            h, w, r, s, c, nf, st = [int(x) for x in e[1:8]]
            oh = math.ceil((h - r + st) / st)
            ow = math.ceil((w - s + st) / st)
            if "DP" in name:
                for ch in range(c):
                    layers.append(("%sChannel_%d" % (name, ch), oh * ow, nf, r * s))
            else:
                layers.append((name, oh * ow, nf, r * s * c))
    return layers


def expected(m, n, k, R, C, df):
    if df == "os":
        sr, sc, t, pf = m, n, k, k + R + C - 2
    elif df == "ws":
        sr, sc, t, pf = k, n, m, 2 * R + C + m - 2
    elif df == "is":
        sr, sc, t, pf = k, m, n, 2 * R + C + n - 2
    else:
        raise ValueError(df)
    f = math.ceil(sr / R) * math.ceil(sc / C)
    e = {"total_cycles_report": f * pf - 1}
    if df == "os":
        e["sram_ifmap_reads"] = math.ceil(n / C) * m * k
        e["sram_filter_reads"] = math.ceil(m / R) * k * n
        e["sram_ofmap_writes"] = m * n + f * (R + C)
    elif df == "ws":
        e["sram_ifmap_reads"] = math.ceil(n / C) * m * k
        e["sram_filter_reads"] = k * n
        e["sram_ofmap_writes"] = math.ceil(k / R) * m * n
    else:
        e["sram_ifmap_reads"] = m * k
        e["sram_filter_reads"] = math.ceil(m / C) * k * n
        e["sram_ofmap_writes"] = math.ceil(k / R) * m * n
    return e


def as_int(s):
    v = float(s)
    assert v == int(v), s
    return int(v)


def main():
    with open(os.path.join(HERE, "index.csv")) as f:
        rows = list(csv.DictReader(f))
    topo_cache = {}
    mismatches = []
    nonzero_stalls = []
    checked = 0
    by_key = {}
    for row in rows:
        tf = row["topology_file"]
        if tf not in topo_cache:
            topo_cache[tf] = parse_topology(os.path.join(HERE, tf), row["input_type"] == "gemm")
        layers = topo_cache[tf]
        i = int(row["layer_index"])
        name, m, n, k = layers[i]
        R, C, df = int(row["rows"]), int(row["cols"]), row["dataflow"]
        if name != row["layer_name"]:
            mismatches.append("%s layer %d: name %r, topology says %r"
                              % (row["run"], i, row["layer_name"], name))
        for key, want in expected(m, n, k, R, C, df).items():
            got = as_int(row[key])
            if got != want:
                mismatches.append("%s layer %d (%s, M=%d N=%d K=%d): %s = %d, closed form %d"
                                  " (diff %+d)" % (row["run"], i, name, m, n, k, key, got,
                                                   want, got - want))
        if as_int(row["stall_cycles"]) != 0:
            nonzero_stalls.append("%s layer %d: stall_cycles %s"
                                  % (row["run"], i, row["stall_cycles"]))
        checked += 1
        vals = tuple(row[c] for c in list(row)[8:])
        by_key.setdefault((R, C, df, name, m, n, k), set()).add(vals)

    print("rows checked: %d, runs: %d" % (checked, len({r["run"] for r in rows})))
    print("closed-form mismatches: %d" % len(mismatches))
    for s in mismatches:
        print("  MISMATCH " + s)
    print("rows with nonzero stall cycles: %d" % len(nonzero_stalls))
    for s in nonzero_stalls[:50]:
        print("  " + s)
    dup = [k for k, v in by_key.items() if len(v) > 1]
    print("same layer/array/dataflow in several runs with differing report values: %d"
          % len(dup))
    for k in dup:
        print("  ", k, by_key[k])
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
