#!/bin/sh
# Regenerates the yosys calibration data of the FPGA resource model
# (accel_dse::rtl::resources), one JSON file per design point in this folder.
#
#   cargo build --release && sh dse/tests/reference/yosys/calibrate.sh [ACCEL]
#
# For each design point below it writes an accelerator config, runs
#   accel rtl --arch <config> --out <tmp> --run --synth
# (lint, simulation and `yosys -p "read_verilog ...; synth_xilinx -top <top>; stat"`,
# hierarchy kept) and stores {"design": design.json's design point, "synth": synth.json}.
# Tools: Yosys 0.23 (git sha1 7ce5011c24b), Verilator 5.006, Icarus Verilog 11.0.
set -eu
here="$(cd "$(dirname "$0")" && pwd)"
accel="${1:-$here/../../../../target/release/accel}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# dataflow rows cols precision accumulator ifmap_kib filter_kib ofmap_kib
designs="
ws 4 4 int8 int32 4 4 4
ws 8 8 int8 int32 4 4 4
ws 16 16 int8 int32 4 4 4
os 4 4 int8 int32 4 4 4
os 8 8 int8 int32 4 4 4
os 16 16 int8 int32 4 4 4
ws 4 4 int4 int16 4 4 4
ws 8 8 int4 int16 4 4 4
os 4 4 int4 int16 4 4 4
os 8 8 int4 int16 4 4 4
ws 4 4 int4 int8 4 4 4
os 4 4 int4 int8 4 4 4
ws 4 4 int4 int32 4 4 4
os 4 4 int4 int32 4 4 4
ws 4 4 int8 int16 4 4 4
os 4 4 int8 int16 4 4 4
ws 4 4 int16 int32 4 4 4
ws 8 8 int16 int32 4 4 4
os 4 4 int16 int32 4 4 4
os 8 8 int16 int32 4 4 4
ws 4 8 int8 int32 16 16 16
os 8 4 int8 int32 16 8 8
"
echo "$designs" | while read -r df r c p acc ik fk ok; do
    [ -n "$df" ] || continue
    cfg="$tmp/a.toml"
    cat > "$cfg" <<TOML
[arch.systolic]
rows = $r
cols = $c
dataflow = "$df"
precision = "$p"
accumulator = "$acc"
ifmap_sram_kib = $ik
filter_sram_kib = $fk
ofmap_sram_kib = $ok
TOML
    out="$tmp/out"
    rm -rf "$out"
    "$accel" rtl --arch "$cfg" --out "$out" --run --synth > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 1; }
    name="$(jq -r .name "$out/design.json")_${ik}_${fk}_${ok}kib"
    jq -n --slurpfile d "$out/design.json" --slurpfile s "$out/synth.json" \
        '{design: $d[0].design, synth: {flow: $s[0].flow, top: $s[0].top, modules: $s[0].modules, total_cells_by_type: $s[0].total_cells_by_type}}' \
        > "$here/$name.json"
    echo "$name: $(jq -r .summary "$out/synth.json")"
done
