//! Which side runs each layer, and how often consecutive layers hand data across.
//!
//! The rule (AttAcc, Park et al. ASPLOS 2024, Sec. 5: FC layers on the xPU, attention on the
//! PIM; HBM-PIM, Lee et al. ISCA 2021: GEMV-bound layers on the PIM):
//! - a matrix product (GEMM, convolution) with at most `pim_max_rows` rows (batch x tokens)
//!   is a GEMV-like, bandwidth-bound layer: PIM; more rows reuse each weight enough for the
//!   host's compute to win: host;
//! - attention with at most `pim_attention_max_seq_q` query tokens (decode) is a GEMV over
//!   each sequence's own K/V cache at any batch: PIM; prefill attention: host;
//! - an all-reduce runs on the host (it owns the links);
//! - vector-only layers (norms, activations, residual adds, pooling) run where the next
//!   matrix layer runs (they prepare its input, and moving the data twice costs more than
//!   the work), the last ones where the previous matrix layer ran; host if there is none.
//!
//! Capacity ([`Rule::place`]): the PIM computes only on data stored in its own banks, so a
//! layer the rule sends there also needs its resident operand to fit in the PIM capacity
//! still free, or it stays on the host. Resident: a matrix product's weights (`k x n x
//! groups`), a decode attention's K and V cache (`batch x kv_heads x seq_kv x head_dim x 2`),
//! at the layer's precision, once per distinct copy (`count / weight_reuse`: repeated blocks
//! have their own weights, decode steps reuse them). Decode attention is placed first, then
//! the matrix products in layer order: attention reads each value once at any batch, so the
//! PIM keeps its advantage there whatever the batch (AttAcc, Park et al. ASPLOS 2024, keeps
//! the whole KV cache in PIM for that reason), while a projection gains only at small batch.

use crate::workload::{Layer, Op, Precision, Workload};

/// Where a layer runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The host accelerator.
    Host,
    /// The DRAM-PIM devices.
    Pim,
}

impl Side {
    /// Lower-case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Side::Host => "host",
            Side::Pim => "pim",
        }
    }
}

/// The partitioner's thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// Largest row count (batch x tokens) of a matrix product sent to the PIM.
    pub pim_max_rows: u64,
    /// Largest query length of an attention sent to the PIM.
    pub pim_attention_max_seq_q: u64,
}

/// Rows of a matrix product (all samples stacked), `None` for other operators.
pub fn matrix_rows(op: &Op) -> Option<u64> {
    match op {
        Op::Gemm(g) => Some(g.batch * g.m),
        Op::Conv2d(c) => Some(c.gemm().m),
        _ => None,
    }
}

impl Rule {
    /// The side the rule gives a layer on its own; `None` for vector-only layers, which
    /// follow their neighbours.
    pub fn own_side(&self, op: &Op) -> Option<Side> {
        let pim_if = |yes: bool| Some(if yes { Side::Pim } else { Side::Host });
        match op {
            Op::Gemm(_) | Op::Conv2d(_) => {
                pim_if(matrix_rows(op).is_some_and(|r| r <= self.pim_max_rows))
            }
            Op::Attention(a) => pim_if(a.seq_q <= self.pim_attention_max_seq_q),
            Op::AllReduce(_) => Some(Side::Host),
            Op::Elementwise(_) | Op::Pool(_) => None,
        }
    }

    /// Sides of every layer in order, capacity ignored.
    pub fn sides(&self, layers: &[Layer]) -> Vec<Side> {
        let own: Vec<Option<Side>> = layers.iter().map(|l| self.own_side(&l.op)).collect();
        follow_neighbours(&own)
    }

    /// Sides of every layer when the PIM holds `capacity` bytes: the rule's PIM layers whose
    /// resident operands no longer fit stay on the host (see the module notes); `precision`
    /// is the one of layers that name none.
    pub fn place(&self, workload: &Workload, precision: Precision, capacity: u64) -> Placement {
        let layers = &workload.layers;
        let mut own: Vec<Option<Side>> = layers.iter().map(|l| self.own_side(&l.op)).collect();
        let units = units(layers);
        let is_attention =
            |u: &std::ops::Range<usize>| matches!(layers[u.start].op, Op::Attention(_));
        let (attention, matrix): (Vec<_>, Vec<_>) = units
            .into_iter()
            .filter(|u| own[u.start] == Some(Side::Pim))
            .partition(is_attention);
        let (mut free, mut over_capacity) = (capacity, 0);
        for unit in attention.into_iter().chain(matrix) {
            let count: u64 = layers[unit.clone()].iter().map(|l| l.count).sum();
            let copies = count.div_ceil(workload.weight_reuse.max(1));
            let per_copy = layers[unit.clone()]
                .iter()
                .map(|l| resident_bytes(&l.op, l.precision.unwrap_or(precision)))
                .max()
                .unwrap_or(0);
            let bytes = per_copy.saturating_mul(copies);
            if bytes <= free {
                free -= bytes;
            } else {
                own[unit].fill(Some(Side::Host));
                over_capacity += 1;
            }
        }
        Placement {
            sides: follow_neighbours(&own),
            pim_resident_bytes: capacity - free,
            over_capacity,
        }
    }
}

