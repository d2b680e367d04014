//! `[arch.tensor_core]`: a GPU-like accelerator of streaming multiprocessors (SMs), each with
//! tensor cores (MMA units), shared memory, a register file and CUDA-core vector lanes, a
//! shared L2 cache, DRAM/HBM and links to peer devices.
//!
//! ```toml
//! [arch.tensor_core]
//! sm_count = 108
//! tensor_cores_per_sm = 4
//! clock_mhz = 1410.0
//! [arch.tensor_core.mma_macs_per_clock]   # dense, per tensor core; absent = unsupported
//! fp16 = 256
//! ```

use serde::{Deserialize, Serialize};

use crate::tech::DramKind;
use crate::workload::Precision;

/// How the model turns work into time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TensorCoreMode {
    /// CTA tiles, waves over the SMs, operand bandwidth, DRAM traffic from tile reuse,
    /// sustained efficiencies and launch overheads: what a library kernel achieves.
    #[default]
    Tiled,
    /// Ideal roofline per kernel, `max(FLOPs / peak, bytes / bandwidth)` at the datasheet
    /// peaks, each operand moved once, no overheads (what GenZ and LLM-Viewer compute).
    Roofline,
}

/// How the tensor cores take their operands from shared memory, which sets the shared-memory
/// bytes a GEMM main loop reads per MAC.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MmaScope {
    /// Per warp (Volta..Ada `mma.sync`): every warp loads its own A and B fragments for a warp
    /// tile of at most 64 x 64 (CUTLASS's SM80 warp tiles).
    #[default]
    Warp,
    /// Per warpgroup of four warps (Hopper `wgmma.mma_async`): each warpgroup reads a 64-row
    /// slice of A and the CTA's whole B slice straight from shared memory, once.
    Warpgroup,
}

impl TensorCoreMode {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            TensorCoreMode::Tiled => "tiled",
            TensorCoreMode::Roofline => "roofline",
        }
    }
}

/// Dense MMA throughput of one tensor core, in multiply-accumulates per clock, by operand
/// precision. A precision left out is not supported by the tensor cores.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MmaThroughput {
    /// FP32 operands (on GPUs without FP32 MMA, the CUDA-core FP32 rate per tensor core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp32: Option<u32>,
    /// TF32 operands (used for fp32 layers when `allow_tf32 = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tf32: Option<u32>,
    /// FP16 operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp16: Option<u32>,
    /// BF16 operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bf16: Option<u32>,
    /// FP8 (E4M3/E5M2) operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fp8: Option<u32>,
    /// INT8 operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int8: Option<u32>,
    /// INT4 operands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub int4: Option<u32>,
}

impl MmaThroughput {
    /// `(key, value)` for every precision, in the order error messages list them.
    pub fn entries(&self) -> [(&'static str, Option<u32>); 7] {
        [
            ("fp32", self.fp32),
            ("tf32", self.tf32),
            ("fp16", self.fp16),
            ("bf16", self.bf16),
            ("fp8", self.fp8),
            ("int8", self.int8),
            ("int4", self.int4),
        ]
    }

    /// The keys that are set, comma separated (for error messages).
    pub fn supported(&self) -> String {
        let keys: Vec<&str> = self
            .entries()
            .iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| *k)
            .collect();
        if keys.is_empty() {
            "none".into()
        } else {
            keys.join(", ")
        }
    }
}

fn default_precision() -> Precision {
    Precision::Fp16
}
fn default_mma_shape() -> (u32, u32, u32) {
    (16, 8, 16)
}
fn default_mma_m() -> u32 {
    default_mma_shape().0
}
fn default_mma_n() -> u32 {
    default_mma_shape().1
}
fn default_mma_k() -> u32 {
    default_mma_shape().2
}
fn default_smem_bytes_per_clock() -> u32 {
    128
}
fn default_stages() -> u32 {
    3
}
fn default_efficiency() -> f64 {
    1.0
}
fn default_memory_latency_ns() -> f64 {
    500.0
}
fn default_link_latency_us() -> f64 {
    1.0
}
fn default_dram_kind() -> DramKind {
    DramKind::Hbm2
}
fn default_node_nm() -> u32 {
    7
}

/// One all-reduce protocol as an alpha-beta cost: `latency_us + 2(p-1)/p * bytes /
/// bus_bandwidth_gbps` (nccl-tests' bus-bandwidth convention, so the bandwidth term scales
/// with the device count as a ring does).
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AllReduceProtocol {
    /// Fixed time per all-reduce, µs (on `devices` devices, if given).
    pub latency_us: f64,
    /// Sustained bus bandwidth, GB/s.
    pub bus_bandwidth_gbps: f64,
    /// Devices the latency was measured on; with `step_latency_us`, other device counts add
    /// (or drop) ring steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub devices: Option<u32>,
    /// Latency of one ring step, µs (NCCL's tuner adds one per each of a ring all-reduce's
    /// `2(p-1)` steps); 0: the latency holds for any device count.
    #[serde(default)]
    pub step_latency_us: f64,
}

