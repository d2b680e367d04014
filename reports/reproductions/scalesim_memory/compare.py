#!/usr/bin/env python3
"""Compare accel-sim's systolic DRAM/stall model with SCALE-Sim 3.0.0 in USER-bandwidth mode.

Usage (from the repository root, after `cargo build --release`):

    python3 reports/reproductions/scalesim_memory/compare.py [--quick] [--workdir DIR]

`--quick` runs only Bandwidth 10 (writes comparison_quick.csv); `--workdir DIR` keeps
SCALE-Sim's reports and probes in DIR and reuses any already there (the full matrix takes
about 17 minutes of SCALE-Sim on one core; re-deriving the CSV from a kept DIR takes a second).

For every (topology, dataflow, bandwidth) of the matrix below it
  1. writes a SCALE-Sim .cfg: the shipped default (/work/shared/scalesim/scale.cfg), 32x32,
     64 KiB SRAMs, `InterfaceBandwidth: USER`, `Bandwidth = B` and -- because SCALE-Sim 3.0.0
     takes its *read* ports' bandwidth from `[layout] IfmapSRAMBankBandwidth` /
     `FilterSRAMBankBandwidth`, not from `Bandwidth` (single_layer_sim.py, run()) -- those two
     set to B as well (bank count 1, so the divisibility assert in read_buffer.set_params holds);
  2. runs SCALE-Sim twice through this same file in "driver" mode under SCALE-Sim's venv:
     `stock` (unmodified code, instrumented only to count prefetches) and `fixstall` (one line
     of read_buffer.service_reads removed: the unconditional `offset += potential_stall_cycles`
     that precedes the `if potential_stall_cycles > 0: offset += potential_stall_cycles`);
  3. runs `accel sim --arch <cfg> --workload <csv> --format json` on the same files;
and writes comparison.csv next to this file (one row per layer x dataflow x bandwidth).

SCALE-Sim counts words; the configs make a word one byte, so words == bytes throughout.
"""

import csv
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ACCEL = os.path.join(REPO, "target", "release", "accel")
SS_PY = "/opt/scalesim-venv/bin/python"
SHARED = "/work/shared/scalesim"
BASE_CFG = os.path.join(SHARED, "scale.cfg")
LAYOUT = os.path.join(SHARED, "topologies", "layout_dummy.csv")
SUBSETS = os.path.join(SHARED, "topologies", "subsets")

# (kind, name, [(subset file, layer name), ...]); layers keep their subset-file order.
TOPOLOGIES = [
    ("conv", "convs", [("Resnet18_s.csv", "Conv3_s"), ("Resnet18_s.csv", "Conv4_s"),
                       ("Resnet18_s.csv", "FC"), ("mobilenet_s.csv", "Conv24")]),
    ("gemm", "gemms", [("transformer_partial_s.csv", "SD_MatMul_QK_00"),
                       ("vit_s_s.csv", "L0")]),
]
DATAFLOWS = ["os", "ws", "is"]
BANDWIDTHS = [2, 10, 50]
ROWS = COLS = 32
SRAM_KIB = 64


# --------------------------------------------------------------------------------------------
# Driver mode: runs inside SCALE-Sim's venv.
# --------------------------------------------------------------------------------------------

