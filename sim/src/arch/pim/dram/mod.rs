//! DRAM bank-level processing in memory (`[arch.pim.dram]`): Samsung HBM-PIM, SK hynix AiM,
//! AttAcc-style HBM3-PIM.
//!
//! ```text
//! DramPimConfig ─validate─▶ Geometry + PU + TechTables
//! Layer ─jobs()─▶ GemvJob.. + VectorJob ─Plan::new─▶ Plan ─Timing─▶ engine::simulate ─▶ cycles
//!                                                      └─▶ PathEnergy ─▶ energy by component
//! ```
//!
//! - [`config`]: the TOML keys and their checks; [`timing`]: cycles and organisation;
//!   [`mapping`]: GEMV/GEMM onto banks and the closed-form time; [`engine`]: event-driven
//!   command timing; [`energy`]: energy per bit along the DRAM path.
//!
//! What runs where (the rule):
//! - Matrix products (`gemm`, `conv2d` as im2col GEMM, the two products of `attention`
//!   over the K/V cache) run on the PUs as batched GEMVs with the matrix resident in the banks.
//! - Everything else (pooling, elementwise, softmax, the reduction of K-slices) runs on the
//!   modest in-buffer vector unit of each pseudo-channel (`vector_lanes` at the PU clock),
//!   its operands moved between the banks and the buffer at the pseudo-channel's bus rate.
//! - An all-reduce across devices is refused (one device, no links).

pub mod config;
pub mod energy;
pub mod engine;
pub mod mapping;
pub mod timing;

use std::path::Path;

use crate::arch::Accelerator;
use crate::error::{InputError, SimError};
use crate::stats::{AreaBreakdown, DramTraffic, EnergyBreakdown, LayerStats};
use crate::tech::TechTables;
use crate::workload::{Layer, Op, VectorJob};

pub use config::{DramPimConfig, Placement};
use energy::PathEnergy;
use mapping::{GemvJob, Plan};
use timing::{Geometry, Timing};

/// A validated DRAM-PIM device.
#[derive(Debug, Clone)]
pub struct DramPim {
    name: String,
    config: DramPimConfig,
    tech: TechTables,
    geometry: Geometry,
    path: PathEnergy,
}

/// Time and traffic of one product on the device.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GemvResult {
    /// The layout.
    pub plan: Plan,
    /// Event-driven timing, tCK cycles.
    pub engine_ck: f64,
    /// Closed-form timing, tCK cycles.
    pub closed_form_ck: f64,
    /// MAC-command cycles, tCK.
    pub mac_ck: f64,
    /// Rows activated per PU.
    pub activations: f64,
    /// Refreshes during the job.
    pub refreshes: f64,
}

