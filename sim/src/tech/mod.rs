//! Technology tables: energy per action and area per component, by precision and node.
//!
//! ```text
//! tables/horowitz_45nm.toml ──────┐ include_str!, parsed and checked once (OnceLock)
//! tables/stillmaker_scaling.toml ─┴─▶ Tables { 45 nm figures, factors per node }
//!                                        │
//! TechTables::for_node(nm) ──────────────┴─▶ value at 45 nm × energy or area factor of nm
//! ```
//!
//! The 45 nm base holds M. Horowitz's ISSCC 2014 figures (adders, multipliers, SRAM reads,
//! DRAM) and the widths he does not list, derived by the rule stated in the file. Other nodes
//! multiply by the energy and area factors of Stillmaker & Baas (Integration 2017). Every
//! figure carries its source and a [`SourceStatus`]; [`TechTables::provenance`] lists them.
//! Energies are in pJ and areas in mm² (the TOML keeps µm², as published).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::workload::Precision;

const BASE_TOML: &str = include_str!("tables/horowitz_45nm.toml");
const SCALING_TOML: &str = include_str!("tables/stillmaker_scaling.toml");

const UM2_PER_MM2: f64 = 1e6;
const BITS_PER_KIB: f64 = 8192.0;

/// How far a figure of the tables was checked against its source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// The published value, checked against the source or a reproduction of it.
    Confirmed,
    /// The well-known published value; no copy could be retrieved to check it.
    Unconfirmed,
    /// Computed from other figures by the rule its source states.
    Derived,
    /// A modelling choice, explained in its source.
    Assumed,
}

/// Off-chip DRAM kinds the tables have an energy for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DramKind {
    /// Commodity DDR-class DRAM (Horowitz 2014: 1.3-2.6 nJ per 64-bit access, midpoint).
    Ddr,
    /// GDDR5 (O'Connor et al., MICRO 2017: about 14 pJ/bit).
    Gddr5,
    /// HBM2 (O'Connor et al., MICRO 2017: about 3.9 pJ/bit).
    Hbm2,
}

/// One figure of the tables with where it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TableEntry {
    /// Path of the figure, e.g. `mult.int8.energy_pj` or `node.7.energy_factor`.
    pub key: String,
    /// The value, in `unit`.
    pub value: f64,
    /// Unit of `value` (`pJ`, `um^2`, `V`, `x` for a ratio, ...).
    pub unit: &'static str,
    /// How far it was checked.
    pub status: SourceStatus,
    /// Publication (and table) it comes from, or the rule that derives it.
    pub source: String,
}

/// Per-action energy and per-component area at one technology node.
///
/// Build it with [`TechTables::for_node`]; the methods panic on a node outside
/// [`TechTables::NODES`].
#[derive(Debug, Clone)]
pub struct TechTables {
    /// Node in nm.
    pub node_nm: u32,
}

impl TechTables {
    /// Supported nodes in nm: those of Stillmaker & Baas (2017) plus 22 and 28 nm, which are
    /// interpolated between 32 and 20 nm (see `tables/stillmaker_scaling.toml`).
    pub const NODES: &'static [u32] = &[7, 10, 14, 16, 20, 22, 28, 32, 45, 65, 90, 130, 180];

    /// Tables scaled to `node_nm`; `None` if the node is not supported.
    pub fn for_node(node_nm: u32) -> Option<TechTables> {
        (Self::NODES.contains(&node_nm) && tables().factors(node_nm).is_some())
            .then_some(TechTables { node_nm })
    }

    /// [`TechTables::for_node`] for a config key: an unsupported node is an error naming
    /// `file`, `key` and the supported nodes.
    pub fn for_config(
        file: &std::path::Path,
        key: &str,
        node_nm: u32,
    ) -> Result<TechTables, crate::error::InputError> {
        Self::for_node(node_nm).ok_or_else(|| crate::error::InputError::OutOfRange {
            file: file.to_path_buf(),
            key: key.to_string(),
            value: node_nm.to_string(),
            allowed: Self::NODES
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        })
    }

    /// Energy at this node relative to 45 nm (Stillmaker & Baas 2017 fit at the node's supply
    /// over the fit at 45 nm, 0.9 V).
    pub fn energy_scale(&self) -> f64 {
        self.factors().energy
    }

    /// Area at this node relative to 45 nm (Stillmaker & Baas 2017 area scaling table).
    pub fn area_scale(&self) -> f64 {
        self.factors().area
    }