/// A partition that respects the PIM's capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Each layer's side, in order.
    pub sides: Vec<Side>,
    /// Bytes the PIM layers keep resident in the PIM.
    pub pim_resident_bytes: u64,
    /// Layers the rule sends to the PIM that stay on the host because their resident bytes
    /// do not fit (a decode attention split in context segments counts once).
    pub over_capacity: usize,
}

/// Bytes one copy of a layer keeps in the PIM: a matrix product's weights, an attention's
/// K and V cache; 0 for other operators.
pub fn resident_bytes(op: &Op, precision: Precision) -> u64 {
    let elements = match op {
        Op::Gemm(g) => g.k * g.n * g.groups,
        Op::Conv2d(c) => {
            let g = c.gemm();
            g.k * g.n * g.groups
        }
        Op::Attention(a) => a.batch * a.kv_heads * a.seq_kv * a.head_dim * 2,
        _ => 0,
    };
    (elements as f64 * precision.bytes()).ceil() as u64
}

/// Sides from the layers' own sides: each vector layer (`None`) takes the side of the next
/// layer that has one, the trailing ones the previous; host if there is none.
fn follow_neighbours(own: &[Option<Side>]) -> Vec<Side> {
    let mut sides = vec![Side::Host; own.len()];
    // Backwards: each vector layer takes the side of the next layer that has one.
    let mut next = None;
    for i in (0..own.len()).rev() {
        next = own[i].or(next);
        sides[i] = next.unwrap_or(Side::Host);
    }
    // The trailing vector layers (no matrix layer after them) follow the previous one.
    if let Some(last) = own.iter().rposition(Option::is_some) {
        for s in &mut sides[last + 1..] {
            *s = own[last].expect("rposition found it");
        }
    }
    sides
}

/// A layer's name without its context suffix: the LLM generator splits one decode attention
/// into segments `attention@<context>` whose counts add up to the layer's repeats.
fn base_name(name: &str) -> &str {
    name.split('@').next().unwrap_or(name)
}

/// The layers as units: each run of consecutive segments of one layer is one unit.
fn units(layers: &[Layer]) -> Vec<std::ops::Range<usize>> {
    let mut units = Vec::new();
    let mut start = 0;
    while start < layers.len() {
        let name = base_name(&layers[start].name);
        let end = start
            + layers[start..]
                .iter()
                .take_while(|l| base_name(&l.name) == name)
                .count();
        units.push(start..end);
        start = end;
    }
    units
}

/// Repeats of each layer as one unit: a run of consecutive segments of one layer counts the
/// sum of their counts.
fn unit_counts(layers: &[Layer]) -> Vec<u64> {
    let mut counts: Vec<u64> = layers.iter().map(|l| l.count).collect();
    for unit in units(layers) {
        let total: u64 = layers[unit.clone()].iter().map(|l| l.count).sum();
        counts[unit].fill(total);
    }
    counts
}

/// A crossing between the sides after layer `after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handoff {
    /// Index of the layer whose output crosses.
    pub after: usize,
    /// The side the data goes to.
    pub to: Side,
    /// Times it happens: repeated layers written once (`count`) alternate sides on every
    /// repeat, so a boundary between them is crossed `min` of their repeats.
    pub times: u64,
}

/// The hand-offs of a partitioned workload, in layer order.
pub fn handoffs(layers: &[Layer], sides: &[Side]) -> Vec<Handoff> {
    let units = unit_counts(layers);
    (1..layers.len())
        .filter(|&i| sides[i] != sides[i - 1])
        .map(|i| Handoff {
            after: i - 1,
            to: sides[i],
            times: units[i - 1].min(units[i]),
        })
        .collect()
}

