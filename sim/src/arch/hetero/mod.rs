//! A heterogeneous system (`[arch.hetero]`): a host accelerator (tensor-core or systolic)
//! plus DRAM-PIM devices, with a partitioner that sends each layer to one side and charges
//! the hand-offs between them.
//!
//! ```text
//! HeteroConfig ─resolve host/pim─▶ host: Box<dyn Accelerator>, pim: DramPim x pim_devices
//! Workload ─Rule::sides─▶ Side per layer ─▶ each layer on its side (rayon)
//!          ─handoffs─▶ crossings ─▶ RunStats (layers `host:..`, `pim:..`, `handoff>..`)
//! ```
//!
//! - [`config`]: the keys; [`partition`]: the rule and the hand-off count.
//! - Times are host-clock cycles. A PIM layer costs its DRAM-PIM time plus
//!   `pim_kernel_launch_us` per run (the host issues the PIM commands: Samsung's PIM software
//!   stack launches them as GPU kernels, Lee et al. ISCA 2021, Sec. 5). A hand-off costs
//!   `handoff_latency_us` plus the crossing activations over the hand-off bandwidth, and the
//!   DRAM path energy from the PIM's global I/O to the host per bit.
//! - `pim_devices` stacks work in parallel: the model is one device with
//!   `channels x pim_devices` channels (each matrix split evenly over all of them).
//! - Capacity: a PIM layer's weights (or KV cache) live in the PIM's banks only, so the
//!   partitioner sends a layer there only while its resident bytes fit the PIM capacity
//!   ([`partition::Rule::place`]); the rest stays on the host, which holds its own weights.
//!   Nothing is duplicated, so the system's capacity is the host's plus the PIM's.

pub mod config;
pub mod partition;

use std::path::Path;

use rayon::prelude::*;

use crate::arch::pim::dram::DramPim;
use crate::arch::pim::PimConfig;
use crate::arch::{run_stats, Accelerator};
use crate::config::{check_range, ArchConfig, ArchFile, Mode};
use crate::error::{InputError, SimError};
use crate::stats::{AreaBreakdown, DramTraffic, EnergyBreakdown, LayerStats, RunStats};
use crate::workload::{Gemm, Layer, Op, Workload};

pub use config::{HeteroConfig, Part};
use config::{HOST_ALLOWED, PIM_ALLOWED};
pub use partition::{Handoff, Placement, Rule, Side};

/// A host accelerator and DRAM-PIM devices behind one interface.
pub struct HeteroSystem {
    name: String,
    host: Box<dyn Accelerator>,
    pim: DramPim,
    rule: Rule,
    handoff_bytes_per_s: f64,
    handoff_latency_s: f64,
    pim_launch_s: f64,
    /// Hand-off energy per bit: the PIM's path from its PUs to the host, pJ.
    handoff_pj_per_bit: f64,
}

impl std::fmt::Debug for HeteroSystem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeteroSystem")
            .field("name", &self.name)
            .field("host", &self.host.name())
            .field("pim", &self.pim.name())
            .field("rule", &self.rule)
            .finish()
    }
}

/// A workload's split between the sides.
#[derive(Debug, Clone)]
pub struct Split {
    /// Each layer's side, in order.
    pub sides: Vec<Side>,
    /// Each layer's results on its side (host-clock cycles, names unchanged).
    pub layers: Vec<LayerStats>,
    /// The crossings.
    pub handoffs: Vec<Handoff>,
    /// Each crossing's results, in the order of `handoffs`.
    pub handoff_stats: Vec<LayerStats>,
    /// Bytes the PIM layers keep resident in the PIM (weights, KV cache).
    pub pim_resident_bytes: u64,
    /// Layers the rule sends to the PIM that stay on the host for lack of PIM capacity.
    pub pim_over_capacity: usize,
}

