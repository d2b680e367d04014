//! The systolic-array model: a `rows x cols` grid of MAC PEs, double-buffered ifmap, filter
//! and ofmap SRAMs, one DRAM channel and a vector unit for pooling, activations and softmax.
//!
//! - [`mapping`]: folds, per-fold cycles and SRAM accesses, identical to SCALE-Sim 3.0.0.
//! - [`traffic`]: DRAM traffic and stalls in closed form over the fold lattice (the fast model).
//! - [`reference`]: the same microarchitecture walked fold by fold with LRU buffers (the exact
//!   reference, `Mode::Reference`).
//!
//! Layers run one after another, each reading its inputs from DRAM and writing its outputs
//! back (no fusion across layers), as SCALE-Sim assumes.

pub mod mapping;
pub mod reference;
pub mod traffic;

use std::path::Path;

use crate::arch::Accelerator;
use crate::config::{check_range, Dataflow, Mode, SystolicConfig};
use crate::error::{InputError, SimError};
use crate::memory::Dram;
use crate::stats::{AreaBreakdown, DramTraffic, EnergyBreakdown, LayerStats, SramAccesses};
use crate::tech::TechTables;
use crate::workload::{Layer, Precision};

use mapping::FoldPlan;
use traffic::{bytes_of, MemoryParams};

/// A validated systolic accelerator.
#[derive(Debug, Clone)]
pub struct SystolicArray {
    name: String,
    config: SystolicConfig,
    tech: TechTables,
    dram: Dram,
    vector_lanes: u64,
    mode: Mode,
}

fn kib_to_bytes(kib: f64) -> u64 {
    (kib * 1024.0).floor() as u64
}