def driver(cfg, topo, itype, logdir, variant, probe_out):
    """Runs SCALE-Sim on (cfg, topo), optionally patched, and dumps per-layer probe counts."""
    import math  # noqa: F401  (used by the copied code's environment)
    import numpy as np
    from scalesim.scale_sim import scalesim
    from scalesim.memory import read_buffer as rb_mod
    from scalesim.memory import double_buffered_scratchpad_mem as db_mod

    RB = rb_mod.read_buffer
    DB = db_mod.double_buffered_scratchpad
    probes = {}          # layer id -> {"ifmap": {...}, "filter": {...}}
    names = {}           # id(read_buffer) -> (layer id, operand)

    def probe(buf):
        key = names.get(id(buf))
        if key is None:
            return None
        return probes.setdefault(key[0], {}).setdefault(key[1], {
            "fetch_elems": 0, "fetch_unique": 0, "hashed_lines": 0, "active_lines": 0,
            "prefetch_lines": 0, "new_prefetches": 0, "wraps": 0, "prefetch_start_idx": set(),
            "pos_stall_sum": 0, "neg_stall_sum": 0})

    orig_smr = DB.service_memory_requests

    def smr(self, ifd, fd, ofd):
        names[id(self.ifmap_buf)] = (self.layer_id, "ifmap")
        names[id(self.filter_buf)] = (self.layer_id, "filter")
        for buf in (self.ifmap_buf, self.filter_buf):
            p = probe(buf)
            fm = buf.fetch_matrix
            valid = fm[fm != -1]
            p["fetch_elems"] = int(valid.size)
            p["fetch_unique"] = int(np.unique(valid).size)
            p["hashed_lines"] = int(buf.num_lines)
            p["active_lines"] = int(buf.num_active_buf_lines)
            p["prefetch_lines"] = int(buf.num_prefetch_buf_lines)
        return orig_smr(self, ifd, fd, ofd)

    DB.service_memory_requests = smr

    orig_np = RB.new_prefetch

    def new_prefetch(self):
        p = probe(self)
        before = self.active_buffer_set_limits[0]
        if p is not None:
            p["prefetch_start_idx"].add(int(self.next_line_prefetch_idx))
        orig_np(self)
        if p is not None:
            p["new_prefetches"] += 1
            if self.active_buffer_set_limits[0] <= before:
                p["wraps"] += 1     # the active window went past the last line and circled back

    RB.new_prefetch = new_prefetch

    double_add = variant == "stock"

    def service_reads(self, incoming_requests_arr_np, incoming_cycles_arr):
        # Copy of read_buffer.service_reads (SCALE-Sim 3.0.0, lines 274-374), non-layout branch,
        # with the stall arithmetic of lines 361-364 kept (stock) or de-duplicated (fixstall).
        assert not self.enable_layout_evaluation
        p = probe(self)
        dram_stall_cycles = 0
        if not self.active_buf_full_flag:
            start_cycle = incoming_cycles_arr[0][0]
            dram_stall_cycles = self.prefetch_active_buffer(start_cycle=start_cycle)
        out_cycles_arr = []
        offset = self.hit_latency
        for i in range(incoming_requests_arr_np.shape[0]):
            cycle = incoming_cycles_arr[i]
            request_line = incoming_requests_arr_np[i]
            for addr in request_line:
                if addr == -1:
                    continue
                while not self.active_buffer_hit(addr):
                    self.new_prefetch()
                    potential_stall_cycles = self.last_prefetch_cycle - (cycle + offset)
                    if p is not None:
                        s = float(np.asarray(potential_stall_cycles).reshape(-1)[0])
                        if s > 0:
                            p["pos_stall_sum"] += s
                        else:
                            p["neg_stall_sum"] += s
                    if double_add:
                        offset += potential_stall_cycles      # line 362 (stock only)
                    if potential_stall_cycles > 0:
                        offset += potential_stall_cycles      # lines 363-364
            if self.use_ramulator_trace:
                out_cycles = cycle + offset + dram_stall_cycles
            else:
                out_cycles = cycle + offset
            out_cycles_arr.append(out_cycles)
        return np.asarray(out_cycles_arr).reshape((len(out_cycles_arr), 1))

    RB.service_reads = service_reads

    s = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo,
                 layout=LAYOUT, input_type_gemm=(itype == "gemm"))
    s.run_scale(top_path=logdir)
    for layer in probes.values():
        for p in layer.values():
            p["prefetch_start_idx"] = len(p["prefetch_start_idx"])
    with open(probe_out, "w") as f:
        json.dump({str(k): v for k, v in probes.items()}, f)


# --------------------------------------------------------------------------------------------
# Main mode.
# --------------------------------------------------------------------------------------------

def make_cfg(path, dataflow, bw, run_name):
    text = open(BASE_CFG).read()

    def setkey(text, key, value):
        new, n = re.subn(rf"(?m)^({key}\s*[:=]\s*).*$", lambda m: m.group(1) + str(value), text)
        assert n == 1, key
        return new

    for key, value in [("run_name", run_name), ("ArrayHeight", ROWS), ("ArrayWidth", COLS),
                       ("IfmapSramSzkB", SRAM_KIB), ("FilterSramSzkB", SRAM_KIB),
                       ("OfmapSramSzkB", SRAM_KIB), ("Bandwidth", bw), ("Dataflow", dataflow),
                       ("IfmapSRAMBankBandwidth", bw), ("IfmapSRAMBankNum", 1),
                       ("FilterSRAMBankBandwidth", bw), ("FilterSRAMBankNum", 1),
                       ("InterfaceBandwidth", "USER")]:
        text = setkey(text, key, value)
    open(path, "w").write(text)


