#!/usr/bin/env python3
"""Unit costs of configs/accelerators/reram_neurosim_22nm.toml from NeuroSim's component
breakdown (release_test_vgg8_22nm_rram.csv, row 1: RRAM, 22 nm, 128x128 subarrays, 128 rows
in parallel, 4-bit ADC, 1-bit cells) divided by the event counts of our mapping of VGG-8.

Event counts: `accel sim` of vgg8_cifar10 with every unit cost 1 (see README.md). Prints the
TOML values. Run: python3 derive_preset.py
"""

ZETA = 1.22  # NeuroSim Param.cpp, validated mode: post-layout energy increase (TOPS/W / zeta)

# NeuroSim V1.4 row 1 (pJ per image, um^2); columns named as in main.cpp's debug writer.
ns = dict(
    area=8.47747e7, area_array=3.60536e6, area_ic=8.29649e6, area_adc=5.06475e6,
    area_accum=1.50639e7, area_other=5.27443e7,
    e_buffer=203455.0, e_ic=6.09182e6, e_adc=2.1612e7, e_accum=3.57428e6, e_other=1.68186e7,
)

# Our counts for VGG-8 (per image) and chip (auto floorplan with NeuroSim's speed-up copies,
# speedup_degree = 8: 569 tiles of 4 PEs x 4 crossbars; 398 without copies).
conversions = 314.578e6
cell_reads = 39.4196e9          # before input-bit density
wordline_steps = 307.962e6      # before input-bit density
tree_adds = 39.322e6
io_bits = 14.847e6
digital_ops = 689.152e3
tiles = 569
pes, adcs, drivers = tiles * 4, tiles * 16 * 16, tiles * 16 * 128

density = 0.18        # NeuroSim Param.cpp: inputtoggle recommended for VGG8-CIFAR10
read_s = 1e-9         # NeuroSim MultilevelSenseAmp::CalculatePower clamps column time to >= 1 ns
v, r_on, r_off = 0.5, 100e3, 1.7e6
cell_pj = v * v * 0.5 * (1 / r_on + 1 / r_off) * read_s * 1e12

array_pj = cell_reads * density * cell_pj
adc_pj = ns["e_adc"] - array_pj            # NeuroSim's ADC bucket includes the column current
accum_per_op = ns["e_accum"] / (conversions + tree_adds)
bus_per_bit = ns["e_ic"] / io_bits
buffer_per_bit = ns["e_buffer"] / io_bits
digital_per_op = 0.05                      # assumed; 0.03 uJ of 16.8 uJ, negligible
dac_pj = (ns["e_other"] - ns["e_ic"] - ns["e_buffer"] - digital_ops * digital_per_op) / (
    wordline_steps * density)

print(f"array share of NeuroSim's ADC bucket: {array_pj / ns['e_adc']:.3f}")
print(f"adc_fom_fj_per_step = {ZETA * adc_pj / conversions / 16 * 1e3:.4g}")
print(f"dac_energy_pj = {ZETA * dac_pj:.4g}")
print(f"shift_add_energy_pj = {ZETA * accum_per_op:.4g}")
print(f"adder_energy_pj = {ZETA * accum_per_op:.4g}")
print(f"buffer_energy_pj_per_bit = {ZETA * buffer_per_bit:.4g}")
print(f"bus_energy_pj_per_bit = {ZETA * bus_per_bit:.4g}")
print(f"digital_energy_pj_per_op = {ZETA * digital_per_op:.4g}")
print(f"read energy scale: cell reads charged at {cell_pj:.4g} pJ; zeta folded in via read_voltage")

# Area: accumulation split by operation count between per-ADC shift-adds and per-PE trees;
# "other" split evenly between wordline drivers/decoders/switch matrices and tile buffers.
share_sa = conversions / (conversions + tree_adds)
print(f"adc_area_um2_per_level = {ns['area_adc'] / adcs / 16:.4g}")
print(f"shift_add_area_um2 = {ns['area_accum'] * share_sa / adcs:.4g}")
print(f"adder_tree_area_um2_per_pe = {ns['area_accum'] * (1 - share_sa) / pes:.4g}")
print(f"dac_area_um2 = {ns['area_other'] * 0.5 / drivers:.4g}")
print(f"buffer_area_um2_per_tile = {ns['area_other'] * 0.5 / tiles:.4g}")
print(f"bus_area_um2_per_tile = {ns['area_ic'] / tiles:.4g}")