impl SystolicArray {
    /// Checks every key's range (naming `file` and the key in errors) and builds the model.
    pub fn build(
        name: String,
        c: &SystolicConfig,
        file: &Path,
        mode: Mode,
    ) -> Result<Self, InputError> {
        check_range(file, "arch.systolic.rows", c.rows, 1, 4096)?;
        check_range(file, "arch.systolic.cols", c.cols, 1, 4096)?;
        for (key, kib) in [
            ("arch.systolic.ifmap_sram_kib", c.ifmap_sram_kib),
            ("arch.systolic.filter_sram_kib", c.filter_sram_kib),
            ("arch.systolic.ofmap_sram_kib", c.ofmap_sram_kib),
        ] {
            check_range(file, key, kib, 0.25, 1_048_576.0)?;
        }
        check_range(
            file,
            "arch.systolic.dram_bandwidth_gbps",
            c.dram_bandwidth_gbps,
            0.001,
            1e6,
        )?;
        check_range(file, "arch.systolic.clock_mhz", c.clock_mhz, 1.0, 10_000.0)?;
        if let Some(lanes) = c.vector_lanes {
            check_range(file, "arch.systolic.vector_lanes", lanes, 1, 65_536)?;
        }
        if let Some(acc) = c.accumulator {
            if acc.bits() < c.precision.bits() {
                return Err(InputError::OutOfRange {
                    file: file.to_path_buf(),
                    key: "arch.systolic.accumulator".into(),
                    value: format!("\"{acc}\""),
                    allowed: format!("a format at least as wide as precision \"{}\"", c.precision),
                });
            }
        }
        let tech = TechTables::for_config(file, "arch.systolic.tech_node_nm", c.tech_node_nm)?;
        Ok(SystolicArray {
            name,
            config: c.clone(),
            tech,
            dram: Dram::new(c.dram_bandwidth_gbps, c.clock_mhz),
            vector_lanes: u64::from(c.vector_lanes.unwrap_or(c.cols)),
            mode,
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &SystolicConfig {
        &self.config
    }

    fn accumulator(&self, operand: Precision) -> Precision {
        self.config
            .accumulator
            .unwrap_or(operand.default_accumulator())
    }

    fn memory(&self, operand: Precision) -> MemoryParams {
        MemoryParams {
            ifmap_bytes: kib_to_bytes(self.config.ifmap_sram_kib),
            filter_bytes: kib_to_bytes(self.config.filter_sram_kib),
            ofmap_bytes: kib_to_bytes(self.config.ofmap_sram_kib),
            operand_bits: u64::from(operand.bits()),
            acc_bits: u64::from(self.accumulator(operand).bits()),
            dram: self.dram,
        }
    }

    /// Register energy of one MAC: the operands that hop to the next PE and the accumulator
    /// update. OS moves both operands and keeps the sum; WS and IS move one operand and pass
    /// the partial sum down (Chen et al., Eyeriss, ISCA 2016, Sec. III).
    fn register_pj_per_mac(&self, operand: Precision, acc: Precision) -> f64 {
        let (op, sum) = (
            self.tech.register_pj(operand.bits()),
            self.tech.register_pj(acc.bits()),
        );
        match self.config.dataflow {
            Dataflow::Os => 2.0 * op + sum,
            Dataflow::Ws | Dataflow::Is => op + sum,
        }
    }
}

/// One run of a layer before repeats.
#[derive(Default)]
struct Tally {
    compute_cycles: u64,
    total_cycles: u64,
    sram: SramAccesses,
    dram: DramTraffic,
    vector_ops: u64,
    vector_sram_bytes: u64,
}

impl Accelerator for SystolicArray {
    fn name(&self) -> &str {
        &self.name
    }

    fn clock_mhz(&self) -> f64 {
        self.config.clock_mhz
    }

    fn mac_units(&self) -> u64 {
        u64::from(self.config.rows) * u64::from(self.config.cols)
    }

    fn area(&self) -> AreaBreakdown {
        let c = &self.config;
        let acc = self.accumulator(c.precision);
        let t = &self.tech;
        AreaBreakdown {
            components: vec![
                (
                    "pe_array".into(),
                    self.mac_units() as f64 * t.pe_area_mm2(c.precision, acc),
                ),
                ("ifmap_sram".into(), t.sram_area_mm2(c.ifmap_sram_kib)),
                ("filter_sram".into(), t.sram_area_mm2(c.filter_sram_kib)),
                ("ofmap_sram".into(), t.sram_area_mm2(c.ofmap_sram_kib)),
                (
                    "vector_unit".into(),
                    self.vector_lanes as f64 * t.vector_lane_area_mm2(c.precision),
                ),
            ],
        }
    }

    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let c = &self.config;
        let operand = layer.precision.unwrap_or(c.precision);
        let acc = self.accumulator(operand);
        let mem = self.memory(operand);
        let lowered = layer.op.lower();
        if lowered.all_reduce.is_some_and(|r| r.devices > 1) {
            return Err(SimError::Unsupported {
                layer: layer.name.clone(),
                message: "the systolic model is one device with no inter-device links; \
                          use tensor_parallel = 1 or a tensor_core accelerator"
                    .into(),
            });
        }
        let mut run = Tally::default();
        let mut macs = 0;
        for g in &lowered.gemms {
            if g.m == 0 || g.n == 0 || g.k == 0 || g.groups == 0 {
                continue;
            }
            let plan = FoldPlan::new(c.dataflow, c.rows.into(), c.cols.into(), g);
            let r = match self.mode {
                Mode::Fast => traffic::simulate_gemm(&plan, g, &mem),
                Mode::Reference => reference::simulate_gemm(&plan, g, &mem),
            };
            run.compute_cycles += r.compute_cycles;
            run.total_cycles += r.total_cycles;
            run.dram.add(&r.traffic);
            run.sram.add(&plan.sram_accesses().scaled(g.groups));
            macs += g.macs();
        }
        if let Some(v) = lowered.vector {
            // The vector unit streams its inputs from DRAM and its outputs back, one
            // operation per lane per cycle, overlapping transfer and compute.
            let compute = v.ops().div_ceil(self.vector_lanes);
            let read = bytes_of(v.elements * v.bytes_in_per_element, mem.operand_bits);
            let write = bytes_of(v.elements * v.bytes_out_per_element, mem.operand_bits);
            run.compute_cycles += compute;
            run.total_cycles += compute.max(self.dram.transfer_cycles(read + write));
            run.dram.ifmap_read_bytes += read;
            run.dram.write_bytes += write;
            run.vector_ops += v.ops();
            run.vector_sram_bytes += read + write;
        }

        let n = layer.count;
        let t = &self.tech;
        let op_bytes = operand.bytes();
        let acc_bytes = acc.bytes();
        let s = &run.sram;
        let sram_pj = (s.ifmap_reads as f64 * op_bytes + run.dram.ifmap_read_bytes as f64)
            * t.sram_pj_per_byte(c.ifmap_sram_kib)
            + (s.filter_reads as f64 * op_bytes + run.dram.filter_read_bytes as f64)
                * t.sram_pj_per_byte(c.filter_sram_kib)
            + ((s.ofmap_writes + s.ofmap_reads) as f64 * acc_bytes
                + (run.dram.psum_read_bytes + run.dram.write_bytes + run.vector_sram_bytes) as f64)
                * t.sram_pj_per_byte(c.ofmap_sram_kib);
        let energy = EnergyBreakdown {
            mac_pj: macs as f64 * t.mac_pj(operand, acc),
            register_pj: macs as f64 * self.register_pj_per_mac(operand, acc),
            sram_pj,
            dram_pj: (run.dram.read_bytes() + run.dram.write_bytes) as f64 * t.dram_pj_per_byte(),
            vector_pj: run.vector_ops as f64 * t.vector_op_pj(operand),
        };
        let total_cycles = run.total_cycles * n;
        let utilization = if total_cycles == 0 {
            0.0
        } else {
            (macs * n) as f64 / (total_cycles as f64 * self.mac_units() as f64)
        };
        Ok(LayerStats {
            name: layer.name.clone(),
            kind: layer.op.kind(),
            count: n,
            macs: macs * n,
            compute_cycles: run.compute_cycles * n,
            stall_cycles: (run.total_cycles - run.compute_cycles) * n,
            total_cycles,
            utilization,
            sram: run.sram.scaled(n),
            dram: run.dram.scaled(n),
            energy: energy.scaled(n as f64),
        })
    }
}
