//! Shared by the LLM reference tests: an ideal roofline of an A100-SXM4-80GB.

use accel_sim::stats::{AreaBreakdown, LayerStats};
use accel_sim::workload::{Layer, Op};
use accel_sim::{Accelerator, SimError};

/// A100-SXM4-80GB dense fp16/bf16 tensor throughput (NVIDIA A100 whitepaper, Table 1).
const PEAK_FLOPS: f64 = 312e12;
/// A100-SXM4-80GB HBM2e bandwidth (NVIDIA A100 80GB datasheet), bytes/s.
const HBM_BYTES_PER_S: f64 = 2039e9;
/// Roofline clock: one cycle a picosecond, so cycles keep the time exactly enough.
const CLOCK_MHZ: f64 = 1e6;

/// An ideal roofline device that times only what GenZ times (GEMMs and attention); vector
/// work and all-reduces take no time, so it is a lower bound of any real run.
pub struct Roofline;

impl Roofline {
    fn seconds(layer: &Layer) -> f64 {
        let bytes_per_value = layer.precision.map_or(2.0, |p| p.bytes());
        let values = match &layer.op {
            Op::Gemm(g) => g.groups * (g.batch * g.m * g.k + g.k * g.n + g.batch * g.m * g.n),
            Op::Attention(a) => {
                let q = a.heads * a.seq_q * a.head_dim;
                let kv = 2 * a.kv_heads * a.seq_kv * a.head_dim;
                a.batch * (2 * q + kv)
            }
            _ => return 0.0,
        };
        let compute = 2.0 * layer.op.macs() as f64 / PEAK_FLOPS;
        let memory = values as f64 * bytes_per_value / HBM_BYTES_PER_S;
        compute.max(memory)
    }
}

impl Accelerator for Roofline {
    fn name(&self) -> &str {
        "a100_roofline"
    }
    fn clock_mhz(&self) -> f64 {
        CLOCK_MHZ
    }
    fn mac_units(&self) -> u64 {
        1
    }
    fn area(&self) -> AreaBreakdown {
        AreaBreakdown::default()
    }
    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let cycles = (Self::seconds(layer) * CLOCK_MHZ * 1e6).round() as u64 * layer.count;
        Ok(LayerStats {
            name: layer.name.clone(),
            kind: layer.op.kind(),
            count: layer.count,
            macs: layer.op.macs() * layer.count,
            compute_cycles: cycles,
            stall_cycles: 0,
            total_cycles: cycles,
            utilization: 0.0,
            sram: Default::default(),
            dram: Default::default(),
            energy: Default::default(),
        })
    }
}
