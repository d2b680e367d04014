//! Analog ReRAM crossbar compute-in-memory (`[arch.pim.reram]`).
//!
//! ```text
//! chip ── tiles ── PEs ── crossbars (rows x cols cells, bits_per_cell each)
//!                          │ wordlines: 1-bit DACs, input bits streamed (bit-serial)
//!                          │ bitlines: cols_per_adc share one ADC, then shift-add
//!                          └ PE adder tree merges row groups and weight slices
//! ```
//!
//! - [`config`]: the keys and their ranges.
//! - [`mapping`]: a layer on crossbars: crossbar count, cycles per MVM, events.
//! - [`pipeline`]: layers as pipeline stages with stationary weights; copies or rounds.
//! - [`energy`]: energy per event and area per component.
//! - [`accuracy`]: the ADC-clipping accuracy proxy.
//!
//! Time per MVM: `ceil(input_bits / dac_bits) * ceil(min(k, rows) / rows_parallel) *
//! cols_per_adc * adc_cycles_per_conversion` cycles (every crossbar of a layer in parallel);
//! a layer's stage divides that between its copies (`speedup_degree`, `replicate`) and adds
//! the cycles its activations take through its buffer (`buffer_bits_per_cycle`) and over the
//! interconnect (`bus_bits_per_cycle`), which copies share.
//! Attention products, softmax, pooling and elementwise work run on the digital unit
//! (`digital_ops_per_cycle`), a shared resource of the pipeline.

pub mod accuracy;
pub mod config;
pub mod energy;
pub mod mapping;
pub mod pipeline;

use std::path::Path;

pub use config::{ReramConfig, SignedWeights, WeightOverflow};

use crate::arch::Accelerator;
use crate::error::{InputError, SimError};
use crate::stats::{AreaBreakdown, EnergyBreakdown, LayerStats, RunStats};
use crate::workload::{Layer, Op, Workload};

use energy::{Energy, UnitEnergy};
use mapping::{Geometry, LayerWork};
use pipeline::{Layout, Plan, Stage};

/// A validated ReRAM crossbar chip.
#[derive(Debug, Clone)]
pub struct ReramChip {
    name: String,
    config: ReramConfig,
    geo: Geometry,
    units: UnitEnergy,
}

/// Everything one workload's run yields, beyond [`RunStats`].
#[derive(Debug, Clone)]
pub struct ChipRun {
    /// The usual statistics (cycles pipelined, energy folded into the common breakdown).
    pub stats: RunStats,
    /// Energy by ReRAM component.
    pub energy: Energy,
    /// Layout and timing of the pipeline.
    pub plan: Plan,
    /// MAC-weighted probability that a column sum fits the ADC (1 = no clipping).
    pub accuracy_proxy: f64,
    /// Operations (2 per MAC) per second in steady state, 10^12.
    pub throughput_tops: f64,
}

fn batch_of(op: &Op) -> u64 {
    match op {
        Op::Gemm(g) => g.batch,
        Op::Conv2d(c) => c.batch,
        Op::Pool(p) => p.batch,
        Op::Attention(a) => a.batch,
        Op::Elementwise(e) => e.batch,
        Op::AllReduce(r) => r.batch,
    }
}