def make_topology(path, kind, layers):
    """Writes the chosen rows (SCALE-Sim CSVs: header, rows ending in a comma) and returns
    per-layer operand sizes {name: dict}."""
    header = None
    rows, shapes = [], {}
    for fname, lname in layers:
        lines = [l.rstrip("\n") for l in open(os.path.join(SUBSETS, fname)) if l.strip()]
        header = header or lines[0]
        row = next(l for l in lines[1:] if l.split(",")[0].strip() == lname)
        rows.append(row if row.rstrip().endswith(",") else row + ",")
        f = [x.strip() for x in row.split(",")]
        if kind == "gemm":
            m, n, k = int(f[1]), int(f[2]), int(f[3])
            ifmap = m * k
        else:
            h, w, r, s, c, nf, st = (int(x) for x in f[1:8])
            oh, ow = -(-(h - r + st) // st), -(-(w - s + st) // st)   # SCALE-Sim: ceil
            m, n, k = oh * ow, nf, r * s * c
            ifmap = h * w * c
            # Input rows/columns some window covers (SCALE-Sim's ceil output size lets the last
            # windows hang over the edge; those addresses are not real data).
            rows_hit = len({y for o in range(oh) for y in range(o * st, o * st + r) if y < h})
            cols_hit = len({x for o in range(ow) for x in range(o * st, o * st + s) if x < w})
            touched = rows_hit * cols_hit * c
        if kind == "gemm":
            touched = ifmap
        shapes[lname] = dict(M=m, N=n, K=k, ifmap_elems=ifmap, ifmap_touched=touched,
                             im2col_elems=m * k, filter_elems=k * n, ofmap_elems=m * n)
    with open(path, "w") as f:
        f.write(header + "\n" + "\n".join(rows) + "\n")
    return shapes


def read_report(path):
    with open(path) as f:
        r = csv.reader(f)
        head = [h.strip() for h in next(r)]
        return [{h: v.strip() for h, v in zip(head, row) if h} for row in r if row]


def run_scalesim(cfg, topo, kind, variant, work, run_name):
    """Runs SCALE-Sim (skipped when `work` already holds this run's reports and probe, so
    `--workdir` of an earlier run re-derives the CSV without re-simulating)."""
    logdir = os.path.join(work, f"log_{run_name}_{variant}")
    probe_out = os.path.join(work, f"probe_{run_name}_{variant}.json")
    t0 = time.time()
    if not (os.path.exists(probe_out) and
            os.path.exists(os.path.join(logdir, run_name, "DETAILED_ACCESS_REPORT.csv"))):
        subprocess.run([SS_PY, "-W", "ignore", os.path.abspath(__file__), "--driver", cfg, topo,
                        kind, logdir, variant, probe_out], check=True, stdout=subprocess.DEVNULL)
    dt = time.time() - t0
    comp = read_report(os.path.join(logdir, run_name, "COMPUTE_REPORT.csv"))
    det = read_report(os.path.join(logdir, run_name, "DETAILED_ACCESS_REPORT.csv"))
    probes = json.load(open(probe_out))
    out = []
    for i, (c, d) in enumerate(zip(comp, det)):
        p = probes.get(str(i), {})
        out.append(dict(
            total_incl_prefetch=int(float(c["Total Cycles (incl. prefetch)"])),
            total=int(float(c["Total Cycles"])), stall=int(float(c["Stall Cycles"])),
            dram_ifmap=int(float(d["DRAM IFMAP Reads"])),
            dram_filter=int(float(d["DRAM Filter Reads"])),
            dram_ofmap=int(float(d["DRAM OFMAP Writes"])),
            sram_ofmap_writes=int(float(d["SRAM OFMAP Writes"])),
            probe=p))
    return out, dt


def run_ours(cfg, topo):
    res = subprocess.run([ACCEL, "sim", "--arch", cfg, "--workload", topo, "--format", "json"],
                         check=True, capture_output=True, text=True)
    return {l["name"]: l for l in json.loads(res.stdout)["layers"]}


def main():
    quick = "--quick" in sys.argv
    bws = [10] if quick else BANDWIDTHS
    if "--workdir" in sys.argv:
        work = sys.argv[sys.argv.index("--workdir") + 1]
        os.makedirs(work, exist_ok=True)
    else:
        work = tempfile.mkdtemp(prefix="scalesim_memory_")
    version = subprocess.run([SS_PY, "-c", "import importlib.metadata as m; "
                              "print(m.version('scalesim'), m.version('numpy'))"],
                             capture_output=True, text=True).stdout.split()
    ours_version = subprocess.run([ACCEL, "--version"], capture_output=True,
                                  text=True).stdout.strip()
    print(f"scalesim {version[0]} numpy {version[1]}; {ours_version}; work dir {work}",
          file=sys.stderr)
    rows = []
    for kind, tname, layers in TOPOLOGIES:
        topo = os.path.join(work, f"{tname}.csv")
        shapes = make_topology(topo, kind, layers)
        for df in DATAFLOWS:
            for bw in bws:
                run_name = f"{tname}_{df}_bw{bw}"
                cfg = os.path.join(work, f"{run_name}.cfg")
                make_cfg(cfg, df, bw, run_name)
                stock, t1 = run_scalesim(cfg, topo, kind, "stock", work, run_name)
                fixed, t2 = run_scalesim(cfg, topo, kind, "fixstall", work, run_name)
                ours = run_ours(cfg, topo)
                print(f"{run_name}: scalesim {t1:.0f}s + {t2:.0f}s", file=sys.stderr)
                for (_, lname), ss, fx in zip(layers, stock, fixed):
                    sh, o = shapes[lname], ours[lname]
                    pi, pf = ss["probe"].get("ifmap", {}), ss["probe"].get("filter", {})
                    ss_compute = ss["total"] - ss["stall"]
                    rows.append({
                        "layer": lname, "dataflow": df, "bw_words_per_cycle": bw,
                        **sh,
                        "ss_compute_cycles": ss_compute,
                        "ss_stall_cycles": ss["stall"],
                        "ss_total_cycles": ss["total"],
                        "ss_total_incl_prefetch": ss["total_incl_prefetch"],
                        "ss_fixstall_stall_cycles": fx["stall"],
                        "ss_fixstall_total_cycles": fx["total"],
                        "ss_wait_sum": round(pi.get("pos_stall_sum", 0)
                                             + pf.get("pos_stall_sum", 0)),
                        "ss_dram_ifmap_reads": ss["dram_ifmap"],
                        "ss_dram_filter_reads": ss["dram_filter"],
                        "ss_dram_ofmap_writes": ss["dram_ofmap"],
                        "ss_sram_ofmap_writes": ss["sram_ofmap_writes"],
                        "ss_ifmap_fetch_unique": pi.get("fetch_unique", ""),
                        "ss_ifmap_fetch_elems": pi.get("fetch_elems", ""),
                        "ss_ifmap_new_prefetches": pi.get("new_prefetches", ""),
                        "ss_ifmap_wraps": pi.get("wraps", ""),
                        "ss_filter_new_prefetches": pf.get("new_prefetches", ""),
                        "ss_filter_wraps": pf.get("wraps", ""),
                        "ss_prefetch_start_lines": (pi.get("prefetch_start_idx", 0),
                                                    pf.get("prefetch_start_idx", 0)),
                        "ss_ifmap_reads_per_elem":
                            round(ss["dram_ifmap"] / sh["ifmap_touched"], 2),
                        "ss_filter_reads_per_elem":
                            round(ss["dram_filter"] / sh["filter_elems"], 2),
                        "ss_ofmap_writes_per_elem":
                            round(ss["dram_ofmap"] / sh["ofmap_elems"], 2),
                        "ours_compute_cycles": o["compute_cycles"],
                        "ours_stall_cycles": o["stall_cycles"],
                        "ours_total_cycles": o["total_cycles"],
                        "ours_ifmap_read_bytes": o["dram"]["ifmap_read_bytes"],
                        "ours_filter_read_bytes": o["dram"]["filter_read_bytes"],
                        "ours_psum_read_bytes": o["dram"]["psum_read_bytes"],
                        "ours_write_bytes": o["dram"]["write_bytes"],
                        "ours_ifmap_reads_per_elem":
                            round(o["dram"]["ifmap_read_bytes"] / sh["ifmap_touched"], 2),
                        "ours_filter_reads_per_elem":
                            round(o["dram"]["filter_read_bytes"] / sh["filter_elems"], 2),
                        "ours_write_bytes_per_ofmap_elem":
                            round(o["dram"]["write_bytes"] / sh["ofmap_elems"], 2),
                    })
    out = os.path.join(HERE, "comparison_quick.csv" if quick else "comparison.csv")
    with open(out, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            r["ss_prefetch_start_lines"] = "%d/%d" % r["ss_prefetch_start_lines"]
            w.writerow(r)
    print(f"wrote {out} ({len(rows)} rows)", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--driver":
        driver(*sys.argv[2:8])
    else:
        main()
