//! Mapping matrix products onto the banks' processing units, and the closed-form time.
//!
//! Every product is a batched GEMV, `groups` independent `y[n] = W[n x k] x[k]` over `batch`
//! input vectors, with `W` resident in the banks (weights, or the K/V cache in decode
//! attention) and `x` broadcast from the host into each pseudo-channel's global buffer:
//!
//! - **Output rows per PU**: the `groups * n` output rows are spread over all PUs, each PU
//!   owning `n_pu` whole rows (no reduction needed).
//! - **K-slices**: when there are fewer rows than PUs, each row is split into `k_slices`
//!   slices of the reduction on different PUs; the partial sums are read out and reduced by
//!   the in-buffer vector unit.
//! - A PU holds `accumulators` partial outputs: it works on a tile of `outputs_per_tile`
//!   rows for `b_pass` input vectors at once (`outputs_per_tile * b_pass <= accumulators`);
//!   the input is re-broadcast for every tile and every pass (HBM-PIM's GEMV kernel re-writes
//!   its GRF_A per output tile in the same way).
//! - Inputs arrive in chunks that fit the global buffer; each chunk costs `write_commands`
//!   broadcast writes (tCCD_S apart), then `mac_commands` all-bank MAC commands.
//! - Results are read out over the pseudo-channel bus. The mapper picks the loop order with
//!   fewer bus commands: *tile outer* (each tile runs over all chunks, the input is
//!   re-broadcast per tile, finished results are read once) or *chunk outer* (each chunk is
//!   broadcast once and serves every tile, partial sums are read per chunk and reduced by the
//!   vector unit), the latter suiting PUs with few accumulators such as AiM's.
//!
//! One pass over the batch is a *unit*; all units are alike, which lets the engine simulate
//! a few and scale (see [`super::engine`]).

use super::timing::{Geometry, Timing};

/// A batched GEMV as the PIM sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GemvJob {
    /// Independent matrices (attention heads, convolution groups).
    pub groups: u64,
    /// Output rows per matrix.
    pub n: u64,
    /// Reduction length.
    pub k: u64,
    /// Input vectors per matrix (batch times rows of the left operand).
    pub batch: u64,
    /// Whether every matrix sees the same input vectors (one broadcast serves all PUs).
    pub shared_input: bool,
}

impl GemvJob {
    /// One `n x k` matrix times one vector.
    pub fn single(n: u64, k: u64) -> Self {
        GemvJob {
            groups: 1,
            n,
            k,
            batch: 1,
            shared_input: true,
        }
    }

    /// Multiply-accumulates.
    pub fn macs(&self) -> u64 {
        self.groups * self.n * self.k * self.batch
    }

    /// Whether there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.macs() == 0
    }
}

/// Loop nesting of output tiles and input chunks within a pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoopOrder {
    /// For each tile: for each chunk: write, MACs; then read the tile's results.
    TileOuter,
    /// For each chunk: write; for each tile: MACs, read the tile's partial sums.
    ChunkOuter,
}

/// How a job is laid out and the command counts of one unit, per pseudo-channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    /// Slices the reduction is split into (1: output rows per PU).
    pub k_slices: u64,
    /// Output rows per PU.
    pub n_pu: u64,
    /// Reduction length per PU.
    pub k_pu: u64,
    /// Output rows a PU accumulates at once.
    pub outputs_per_tile: u64,
    /// Input vectors a PU serves per pass over its weights.
    pub b_pass: u64,
    /// Distinct input segments (`k_pu` values per vector) a pseudo-channel must receive.
    pub distinct_inputs: u64,
    /// Reduction elements per buffer chunk.
    pub chunk_elems: u64,
    /// Chunks per unit.
    pub chunks: u64,
    /// Broadcast write commands per chunk.
    pub write_commands: u64,
    /// All-bank MAC commands per chunk.
    pub mac_commands: u64,
    /// Read commands per read-out of one tile (results of every PU of the pseudo-channel).
    pub read_commands: u64,
    /// Output tiles per PU.
    pub tiles: u64,
    /// Units: passes over the batch.
    pub units: u64,
    /// Loop nesting within a unit.
    pub order: LoopOrder,
    /// PU compute per MAC command, PU cycles.
    pub pu_cycles_per_command: u64,
}