    /// One addition at width `p`, in pJ.
    pub fn add_pj(&self, p: Precision) -> f64 {
        tables().base.add.get(p).energy_pj.value * self.energy_scale()
    }

    /// One multiplication of two `p` operands, in pJ.
    pub fn mult_pj(&self, p: Precision) -> f64 {
        tables().base.mult.get(p).energy_pj.value * self.energy_scale()
    }

    /// One multiply-accumulate, in pJ: a multiplication at the operand width plus an addition
    /// at the accumulator width (int8 x int8 into int32 at 45 nm: 0.2 + 0.1 = 0.3 pJ).
    pub fn mac_pj(&self, operand: Precision, acc: Precision) -> f64 {
        self.mult_pj(operand) + self.add_pj(acc)
    }

    /// One register (flip-flop) read or write of `bits`, in pJ: `bits` times the per-bit
    /// energy of the Aladdin register model (Shao et al., ISCA 2014).
    pub fn register_pj(&self, bits: u32) -> f64 {
        f64::from(bits) * tables().base.register.energy_pj_per_bit.value * self.energy_scale()
    }

    /// Reading or writing one byte of an SRAM of `capacity_kib`, in pJ: Horowitz's 64-bit
    /// read energy, interpolated log-log between 8 KiB, 32 KiB and 1 MiB, divided by 8 bytes.
    /// Capacities outside [1 KiB, 64 MiB] (or not a number) are clamped into it.
    pub fn sram_pj_per_byte(&self, capacity_kib: f64) -> f64 {
        let sram = &tables().base.sram;
        sram.pj_per_access(capacity_kib) / (f64::from(sram.access_bits) / 8.0) * self.energy_scale()
    }

    /// Moving one byte to or from the default DRAM ([`DramKind::Ddr`]), in pJ. DRAM is on
    /// its own process, so this does not depend on the node.
    pub fn dram_pj_per_byte(&self) -> f64 {
        self.dram_kind_pj_per_byte(tables().base.dram.default)
    }

    /// Moving one byte to or from DRAM of `kind`, in pJ; independent of the node.
    pub fn dram_kind_pj_per_byte(&self, kind: DramKind) -> f64 {
        tables().base.dram.figure(kind).value
    }

    /// One vector-unit operation at precision `p`, in pJ: a fused multiply-add of the lane's
    /// width (scaling, bias, activation and normalisation steps are all of that form).
    pub fn vector_op_pj(&self, p: Precision) -> f64 {
        self.mult_pj(p) + self.add_pj(p)
    }

    /// One PE, in mm²: the multiplier at the operand width, the adder at the accumulator
    /// width, two operand registers and the partial-sum register.
    pub fn pe_area_mm2(&self, operand: Precision, acc: Precision) -> f64 {
        let base = &tables().base;
        let register_bits = 2 * operand.bits() + acc.bits();
        let um2 = base.mult.get(operand).area_um2.value
            + base.add.get(acc).area_um2.value
            + f64::from(register_bits) * base.register.area_um2_per_bit.value;
        um2 / UM2_PER_MM2 * self.area_scale()
    }

    /// An SRAM of `capacity_kib`, in mm²: bit cells over the array efficiency, linear in
    /// capacity (negative or not-a-number capacities count as empty).
    pub fn sram_area_mm2(&self, capacity_kib: f64) -> f64 {
        let sram = &tables().base.sram;
        let um2_per_kib = sram.bitcell_um2.value * BITS_PER_KIB / sram.array_efficiency.value;
        capacity_kib.max(0.0) * um2_per_kib / UM2_PER_MM2 * self.area_scale()
    }

    /// One vector lane, in mm²: a multiplier and an adder at width `p` and three `p`-wide
    /// pipeline registers (two operands, one result).
    pub fn vector_lane_area_mm2(&self, p: Precision) -> f64 {
        let base = &tables().base;
        let um2 = base.mult.get(p).area_um2.value
            + base.add.get(p).area_um2.value
            + f64::from(3 * p.bits()) * base.register.area_um2_per_bit.value;
        um2 / UM2_PER_MM2 * self.area_scale()
    }

    /// Every figure of the tables with its unit, status and source, followed by the energy
    /// and area factor of every node (for reports that cite their numbers).
    pub fn provenance() -> Vec<TableEntry> {
        tables().provenance()
    }

    fn factors(&self) -> NodeFactors {
        tables().factors(self.node_nm).unwrap_or_else(|| {
            panic!(
                "TechTables for unsupported node {} nm; build it with TechTables::for_node",
                self.node_nm
            )
        })
    }
}

