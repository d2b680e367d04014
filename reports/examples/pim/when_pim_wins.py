#!/usr/bin/env python3
"""When PIM wins: LLaMA-2-7B decode steps at growing batch, and whole requests (prefill and
decode), on the A100 alone and on the A100 plus five HBM2-PIM stacks
(configs/accelerators/a100_hbm2_pim.toml); writes when_pim_wins.md.

Run from the repository root after `cargo build`:
    python3 reports/examples/pim/when_pim_wins.py [path/to/accel]
"""
import json
import subprocess
import sys
from pathlib import Path

ACCEL = sys.argv[1] if len(sys.argv) > 1 else "target/debug/accel"
GPU = "configs/accelerators/a100_sxm_80gb.toml"
HETERO = "configs/accelerators/a100_hbm2_pim.toml"
WORKLOAD = "llama2_7b_decode_step"
BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256]


SERVING_BATCHES = [1, 8, 64]


def sim(arch, batch, workload=WORKLOAD, *extra):
    out = subprocess.run(
        [ACCEL, "sim", "--arch", arch, "--workload", workload, "--batch", str(batch),
         "--format", "json", *extra],
        check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def serving_rows():
    """TTFT (prefill) and TPOT (decode) of 512 + 128-token requests."""
    rows = [
        "| batch | TTFT A100 (ms) | TTFT A100 + PIM (ms) | TPOT A100 (ms) | TPOT A100 + PIM (ms) | TPOT speedup |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for b in SERVING_BATCHES:
        g, h = (sim(a, b, "llama2_7b", "--prompt", "512", "--gen", "128") for a in (GPU, HETERO))
        rows.append(
            f"| {b} | {g['ttft_s'] * 1e3:.2f} | {h['ttft_s'] * 1e3:.2f} "
            f"| {g['tpot_s'] * 1e3:.2f} | {h['tpot_s'] * 1e3:.2f} "
            f"| {g['tpot_s'] / h['tpot_s']:.2f}x |")
    return rows


def main():
    rows = [
        "| batch | A100 step (ms) | A100 + PIM step (ms) | speedup | energy ratio | on the PIM | hand-offs |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for b in BATCHES:
        gpu, het = sim(GPU, b)["total"], sim(HETERO, b)
        m = het["total"]["model_metrics"]
        pim = [l["name"][4:] for l in het["layers"]
               if l["name"].startswith("pim:") and l["kind"] in ("gemm", "attention")]
        rows.append(
            f"| {b} | {gpu['latency_s'] * 1e3:.2f} | {het['total']['latency_s'] * 1e3:.2f} "
            f"| {gpu['latency_s'] / het['total']['latency_s']:.2f}x "
            f"| {het['total']['energy_pj'] / gpu['energy_pj']:.2f} "
            f"| {', '.join(pim) or 'nothing'} | {int(m['handoffs'])} |")
    text = "\n".join(rows) + "\n\n" + "\n".join(serving_rows()) + "\n"
    Path(__file__).with_name("when_pim_wins.md").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