/// Operand values one column command carries (at least one).
pub fn values_per_column(column_bytes: u64, bits: u32) -> u64 {
    (column_bytes * 8 / u64::from(bits)).max(1)
}

impl Plan {
    /// Lays `job` out on `g`; `bits` is the PU operand width, `lanes` and `accumulators` the
    /// PU's, `buffer_bytes` the global buffer per pseudo-channel.
    pub fn new(
        job: &GemvJob,
        g: &Geometry,
        bits: u32,
        lanes: u64,
        accumulators: u64,
        buffer_bytes: u64,
    ) -> Plan {
        let pus = g.pus();
        let per_column = values_per_column(g.column_bytes, bits);
        let rows = job.groups * job.n;
        let k_slices = if rows >= pus {
            1
        } else {
            (pus / rows).clamp(1, job.k.div_ceil(per_column))
        };
        let n_pu = (rows * k_slices).div_ceil(pus);
        let k_pu = job.k.div_ceil(k_slices);
        let outputs_per_tile = n_pu.min(accumulators);
        let b_pass = job.batch.min((accumulators / outputs_per_tile).max(1));
        let tiles = n_pu.div_ceil(outputs_per_tile);
        let passes = job.batch.div_ceil(b_pass);
        // Input segments (k_pu values each) a pseudo-channel needs: its PUs cover
        // `pus_per_pch * n_pu` rows, a segment (one matrix's reduction slice) spans `n` of them;
        // a shared input has only its `k_slices` slices.
        let segments = if job.shared_input {
            k_slices
        } else {
            job.groups * k_slices
        };
        let distinct_inputs = (g.pus_per_pch * n_pu)
            .div_ceil(job.n)
            .clamp(1, g.pus_per_pch)
            .min(segments);
        let buffer_values = buffer_bytes * 8 / u64::from(bits);
        let chunk_elems = (buffer_values / (distinct_inputs * b_pass)).clamp(1, k_pu);
        let chunks = k_pu.div_ceil(chunk_elems);
        let bytes = |values: u64| (values * u64::from(bits)).div_ceil(8);
        let write_commands = bytes(distinct_inputs * b_pass * chunk_elems).div_ceil(g.column_bytes);
        let mac_commands = (outputs_per_tile * chunk_elems).div_ceil(per_column);
        let read_commands =
            g.pus_per_pch * bytes(outputs_per_tile * b_pass).div_ceil(g.column_bytes);
        let tile_outer = tiles * (chunks * write_commands + read_commands);
        let chunk_outer = chunks * (write_commands + tiles * read_commands);
        let order = if chunk_outer < tile_outer {
            LoopOrder::ChunkOuter
        } else {
            LoopOrder::TileOuter
        };
        Plan {
            k_slices,
            n_pu,
            k_pu,
            outputs_per_tile,
            b_pass,
            distinct_inputs,
            chunk_elems,
            chunks,
            write_commands,
            mac_commands,
            read_commands,
            tiles,
            units: passes,
            order,
            pu_cycles_per_command: (per_column * b_pass).div_ceil(lanes),
        }
    }

    /// Broadcast write commands per unit.
    pub fn writes_per_unit(&self) -> u64 {
        match self.order {
            LoopOrder::TileOuter => self.tiles * self.chunks * self.write_commands,
            LoopOrder::ChunkOuter => self.chunks * self.write_commands,
        }
    }

    /// Read-outs of a tile per unit.
    pub fn readouts_per_unit(&self) -> u64 {
        match self.order {
            LoopOrder::TileOuter => self.tiles,
            LoopOrder::ChunkOuter => self.tiles * self.chunks,
        }
    }