/// Row count of the layer the default `pim_max_rows` is found on: a 4096 x 4096 projection
/// (LLaMA-7B's hidden size).
const CROSSOVER_DIM: u64 = 4096;
/// Largest row count the default threshold search tries.
const CROSSOVER_MAX_ROWS: u64 = 4096;

impl HeteroSystem {
    /// Reads both parts (files relative to `file`), checks every key and builds the system.
    pub fn build(
        name: String,
        c: &HeteroConfig,
        file: &Path,
        mode: Mode,
    ) -> Result<Self, InputError> {
        let wrong = |key: &str, allowed: &str, found: &ArchConfig| InputError::Invalid {
            file: file.to_path_buf(),
            message: format!(
                "`{key}` must be {allowed}, not an [arch.{}] one",
                section_name(found)
            ),
        };
        let (host_arch, host_file) = c.host.resolve(file, "arch.hetero.host")?;
        if !matches!(
            host_arch,
            ArchConfig::Systolic(_) | ArchConfig::TensorCore(_)
        ) {
            return Err(wrong("arch.hetero.host", HOST_ALLOWED, &host_arch));
        }
        let host = ArchFile {
            name: Some(format!("{name}.host")),
            arch: host_arch,
        }
        .build(&host_file, mode)?;
        let (pim_arch, pim_file) = c.pim.resolve(file, "arch.hetero.pim")?;
        let ArchConfig::Pim(PimConfig::Dram(mut pim_config)) = pim_arch else {
            return Err(wrong("arch.hetero.pim", PIM_ALLOWED, &pim_arch));
        };
        let key = |k: &str| format!("arch.hetero.{k}");
        let max_devices = (256 / pim_config.channels.max(1)).max(1);
        check_range(file, &key("pim_devices"), c.pim_devices, 1, max_devices)?;
        check_range(
            file,
            &key("pim_attention_max_seq_q"),
            c.pim_attention_max_seq_q,
            0,
            65536,
        )?;
        check_range(
            file,
            &key("handoff_latency_us"),
            c.handoff_latency_us,
            0.0,
            1e6,
        )?;
        check_range(
            file,
            &key("pim_kernel_launch_us"),
            c.pim_kernel_launch_us,
            0.0,
            1e6,
        )?;
        if let Some(bw) = c.handoff_bandwidth_gbps {
            check_range(file, &key("handoff_bandwidth_gbps"), bw, 0.001, 1e6)?;
        }
        if let Some(rows) = c.pim_max_rows {
            check_range(file, &key("pim_max_rows"), rows, 0, 65536)?;
        }
        pim_config.channels *= c.pim_devices;
        let pim = DramPim::build(format!("{name}.pim"), &pim_config, &pim_file)?;
        let path = pim.path_energy();
        let mut system = HeteroSystem {
            handoff_bytes_per_s: c
                .handoff_bandwidth_gbps
                .map_or(pim.external_bandwidth(), |g| g * 1e9),
            handoff_pj_per_bit: path.pu_to_global_io + path.global_io_to_host,
            name,
            host,
            pim,
            rule: Rule {
                pim_max_rows: c.pim_max_rows.unwrap_or(0),
                pim_attention_max_seq_q: c.pim_attention_max_seq_q,
            },
            handoff_latency_s: c.handoff_latency_us * 1e-6,
            pim_launch_s: c.pim_kernel_launch_us * 1e-6,
        };
        if c.pim_max_rows.is_none() {
            system.rule.pim_max_rows =
                system.crossover_rows().map_err(|e| InputError::Invalid {
                    file: file.to_path_buf(),
                    message: format!("cannot find the default `arch.hetero.pim_max_rows`: {e}"),
                })?;
        }
        Ok(system)
    }

    /// The partitioner's thresholds in use.
    pub fn rule(&self) -> Rule {
        self.rule
    }

    /// The host accelerator.
    pub fn host(&self) -> &dyn Accelerator {
        self.host.as_ref()
    }

    /// The PIM side (all devices as one).
    pub fn pim(&self) -> &DramPim {
        &self.pim
    }