impl ReramChip {
    /// Checks every key and builds the model; `file` names the source in errors.
    pub fn build(name: String, c: &ReramConfig, file: &Path) -> Result<Self, InputError> {
        c.validate(file)?;
        Ok(ReramChip {
            name,
            config: c.clone(),
            geo: Geometry::new(c),
            units: UnitEnergy::new(c),
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &ReramConfig {
        &self.config
    }

    fn crossbars_per_tile(&self) -> u64 {
        u64::from(self.config.pes_per_tile) * u64::from(self.config.crossbars_per_pe)
    }

    fn cycles_of_ns(&self, ns: f64) -> u64 {
        (ns * self.config.clock_mhz * 1e-3).ceil() as u64
    }

    fn work(&self, layer: &Layer) -> Result<LayerWork, SimError> {
        if let Op::AllReduce(r) = &layer.op {
            if r.devices > 1 {
                return Err(SimError::Unsupported {
                    layer: layer.name.clone(),
                    message: "the ReRAM model is one chip with no inter-device links; \
                              use tensor_parallel = 1"
                        .into(),
                });
            }
        }
        Ok(LayerWork::new(&self.config, &self.geo, layer))
    }

    /// Runs `workload` through the pipeline.
    pub fn run(&self, workload: &Workload) -> Result<ChipRun, SimError> {
        let c = &self.config;
        let works = workload
            .layers
            .iter()
            .map(|l| self.work(l))
            .collect::<Result<Vec<_>, _>>()?;
        let per_tile = self.crossbars_per_tile();
        let bus = u64::from(c.bus_bits_per_cycle);
        let buffer = u64::from(c.buffer_bits_per_cycle);
        let digital_per_cycle = u64::from(c.digital_ops_per_cycle);
        let stages: Vec<Stage> = workload
            .layers
            .iter()
            .zip(&works)
            .map(|(l, w)| Stage {
                tiles: w.crossbars().div_ceil(per_tile),
                count: l.count,
                work: w.clone(),
                io_cycles: w.io_bits.div_ceil(buffer) + w.io_bits.div_ceil(bus),
            })
            .collect();
        let digital_cycles: u64 = workload
            .layers
            .iter()
            .zip(&works)
            .map(|(l, w)| l.count * w.digital_ops.div_ceil(digital_per_cycle))
            .sum();
        let batch = workload
            .layers
            .iter()
            .map(|l| batch_of(&l.op))
            .max()
            .unwrap_or(1);
        let program = self.cycles_of_ns(self.geo.rows as f64 * c.write_ns_per_row);
        let cells_per_tile = per_tile * self.geo.rows * self.geo.cols;
        let layout = Layout {
            chip_tiles: c.tiles.map(u64::from),
            speedup_degree: c.speedup_degree.into(),
            replicate: c.replicate,
            reprogram: c.weight_overflow == WeightOverflow::Reprogram,
            program_cycles_per_round: program,
            cells_per_tile,
        };
        let plan = pipeline::plan(&stages, digital_cycles, batch, &layout).ok_or_else(|| {
            SimError::Unsupported {
                layer: workload.name.clone(),
                message: format!(
                    "the weights need {} tiles and the chip has {}; set \
                 weight_overflow = \"reprogram\" or more tiles",
                    stages.iter().map(|s| s.tiles * s.count).sum::<u64>(),
                    c.tiles.unwrap_or(0)
                ),
            }
        })?;

        let mut total = Energy::default();
        let mut layers = Vec::with_capacity(stages.len());
        let (mut macs, mut analog_macs, mut fit_weighted) = (0u64, 0u64, 0.0f64);
        for ((l, s), &t) in workload.layers.iter().zip(&stages).zip(&plan.stage_cycles) {
            let w = &s.work;
            let mut e = self.units.io(w.io_bits);
            e.add_scaled(&self.units.digital(w.digital_ops), 1.0);
            let mut layer_macs = w.digital_macs;
            for a in &w.analog {
                e.add_scaled(&self.units.analog(a), 1.0);
                layer_macs += a.macs;
                let fit = accuracy::fit_probability(
                    a.rows_summed,
                    c.bits_per_cell,
                    c.dac_bits,
                    c.adc_bits,
                    c.input_bit_density,
                );
                analog_macs += a.macs * l.count;
                fit_weighted += fit * (a.macs * l.count) as f64;
            }
            let n = l.count;
            total.add_scaled(&e, n as f64);
            macs += layer_macs * n;
            let digital = w.digital_ops.div_ceil(digital_per_cycle);
            let cycles = (t + digital) * n;
            layers.push(LayerStats {
                name: l.name.clone(),
                kind: l.op.kind(),
                count: n,
                macs: layer_macs * n,
                compute_cycles: cycles,
                stall_cycles: 0,
                total_cycles: cycles,
                utilization: 0.0,
                sram: Default::default(),
                dram: Default::default(),
                energy: fold(&e).scaled(n as f64),
            });
        }
        total.write_pj = plan.cells_written as f64 * c.write_energy_pj_per_cell;
        let area = AreaBreakdown {
            components: energy::area_mm2(c, &self.geo, plan.chip_tiles),
        };
        let latency_s = plan.total_cycles as f64 / (c.clock_mhz * 1e6);
        let period_s = plan.period_cycles / (c.clock_mhz * 1e6);
        let per_sample_ops = 2.0 * macs as f64 / batch as f64;
        let throughput_tops = if period_s > 0.0 {
            per_sample_ops / period_s * 1e-12
        } else {
            0.0
        };
        let peak_macs_per_cycle = self.peak_macs_per_cycle(plan.chip_tiles);
        let utilization = if plan.total_cycles == 0 || peak_macs_per_cycle == 0.0 {
            0.0
        } else {
            macs as f64 / (plan.total_cycles as f64 * peak_macs_per_cycle)
        };
        let stats = RunStats {
            layers,
            cycles: plan.total_cycles,
            compute_cycles: plan.total_cycles,
            stall_cycles: 0,
            macs,
            latency_s,
            energy: fold(&total),
            area,
            utilization,
            model_metrics: Vec::new(),
        };
        Ok(ChipRun {
            stats,
            energy: total,
            plan,
            accuracy_proxy: if analog_macs == 0 {
                1.0
            } else {
                fit_weighted / analog_macs as f64
            },
            throughput_tops,
        })
    }

    /// MACs per cycle with every crossbar busy: all cells of a crossbar complete one MVM in
    /// `cycles_per_mvm` cycles, each weight spread over its bit slices.
    fn peak_macs_per_cycle(&self, tiles: u64) -> f64 {
        let c = &self.config;
        let g = &self.geo;
        let xbars = (tiles * self.crossbars_per_tile()) as f64;
        let slices = f64::from(c.weight_bits.div_ceil(c.bits_per_cell)) * g.sign_columns as f64;
        let steps = f64::from(c.input_bits.div_ceil(c.dac_bits))
            * g.rows.div_ceil(g.rows_parallel) as f64
            * (g.cols_per_adc * g.adc_cycles) as f64;
        xbars * (g.rows * g.cols) as f64 / slices / steps
    }

    /// Accuracy proxy, throughput, pipeline and mapping figures and energy by component.
    fn metrics(&self, run: &ChipRun) -> Vec<(String, f64)> {
        let total = run.energy.total_pj();
        let mut out = vec![
            ("accuracy_proxy".to_string(), run.accuracy_proxy),
            ("throughput_tops".to_string(), run.throughput_tops),
            (
                "tops_per_w".to_string(),
                if total > 0.0 {
                    2.0 * run.stats.macs as f64 / total
                } else {
                    0.0
                },
            ),
            (
                "pipeline_period_s".to_string(),
                run.plan.period_cycles / (self.config.clock_mhz * 1e6),
            ),
            ("tiles".to_string(), run.plan.chip_tiles as f64),
            ("weight_tiles".to_string(), run.plan.weight_tiles as f64),
            (
                "weights_fit".to_string(),
                f64::from(u8::from(run.plan.fits)),
            ),
            ("reprogram_rounds".to_string(), run.plan.rounds as f64),
            (
                "adc_energy_share".to_string(),
                if total > 0.0 {
                    run.energy.adc_pj / total
                } else {
                    0.0
                },
            ),
        ];
        for (name, pj) in run.energy.named() {
            out.push((format!("energy_{name}_pj"), pj));
        }
        out
    }
}

/// The ReRAM components in the common breakdown: the analog MAC path (array, DACs, ADCs,
/// shift-add, adder trees, cell writes) as `mac_pj`, buffers and interconnect as `sram_pj`,
/// the digital unit as `vector_pj`. [`ChipRun::energy`] keeps them apart.
fn fold(e: &Energy) -> EnergyBreakdown {
    EnergyBreakdown {
        mac_pj: e.adc_pj + e.array_pj + e.dac_pj + e.shift_add_pj + e.adder_pj + e.write_pj,
        register_pj: 0.0,
        sram_pj: e.buffer_pj + e.bus_pj,
        dram_pj: 0.0,
        vector_pj: e.digital_pj,
    }
}

impl Accelerator for ReramChip {
    fn name(&self) -> &str {
        &self.name
    }

    fn clock_mhz(&self) -> f64 {
        self.config.clock_mhz
    }

    fn mac_units(&self) -> u64 {
        self.peak_macs_per_cycle(self.config.tiles.map_or(0, u64::from)) as u64
    }

    /// The chip's area; with `tiles` absent (sized per workload) only the digital unit, the
    /// run's [`RunStats::area`] has the sized chip.
    fn area(&self) -> AreaBreakdown {
        AreaBreakdown {
            components: energy::area_mm2(
                &self.config,
                &self.geo,
                self.config.tiles.map_or(0, u64::from),
            ),
        }
    }

    fn simulate_layer(&self, layer: &Layer) -> Result<LayerStats, SimError> {
        let w = Workload {
            name: layer.name.clone(),
            layers: vec![layer.clone()],
            weight_reuse: 1,
        };
        let mut run = self.run(&w)?;
        Ok(run.stats.layers.remove(0))
    }

    /// The run's layers and totals, with the chip's own figures as model metrics.
    fn simulate(&self, workload: &Workload) -> Result<RunStats, SimError> {
        let run = self.run(workload)?;
        let model_metrics = self.metrics(&run);
        Ok(RunStats {
            model_metrics,
            ..run.stats
        })
    }
}