    /// MAC commands per unit.
    pub fn macs_per_unit(&self) -> u64 {
        self.tiles * self.chunks * self.mac_commands
    }

    /// MAC commands of the whole job (each moves one column into every PU).
    pub fn total_mac_commands(&self) -> u64 {
        self.units * self.macs_per_unit()
    }

    /// Rows each PU activates over the whole job (each tile-chunk block starts a row).
    pub fn rows_per_pu(&self, g: &Geometry) -> u64 {
        self.units * self.tiles * self.chunks * self.mac_commands.div_ceil(g.columns_per_row)
    }

    /// Bytes broadcast into each pseudo-channel over the whole job.
    pub fn input_bytes_per_pch(&self, g: &Geometry) -> u64 {
        self.units * self.writes_per_unit() * g.column_bytes
    }

    /// Bytes read out of each pseudo-channel over the whole job.
    pub fn output_bytes_per_pch(&self, g: &Geometry) -> u64 {
        self.units * self.readouts_per_unit() * self.read_commands * g.column_bytes
    }

    /// Partial sums per output the vector unit must add (beyond the first), per output
    /// value: K-slices and, in chunk-outer order, chunks.
    pub fn partials_per_output(&self) -> u64 {
        let chunks = match self.order {
            LoopOrder::TileOuter => 1,
            LoopOrder::ChunkOuter => self.chunks,
        };
        self.k_slices * chunks - 1
    }

