//! Shared by the tensor-core reference tests: the shipped GPU presets, edited, and an ideal
//! roofline of a GPU (A100-SXM4-80GB, H100, H200). Each test crate uses part of it.
#![allow(dead_code)]

use std::path::Path;

use accel_sim::config::{ArchConfig, ArchFile, Mode, TensorCoreConfig};
use accel_sim::stats::{AreaBreakdown, LayerStats};
use accel_sim::workload::{Layer, Op};
use accel_sim::{Accelerator, SimError};

/// The shipped tensor-core preset `configs/accelerators/<file>`, changed by `edit`, built.
pub fn tensor_core_preset(
    file: &str,
    edit: impl FnOnce(&mut TensorCoreConfig),
) -> Box<dyn Accelerator> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../configs/accelerators")
        .join(file);
    let mut arch = ArchFile::load(&path).expect("preset loads");
    let ArchConfig::TensorCore(c) = &mut arch.arch else {
        panic!("{file} is not a tensor_core preset");
    };
    edit(c);
    arch.build(&path, Mode::Fast).expect("preset builds")
}

/// Roofline clock: one cycle a picosecond, so cycles keep the time exactly enough.
const CLOCK_MHZ: f64 = 1e6;

/// An ideal roofline device that times only what GenZ times (GEMMs and attention); vector
/// work and all-reduces take no time, so it is a lower bound of any real run.
pub struct Roofline {
    /// Dense tensor throughput of the precision run, FLOP/s.
    pub peak_flops: f64,
    /// DRAM bandwidth, bytes/s.
    pub dram_bytes_per_s: f64,
}

impl Roofline {
    /// A100-SXM4-80GB in fp16/bf16: 312 TFLOPS (A100 whitepaper, Table 1), 2,039 GB/s HBM2e
    /// (A100 80GB datasheet).
    pub const A100: Roofline = Roofline {
        peak_flops: 312e12,
        dram_bytes_per_s: 2039e9,
    };
    /// H100-SXM5-80GB in fp8: 1,978.9 TFLOPS dense, 3,350 GB/s HBM3 (H100 whitepaper, Table 3).
    pub const H100_FP8: Roofline = Roofline {
        peak_flops: 1978.9e12,
        dram_bytes_per_s: 3350e9,
    };
    /// H200 SXM in fp8: the H100's 1,978.9 TFLOPS dense, 4,800 GB/s HBM3e (H200 datasheet).
    pub const H200_FP8: Roofline = Roofline {
        peak_flops: 1978.9e12,
        dram_bytes_per_s: 4800e9,
    };

    fn seconds(&self, layer: &Layer) -> f64 {
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
        let compute = 2.0 * layer.op.macs() as f64 / self.peak_flops;
        let memory = values as f64 * bytes_per_value / self.dram_bytes_per_s;
        compute.max(memory)
    }
}

impl Accelerator for Roofline {
    fn name(&self) -> &str {
        "roofline"
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
        let cycles = (self.seconds(layer) * CLOCK_MHZ * 1e6).round() as u64 * layer.count;
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
