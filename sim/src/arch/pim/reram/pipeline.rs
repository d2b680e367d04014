//! Layers as pipeline stages with stationary weights.
//!
//! Every layer owns whole tiles (a tile's buffer serves one layer, as in NeuroSim's
//! floorplan). When the chip holds all weights, layers run as a pipeline: a sample leaves a
//! stage every `period` cycles, the slowest stage's time. A stage's time is its analog time,
//! split between the layer's copies, plus the time its activations take through the layer's
//! buffer and interconnect, which copies share and so do not shorten (NeuroSim, `Tile.cpp`:
//! "no matter speedup or not, the total number of data transferred is fixed").
//!
//! Copies come from two rules: NeuroSim's speed-up ([`speedup_copies`]), for which the chip
//! is sized, and, with `replicate`, spare tiles of a fixed-size chip copying the slowest layer
//! (ISAAC's balancing) as long as a copy fits. When the weights do not fit, the network runs
//! in rounds that do, each round writing its weights first (`write_ns_per_row` per crossbar
//! row, all crossbars in parallel), without copies; or the workload is refused.

use super::mapping::LayerWork;

/// One layer (one of its `count` repeats, all alike) as the pipeline sees it.
#[derive(Debug, Clone)]
pub struct Stage {
    /// Tiles one copy of the weights takes.
    pub tiles: u64,
    /// Identical repeats (each its own stage with its own weights).
    pub count: u64,
    /// MVM-cycle shape: analog cycles for `copies` copies.
    pub work: LayerWork,
    /// Cycles moving activations over the bus.
    pub io_cycles: u64,
}

impl Stage {
    /// Cycles of one repeat for the whole batch with `copies` copies of its weights.
    pub fn cycles(&self, copies: u64) -> u64 {
        self.work.analog_cycles(copies) + self.io_cycles
    }
}

/// The chip-level choices [`plan`] lays the stages out with.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// Tiles on the chip (`None`: as many as the weights and their speed-up copies need).
    pub chip_tiles: Option<u64>,
    /// NeuroSim's speed-up degree (1 = no copies), see [`speedup_copies`].
    pub speedup_degree: u64,
    /// Copy the slowest layer into spare tiles.
    pub replicate: bool,
    /// Run in rounds when the weights do not fit (else refuse).
    pub reprogram: bool,
    /// Cycles to program the chip once.
    pub program_cycles_per_round: u64,
    /// Cells per tile.
    pub cells_per_tile: u64,
}

/// NeuroSim's pipeline speed-up (`Chip.cpp`, `ChipDesignInitialize`): a layer running `m`
/// MVMs per batch gets `ceil(m / bound)` copies, `bound = max(max_m / degree^2, min_m)`, with
/// `max_m` the busiest layer's MVMs and `min_m` the fewest of any weight layer with more than
/// one (NeuroSim caps the degree where that layer would idle). NeuroSim states it on input
/// feature-map sizes, `ceil((IFM / ceil(maxIFM / degree))^2)`; for VGG-8 both give
/// 16, 16, 4, 4, 1, 1 copies of the convolutions and 1 of the FC layers.
pub fn speedup_copies(stages: &[Stage], degree: u64) -> Vec<u64> {
    let mvms = |s: &Stage| s.work.analog.iter().map(|a| a.mvms).max().unwrap_or(0);
    let weighted = || stages.iter().filter(|s| s.tiles > 0).map(mvms);
    let max_m = weighted().max().unwrap_or(0);
    let min_m = weighted().filter(|&m| m > 1).min().unwrap_or(1);
    let bound = max_m.div_ceil(degree.max(1).pow(2)).max(min_m).max(1);
    stages
        .iter()
        .map(|s| {
            if degree <= 1 || s.tiles == 0 {
                1
            } else {
                mvms(s).div_ceil(bound).max(1)
            }
        })
        .collect()
}

/// How the workload is laid on the chip, and how long the batch takes.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Tiles on the chip.
    pub chip_tiles: u64,
    /// Tiles the weights take once (no copies).
    pub weight_tiles: u64,
    /// Tiles the weights and their speed-up copies ask for.
    pub wanted_tiles: u64,
    /// Copies of each layer's weights (1 when reprogramming).
    pub copies: Vec<u64>,
    /// Whether every weight stays on chip.
    pub fits: bool,
    /// Rounds of programming (0 when the weights fit).
    pub rounds: u64,
    /// Cells programmed per batch (0 when the weights fit).
    pub cells_written: u64,
    /// Cycles spent programming.
    pub program_cycles: u64,
    /// Cycles of each stage for the whole batch (one repeat).
    pub stage_cycles: Vec<u64>,
    /// Steady-state cycles between samples.
    pub period_cycles: f64,
    /// Cycles for the whole batch, pipeline fill included.
    pub total_cycles: u64,
}