    /// Seconds of one layer (its repeats included) on `side`, alone.
    pub fn layer_seconds(&self, layer: &Layer, side: Side) -> Result<f64, SimError> {
        Ok(self.on_side(layer, side)?.total_cycles as f64 / self.clock_hz())
    }

    /// The largest row count at which a 4096 x 4096 projection runs faster on the PIM than
    /// on the host (0 if never): the default `pim_max_rows`. Host time falls per row as rows
    /// grow and PIM time rises, so the first loss ends the search (doubling, then bisection).
    pub fn crossover_rows(&self) -> Result<u64, SimError> {
        let pim_wins = |rows: u64| -> Result<bool, SimError> {
            let layer = Layer {
                name: "crossover".into(),
                op: Op::Gemm(Gemm {
                    batch: rows,
                    groups: 1,
                    m: 1,
                    n: CROSSOVER_DIM,
                    k: CROSSOVER_DIM,
                }),
                count: 1,
                precision: None,
            };
            Ok(self.layer_seconds(&layer, Side::Pim)? < self.layer_seconds(&layer, Side::Host)?)
        };
        if !pim_wins(1)? {
            return Ok(0);
        }
        let (mut lo, mut hi) = (1, 2);
        while hi <= CROSSOVER_MAX_ROWS && pim_wins(hi)? {
            lo = hi;
            hi *= 2;
        }
        if hi > CROSSOVER_MAX_ROWS {
            return Ok(lo);
        }
        // pim_wins(lo) and !pim_wins(hi).
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if pim_wins(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    fn clock_hz(&self) -> f64 {
        self.host.clock_mhz() * 1e6
    }

    /// One layer on `side`, in host-clock cycles; a PIM layer pays the kernel launch per run.
    fn on_side(&self, layer: &Layer, side: Side) -> Result<LayerStats, SimError> {
        match side {
            Side::Host => self.host.simulate_layer(layer),
            Side::Pim => {
                let mut s = self.pim.simulate_layer(layer)?;
                let to_host = self.host.clock_mhz() / self.pim.clock_mhz();
                let pim_s = s.total_cycles as f64 / (self.pim.clock_mhz() * 1e6);
                let total_s = pim_s + s.count as f64 * self.pim_launch_s;
                let total = (total_s * self.clock_hz()).ceil() as u64;
                let compute = ((s.compute_cycles as f64 * to_host) as u64).min(total);
                s.utilization = if total_s > 0.0 {
                    s.macs as f64
                        / (total_s * self.pim.clock_mhz() * 1e6 * self.pim.mac_units() as f64)
                } else {
                    0.0
                };
                s.total_cycles = total;
                s.compute_cycles = compute;
                s.stall_cycles = total - compute;
                Ok(s)
            }
        }
    }

    /// Results of a crossing: latency plus bytes over the hand-off bandwidth, each time.
    fn handoff_stats(&self, layers: &[Layer], h: &Handoff) -> LayerStats {
        let from = &layers[h.after];
        let precision = from.precision.unwrap_or(self.pim.config().pu.precision);
        let bytes = (partition::output_elements(&from.op) as f64 * precision.bytes()).ceil();
        let seconds = self.handoff_latency_s + bytes / self.handoff_bytes_per_s;
        let cycles = (seconds * self.clock_hz()).ceil() as u64 * h.times;
        let total_bytes = bytes as u64 * h.times;
        let dram = match h.to {
            Side::Pim => DramTraffic {
                write_bytes: total_bytes,
                ..Default::default()
            },
            Side::Host => DramTraffic {
                ifmap_read_bytes: total_bytes,
                ..Default::default()
            },
        };
        LayerStats {
            name: format!("handoff>{} after {}", h.to.name(), from.name),
            kind: "handoff",
            count: h.times,
            macs: 0,
            compute_cycles: 0,
            stall_cycles: cycles,
            total_cycles: cycles,
            utilization: 0.0,
            sram: Default::default(),
            dram,
            energy: EnergyBreakdown {
                dram_pj: total_bytes as f64 * 8.0 * self.handoff_pj_per_bit,
                ..Default::default()
            },
        }
    }

    /// Bytes the PIM holds (all devices).
    pub fn pim_capacity_bytes(&self) -> u64 {
        self.pim.memory_capacity_bytes().unwrap_or(u64::MAX)
    }

    /// The rule's sides with the PIM's capacity enforced.
    pub fn place(&self, workload: &Workload) -> Placement {
        self.rule.place(
            workload,
            self.pim.config().pu.precision,
            self.pim_capacity_bytes(),
        )
    }

    /// Per side: latency, energy, listed layers; hand-offs and their cost; the row threshold;
    /// the PIM's resident bytes, capacity, and the PIM layers kept on the host for capacity.
    fn metrics(&self, s: &Split) -> Vec<(String, f64)> {
        let clock = self.clock_hz();
        let mut metrics = Vec::new();
        for side in [Side::Host, Side::Pim] {
            let on = || s.layers.iter().zip(&s.sides).filter(|(_, x)| **x == side);
            let name = side.name();
            let seconds = on().fold(0.0, |a, (l, _)| a + l.total_cycles as f64) / clock;
            let joules = on().fold(0.0, |a, (l, _)| a + l.energy.total_pj()) * 1e-12;
            metrics.push((format!("{name}_latency_s"), seconds));
            metrics.push((format!("{name}_energy_j"), joules));
            metrics.push((format!("{name}_layers"), on().count() as f64));
        }
        let h = &s.handoff_stats;
        metrics.push((
            "handoff_latency_s".into(),
            h.iter().fold(0.0, |a, l| a + l.total_cycles as f64) / clock,
        ));
        metrics.push((
            "handoff_energy_j".into(),
            h.iter().fold(0.0, |a, l| a + l.energy.total_pj()) * 1e-12,
        ));
        metrics.push((
            "handoffs".into(),
            s.handoffs.iter().fold(0.0, |a, h| a + h.times as f64),
        ));
        metrics.push(("pim_max_rows".into(), self.rule.pim_max_rows as f64));
        metrics.push(("pim_resident_bytes".into(), s.pim_resident_bytes as f64));
        metrics.push((
            "pim_capacity_bytes".into(),
            self.pim_capacity_bytes() as f64,
        ));
        metrics.push((
            "pim_layers_over_capacity".into(),
            s.pim_over_capacity as f64,
        ));
        metrics
    }

    /// Partitions `workload`, runs each layer on its side and counts the hand-offs.
    pub fn split(&self, workload: &Workload) -> Result<Split, SimError> {
        let layers = &workload.layers;
        let placement = self.place(workload);
        let sides = placement.sides;
        let stats = layers
            .par_iter()
            .zip(&sides)
            .map(|(l, s)| self.on_side(l, *s))
            .collect::<Result<Vec<_>, _>>()?;
        let handoffs = partition::handoffs(layers, &sides);
        let handoff_stats = handoffs
            .iter()
            .map(|h| self.handoff_stats(layers, h))
            .collect();
        Ok(Split {
            sides,
            layers: stats,
            handoffs,
            handoff_stats,
            pim_resident_bytes: placement.pim_resident_bytes,
            pim_over_capacity: placement.over_capacity,
        })
    }
}

/// One side's share of a run: `(side, seconds, joules, layers)` for `host`, `pim` and
/// `handoff`, read from the layer names this model gives (`host:..`, `pim:..`, kind
/// `handoff`); `None` for a run of another model. For reports that only see [`RunStats`]
/// (the LLM serving report).
pub fn split_totals(stats: &RunStats) -> Option<Vec<(&'static str, f64, f64, usize)>> {
    let side_of = |l: &LayerStats| {
        if l.kind == "handoff" {
            Some("handoff")
        } else if l.name.starts_with("host:") {
            Some("host")
        } else if l.name.starts_with("pim:") {
            Some("pim")
        } else {
            None
        }
    };
    if stats.layers.iter().any(|l| side_of(l).is_none()) || stats.layers.is_empty() {
        return None;
    }
    let seconds_per_cycle = if stats.cycles > 0 {
        stats.latency_s / stats.cycles as f64
    } else {
        0.0
    };
    Some(
        ["host", "pim", "handoff"]
            .into_iter()
            .map(|side| {
                let on = stats.layers.iter().filter(|l| side_of(l) == Some(side));
                let (cycles, pj, n) = on.fold((0u64, 0.0, 0), |(c, e, n), l| {
                    (c + l.total_cycles, e + l.energy.total_pj(), n + 1)
                });
                (side, cycles as f64 * seconds_per_cycle, pj * 1e-12, n)
            })
            .collect(),
    )
}

/// `systolic`, `tensor_core`, `pim.dram`... for messages.
fn section_name(a: &ArchConfig) -> &'static str {
    match a {
        ArchConfig::Systolic(_) => "systolic",
        ArchConfig::TensorCore(_) => "tensor_core",
        ArchConfig::Pim(PimConfig::Dram(_)) => "pim.dram",
        ArchConfig::Pim(PimConfig::Reram(_)) => "pim.reram",
        ArchConfig::Hetero(_) => "hetero",
    }
}

impl Accelerator for HeteroSystem {
    fn name(&self) -> &str {
        &self.name
    }