    /// Closed-form time of the job in tCK, the cross-check of the event-driven engine: per
    /// unit, writes at tCCD_S, MACs at the MAC interval, reads at tCCD_S, plus the row
    /// switches the PU cannot hide; refresh adds tRFC (and the precharge and re-activation
    /// around it) for every tREFI elapsed.
    ///
    /// A PU fed by one bank (per bank) pays tRP + tRCD at every row switch (and waits out
    /// tRAS if a row streams faster than that); a PU fed by two or more banks activates the
    /// next bank while streaming the current one (ping-pong). Either way a row switch costs
    /// at least what the all-bank ACT rate limit adds beyond one row's streaming time.
    pub fn closed_form_ck(&self, g: &Geometry, t: &Timing, banks_per_pu: u64) -> f64 {
        let stream = (g.columns_per_row * t.mac_interval) as f64;
        // ACTs are at least the ACT interval apart whatever the banks do.
        let rate_limit = (t.act_interval as f64 - stream).max(0.0);
        let switch = if banks_per_pu == 1 {
            ((t.rp + t.rcd) as f64 + (t.ras as f64 - stream).max(0.0)).max(rate_limit)
        } else {
            rate_limit
        };
        // Blocks of MACs (one per tile and chunk) each start a fresh row.
        let blocks = (self.tiles * self.chunks) as f64;
        let rows_per_block = self.mac_commands.div_ceil(g.columns_per_row) as f64;
        let row_switches = blocks * rows_per_block - 1.0;
        let unit = ((self.writes_per_unit() + self.readouts_per_unit() * self.read_commands)
            * t.ccd_s) as f64
            + (self.macs_per_unit() * t.mac_interval) as f64
            + row_switches.max(0.0) * switch;
        let busy = t.rcd as f64 + self.units as f64 * unit;
        // A refresh falls due every tREFI of elapsed time, each costing its tRFC plus the
        // precharge before and the re-activation after.
        let refresh = (t.rfc + t.rp + t.rcd) as f64;
        busy + (busy / t.refi as f64).floor() * refresh
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hbm2_like() -> Geometry {
        // 16 pseudo-channels x 16 banks, one PU per two banks: 128 PUs.
        Geometry {
            pseudo_channels: 16,
            banks_per_pch: 16,
            pus_per_pch: 8,
            banks_per_pu: 2,
            columns_per_row: 32,
            column_bytes: 32,
            row_bytes: 1024,
        }
    }

    fn gemv(n: u64, k: u64) -> GemvJob {
        GemvJob::single(n, k)
    }

    #[test]
    fn large_gemv_maps_output_rows_per_pu() {
        // 4096 x 4096 fp16 on 128 PUs: 32 rows each, full k; buffer 256 B = 128 values per
        // chunk -> 32 chunks; per chunk 128*2/32 = 8 writes and 32*128/16 = 256 MACs.
        let p = Plan::new(&gemv(4096, 4096), &hbm2_like(), 16, 16, 128, 256);
        assert_eq!((p.k_slices, p.n_pu, p.k_pu), (1, 32, 4096));
        assert_eq!((p.chunk_elems, p.chunks), (128, 32));
        assert_eq!((p.write_commands, p.mac_commands), (8, 256));
        // 8 PUs x 32 fp16 results = 8 x 2 reads.
        assert_eq!(p.read_commands, 16);
        assert_eq!(p.units, 1);
        // Every weight byte is read once: 4096*4096*2 B / (128 PUs * 32 B).
        assert_eq!(p.total_mac_commands(), 4096 * 4096 * 2 / (128 * 32));
    }

    #[test]
    fn few_rows_split_the_reduction() {
        // 16 rows x 4096 on 128 PUs: 8 k-slices of 512, 1 row per PU.
        let p = Plan::new(&gemv(16, 4096), &hbm2_like(), 16, 16, 128, 256);
        assert_eq!((p.k_slices, p.n_pu, p.k_pu), (8, 1, 512));
    }

    #[test]
    fn batch_shares_weight_passes_up_to_the_accumulators() {
        // 32 rows per PU and 128 accumulators: 4 input vectors per pass; batch 8 -> 2 passes;
        // 16 values x 4 vectors on 16 lanes = 4 PU cycles per MAC command.
        let mut job = gemv(4096, 4096);
        job.batch = 8;
        let p = Plan::new(&job, &hbm2_like(), 16, 16, 128, 256);
        assert_eq!((p.b_pass, p.units, p.pu_cycles_per_command), (4, 2, 4));
        assert_eq!(p.order, LoopOrder::TileOuter);
    }

    #[test]
    fn too_many_rows_for_the_accumulators_make_tiles() {
        // 32000 x 4096 (a vocabulary projection): 250 rows per PU, 128 per tile: 2 tiles.
        let p = Plan::new(&gemv(32_000, 4096), &hbm2_like(), 16, 16, 128, 256);
        assert_eq!((p.n_pu, p.outputs_per_tile, p.tiles), (250, 128, 2));
        // Tile outer: 2 x (32 x 8 writes + 16 reads) = 544 bus commands; chunk outer:
        // 32 x (8 + 2 x 16) = 1280: the tile-outer order wins.
        assert_eq!(p.order, LoopOrder::TileOuter);
    }

    #[test]
    fn one_accumulator_broadcasts_each_chunk_once() {
        // AiM-like: 32 PUs (2 channels x 16), 1 accumulator, 2 KB buffer of bf16.
        // 4096 x 4096: 128 rows per PU = 128 tiles; 1024-value chunks: 4 chunks of 64 writes.
        // Tile outer: 128 x (4 x 64 + 16) = 34816; chunk outer: 4 x (64 + 128 x 16) = 8448.
        let g = Geometry {
            pseudo_channels: 2,
            banks_per_pch: 16,
            pus_per_pch: 16,
            banks_per_pu: 1,
            columns_per_row: 64,
            column_bytes: 32,
            row_bytes: 2048,
        };
        let p = Plan::new(&gemv(4096, 4096), &g, 16, 16, 1, 2048);
        assert_eq!((p.tiles, p.chunks, p.write_commands), (128, 4, 64));
        assert_eq!(p.order, LoopOrder::ChunkOuter);
        assert_eq!(
            p.writes_per_unit() + p.readouts_per_unit() * p.read_commands,
            8448
        );
        assert_eq!(p.partials_per_output(), 3);
    }
}
