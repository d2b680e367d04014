//! The accelerator models behind one interface.

pub mod hetero;
pub mod pim;
pub mod systolic;
pub mod tensor_core;

use rayon::prelude::*;

use crate::stats::{AreaBreakdown, EnergyBreakdown, LayerStats, RunStats};
use crate::workload::{Layer, Workload};
use crate::SimError;

/// A simulated accelerator: estimates cycles, traffic, energy and area for workloads.
pub trait Accelerator: Send + Sync {
    /// Short name for reports.
    fn name(&self) -> &str;
    /// Clock frequency in MHz (turns cycles into seconds).
    fn clock_mhz(&self) -> f64;
    /// Number of MAC units (for utilisation).
    fn mac_units(&self) -> u64;
    /// Silicon area by component, in mm².
    fn area(&self) -> AreaBreakdown;
    /// Device memory (DRAM/HBM) capacity in bytes, where the model has one; LLM reports use
    /// it to say whether weights and KV cache fit.
    fn memory_capacity_bytes(&self) -> Option<u64> {
        None
    }
    /// One layer, its `count` repeats included.
    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError>;

    /// Every layer in order, summed.
    fn simulate(&self, workload: &Workload) -> Result<RunStats, SimError> {
        // Layers are independent; rayon spreads them over cores (and nests inside parallel
        // design-point sweeps without oversubscribing).
        let layers = workload
            .layers
            .par_iter()
            .map(|l| self.simulate_layer(l))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(run_stats(layers, self.clock_mhz(), self.area()))
    }
}

/// Sums per-layer results into a run: cycles at `clock_mhz`; utilisation is the
/// cycle-weighted mean of the layers' (each of the units and precision it ran on, so a
/// device whose fp8 rate doubles its fp16 one still reports at most 1).
pub fn run_stats(layers: Vec<LayerStats>, clock_mhz: f64, area: AreaBreakdown) -> RunStats {
    let mut energy = EnergyBreakdown::default();
    let (mut cycles, mut compute, mut stall, mut macs) = (0, 0, 0, 0);
    let mut busy = 0.0;
    for l in &layers {
        energy.add(&l.energy);
        cycles += l.total_cycles;
        compute += l.compute_cycles;
        stall += l.stall_cycles;
        macs += l.macs;
        busy += l.utilization * l.total_cycles as f64;
    }
    let utilization = if cycles == 0 {
        0.0
    } else {
        busy / cycles as f64
    };
    RunStats {
        layers,
        cycles,
        compute_cycles: compute,
        stall_cycles: stall,
        macs,
        latency_s: cycles as f64 / (clock_mhz * 1e6),
        energy,
        area,
        utilization,
        model_metrics: Vec::new(),
    }
}