/// Batch time of a linear pipeline: stage times `t` are for all `batch` samples; one sample
/// goes through in `sum(t)/batch`, the next ones follow every `max(t)/batch`.
fn pipelined(sum: u64, max: u64, batch: u64) -> u64 {
    (sum + (batch - 1) * max).div_ceil(batch)
}

/// Lays `stages` on the chip `layout` describes.
///
/// `digital_cycles` is the shared digital unit's work for the batch, one more stage.
/// Returns `None` when the weights do not fit and `layout.reprogram` is false.
pub fn plan(stages: &[Stage], digital_cycles: u64, batch: u64, layout: &Layout) -> Option<Plan> {
    let batch = batch.max(1);
    let tiles_with = |copies: &[u64]| -> u64 {
        stages
            .iter()
            .zip(copies)
            .map(|(s, c)| s.tiles * s.count * c)
            .sum()
    };
    let weight_tiles: u64 = stages.iter().map(|s| s.tiles * s.count).sum();
    let speedup = speedup_copies(stages, layout.speedup_degree);
    let wanted_tiles = tiles_with(&speedup);
    let chip = layout.chip_tiles.unwrap_or(wanted_tiles).max(1);
    if weight_tiles <= chip {
        // The speed-up copies when they fit, else none.
        let mut copies = if wanted_tiles <= chip {
            speedup
        } else {
            vec![1u64; stages.len()]
        };
        let mut spare = chip - tiles_with(&copies);
        while layout.replicate && spare > 0 {
            // The slowest layer that has weights and more MVMs than copies.
            let slowest = (0..stages.len())
                .filter(|&i| {
                    stages[i].tiles > 0 && stages[i].work.analog.iter().any(|a| a.mvms > copies[i])
                })
                .max_by_key(|&i| stages[i].cycles(copies[i]));
            let Some(i) = slowest else { break };
            let cost = stages[i].tiles * stages[i].count;
            if cost > spare {
                break;
            }
            spare -= cost;
            copies[i] += 1;
        }
        let stage_cycles: Vec<u64> = stages
            .iter()
            .zip(&copies)
            .map(|(s, &c)| s.cycles(c))
            .collect();
        let max = stage_cycles
            .iter()
            .copied()
            .chain([digital_cycles])
            .max()
            .unwrap_or(0);
        let sum: u64 = stages
            .iter()
            .zip(&stage_cycles)
            .map(|(s, t)| s.count * t)
            .sum::<u64>()
            + digital_cycles;
        return Some(Plan {
            chip_tiles: chip,
            weight_tiles,
            wanted_tiles,
            copies,
            fits: true,
            rounds: 0,
            cells_written: 0,
            program_cycles: 0,
            stage_cycles,
            period_cycles: max as f64 / batch as f64,
            total_cycles: pipelined(sum, max, batch),
        });
    }
    if !layout.reprogram {
        return None;
    }
    let copies = vec![1u64; stages.len()];
    let program_cycles_per_round = layout.program_cycles_per_round;
    // Rounds: fill the chip with repeats in order; a repeat larger than the chip runs in
    // chunks that each take the whole chip and all its MVMs.
    let stage_cycles: Vec<u64> = stages.iter().map(|s| s.cycles(1)).collect();
    // Each round as (tiles used, sum of stage cycles, slowest stage cycles).
    let mut rounds: Vec<(u64, u64, u64)> = Vec::new();
    let mut open = (0u64, 0u64, 0u64);
    let mut tiles_written = 0u64;
    for (s, &t) in stages.iter().zip(&stage_cycles) {
        if s.tiles == 0 {
            continue;
        }
        for _ in 0..s.count {
            tiles_written += s.tiles;
            if s.tiles > chip {
                // Chunks of a too-large layer, each a round of its own doing all the MVMs.
                rounds.extend(std::iter::repeat_n(
                    (chip, t, t),
                    s.tiles.div_ceil(chip) as usize,
                ));
                continue;
            }
            if open.0 + s.tiles > chip {
                rounds.push(std::mem::take(&mut open));
            }
            open = (open.0 + s.tiles, open.1 + t, open.2.max(t));
        }
    }
    if open.0 > 0 {
        rounds.push(open);
    }
    let total: u64 = rounds
        .iter()
        .map(|&(_, sum, max)| program_cycles_per_round + pipelined(sum, max, batch))
        .sum();
    let rounds = rounds.len() as u64;
    // Layers without weights (and the digital unit) run between rounds, unpipelined.
    let weightless: u64 = stages
        .iter()
        .zip(&stage_cycles)
        .filter(|(s, _)| s.tiles == 0)
        .map(|(s, t)| s.count * t)
        .sum();
    let total = total + weightless + digital_cycles;
    Some(Plan {
        chip_tiles: chip,
        weight_tiles,
        wanted_tiles,
        copies,
        fits: false,
        rounds,
        cells_written: tiles_written * layout.cells_per_tile,
        program_cycles: rounds * program_cycles_per_round,
        stage_cycles,
        period_cycles: total as f64 / batch as f64,
        total_cycles: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::pim::reram::mapping::AnalogMap;

    fn layout(chip: u64, replicate: bool, program: u64, cells: u64) -> Layout {
        Layout {
            chip_tiles: Some(chip),
            speedup_degree: 1,
            replicate,
            reprogram: true,
            program_cycles_per_round: program,
            cells_per_tile: cells,
        }
    }

    fn stage(tiles: u64, mvms: u64, cycles_per_mvm: u64) -> Stage {
        Stage {
            tiles,
            count: 1,
            work: LayerWork {
                analog: vec![AnalogMap {
                    mvms,
                    cycles_per_mvm,
                    ..AnalogMap::default()
                }],
                ..LayerWork::default()
            },
            io_cycles: 0,
        }
    }

    #[test]
    fn period_is_the_slowest_stage_and_spares_copy_it() {
        // Stages of 1024 x 64 and 256 x 64 cycles on 4 tiles, 2 spare: the first is slowest
        // (65536), a copy halves it to 32768, still slowest, a second copy gives
        // ceil(1024 / 3) x 64 = 21888; no spare left: copies [3, 1].
        let s = [stage(1, 1024, 64), stage(1, 256, 64)];
        let p = plan(&s, 0, 1, &layout(4, true, 0, 1)).unwrap();
        assert_eq!(p.copies, vec![3, 1]);
        assert_eq!(p.stage_cycles[0], 342 * 64);
        assert!((p.period_cycles - (342 * 64) as f64).abs() < 1e-9);
        // Without copies: period 65536; one sample takes the sum, 65536 + 16384.
        let p = plan(&s, 0, 1, &layout(2, true, 0, 1)).unwrap();
        assert_eq!(p.total_cycles, 65536 + 16384);
        // Batch 4 (stage times for all 4): (81920 + 3 * 65536) / 4 = 69632.
        let p = plan(&s, 0, 4, &layout(2, false, 0, 1)).unwrap();
        assert_eq!(p.total_cycles, 69632);
    }

    #[test]
    fn overflow_reprograms_in_rounds_or_refuses() {
        // Three 1-tile layers on a 2-tile chip: rounds {0,1} and {2}, each programmed once.
        let s = [stage(1, 10, 10), stage(1, 10, 10), stage(1, 10, 10)];
        let p = plan(&s, 0, 1, &layout(2, true, 1000, 5)).unwrap();
        assert!(!p.fits);
        assert_eq!(p.rounds, 2);
        assert_eq!(p.total_cycles, 2 * 1000 + 200 + 100);
        assert_eq!(p.cells_written, 15);
        let refuse = Layout {
            reprogram: false,
            ..layout(2, true, 1000, 5)
        };
        assert!(plan(&s, 0, 1, &refuse).is_none());
    }

    #[test]
    fn speedup_copies_follow_neurosim_on_vgg8() {
        // VGG-8's MVMs per image: 1024, 1024, 256, 256, 64, 64 (convolutions), 1, 1 (FC).
        // Degree 8: bound = max(1024 / 64, 64) = 64 -> 16, 16, 4, 4, 1, 1, 1, 1 copies, as
        // NeuroSim's ceil((IFM / ceil(32 / 4))^2) with its degree capped at 32 / 8 = 4.
        let s: Vec<Stage> = [1024, 1024, 256, 256, 64, 64, 1, 1]
            .iter()
            .map(|&m| stage(1, m, 64))
            .collect();
        assert_eq!(speedup_copies(&s, 8), vec![16, 16, 4, 4, 1, 1, 1, 1]);
        assert_eq!(speedup_copies(&s, 2), vec![4, 4, 1, 1, 1, 1, 1, 1]);
        assert_eq!(speedup_copies(&s, 1), vec![1; 8]);
        // The chip is sized for the copies; a fixed chip too small for them gets none.
        let auto = Layout {
            chip_tiles: None,
            speedup_degree: 8,
            ..layout(1, false, 0, 1)
        };
        let p = plan(&s, 0, 1, &auto).unwrap();
        assert_eq!((p.chip_tiles, p.weight_tiles), (44, 8));
        assert_eq!(p.stage_cycles[0], 64 * 64);
        let small = Layout {
            chip_tiles: Some(20),
            ..auto
        };
        assert_eq!(plan(&s, 0, 1, &small).unwrap().copies, vec![1; 8]);
    }
}