impl AllReduceProtocol {
    /// Fixed seconds of an all-reduce over `devices` devices.
    pub fn latency_s(&self, devices: u64) -> f64 {
        let extra_steps = match self.devices {
            Some(measured) => 2.0 * (devices as f64 - f64::from(measured)),
            None => 0.0,
        };
        (self.latency_us + extra_steps * self.step_latency_us).max(0.0) * 1e-6
    }
}

/// `[arch.tensor_core]`: units are in the key names (`_kib`, `_mib`, `_gib`, `_gbps` = 10^9
/// bytes per second, `_mhz`, `_us`, `_ns`).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TensorCoreConfig {
    /// Streaming multiprocessors (1..=1024).
    pub sm_count: u32,
    /// Tensor cores (MMA units) per SM (1..=64).
    pub tensor_cores_per_sm: u32,
    /// Dense MMA throughput per tensor core by precision.
    pub mma_macs_per_clock: MmaThroughput,
    /// MMA instruction shape, rows of A (for the RTL of the MMA unit).
    #[serde(default = "default_mma_m")]
    pub mma_m: u32,
    /// MMA instruction shape, columns of B.
    #[serde(default = "default_mma_n")]
    pub mma_n: u32,
    /// MMA instruction shape, reduction depth.
    #[serde(default = "default_mma_k")]
    pub mma_k: u32,
    /// SM clock, MHz (the boost clock the peak figures are quoted at).
    pub clock_mhz: f64,
    /// Default operand precision of layers that do not set one.
    #[serde(default = "default_precision")]
    pub precision: Precision,
    /// Run fp32 layers on the TF32 tensor-core rate (PyTorch's `allow_tf32`).
    #[serde(default)]
    pub allow_tf32: bool,
    /// Shared memory a CTA can use per SM, KiB.
    pub shared_memory_kib_per_sm: f64,
    /// Shared-memory bandwidth per SM, bytes per clock.
    #[serde(default = "default_smem_bytes_per_clock")]
    pub shared_memory_bytes_per_clock: u32,
    /// How MMA instructions read shared memory: `warp` (default) or `warpgroup` (Hopper).
    #[serde(default)]
    pub mma_scope: MmaScope,
    /// Register file per SM, KiB.
    pub registers_kib_per_sm: f64,
    /// L2 cache, MiB.
    pub l2_mib: f64,
    /// L2 bandwidth, GB/s.
    pub l2_bandwidth_gbps: f64,
    /// DRAM/HBM bandwidth, GB/s.
    pub dram_bandwidth_gbps: f64,
    /// DRAM/HBM capacity, GiB.
    pub dram_capacity_gib: f64,
    /// DRAM kind for the energy per byte.
    #[serde(default = "default_dram_kind")]
    pub dram_kind: DramKind,
    /// Load-to-use latency of DRAM through L2, ns (one pipeline fill per round of CTAs).
    #[serde(default = "default_memory_latency_ns")]
    pub memory_latency_ns: f64,
    /// Fixed time per kernel (launch, setup and tail), µs.
    pub kernel_launch_us: f64,
    /// CUDA-core lanes per SM (one operation per lane per clock) for vector work.
    pub vector_lanes_per_sm: u32,
    /// Shared-memory pipeline stages of the GEMM main loop (2..=8).
    #[serde(default = "default_stages")]
    pub pipeline_stages: u32,
    /// Peer links for multi-device all-reduce (0 = a single device).
    #[serde(default)]
    pub link_count: u32,
    /// Bandwidth of one link in one direction, GB/s.
    #[serde(default)]
    pub link_bandwidth_gbps: f64,
    /// Latency of one step over a link, µs.
    #[serde(default = "default_link_latency_us")]
    pub link_latency_us: f64,
    /// Measured all-reduce cost, one entry per NCCL protocol; the fastest wins. Empty: the
    /// ideal ring over the links (`link_*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub all_reduce: Vec<AllReduceProtocol>,
    /// `tiled` (realistic) or `roofline` (ideal).
    #[serde(default)]
    pub mode: TensorCoreMode,
    /// Fraction of the MMA peak a GEMM main loop sustains (0.05..=1).
    #[serde(default = "default_efficiency")]
    pub mma_efficiency: f64,
    /// Fraction of the DRAM bandwidth a streaming kernel sustains (0.05..=1).
    #[serde(default = "default_efficiency")]
    pub dram_efficiency: f64,
    /// Technology node for energy and area tables, nm.
    #[serde(default = "default_node_nm")]
    pub tech_node_nm: u32,
    /// Area the tables do not model (I/O, PHYs, NVLink, control, the SMs' other logic), mm²,
    /// reported as `other`; presets set it to the published die area minus the modelled
    /// components, so the total matches the die and still moves when a sweep resizes them.
    #[serde(default)]
    pub uncore_area_mm2: f64,
}