impl DramPim {
    /// Checks every key and builds the model.
    pub fn build(name: String, c: &DramPimConfig, file: &Path) -> Result<Self, InputError> {
        let tech = c.validate(file)?;
        Ok(DramPim {
            name,
            geometry: Geometry::new(c),
            path: PathEnergy::new(&c.energy, c.pu.placement),
            config: c.clone(),
            tech,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &DramPimConfig {
        &self.config
    }

    /// The organisation.
    pub fn geometry(&self) -> &Geometry {
        &self.geometry
    }

    /// Per-bit energies along the DRAM path.
    pub fn path_energy(&self) -> &PathEnergy {
        &self.path
    }

    /// Processing units of the device.
    pub fn pus(&self) -> u64 {
        self.geometry.pus()
    }

    fn bits(&self) -> u32 {
        self.config.pu.precision.bits()
    }

    /// PU cycles expressed in tCK (rounded up).
    fn pu_cycles_to_ck(&self, pu_cycles: u64) -> u64 {
        let ns = pu_cycles as f64 * 1000.0 / self.config.pu.clock_mhz;
        timing::ns_to_ck(ns, self.config.timing.tck_ns)
    }

    /// Timing of one plan (the MAC interval depends on the PU work per command).
    pub fn timing(&self, plan: &Plan) -> Timing {
        Timing::new(
            &self.config,
            &self.geometry,
            self.pu_cycles_to_ck(plan.pu_cycles_per_command),
        )
    }

    /// Peak PU throughput, FLOP/s (2 per MAC).
    pub fn peak_flops(&self) -> f64 {
        2.0 * self.mac_units() as f64 * self.config.pu.clock_mhz * 1e6
    }

    /// Bandwidth the PUs draw from the banks in all-bank mode (one input vector), bytes/s.
    pub fn internal_bandwidth(&self) -> f64 {
        let plan = Plan::new(
            &GemvJob {
                groups: 1,
                n: self.pus(),
                k: 1 << 12,
                batch: 1,
                shared_input: true,
            },
            &self.geometry,
            self.bits(),
            u64::from(self.config.pu.lanes),
            u64::from(self.config.pu.accumulators),
            u64::from(self.config.global_buffer_bytes),
        );
        let interval_s = self.timing(&plan).mac_interval as f64 * self.config.timing.tck_ns * 1e-9;
        (self.pus() * self.geometry.column_bytes) as f64 / interval_s
    }

    /// Bandwidth of the device's external interface (a column every tCCD_S per
    /// pseudo-channel), bytes/s.
    pub fn external_bandwidth(&self) -> f64 {
        let t = &self.config.timing;
        (self.geometry.pseudo_channels * self.geometry.column_bytes) as f64
            / (f64::from(t.tccd_s_ck) * t.tck_ns * 1e-9)
    }

    /// Seconds an ideal host (unbounded compute) needs to stream `bytes` of operands out of
    /// this device over its external interface: the baseline PIM is compared with.
    pub fn host_stream_seconds(&self, bytes: f64) -> f64 {
        bytes / self.external_bandwidth()
    }

    /// Lays out and times one product.
    pub fn run_gemv(&self, job: &GemvJob) -> GemvResult {
        let plan = Plan::new(
            job,
            &self.geometry,
            self.bits(),
            u64::from(self.config.pu.lanes),
            u64::from(self.config.pu.accumulators),
            u64::from(self.config.global_buffer_bytes),
        );
        let t = self.timing(&plan);
        let g = &self.geometry;
        let r = engine::simulate(&plan, &t, g.banks_per_pu, g.columns_per_row);
        GemvResult {
            plan,
            engine_ck: r.cycles,
            closed_form_ck: plan.closed_form_ck(g, &t, g.banks_per_pu),
            mac_ck: r.mac_cycles,
            activations: r.activations,
            refreshes: r.refreshes,
        }
    }

    /// Seconds of `ck` command-clock cycles.
    pub fn seconds(&self, ck: f64) -> f64 {
        ck * self.config.timing.tck_ns * 1e-9
    }

    /// The products and the vector work of one operator run.
    fn jobs(&self, op: &Op) -> (Vec<GemvJob>, Option<VectorJob>) {
        let shared = |groups: u64| groups == 1;
        match op {
            Op::Gemm(g) => (
                vec![GemvJob {
                    groups: g.groups,
                    n: g.n,
                    k: g.k,
                    batch: g.batch * g.m,
                    shared_input: shared(g.groups),
                }],
                None,
            ),
            Op::Conv2d(c) => {
                let s = c.gemm();
                (
                    vec![GemvJob {
                        groups: s.groups,
                        n: s.n,
                        k: s.k,
                        batch: s.m,
                        shared_input: shared(s.groups),
                    }],
                    None,
                )
            }
            Op::Attention(a) => {
                // One K and one V matrix per (sample, KV head); the queries of the heads that
                // share it are its input vectors. A causal square mask shrinks the context.
                let [qk, _] = a.gemms();
                let groups = a.batch * a.kv_heads.max(1);
                let per_kv = (a.heads / a.kv_heads.max(1)).max(1) * a.seq_q;
                let scores = GemvJob {
                    groups,
                    n: qk.n,
                    k: a.head_dim,
                    batch: per_kv,
                    shared_input: false,
                };
                let values = GemvJob {
                    groups,
                    n: a.head_dim,
                    k: qk.n,
                    batch: per_kv,
                    shared_input: false,
                };
                (vec![scores, values], Some(a.softmax()))
            }
            other => (vec![], other.lower().vector),
        }
    }

    /// Cycles (tCK) and operand bytes of a vector job on the in-buffer vector units.
    fn vector_ck(&self, v: &VectorJob) -> (u64, u64) {
        let g = &self.geometry;
        let lanes = g.pseudo_channels * u64::from(self.config.vector_lanes);
        let compute = self.pu_cycles_to_ck(v.ops().div_ceil(lanes));
        let bytes = ((v.elements * (v.bytes_in_per_element + v.bytes_out_per_element)) as f64
            * f64::from(self.bits())
            / 8.0)
            .ceil() as u64;
        let per_pch = bytes.div_ceil(g.pseudo_channels);
        let transfer = per_pch.div_ceil(g.column_bytes) * u64::from(self.config.timing.tccd_s_ck);
        (compute.max(transfer), bytes)
    }
}

impl Accelerator for DramPim {
    fn name(&self) -> &str {
        &self.name
    }

    /// The PU clock (cycles in results are PU cycles).
    fn clock_mhz(&self) -> f64 {
        self.config.pu.clock_mhz
    }

    fn mac_units(&self) -> u64 {
        self.pus() * u64::from(self.config.pu.lanes)
    }

    fn area(&self) -> AreaBreakdown {
        let c = &self.config;
        let p = c.pu.precision;
        let t = &self.tech;
        let pus = self.pus() as f64;
        // A PU: `lanes` multiply-add lanes plus its accumulator register file (SRAM cells).
        let acc_kib = f64::from(c.pu.accumulators) * f64::from(p.bits()) / 8192.0;
        let lane_mm2 = t.vector_lane_area_mm2(p);
        let register_mm2 = t.sram_area_mm2(acc_kib);
        let pchs = self.geometry.pseudo_channels as f64;
        AreaBreakdown {
            components: vec![
                (
                    "processing_units".into(),
                    pus * (f64::from(c.pu.lanes) * lane_mm2 + register_mm2),
                ),
                (
                    "global_buffers".into(),
                    pchs * t.sram_area_mm2(f64::from(c.global_buffer_bytes) / 1024.0),
                ),
                (
                    "vector_units".into(),
                    pchs * f64::from(c.vector_lanes) * lane_mm2,
                ),
            ],
        }
    }

    fn memory_capacity_bytes(&self) -> Option<u64> {
        let c = &self.config;
        Some(
            self.geometry.pseudo_channels
                * self.geometry.banks_per_pch
                * u64::from(c.rows_per_bank)
                * u64::from(c.row_bytes),
        )
    }

    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let lowered_reduce = layer.op.lower().all_reduce;
        if lowered_reduce.is_some_and(|r| r.devices > 1) {
            return Err(SimError::Unsupported {
                layer: layer.name.clone(),
                message: "the DRAM-PIM model is one device with no inter-device links; \
                          use tensor_parallel = 1"
                    .into(),
            });
        }
        let (jobs, vector) = self.jobs(&layer.op);
        let g = &self.geometry;
        let p = &self.path;
        let pus = self.pus() as f64;
        let mut ck = 0.0;
        let mut mac_ck = 0.0;
        let mut macs = 0;
        let mut dram = DramTraffic::default();
        let mut energy = EnergyBreakdown::default();
        let mut reduce_adds = 0u64;
        for job in jobs.iter().filter(|j| !j.is_empty()) {
            let r = self.run_gemv(job);
            let plan = &r.plan;
            ck += r.engine_ck;
            mac_ck += r.mac_ck;
            macs += job.macs();
            let weight_bytes = plan.total_mac_commands() * g.column_bytes * self.pus();
            let in_bytes = plan.input_bytes_per_pch(g) * g.pseudo_channels;
            let out_bytes = plan.output_bytes_per_pch(g) * g.pseudo_channels;
            dram.filter_read_bytes += weight_bytes;
            dram.ifmap_read_bytes += in_bytes;
            dram.write_bytes += out_bytes;
            // Rows opened: every PU opens its own bank's row on each all-bank ACT.
            let act_bits = plan.rows_per_pu(g) as f64 * pus * (g.row_bytes * 8) as f64;
            energy.dram_pj += act_bits * p.act
                + weight_bytes as f64 * 8.0 * p.to_pu
                + (in_bytes + out_bytes) as f64 * 8.0 * (p.pu_to_global_io + p.global_io_to_host);
            // Every MAC reads its input operand from the PU's registers.
            energy.register_pj += job.macs() as f64 * self.tech.register_pj(self.bits());
            let pu_precision = self.config.pu.precision;
            energy.mac_pj += job.macs() as f64 * self.tech.mac_pj(pu_precision, pu_precision);
            // Writes land in the global buffer once per pseudo-channel.
            energy.sram_pj += in_bytes as f64
                * self
                    .tech
                    .sram_pj_per_byte(f64::from(self.config.global_buffer_bytes) / 1024.0);
            reduce_adds += plan.partials_per_output() * job.groups * job.n * job.batch;
        }
        let mut vectors: Vec<VectorJob> = vector.into_iter().collect();
        if reduce_adds > 0 {
            vectors.push(VectorJob {
                elements: reduce_adds,
                ops_per_element: 1,
                bytes_in_per_element: 1,
                bytes_out_per_element: 0,
            });
        }
        for v in &vectors {
            let (v_ck, bytes) = self.vector_ck(v);
            ck += v_ck as f64;
            dram.ifmap_read_bytes += bytes;
            energy.dram_pj += bytes as f64 * 8.0 * p.bank_to_buffer;
            energy.vector_pj += v.ops() as f64 * self.tech.vector_op_pj(self.config.pu.precision);
        }
        // Results are in PU cycles.
        let to_pu = |ck: f64| {
            (ck * self.config.timing.tck_ns * self.config.pu.clock_mhz / 1000.0).ceil() as u64
        };
        let n = layer.count;
        let total = to_pu(ck);
        let compute = to_pu(mac_ck).min(total);
        let utilization = if total == 0 {
            0.0
        } else {
            macs as f64 / (total as f64 * self.mac_units() as f64)
        };
        Ok(LayerStats {
            name: layer.name.clone(),
            kind: layer.op.kind(),
            count: n,
            macs: macs * n,
            compute_cycles: compute * n,
            stall_cycles: (total - compute) * n,
            total_cycles: total * n,
            utilization,
            sram: Default::default(),
            dram: dram.scaled(n),
            energy: energy.scaled(n as f64),
        })
    }
}