    /// The host's clock: results are host cycles.
    fn clock_mhz(&self) -> f64 {
        self.host.clock_mhz()
    }

    fn mac_units(&self) -> u64 {
        self.host.mac_units() + self.pim.mac_units()
    }

    fn area(&self) -> AreaBreakdown {
        let prefixed = |side: &'static str, a: AreaBreakdown| {
            a.components
                .into_iter()
                .map(move |(k, v)| (format!("{side}.{k}"), v))
        };
        AreaBreakdown {
            components: prefixed("host", self.host.area())
                .chain(prefixed("pim", self.pim.area()))
                .collect(),
        }
    }

    /// Host plus PIM: PIM-resident data is not duplicated on the host.
    fn memory_capacity_bytes(&self) -> Option<u64> {
        match (
            self.host.memory_capacity_bytes(),
            self.pim.memory_capacity_bytes(),
        ) {
            (Some(h), Some(p)) => Some(h + p),
            (h, p) => h.or(p),
        }
    }

    /// The layer on the side the rule gives it alone, if it fits the PIM (vector layers:
    /// host); no hand-off.
    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let alone = Workload {
            name: layer.name.clone(),
            layers: vec![layer.clone()],
            weight_reuse: 1,
        };
        let side = self.place(&alone).sides[0];
        let mut s = self.on_side(layer, side)?;
        s.name = format!("{}:{}", side.name(), s.name);
        Ok(s)
    }

    /// Layers named `host:<layer>` or `pim:<layer>`, each crossing as a `handoff` layer after
    /// the layer whose output it carries.
    fn simulate(&self, workload: &Workload) -> Result<RunStats, SimError> {
        let split = self.split(workload)?;
        let model_metrics = self.metrics(&split);
        let mut handoffs = split.handoffs.iter().zip(split.handoff_stats).peekable();
        let mut layers = Vec::with_capacity(split.layers.len() + split.handoffs.len());
        for (i, (mut l, side)) in split.layers.into_iter().zip(&split.sides).enumerate() {
            l.name = format!("{}:{}", side.name(), l.name);
            layers.push(l);
            while let Some((_, h)) = handoffs.next_if(|(h, _)| h.after == i) {
                layers.push(h);
            }
        }
        Ok(RunStats {
            model_metrics,
            ..run_stats(layers, self.clock_mhz(), self.area())
        })
    }
}
