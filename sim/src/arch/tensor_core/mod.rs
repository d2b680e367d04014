//! The tensor-core (GPU-like) model: SMs with tensor cores, shared memory and CUDA-core
//! lanes, a shared L2, DRAM/HBM, and links to peer devices. Each operator is one kernel (or
//! one collective), costed in closed form:
//!
//! - [`tiling`]: the CTA-tile mapper (shared-memory fit, split-K, waves over the SMs,
//!   operand bandwidth, DRAM traffic from tile reuse) and its library-style choice.
//! - [`gemm`]: GEMMs and implicit-GEMM convolutions (`Op::lower()`'s shapes).
//! - [`attention`]: flash-style fused attention, prefill and decode.
//! - [`collective`]: ring all-reduce over the links.
//! - vector work (pooling, norms, activations) streams at the DRAM bandwidth.
//!
//! `mode = "roofline"` replaces all of it by `max(FLOPs / peak, bytes / bandwidth)` per
//! kernel at the datasheet peaks, so the gap between ideal and realistic is visible.

pub mod attention;
pub mod collective;
pub mod gemm;
pub mod tiling;

use std::path::Path;

use crate::arch::Accelerator;
use crate::config::{check_range, MmaScope, TensorCoreConfig, TensorCoreMode};
use crate::error::{InputError, SimError};
use crate::stats::{AreaBreakdown, DramTraffic, EnergyBreakdown, LayerStats, SramAccesses};
use crate::tech::TechTables;
use crate::workload::{Layer, Op, Precision, VectorJob};

use tiling::GemmProblem;

const KIB: f64 = 1024.0;
const MIB: f64 = 1024.0 * 1024.0;
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The machine as the cost formulas see it: per-SM resources, rates in bytes and seconds,
/// efficiencies applied (1.0 in roofline mode).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Machine {
    /// SMs.
    pub sms: u64,
    /// SM clock, Hz.
    pub clock_hz: f64,
    /// Shared memory per SM, bytes.
    pub smem_bytes: f64,
    /// Shared-memory bandwidth per SM, bytes per clock.
    pub smem_bytes_per_clock: f64,
    /// How MMA instructions read their operands from shared memory.
    pub mma_scope: MmaScope,
    /// Register file per SM, bytes.
    pub register_bytes: f64,
    /// Main-loop pipeline stages.
    pub stages: u64,
    /// L2 capacity, bytes.
    pub l2_bytes: f64,
    /// L2 bandwidth, bytes per second.
    pub l2_bytes_per_s: f64,
    /// Sustained DRAM bandwidth, bytes per second.
    pub dram_bytes_per_s: f64,
    /// DRAM load-to-use latency, seconds.
    pub memory_latency_s: f64,
    /// Fraction of the MMA peak a main loop sustains.
    pub mma_efficiency: f64,
    /// CUDA-core lanes per SM.
    pub vector_lanes_per_sm: f64,
    /// CUDA-core operations per second, whole device.
    pub vector_ops_per_s: f64,
}

/// What one kernel (or a layer's kernels) costs.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cost {
    /// Wall time, launch overhead included, seconds.
    pub time_s: f64,
    /// Time the busiest SM's tensor cores or vector lanes are busy, seconds.
    pub busy_s: f64,
    /// Useful multiply-accumulates.
    pub macs: f64,
    /// MACs executed, edge-tile padding included.
    pub executed_macs: f64,
    /// DRAM bytes read.
    pub dram_read_bytes: f64,
    /// DRAM bytes written.
    pub dram_write_bytes: f64,
    /// Share of the reads that are activations (the rest are weights).
    pub a_read_fraction: f64,
    /// Bytes through L2.
    pub l2_bytes: f64,
    /// Bytes through shared memory.
    pub smem_bytes: f64,
    /// CUDA-core operations.
    pub vector_ops: f64,
    /// Bytes sent over the links.
    pub link_bytes: f64,
}