/// Values a layer produces (what crosses after it), all samples.
pub fn output_elements(op: &Op) -> u64 {
    match op {
        Op::Gemm(g) => g.batch * g.m * g.n * g.groups,
        Op::Conv2d(c) => c.batch * c.out_h() * c.out_w() * c.out_channels,
        Op::Attention(a) => a.batch * a.heads * a.seq_q * a.head_dim,
        Op::Pool(p) => p.batch * p.channels * p.out_h() * p.out_w(),
        Op::Elementwise(e) => e.batch * e.elements,
        Op::AllReduce(r) => r.batch * r.elements,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::{Attention, Elementwise, Gemm};

    fn gemm(rows: u64) -> Op {
        Op::Gemm(Gemm {
            batch: rows,
            groups: 1,
            m: 1,
            n: 4096,
            k: 4096,
        })
    }

    fn norm(batch: u64) -> Op {
        Op::Elementwise(Elementwise {
            batch,
            elements: 4096,
            ops_per_element: 5,
            inputs: 1,
        })
    }

    fn decode_attention(batch: u64, seq_kv: u64) -> Op {
        Op::Attention(Attention {
            batch,
            heads: 32,
            kv_heads: 32,
            seq_q: 1,
            seq_kv,
            head_dim: 128,
            causal: true,
        })
    }

    const RULE: Rule = Rule {
        pim_max_rows: 4,
        pim_attention_max_seq_q: 4,
    };

    #[test]
    fn small_row_counts_and_decode_attention_go_to_the_pim() {
        assert_eq!(RULE.own_side(&gemm(1)), Some(Side::Pim));
        assert_eq!(RULE.own_side(&gemm(4)), Some(Side::Pim));
        assert_eq!(RULE.own_side(&gemm(5)), Some(Side::Host));
        // Decode attention stays on the PIM at batch 256; prefill (seq_q 512) does not.
        assert_eq!(RULE.own_side(&decode_attention(256, 1024)), Some(Side::Pim));
        let Op::Attention(mut prefill) = decode_attention(1, 512) else {
            unreachable!()
        };
        prefill.seq_q = 512;
        assert_eq!(RULE.own_side(&Op::Attention(prefill)), Some(Side::Host));
        assert_eq!(RULE.own_side(&norm(1)), None);
    }

    #[test]
    fn vector_layers_follow_the_next_matrix_layer_then_the_previous() {
        // norm -> gemm(64, host) -> norm -> attention(pim) -> norm (trailing)
        let layers = [
            Layer::new("n0", norm(64), 1),
            Layer::new("fc", gemm(64), 1),
            Layer::new("n1", norm(64), 1),
            Layer::new("attn", decode_attention(64, 128), 1),
            Layer::new("n2", norm(64), 1),
        ];
        use Side::{Host, Pim};
        assert_eq!(RULE.sides(&layers), vec![Host, Host, Pim, Pim, Pim]);
        // Only vector layers: host.
        assert_eq!(RULE.sides(&layers[..1]), vec![Host]);
    }

    #[test]
    fn handoffs_count_the_smaller_repeat_and_merge_context_segments() {
        // qkv (host, x32) -> attention split in segments of 12 + 20 repeats (pim)
        // -> o_proj (host, x32) -> head (host, x1).
        let layers = [
            Layer::new("qkv", gemm(64), 32),
            Layer::new("attention@100", decode_attention(64, 100), 12),
            Layer::new("attention@120", decode_attention(64, 120), 20),
            Layer::new("o_proj", gemm(64), 32),
            Layer::new("head", gemm(64), 1),
        ];
        let sides = RULE.sides(&layers);
        let h = handoffs(&layers, &sides);
        // Host->PIM after qkv and PIM->host after the last segment, 32 times each (the
        // segments' 12 + 20 repeats count as one layer's 32).
        assert_eq!(
            h,
            vec![
                Handoff {
                    after: 0,
                    to: Side::Pim,
                    times: 32
                },
                Handoff {
                    after: 2,
                    to: Side::Host,
                    times: 32
                },
            ]
        );
    }

    #[test]
    fn output_elements_of_a_decode_step() {
        // Batch 8, one token, 4096 outputs: 32768 values; attention 8 x 32 heads x 128.
        assert_eq!(output_elements(&gemm(8)), 8 * 4096);
        assert_eq!(output_elements(&decode_attention(8, 10)), 8 * 32 * 128);
    }
}
