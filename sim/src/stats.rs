//! Results of a simulation: per layer and per run, with energy and area by component.

use serde::Serialize;

/// Energy by component, in picojoules.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct EnergyBreakdown {
    /// Multiply-accumulate datapaths.
    pub mac_pj: f64,
    /// PE registers and the operand hops between neighbouring PEs.
    pub register_pj: f64,
    /// On-chip SRAM buffers.
    pub sram_pj: f64,
    /// Off-chip DRAM transfers.
    pub dram_pj: f64,
    /// Vector unit (pooling, activations, softmax, norms).
    pub vector_pj: f64,
}

impl EnergyBreakdown {
    /// Sum of all components.
    pub fn total_pj(&self) -> f64 {
        self.mac_pj + self.register_pj + self.sram_pj + self.dram_pj + self.vector_pj
    }

    /// Every component multiplied by `factor` (a layer repeated).
    pub fn scaled(&self, factor: f64) -> Self {
        EnergyBreakdown {
            mac_pj: self.mac_pj * factor,
            register_pj: self.register_pj * factor,
            sram_pj: self.sram_pj * factor,
            dram_pj: self.dram_pj * factor,
            vector_pj: self.vector_pj * factor,
        }
    }

    /// Component-wise sum.
    pub fn add(&mut self, other: &Self) {
        self.mac_pj += other.mac_pj;
        self.register_pj += other.register_pj;
        self.sram_pj += other.sram_pj;
        self.dram_pj += other.dram_pj;
        self.vector_pj += other.vector_pj;
    }
}

/// Area by component, in mm².
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AreaBreakdown {
    /// (component, mm²) in a fixed order.
    pub components: Vec<(String, f64)>,
}

impl AreaBreakdown {
    /// Total area in mm².
    pub fn total_mm2(&self) -> f64 {
        self.components.iter().map(|(_, a)| a).sum()
    }
}

/// On-chip buffer accesses, counted in operand values (SCALE-Sim's unit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct SramAccesses {
    /// Reads of the ifmap (activation) buffer.
    pub ifmap_reads: u64,
    /// Reads of the filter (weight) buffer.
    pub filter_reads: u64,
    /// Writes to the ofmap (output) buffer.
    pub ofmap_writes: u64,
    /// Reads of the ofmap buffer (partial sums read back and outputs drained).
    pub ofmap_reads: u64,
}

impl SramAccesses {
    /// All reads.
    pub fn reads(&self) -> u64 {
        self.ifmap_reads + self.filter_reads + self.ofmap_reads
    }

    /// All writes.
    pub fn writes(&self) -> u64 {
        self.ofmap_writes
    }

    /// Component-wise sum.
    pub fn add(&mut self, o: &Self) {
        self.ifmap_reads += o.ifmap_reads;
        self.filter_reads += o.filter_reads;
        self.ofmap_writes += o.ofmap_writes;
        self.ofmap_reads += o.ofmap_reads;
    }

    /// Every count multiplied by `factor`.
    pub fn scaled(&self, factor: u64) -> Self {
        SramAccesses {
            ifmap_reads: self.ifmap_reads * factor,
            filter_reads: self.filter_reads * factor,
            ofmap_writes: self.ofmap_writes * factor,
            ofmap_reads: self.ofmap_reads * factor,
        }
    }
}

/// Off-chip traffic in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DramTraffic {
    /// Activation bytes read.
    pub ifmap_read_bytes: u64,
    /// Weight bytes read.
    pub filter_read_bytes: u64,
    /// Partial sums read back after a spill.
    pub psum_read_bytes: u64,
    /// Output and spilled partial-sum bytes written.
    pub write_bytes: u64,
}

impl DramTraffic {
    /// All bytes read.
    pub fn read_bytes(&self) -> u64 {
        self.ifmap_read_bytes + self.filter_read_bytes + self.psum_read_bytes
    }

    /// Component-wise sum.
    pub fn add(&mut self, o: &Self) {
        self.ifmap_read_bytes += o.ifmap_read_bytes;
        self.filter_read_bytes += o.filter_read_bytes;
        self.psum_read_bytes += o.psum_read_bytes;
        self.write_bytes += o.write_bytes;
    }

    /// Every count multiplied by `factor`.
    pub fn scaled(&self, factor: u64) -> Self {
        DramTraffic {
            ifmap_read_bytes: self.ifmap_read_bytes * factor,
            filter_read_bytes: self.filter_read_bytes * factor,
            psum_read_bytes: self.psum_read_bytes * factor,
            write_bytes: self.write_bytes * factor,
        }
    }
}

/// One layer's results, all `count` repeats included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerStats {
    /// Layer name.
    pub name: String,
    /// Operator kind (`conv2d`, `gemm`, `depthwise`...).
    pub kind: &'static str,
    /// Repeats included in the figures.
    pub count: u64,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Cycles the array (and vector unit) computes, pipeline fill and drain included.
    pub compute_cycles: u64,
    /// Cycles spent waiting for DRAM.
    pub stall_cycles: u64,
    /// `compute_cycles + stall_cycles`.
    pub total_cycles: u64,
    /// Useful MACs over PE-cycles, 0..=1.
    pub utilization: f64,
    /// Buffer accesses.
    pub sram: SramAccesses,
    /// DRAM traffic.
    pub dram: DramTraffic,
    /// Energy by component.
    pub energy: EnergyBreakdown,
}

/// A whole workload's results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunStats {
    /// Per-layer results in order.
    pub layers: Vec<LayerStats>,
    /// Sum of the layers' total cycles.
    pub cycles: u64,
    /// Sum of compute cycles.
    pub compute_cycles: u64,
    /// Sum of stall cycles.
    pub stall_cycles: u64,
    /// Multiply-accumulates.
    pub macs: u64,
    /// Wall time at the accelerator's clock, in seconds.
    pub latency_s: f64,
    /// Energy by component.
    pub energy: EnergyBreakdown,
    /// Accelerator area by component.
    pub area: AreaBreakdown,
    /// Useful MACs over PE-cycles across the run.
    pub utilization: f64,
    /// Figures only some models have, as `(name, value)`: e.g. the ReRAM model's
    /// `accuracy_proxy`, the host + PIM split. Sweeps expose them as metrics; empty for most.
    pub model_metrics: Vec<(String, f64)>,
}