impl Cost {
    fn add(&mut self, o: &Cost) {
        let reads = self.dram_read_bytes + o.dram_read_bytes;
        self.a_read_fraction = if reads > 0.0 {
            (self.a_read_fraction * self.dram_read_bytes + o.a_read_fraction * o.dram_read_bytes)
                / reads
        } else {
            0.0
        };
        self.time_s += o.time_s;
        self.busy_s += o.busy_s;
        self.macs += o.macs;
        self.executed_macs += o.executed_macs;
        self.dram_read_bytes = reads;
        self.dram_write_bytes += o.dram_write_bytes;
        self.l2_bytes += o.l2_bytes;
        self.smem_bytes += o.smem_bytes;
        self.vector_ops += o.vector_ops;
        self.link_bytes += o.link_bytes;
    }
}

/// A validated tensor-core accelerator.
#[derive(Debug, Clone)]
pub struct TensorCore {
    name: String,
    config: TensorCoreConfig,
    tech: TechTables,
}

impl TensorCore {
    /// Checks every key (naming `file` and the key in errors) and builds the model.
    pub fn build(name: String, c: &TensorCoreConfig, file: &Path) -> Result<Self, InputError> {
        let key = |k: &str| format!("arch.tensor_core.{k}");
        check_range(file, &key("sm_count"), c.sm_count, 1, 1024)?;
        check_range(
            file,
            &key("tensor_cores_per_sm"),
            c.tensor_cores_per_sm,
            1,
            64,
        )?;
        for (k, v) in [("mma_m", c.mma_m), ("mma_n", c.mma_n), ("mma_k", c.mma_k)] {
            check_range(file, &key(k), v, 1, 256)?;
        }
        let mut any = false;
        for (k, v) in c.mma_macs_per_clock.entries() {
            if let Some(v) = v {
                check_range(
                    file,
                    &key(&format!("mma_macs_per_clock.{k}")),
                    v,
                    1,
                    1 << 20,
                )?;
                any = true;
            }
        }
        if !any {
            return Err(InputError::OutOfRange {
                file: file.to_path_buf(),
                key: key("mma_macs_per_clock"),
                value: "{}".into(),
                allowed: "at least one of fp32, tf32, fp16, bf16, fp8, int8, int4".into(),
            });
        }
        check_range(file, &key("clock_mhz"), c.clock_mhz, 1.0, 10_000.0)?;
        check_range(
            file,
            &key("shared_memory_kib_per_sm"),
            c.shared_memory_kib_per_sm,
            1.0,
            65_536.0,
        )?;
        check_range(
            file,
            &key("shared_memory_bytes_per_clock"),
            c.shared_memory_bytes_per_clock,
            1,
            65_536,
        )?;
        check_range(
            file,
            &key("registers_kib_per_sm"),
            c.registers_kib_per_sm,
            1.0,
            65_536.0,
        )?;
        check_range(file, &key("l2_mib"), c.l2_mib, 0.001, 65_536.0)?;
        check_range(
            file,
            &key("l2_bandwidth_gbps"),
            c.l2_bandwidth_gbps,
            0.001,
            1e7,
        )?;
        check_range(
            file,
            &key("dram_bandwidth_gbps"),
            c.dram_bandwidth_gbps,
            0.001,
            1e7,
        )?;
        check_range(
            file,
            &key("dram_capacity_gib"),
            c.dram_capacity_gib,
            0.001,
            1e6,
        )?;
        check_range(
            file,
            &key("memory_latency_ns"),
            c.memory_latency_ns,
            0.0,
            1e6,
        )?;
        check_range(file, &key("kernel_launch_us"), c.kernel_launch_us, 0.0, 1e6)?;
        check_range(
            file,
            &key("vector_lanes_per_sm"),
            c.vector_lanes_per_sm,
            1,
            65_536,
        )?;
        check_range(file, &key("pipeline_stages"), c.pipeline_stages, 2, 8)?;
        check_range(file, &key("link_count"), c.link_count, 0, 1024)?;
        if c.link_count > 0 {
            check_range(
                file,
                &key("link_bandwidth_gbps"),
                c.link_bandwidth_gbps,
                0.001,
                1e7,
            )?;
        }
        check_range(file, &key("link_latency_us"), c.link_latency_us, 0.0, 1e6)?;
        for (i, p) in c.all_reduce.iter().enumerate() {
            let k = |f: &str| key(&format!("all_reduce[{i}].{f}"));
            check_range(file, &k("latency_us"), p.latency_us, 0.0, 1e6)?;
            check_range(
                file,
                &k("bus_bandwidth_gbps"),
                p.bus_bandwidth_gbps,
                0.001,
                1e7,
            )?;
            if let Some(d) = p.devices {
                check_range(file, &k("devices"), f64::from(d), 2.0, 1024.0)?;
                // Two devices drop 2 (devices - 2) steps: the latency must cover them.
                let floor = 2.0 * (f64::from(d) - 2.0) * p.step_latency_us;
                if p.latency_us < floor {
                    return Err(InputError::OutOfRange {
                        file: file.to_path_buf(),
                        key: k("latency_us"),
                        value: p.latency_us.to_string(),
                        allowed: format!(
                            "at least 2 x (devices - 2) x step_latency_us = {floor} (the ring \
                             steps two devices drop)"
                        ),
                    });
                }
            }
            check_range(file, &k("step_latency_us"), p.step_latency_us, 0.0, 1e3)?;
            if p.step_latency_us > 0.0 && p.devices.is_none() {
                return Err(InputError::OutOfRange {
                    file: file.to_path_buf(),
                    key: k("devices"),
                    value: "absent".into(),
                    allowed: "the device count the latency was measured on (2..=1024), \
                              required with step_latency_us"
                        .into(),
                });
            }
        }
        check_range(file, &key("mma_efficiency"), c.mma_efficiency, 0.05, 1.0)?;
        check_range(file, &key("dram_efficiency"), c.dram_efficiency, 0.05, 1.0)?;
        check_range(file, &key("uncore_area_mm2"), c.uncore_area_mm2, 0.0, 1e5)?;
        if c.mma_rate(c.precision).is_none() {
            return Err(InputError::OutOfRange {
                file: file.to_path_buf(),
                key: key("precision"),
                value: format!("\"{}\"", c.precision),
                allowed: format!(
                    "a precision with an mma_macs_per_clock entry ({})",
                    c.mma_macs_per_clock.supported()
                ),
            });
        }
        let tech = TechTables::for_config(file, &key("tech_node_nm"), c.tech_node_nm)?;
        Ok(TensorCore {
            name,
            config: c.clone(),
            tech,
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &TensorCoreConfig {
        &self.config
    }

    /// The machine the cost formulas see; roofline mode takes the datasheet peaks.
    pub fn machine(&self) -> Machine {
        let c = &self.config;
        let ideal = c.mode == TensorCoreMode::Roofline;
        let eff = |e: f64| if ideal { 1.0 } else { e };
        let clock_hz = c.clock_mhz * 1e6;
        Machine {
            sms: u64::from(c.sm_count),
            clock_hz,
            smem_bytes: c.shared_memory_kib_per_sm * KIB,
            smem_bytes_per_clock: f64::from(c.shared_memory_bytes_per_clock),
            mma_scope: c.mma_scope,
            register_bytes: c.registers_kib_per_sm * KIB,
            stages: u64::from(c.pipeline_stages),
            l2_bytes: c.l2_mib * MIB,
            l2_bytes_per_s: c.l2_bandwidth_gbps * 1e9,
            dram_bytes_per_s: c.dram_bandwidth_gbps * 1e9 * eff(c.dram_efficiency),
            memory_latency_s: if ideal {
                0.0
            } else {
                c.memory_latency_ns * 1e-9
            },
            mma_efficiency: eff(c.mma_efficiency),
            vector_lanes_per_sm: f64::from(c.vector_lanes_per_sm),
            vector_ops_per_s: f64::from(c.vector_lanes_per_sm) * f64::from(c.sm_count) * clock_hz,
        }
    }

    fn launch_s(&self) -> f64 {
        match self.config.mode {
            TensorCoreMode::Tiled => self.config.kernel_launch_us * 1e-6,
            TensorCoreMode::Roofline => 0.0,
        }
    }

    /// Dense MACs per SM per clock for `p`, or why it is unsupported.
    fn macs_per_sm_clock(&self, p: Precision, layer: &str) -> Result<f64, SimError> {
        let c = &self.config;
        c.mma_rate(p)
            .map(|r| f64::from(r) * f64::from(c.tensor_cores_per_sm))
            .ok_or_else(|| SimError::Unsupported {
                layer: layer.to_string(),
                message: format!(
                    "precision {p} has no tensor-core rate on this device \
                     (arch.tensor_core.mma_macs_per_clock has: {}{})",
                    c.mma_macs_per_clock.supported(),
                    if p == Precision::Fp32 && c.mma_macs_per_clock.tf32.is_some() {
                        "; set allow_tf32 = true to run fp32 on TF32"
                    } else {
                        ""
                    }
                ),
            })
    }

    /// One vector kernel: CUDA-core operations against streaming its bytes from DRAM.
    fn vector_cost(&self, m: &Machine, v: &VectorJob, operand_bytes: f64) -> Cost {
        let ops = v.ops() as f64;
        let read = (v.elements * v.bytes_in_per_element) as f64 * operand_bytes;
        let write = (v.elements * v.bytes_out_per_element) as f64 * operand_bytes;
        let compute_s = ops / m.vector_ops_per_s;
        let dram_s = (read + write) / m.dram_bytes_per_s;
        Cost {
            time_s: self.launch_s() + m.memory_latency_s + compute_s.max(dram_s),
            busy_s: compute_s,
            dram_read_bytes: read,
            dram_write_bytes: write,
            a_read_fraction: 1.0,
            l2_bytes: read + write,
            vector_ops: ops,
            ..Cost::default()
        }
    }

    /// One run of a layer's operator.
    fn layer_cost(&self, layer: &Layer, operand: Precision) -> Result<Cost, SimError> {
        let c = &self.config;
        let m = self.machine();
        let bytes = operand.bytes();
        let roofline = c.mode == TensorCoreMode::Roofline;
        if let Op::Attention(a) = &layer.op {
            let rate = self.macs_per_sm_clock(operand, &layer.name)?;
            return Ok(if roofline {
                attention::roofline(&m, a, bytes, rate)
            } else {
                attention::tiled(&m, a, bytes, rate, u64::from(c.mma_m), self.launch_s())
            });
        }
        let lowered = layer.op.lower();
        let mut cost = Cost::default();
        if !lowered.gemms.is_empty() {
            let rate = self.macs_per_sm_clock(operand, &layer.name)?;
            for g in &lowered.gemms {
                if g.m == 0 || g.n == 0 || g.k == 0 || g.groups == 0 {
                    continue;
                }
                let p = GemmProblem {
                    m: g.m,
                    n: g.n,
                    k: g.k,
                    groups: g.groups,
                    a_elems: g.ifmap_elems,
                    operand_bytes: bytes,
                    out_bytes: bytes,
                    acc_bytes: operand.default_accumulator().bytes(),
                    macs_per_sm_clock: rate,
                };
                cost.add(&if roofline {
                    gemm::roofline(&m, &p)
                } else {
                    gemm::tiled(&m, &p, self.launch_s())
                });
            }
        }
        if let Some(v) = lowered.vector {
            cost.add(&self.vector_cost(&m, &v, bytes));
        }
        if let Some(r) = lowered.all_reduce.filter(|r| r.devices > 1) {
            if c.link_count == 0 {
                return Err(SimError::Unsupported {
                    layer: layer.name.clone(),
                    message: format!(
                        "an all-reduce across {} devices needs links \
                         (arch.tensor_core.link_count = 0)",
                        r.devices
                    ),
                });
            }
            let payload = (r.batch * r.elements) as f64 * bytes;
            let link_bytes_per_s = f64::from(c.link_count) * c.link_bandwidth_gbps * 1e9;
            let measured = if roofline {
                None
            } else {
                collective::protocol_all_reduce_s(payload, r.devices, &c.all_reduce)
            };
            cost.add(&Cost {
                time_s: measured.unwrap_or_else(|| {
                    collective::ring_all_reduce_s(
                        payload,
                        r.devices,
                        link_bytes_per_s,
                        c.link_latency_us * 1e-6,
                    )
                }),
                link_bytes: collective::ring_bytes_sent(payload, r.devices),
                ..Cost::default()
            });
        }
        Ok(cost)
    }

    /// Energy of one run, by component, from the node's tables: MACs (padding included),
    /// register-file accumulator updates (one read and write per `mma_k` MACs) and operand
    /// fragments, shared memory and L2 by their capacities, DRAM by kind, vector ops.
    /// Link energy is not modelled.
    fn energy(&self, cost: &Cost, operand: Precision) -> EnergyBreakdown {
        let c = &self.config;
        let t = &self.tech;
        let acc = operand.default_accumulator();
        let accumulator_updates = cost.executed_macs * 2.0 / f64::from(c.mma_k);
        EnergyBreakdown {
            mac_pj: cost.executed_macs * t.mac_pj(operand, acc),
            register_pj: accumulator_updates * t.register_pj(acc.bits())
                + cost.smem_bytes * t.register_pj(8),
            sram_pj: cost.smem_bytes * t.sram_pj_per_byte(c.shared_memory_kib_per_sm)
                + cost.l2_bytes * t.sram_pj_per_byte(c.l2_mib * 1024.0),
            dram_pj: (cost.dram_read_bytes + cost.dram_write_bytes)
                * t.dram_kind_pj_per_byte(c.dram_kind),
            vector_pj: cost.vector_ops * t.vector_op_pj(operand),
        }
    }
}

impl TensorCoreConfig {
    /// Dense MMA rate per tensor core for operands of `p` (fp32 runs on TF32 when
    /// `allow_tf32`), `None` if unsupported.
    pub fn mma_rate(&self, p: Precision) -> Option<u32> {
        let t = &self.mma_macs_per_clock;
        match p {
            Precision::Fp32 if self.allow_tf32 => t.tf32.or(t.fp32),
            Precision::Fp32 => t.fp32,
            Precision::Fp16 => t.fp16,
            Precision::Bf16 => t.bf16,
            Precision::Fp8 => t.fp8,
            Precision::Int8 => t.int8,
            Precision::Int4 => t.int4,
            Precision::Int16 | Precision::Int32 => None,
        }
    }

    /// Dense MACs per clock of the whole device for operands of `p`, 0 if unsupported.
    pub fn device_macs_per_clock(&self, p: Precision) -> u64 {
        u64::from(self.mma_rate(p).unwrap_or(0))
            * u64::from(self.tensor_cores_per_sm)
            * u64::from(self.sm_count)
    }
}

fn to_u64(x: f64) -> u64 {
    x.round().max(0.0) as u64
}

impl Accelerator for TensorCore {
    fn name(&self) -> &str {
        &self.name
    }

    fn clock_mhz(&self) -> f64 {
        self.config.clock_mhz
    }

    /// Dense MACs per clock at the default precision, whole device.
    fn mac_units(&self) -> u64 {
        self.config.device_macs_per_clock(self.config.precision)
    }

    fn memory_capacity_bytes(&self) -> Option<u64> {
        Some((self.config.dram_capacity_gib * GIB) as u64)
    }

    /// Components from the node's tables (tensor cores as PEs at the default precision,
    /// shared memory, register files and L2 as SRAM, FP32 vector lanes), plus
    /// `uncore_area_mm2` as `other`.
    fn area(&self) -> AreaBreakdown {
        let c = &self.config;
        let t = &self.tech;
        let sms = f64::from(c.sm_count);
        let acc = c.precision.default_accumulator();
        let mut components = vec![
            (
                "tensor_cores".to_string(),
                self.mac_units() as f64 * t.pe_area_mm2(c.precision, acc),
            ),
            (
                "shared_memory".to_string(),
                sms * t.sram_area_mm2(c.shared_memory_kib_per_sm),
            ),
            (
                "register_files".to_string(),
                sms * t.sram_area_mm2(c.registers_kib_per_sm),
            ),
            ("l2".to_string(), t.sram_area_mm2(c.l2_mib * 1024.0)),
            (
                "vector_lanes".to_string(),
                sms * f64::from(c.vector_lanes_per_sm) * t.vector_lane_area_mm2(Precision::Fp32),
            ),
        ];
        if c.uncore_area_mm2 > 0.0 {
            components.push(("other".to_string(), c.uncore_area_mm2));
        }
        AreaBreakdown { components }
    }

    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let c = &self.config;
        let operand = layer.precision.unwrap_or(c.precision);
        let cost = self.layer_cost(layer, operand)?;
        let n = layer.count;
        let clock_hz = c.clock_mhz * 1e6;
        let cycles = to_u64(cost.time_s * clock_hz);
        let busy = to_u64(cost.busy_s * clock_hz).min(cycles);
        let bytes = operand.bytes();
        let a_reads = cost.dram_read_bytes * cost.a_read_fraction;
        // Shared-memory traffic in operand values, split evenly between the two operands.
        let smem_values = to_u64(cost.smem_bytes / bytes / 2.0);
        let total_cycles = cycles * n;
        let macs = to_u64(cost.macs);
        // Of the peak of the precision the layer runs in (fp8 doubles fp16's on Hopper).
        let units = c.device_macs_per_clock(operand);
        let utilization = if total_cycles == 0 || units == 0 {
            0.0
        } else {
            (macs * n) as f64 / (total_cycles as f64 * units as f64)
        };
        let one = SramAccesses {
            ifmap_reads: smem_values,
            filter_reads: smem_values,
            ofmap_writes: to_u64(cost.dram_write_bytes / bytes),
            ofmap_reads: 0,
        };
        let dram = DramTraffic {
            ifmap_read_bytes: to_u64(a_reads),
            filter_read_bytes: to_u64(cost.dram_read_bytes - a_reads),
            psum_read_bytes: 0,
            write_bytes: to_u64(cost.dram_write_bytes),
        };
        Ok(LayerStats {
            name: layer.name.clone(),
            kind: layer.op.kind(),
            count: n,
            macs: macs * n,
            compute_cycles: busy * n,
            stall_cycles: (cycles - busy) * n,
            total_cycles,
            utilization,
            sram: one.scaled(n),
            dram: dram.scaled(n),
            energy: self.energy(&cost, operand).scaled(n as f64),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The A100-SXM4-80GB's figures (configs/accelerators/a100_sxm_80gb.toml) as a machine.
    pub(crate) fn a100_machine(mma_efficiency: f64, dram_efficiency: f64) -> Machine {
        Machine {
            sms: 108,
            clock_hz: 1410e6,
            smem_bytes: 164.0 * KIB,
            smem_bytes_per_clock: 128.0,
            mma_scope: MmaScope::Warp,
            register_bytes: 256.0 * KIB,
            stages: 3,
            l2_bytes: 40.0 * MIB,
            l2_bytes_per_s: 5120.0 * 1410e6,
            dram_bytes_per_s: 2039e9 * dram_efficiency,
            memory_latency_s: 0.0,
            mma_efficiency,
            vector_lanes_per_sm: 64.0,
            vector_ops_per_s: 64.0 * 108.0 * 1410e6,
        }
    }

    #[test]
    fn vector_work_streams_at_dram_bandwidth() {
        // A residual add of 16M fp16 values: read 2 x 32 MiB, write 32 MiB = 100.7 MB; at
        // 2039 GB/s that is 49.4 us, far above 16M ops / (108*64*1.41e9) = 1.7 us.
        let file = Path::new("t.toml");
        let cfg: TensorCoreConfig = toml::from_str(
            r#"
            sm_count = 108
            tensor_cores_per_sm = 4
            clock_mhz = 1410.0
            shared_memory_kib_per_sm = 164.0
            registers_kib_per_sm = 256.0
            l2_mib = 40.0
            l2_bandwidth_gbps = 7219.0
            dram_bandwidth_gbps = 2039.0
            dram_capacity_gib = 80.0
            kernel_launch_us = 0.0
            memory_latency_ns = 0.0
            vector_lanes_per_sm = 64
            [mma_macs_per_clock]
            fp16 = 256
            "#,
        )
        .unwrap();
        let tc = TensorCore::build("t".into(), &cfg, file).unwrap();
        let layer = Layer {
            name: "add".into(),
            op: Op::Elementwise(crate::workload::Elementwise {
                batch: 1,
                elements: 16 << 20,
                ops_per_element: 1,
                inputs: 2,
            }),
            count: 1,
            precision: None,
        };
        let s = tc.simulate_layer(&layer).unwrap();
        let seconds = s.total_cycles as f64 / 1410e6;
        assert!((seconds - 49.37e-6).abs() < 0.05e-6, "{seconds}");
        assert_eq!(s.dram.write_bytes, 32 << 20);
        assert_eq!(tc.memory_capacity_bytes(), Some(80 << 30));
    }

    fn preset(name: &str) -> (std::path::PathBuf, crate::config::ArchFile) {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../configs/accelerators")
            .join(name);
        let arch = crate::config::ArchFile::load(&file).unwrap();
        (file, arch)
    }

    #[test]
    fn presets_build_with_their_datasheet_peaks() {
        // Dense fp16 peak = 2 x SMs x TCs x MACs/clock x clock: A100 312, H100 and H200 989.4,
        // RTX 4090 165.2 TFLOPS (whitepapers, H200 datasheet).
        for (name, tflops, gib) in [
            ("a100_sxm_80gb.toml", 312.0, 80),
            ("h100_sxm.toml", 989.4, 80),
            ("h200_sxm.toml", 989.4, 141),
            ("rtx_4090.toml", 165.2, 24),
        ] {
            let (file, arch) = preset(name);
            let acc = arch.build(&file, crate::config::Mode::Fast).unwrap();
            let peak = 2.0 * acc.mac_units() as f64 * acc.clock_mhz() * 1e6 / 1e12;
            assert!((peak / tflops - 1.0).abs() < 0.001, "{name}: {peak}");
            assert_eq!(acc.memory_capacity_bytes(), Some(gib << 30));
        }
    }

    #[test]
    fn rejects_bad_keys_naming_them() {
        let (file, arch) = preset("a100_sxm_80gb.toml");
        let crate::config::ArchConfig::TensorCore(base) = &arch.arch else {
            panic!("tensor_core preset");
        };
        let mut c = base.clone();
        c.sm_count = 0;
        let e = TensorCore::build("t".into(), &c, &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch.tensor_core.sm_count") && e.contains("1..=1024"),
            "{e}"
        );
        // A measured all-reduce protocol names its entry.
        let mut c = base.clone();
        c.all_reduce[1].bus_bandwidth_gbps = 0.0;
        let e = TensorCore::build("t".into(), &c, &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch.tensor_core.all_reduce[1].bus_bandwidth_gbps"),
            "{e}"
        );
        // A per-step latency needs the device count it was measured on.
        let mut c = base.clone();
        c.all_reduce[0].devices = None;
        let e = TensorCore::build("t".into(), &c, &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch.tensor_core.all_reduce[0].devices") && e.contains("required"),
            "{e}"
        );
        // Measured on 40 devices at 3.4 us a step, two devices would drop 258.4 us: more
        // than the 50 us measured.
        let mut c = base.clone();
        c.all_reduce[1].devices = Some(40);
        let e = TensorCore::build("t".into(), &c, &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch.tensor_core.all_reduce[1].latency_us") && e.contains("258.4"),
            "{e}"
        );
        // fp8 has no rate on Ampere: the error lists what is supported.
        let mut c = base.clone();
        c.precision = Precision::Fp8;
        let e = TensorCore::build("t".into(), &c, &file)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("arch.tensor_core.precision") && e.contains("fp16, bf16"),
            "{e}"
        );
    }

    #[test]
    fn utilization_is_of_the_layer_precision_peak() {
        // H100 runs fp8 at twice its fp16 rate: a large fp8 GEMM is near the fp8 peak
        // (at most 1), not near 2 of the fp16 one; a run mixing precisions stays within 1.
        let (file, arch) = preset("h100_sxm.toml");
        let acc = arch.build(&file, crate::config::Mode::Fast).unwrap();
        let gemm = |precision| Layer {
            precision: Some(precision),
            ..Layer::new("g", Op::gemm(8192, 8192, 8192), 1)
        };
        let fp8 = acc.simulate_layer(&gemm(Precision::Fp8)).unwrap();
        let fp16 = acc.simulate_layer(&gemm(Precision::Fp16)).unwrap();
        for s in [&fp8, &fp16] {
            assert!(
                s.utilization > 0.6 && s.utilization <= 1.0,
                "{}",
                s.utilization
            );
        }
        let workload = crate::workload::Workload {
            name: "mixed".into(),
            layers: vec![gemm(Precision::Fp8), gemm(Precision::Fp16)],
            weight_reuse: 1,
        };
        let run = acc.simulate(&workload).unwrap();
        let weighted = (fp8.utilization * fp8.total_cycles as f64
            + fp16.utilization * fp16.total_cycles as f64)
            / (fp8.total_cycles + fp16.total_cycles) as f64;
        assert!(
            (run.utilization - weighted).abs() < 1e-12,
            "{}",
            run.utilization
        );
    }

    #[test]
    fn unsupported_layer_precision_and_missing_links_are_errors() {
        let (file, arch) = preset("rtx_4090.toml");
        let acc = arch.build(&file, crate::config::Mode::Fast).unwrap();
        let all_reduce = Layer {
            name: "ar".into(),
            op: Op::AllReduce(crate::workload::AllReduce {
                batch: 1,
                elements: 4096,
                devices: 2,
            }),
            count: 1,
            precision: None,
        };
        let e = acc.simulate_layer(&all_reduce).unwrap_err().to_string();
        assert!(e.contains("link_count = 0"), "{e}");
        let (file, arch) = preset("a100_sxm_80gb.toml");
        let acc = arch.build(&file, crate::config::Mode::Fast).unwrap();
        let fp8 = Layer {
            precision: Some(Precision::Fp8),
            name: "g".into(),
            op: Op::Gemm(crate::workload::Gemm {
                batch: 1,
                groups: 1,
                m: 64,
                n: 64,
                k: 64,
            }),
            count: 1,
        };
        let e = acc.simulate_layer(&fp8).unwrap_err().to_string();
        assert!(e.contains("precision fp8") && e.contains("int4"), "{e}");
    }
}