/// The parsed tables and the factors derived from them, built once.
fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(|| {
        Tables::load().unwrap_or_else(|e| panic!("embedded technology tables are invalid: {e}"))
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Figure {
    value: f64,
    status: SourceStatus,
    source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ByPrecision<T> {
    int4: T,
    int8: T,
    int16: T,
    int32: T,
    fp8: T,
    fp16: T,
    bf16: T,
    fp32: T,
}

impl<T> ByPrecision<T> {
    fn get(&self, p: Precision) -> &T {
        match p {
            Precision::Int4 => &self.int4,
            Precision::Int8 => &self.int8,
            Precision::Int16 => &self.int16,
            Precision::Int32 => &self.int32,
            Precision::Fp8 => &self.fp8,
            Precision::Fp16 => &self.fp16,
            Precision::Bf16 => &self.bf16,
            Precision::Fp32 => &self.fp32,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Operation {
    energy_pj: Figure,
    area_um2: Figure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Register {
    energy_pj_per_bit: Figure,
    area_um2_per_bit: Figure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SramPoint {
    capacity_kib: f64,
    energy_pj_per_access: Figure,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sram {
    access_bits: u32,
    min_capacity_kib: Figure,
    max_capacity_kib: Figure,
    bitcell_um2: Figure,
    array_efficiency: Figure,
    point: Vec<SramPoint>,
}

impl Sram {
    /// Energy of one access at 45 nm: log-log interpolation between the points, the nearest
    /// segment's slope beyond them, capacity clamped to the table's range.
    fn pj_per_access(&self, capacity_kib: f64) -> f64 {
        let (min, max) = (self.min_capacity_kib.value, self.max_capacity_kib.value);
        // `>=` is false for NaN, which therefore takes the minimum.
        let c = if capacity_kib >= min {
            capacity_kib.min(max)
        } else {
            min
        };
        let segments = self.point.len() - 1;
        let i = self
            .point
            .windows(2)
            .position(|w| c <= w[1].capacity_kib)
            .unwrap_or(segments - 1);
        let (a, b) = (&self.point[i], &self.point[i + 1]);
        let (ea, eb) = (a.energy_pj_per_access.value, b.energy_pj_per_access.value);
        let t = (c / a.capacity_kib).ln() / (b.capacity_kib / a.capacity_kib).ln();
        ea * (eb / ea).powf(t)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Dram {
    default: DramKind,
    ddr_pj_per_byte: Figure,
    gddr5_pj_per_byte: Figure,
    hbm2_pj_per_byte: Figure,
}

impl Dram {
    fn figure(&self, kind: DramKind) -> &Figure {
        match kind {
            DramKind::Ddr => &self.ddr_pj_per_byte,
            DramKind::Gddr5 => &self.gddr5_pj_per_byte,
            DramKind::Hbm2 => &self.hbm2_pj_per_byte,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Base {
    node_nm: u32,
    vdd_v: Figure,
    add: ByPrecision<Operation>,
    mult: ByPrecision<Operation>,
    register: Register,
    sram: Sram,
    dram: Dram,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeRow {
    node_nm: u32,
    vdd_v: Figure,
    /// `(a, b, c)` of EnergyFactor(V) = a V² + b V + c (Stillmaker & Baas 2017, Sec. 4.2).
    energy_coeffs: [f64; 3],
    energy_coeffs_status: SourceStatus,
    area_factor: Figure,
}

impl NodeRow {
    fn energy_factor_at(&self, vdd_v: f64) -> f64 {
        let [a, b, c] = self.energy_coeffs;
        a * vdd_v * vdd_v + b * vdd_v + c
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scaling {
    base_node_nm: u32,
    interpolated_nodes: Vec<u32>,
    node: Vec<NodeRow>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct NodeFactors {
    node_nm: u32,
    energy: f64,
    area: f64,
}

#[derive(Debug)]
struct Tables {
    base: Base,
    scaling: Scaling,
    /// Published and interpolated nodes, ascending.
    factors: Vec<NodeFactors>,
}

impl Tables {
    fn load() -> Result<Tables, String> {
        let base: Base =
            toml::from_str(BASE_TOML).map_err(|e| format!("horowitz_45nm.toml: {e}"))?;
        let mut scaling: Scaling =
            toml::from_str(SCALING_TOML).map_err(|e| format!("stillmaker_scaling.toml: {e}"))?;
        scaling.node.sort_by_key(|r| r.node_nm);
        check_sram(&base.sram)?;
        let factors = node_factors(&base, &scaling)?;
        Ok(Tables {
            base,
            scaling,
            factors,
        })
    }

    fn factors(&self, node_nm: u32) -> Option<NodeFactors> {
        self.factors.iter().copied().find(|f| f.node_nm == node_nm)
    }

    fn provenance(&self) -> Vec<TableEntry> {
        fn entry(key: String, unit: &'static str, f: &Figure) -> TableEntry {
            TableEntry {
                key,
                value: f.value,
                unit,
                status: f.status,
                source: f.source.clone(),
            }
        }
        let b = &self.base;
        let mut out = vec![entry("vdd_v".into(), "V", &b.vdd_v)];
        for (op, table) in [("add", &b.add), ("mult", &b.mult)] {
            for p in Precision::ALL {
                let o = table.get(p);
                out.push(entry(format!("{op}.{p}.energy_pj"), "pJ", &o.energy_pj));
                out.push(entry(format!("{op}.{p}.area_um2"), "um^2", &o.area_um2));
            }
        }
        let r = &b.register;
        out.push(entry(
            "register.energy_pj_per_bit".into(),
            "pJ",
            &r.energy_pj_per_bit,
        ));
        out.push(entry(
            "register.area_um2_per_bit".into(),
            "um^2",
            &r.area_um2_per_bit,
        ));
        let s = &b.sram;
        for p in &s.point {
            let key = format!("sram.{}_kib.energy_pj_per_access", p.capacity_kib);
            out.push(entry(key, "pJ", &p.energy_pj_per_access));
        }
        out.push(entry(
            "sram.min_capacity_kib".into(),
            "KiB",
            &s.min_capacity_kib,
        ));
        out.push(entry(
            "sram.max_capacity_kib".into(),
            "KiB",
            &s.max_capacity_kib,
        ));
        out.push(entry("sram.bitcell_um2".into(), "um^2", &s.bitcell_um2));
        out.push(entry(
            "sram.array_efficiency".into(),
            "x",
            &s.array_efficiency,
        ));
        for kind in [DramKind::Ddr, DramKind::Gddr5, DramKind::Hbm2] {
            let key = format!("dram.{kind:?}_pj_per_byte").to_lowercase();
            out.push(entry(key, "pJ", b.dram.figure(kind)));
        }
        for f in &self.factors {
            let n = f.node_nm;
            let (energy_source, area_source) = match self.row(n) {
                Some(row) => {
                    out.push(entry(format!("node.{n}.vdd_v"), "V", &row.vdd_v));
                    let [a, bc, c] = row.energy_coeffs;
                    (
                        format!(
                            "Stillmaker & Baas 2017 energy fit ({a}, {bc}, {c}) ({:?}) at {} V, \
                             over the 45 nm fit at {} V",
                            row.energy_coeffs_status, row.vdd_v.value, b.vdd_v.value
                        ),
                        row.area_factor.source.clone(),
                    )
                }
                None => {
                    let how = "log-log interpolation between the neighbouring published nodes";
                    (how.to_string(), how.to_string())
                }
            };
            let area_status = self
                .row(n)
                .map_or(SourceStatus::Derived, |r| r.area_factor.status);
            out.push(TableEntry {
                key: format!("node.{n}.energy_factor"),
                value: f.energy,
                unit: "x",
                status: SourceStatus::Derived,
                source: energy_source,
            });
            out.push(TableEntry {
                key: format!("node.{n}.area_factor"),
                value: f.area,
                unit: "x",
                status: area_status,
                source: area_source,
            });
        }
        out
    }

    fn row(&self, node_nm: u32) -> Option<&NodeRow> {
        self.scaling.node.iter().find(|r| r.node_nm == node_nm)
    }
}

fn check_sram(s: &Sram) -> Result<(), String> {
    if s.point.len() < 2 {
        return Err("sram needs at least two points".into());
    }
    let ascending = s.point.windows(2).all(|w| {
        w[0].capacity_kib < w[1].capacity_kib
            && w[0].energy_pj_per_access.value < w[1].energy_pj_per_access.value
    });
    if !ascending || s.point[0].capacity_kib <= 0.0 || s.point[0].energy_pj_per_access.value <= 0.0
    {
        return Err("sram points must be positive and ascend in capacity and energy".into());
    }
    if !(s.min_capacity_kib.value > 0.0 && s.min_capacity_kib.value < s.max_capacity_kib.value) {
        return Err("sram needs 0 < min_capacity_kib < max_capacity_kib".into());
    }
    if s.access_bits == 0 || !(s.array_efficiency.value > 0.0 && s.array_efficiency.value <= 1.0) {
        return Err("sram needs access_bits > 0 and 0 < array_efficiency <= 1".into());
    }
    Ok(())
}

/// Energy and area factors of every published and interpolated node, ascending.
fn node_factors(base: &Base, scaling: &Scaling) -> Result<Vec<NodeFactors>, String> {
    if scaling.base_node_nm != base.node_nm {
        return Err(format!(
            "scaling base {} nm differs from the base table's {} nm",
            scaling.base_node_nm, base.node_nm
        ));
    }
    let base_row = scaling
        .node
        .iter()
        .find(|r| r.node_nm == base.node_nm)
        .ok_or("the scaling table has no row for the base node")?;
    if (base_row.vdd_v.value - base.vdd_v.value).abs() > 1e-12 {
        return Err("the base node's supply differs between the two tables".into());
    }
    let reference = base_row.energy_factor_at(base.vdd_v.value);
    let mut factors = Vec::new();
    for row in &scaling.node {
        let energy = row.energy_factor_at(row.vdd_v.value) / reference;
        if !(energy > 0.0 && row.area_factor.value > 0.0) {
            return Err(format!("{} nm: factors must be positive", row.node_nm));
        }
        factors.push(NodeFactors {
            node_nm: row.node_nm,
            energy,
            area: row.area_factor.value,
        });
    }
    let published = factors.clone();
    for &n in &scaling.interpolated_nodes {
        let lo = published.iter().rev().find(|f| f.node_nm < n);
        let hi = published.iter().find(|f| f.node_nm > n);
        let (Some(lo), Some(hi)) = (lo, hi) else {
            return Err(format!("{n} nm is not between two published nodes"));
        };
        // Linear in log(node) vs log(factor).
        let t = (f64::from(n) / f64::from(lo.node_nm)).ln()
            / (f64::from(hi.node_nm) / f64::from(lo.node_nm)).ln();
        let between = |a: f64, b: f64| a * (b / a).powf(t);
        factors.push(NodeFactors {
            node_nm: n,
            energy: between(lo.energy, hi.energy),
            area: between(lo.area, hi.area),
        });
    }
    factors.sort_by_key(|f| f.node_nm);
    Ok(factors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(node_nm: u32) -> TechTables {
        TechTables::for_node(node_nm).expect("supported node")
    }

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * a.abs().max(b.abs())
    }

    #[test]
    fn embedded_tables_parse_and_every_figure_has_a_source() {
        let entries = TechTables::provenance();
        // 1 vdd + 2 ops x 8 precisions x 2 + 2 register + 3 points + 4 sram + 3 dram
        // + 11 published nodes x 3 + 2 interpolated x 2.
        assert_eq!(entries.len(), 1 + 32 + 2 + 3 + 4 + 3 + 33 + 4);
        for e in &entries {
            assert!(!e.source.trim().is_empty(), "{} has no source", e.key);
            assert!(
                e.value.is_finite() && e.value > 0.0,
                "{} = {}",
                e.key,
                e.value
            );
        }
    }

    #[test]
    fn nodes_const_lists_exactly_the_nodes_the_tables_scale_to() {
        let from_tables: Vec<u32> = tables().factors.iter().map(|f| f.node_nm).collect();
        assert_eq!(TechTables::NODES, from_tables.as_slice());
        assert!(TechTables::NODES.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn unknown_node_is_none() {
        for n in [0, 3, 5, 12, 40, 44, 46, 250] {
            assert!(TechTables::for_node(n).is_none(), "{n} nm");
        }
        for &n in TechTables::NODES {
            assert_eq!(at(n).node_nm, n);
        }
    }

    #[test]
    fn base_node_has_unit_factors() {
        let t = at(45);
        assert!(close(t.energy_scale(), 1.0, 1e-12));
        assert!(close(t.area_scale(), 1.0, 1e-12));
    }

    #[test]
    fn int8_mac_into_int32_is_horowitz_mult_plus_add() {
        // Horowitz 2014, 45 nm: 8b mult 0.2 pJ + 32b add 0.1 pJ = 0.3 pJ.
        assert!(close(
            at(45).mac_pj(Precision::Int8, Precision::Int32),
            0.3,
            1e-12
        ));
        // fp16 x fp16 into fp32: 1.1 + 0.9 = 2.0 pJ; fp32: 3.7 + 0.9 = 4.6 pJ.
        assert!(close(
            at(45).mac_pj(Precision::Fp16, Precision::Fp32),
            2.0,
            1e-12
        ));
        assert!(close(
            at(45).mac_pj(Precision::Fp32, Precision::Fp32),
            4.6,
            1e-12
        ));
    }

    #[test]
    fn published_45nm_energies_match_horowitz() {
        let t = at(45);
        let adds = [
            (Precision::Int8, 0.03),
            (Precision::Int16, 0.05),
            (Precision::Int32, 0.1),
            (Precision::Fp16, 0.4),
            (Precision::Fp32, 0.9),
        ];
        for (p, pj) in adds {
            assert!(close(t.add_pj(p), pj, 1e-12), "{p} add");
        }
        let mults = [
            (Precision::Int8, 0.2),
            (Precision::Int32, 3.1),
            (Precision::Fp16, 1.1),
            (Precision::Fp32, 3.7),
        ];
        for (p, pj) in mults {
            assert!(close(t.mult_pj(p), pj, 1e-12), "{p} mult");
        }
        // DRAM 1.3-2.6 nJ per 64 bits: midpoint 1950 pJ / 8 B.
        assert!(close(t.dram_pj_per_byte(), 1950.0 / 8.0, 1e-12));
    }

    #[test]
    fn published_45nm_areas_match_horowitz() {
        let b = &tables().base;
        let adds = [
            (Precision::Int8, 36.0),
            (Precision::Int16, 67.0),
            (Precision::Int32, 137.0),
            (Precision::Fp16, 1360.0),
            (Precision::Fp32, 4184.0),
        ];
        for (p, um2) in adds {
            assert_eq!(b.add.get(p).area_um2.value, um2, "{p} add");
        }
        let mults = [
            (Precision::Int8, 282.0),
            (Precision::Int32, 3495.0),
            (Precision::Fp16, 1640.0),
            (Precision::Fp32, 7700.0),
        ];
        for (p, um2) in mults {
            assert_eq!(b.mult.get(p).area_um2.value, um2, "{p} mult");
        }
    }

    /// X(s) = X(s0) (s/s0)^k with k fitted through the two published points of the family.
    fn power_law(x0: f64, x1: f64, s0: f64, s1: f64, s: f64) -> f64 {
        x0 * (s / s0).powf((x1 / x0).ln() / (s1 / s0).ln())
    }

    #[test]
    fn derived_entries_follow_the_stated_power_law() {
        let b = &tables().base;
        let figures = |op: &ByPrecision<Operation>, p: Precision| {
            let o = op.get(p);
            (o.energy_pj.value, o.area_um2.value)
        };
        for op in [&b.add, &b.mult] {
            let (e8, a8) = figures(op, Precision::Int8);
            let (e32, a32) = figures(op, Precision::Int32);
            let (e16f, a16f) = figures(op, Precision::Fp16);
            let (e32f, a32f) = figures(op, Precision::Fp32);
            // Integers by bits through int8 and int32; floats by significand bits
            // (fp16 11, fp32 24) to bf16 (8) and fp8 E4M3 (4).
            let cases = [
                (
                    Precision::Int4,
                    power_law(e8, e32, 8.0, 32.0, 4.0),
                    power_law(a8, a32, 8.0, 32.0, 4.0),
                ),
                (
                    Precision::Bf16,
                    power_law(e16f, e32f, 11.0, 24.0, 8.0),
                    power_law(a16f, a32f, 11.0, 24.0, 8.0),
                ),
                (
                    Precision::Fp8,
                    power_law(e16f, e32f, 11.0, 24.0, 4.0),
                    power_law(a16f, a32f, 11.0, 24.0, 4.0),
                ),
            ];
            for (p, energy, area) in cases {
                let (e, a) = figures(op, p);
                assert!(close(e, energy, 1e-4), "{p}: {e} vs {energy}");
                assert!(close(a, area, 1e-4), "{p}: {a} vs {area}");
            }
        }
        // int16 mult (not published): 0.2 * 2^1.977 = 0.787 pJ, 282 * 2^1.816 = 992.8 um^2.
        let (e, a) = figures(&b.mult, Precision::Int16);
        assert!(close(e, power_law(0.2, 3.1, 8.0, 32.0, 16.0), 1e-4));
        assert!(close(a, power_law(282.0, 3495.0, 8.0, 32.0, 16.0), 1e-4));
        for p in Precision::ALL {
            for o in [b.add.get(p), b.mult.get(p)] {
                for f in [&o.energy_pj, &o.area_um2] {
                    let derived = f.status == SourceStatus::Derived;
                    assert_eq!(
                        derived,
                        f.source.starts_with("power law"),
                        "{p}: {}",
                        f.source
                    );
                }
            }
        }
    }

    #[test]
    fn mac_energy_falls_with_precision() {
        // Each format with its usual accumulator.
        let t = at(45);
        let fp32 = t.mac_pj(Precision::Fp32, Precision::Fp32);
        let fp16 = t.mac_pj(Precision::Fp16, Precision::Fp32);
        let bf16 = t.mac_pj(Precision::Bf16, Precision::Fp32);
        let int8 = t.mac_pj(Precision::Int8, Precision::Int32);
        let int4 = t.mac_pj(Precision::Int4, Precision::Int32);
        assert!(fp32 > fp16 && fp16 > bf16 && bf16 > int8 && int8 > int4);
        for op in [TechTables::add_pj, TechTables::mult_pj] {
            assert!(op(&t, Precision::Int4) < op(&t, Precision::Int8));
            assert!(op(&t, Precision::Int8) < op(&t, Precision::Int16));
            assert!(op(&t, Precision::Int16) < op(&t, Precision::Int32));
            assert!(op(&t, Precision::Fp8) < op(&t, Precision::Bf16));
            assert!(op(&t, Precision::Bf16) < op(&t, Precision::Fp16));
            assert!(op(&t, Precision::Fp16) < op(&t, Precision::Fp32));
        }
    }

    #[test]
    fn sram_energy_hits_the_horowitz_points_exactly() {
        // 64-bit reads: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ -> per byte / 8.
        let t = at(45);
        for (kib, pj_per_access) in [(8.0, 10.0), (32.0, 20.0), (1024.0, 100.0)] {
            let got = t.sram_pj_per_byte(kib);
            assert!(close(got, pj_per_access / 8.0, 1e-12), "{kib} KiB: {got}");
        }
        // Halfway in log between 8 and 32 KiB is 16 KiB: sqrt(10 * 20) / 8.
        assert!(close(t.sram_pj_per_byte(16.0), 200f64.sqrt() / 8.0, 1e-12));
    }

    #[test]
    fn larger_sram_costs_more_per_byte() {
        let t = at(45);
        let sizes = [
            1.0, 2.0, 4.0, 8.0, 12.0, 32.0, 64.0, 256.0, 1024.0, 4096.0, 65536.0,
        ];
        for w in sizes.windows(2) {
            assert!(t.sram_pj_per_byte(w[0]) < t.sram_pj_per_byte(w[1]), "{w:?}");
        }
        // Below 8 KiB the 8-32 KiB slope (energy ~ sqrt(capacity)) continues: 2 KiB is half
        // of 8 KiB.
        assert!(close(t.sram_pj_per_byte(2.0), 10.0 / 2.0 / 8.0, 1e-12));
    }

    #[test]
    fn sram_capacity_is_clamped_to_the_table_range() {
        let t = at(45);
        let smallest = t.sram_pj_per_byte(1.0);
        for odd in [0.0, -5.0, 0.25, f64::NAN] {
            assert_eq!(t.sram_pj_per_byte(odd), smallest, "{odd}");
        }
        assert_eq!(t.sram_pj_per_byte(1e9), t.sram_pj_per_byte(65536.0));
        assert_eq!(t.sram_area_mm2(-1.0), 0.0);
        assert_eq!(t.sram_area_mm2(f64::NAN), 0.0);
    }

    #[test]
    fn register_energy_is_linear_in_bits() {
        // Aladdin: 0.009 pJ per bit.
        let t = at(45);
        assert!(close(t.register_pj(32), 32.0 * 0.009, 1e-12));
        assert_eq!(t.register_pj(0), 0.0);
    }

    #[test]
    fn areas_at_45nm_follow_the_hand_sums() {
        let t = at(45);
        // int8 PE into int32: mult 282 + add 137 + (8 + 8 + 32) bits x 4.522 = 636.056 um^2.
        let pe = t.pe_area_mm2(Precision::Int8, Precision::Int32);
        assert!(close(pe, 636.056e-6, 1e-9), "{pe}");
        // 64 KiB SRAM: 64 x 8192 bits x 0.346 um^2 / 0.6 = 302 331 um^2.
        let sram = t.sram_area_mm2(64.0);
        assert!(
            close(sram, 64.0 * 8192.0 * 0.346 / 0.6 * 1e-6, 1e-12),
            "{sram}"
        );
        // fp16 lane: 1640 + 1360 + 48 x 4.522 = 3217.056 um^2.
        let lane = t.vector_lane_area_mm2(Precision::Fp16);
        assert!(close(lane, 3217.056e-6, 1e-9), "{lane}");
    }

    #[test]
    fn energy_coefficients_reproduce_the_corrigendum_example() {
        // Stillmaker & Baas corrigendum, Sec. 4.2.1: 1 pJ/op at 65 nm, 1.3 V becomes
        // 0.4571 / 2.604 = 0.1755 pJ/op at 32 nm, 0.9 V.
        let row = |n| tables().row(n).expect("row");
        let x = row(32).energy_factor_at(0.9);
        let y = row(65).energy_factor_at(1.3);
        assert!(close(x, 0.4571, 1e-3), "{x}");
        assert!(close(y, 2.604, 1e-3), "{y}");
        assert!(close(x / y, 0.1755, 1e-3));
    }

    #[test]
    fn seven_nm_factors_follow_the_hand_computation() {
        // Energy: (0.1776 x 0.7^2 - 0.09097 x 0.7 + 0.02447)
        //       / (1.018 x 0.9^2 - 0.3107 x 0.9 + 0.1539) = 0.047815 / 0.69885 = 0.06842.
        // Area: 0.059 (Stillmaker & Baas area table, 45 -> 7 nm).
        let t = at(7);
        assert!(close(t.energy_scale(), 0.047815 / 0.69885, 1e-4));
        assert!(close(t.area_scale(), 0.059, 1e-12));
        assert!(close(
            t.mac_pj(Precision::Int8, Precision::Int32),
            0.3 * 0.06841,
            1e-3
        ));
    }

    #[test]
    fn interpolated_nodes_sit_on_the_log_log_line() {
        // 28 nm between 32 nm and 20 nm: t = ln(28/32) / ln(20/32) = 0.2841.
        let (e32, e20) = (at(32).energy_scale(), at(20).energy_scale());
        let t = (28.0f64 / 32.0).ln() / (20.0f64 / 32.0).ln();
        assert!(close(
            at(28).energy_scale(),
            e32 * (e20 / e32).powf(t),
            1e-12
        ));
        assert!(close(
            at(28).area_scale(),
            0.46 * (0.21f64 / 0.46).powf(t),
            1e-12
        ));
        assert!(at(22).area_scale() < at(28).area_scale());
    }

    #[test]
    fn smaller_node_lowers_every_energy_and_area() {
        for w in TechTables::NODES.windows(2) {
            let (small, large) = (at(w[0]), at(w[1]));
            let pairs = [
                (
                    small.mac_pj(Precision::Int8, Precision::Int32),
                    large.mac_pj(Precision::Int8, Precision::Int32),
                ),
                (small.register_pj(16), large.register_pj(16)),
                (small.sram_pj_per_byte(128.0), large.sram_pj_per_byte(128.0)),
                (
                    small.vector_op_pj(Precision::Bf16),
                    large.vector_op_pj(Precision::Bf16),
                ),
                (
                    small.pe_area_mm2(Precision::Fp16, Precision::Fp32),
                    large.pe_area_mm2(Precision::Fp16, Precision::Fp32),
                ),
                (small.sram_area_mm2(128.0), large.sram_area_mm2(128.0)),
                (
                    small.vector_lane_area_mm2(Precision::Int8),
                    large.vector_lane_area_mm2(Precision::Int8),
                ),
            ];
            for (i, (s, l)) in pairs.into_iter().enumerate() {
                assert!(
                    s < l,
                    "{} nm vs {} nm, quantity {i}: {s} >= {l}",
                    w[0],
                    w[1]
                );
            }
            // DRAM is off-chip and does not scale.
            assert_eq!(small.dram_pj_per_byte(), large.dram_pj_per_byte());
        }
    }

    #[test]
    fn dram_kinds_order_by_interface() {
        let t = at(45);
        let (ddr, gddr5, hbm2) = (
            t.dram_kind_pj_per_byte(DramKind::Ddr),
            t.dram_kind_pj_per_byte(DramKind::Gddr5),
            t.dram_kind_pj_per_byte(DramKind::Hbm2),
        );
        assert_eq!(t.dram_pj_per_byte(), ddr);
        // 14 pJ/bit and 3.9 pJ/bit times 8.
        assert!(close(gddr5, 112.0, 1e-12) && close(hbm2, 31.2, 1e-12));
        assert!(hbm2 < gddr5 && gddr5 < ddr);
    }
}
