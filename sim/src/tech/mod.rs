//! Technology tables (stub; owned by the tech helper). Energy in pJ, area in mm².

use crate::workload::Precision;

/// Per-action energy and per-component area at one technology node.
#[derive(Debug, Clone)]
pub struct TechTables {
    /// Node in nm.
    pub node_nm: u32,
}

impl TechTables {
    /// Supported nodes in nm.
    pub const NODES: &'static [u32] = &[45];

    /// Tables scaled to `node_nm`; `None` if the node is not supported.
    pub fn for_node(node_nm: u32) -> Option<TechTables> {
        Self::NODES.contains(&node_nm).then_some(TechTables { node_nm })
    }
    /// One multiply-accumulate.
    pub fn mac_pj(&self, _operand: Precision, _acc: Precision) -> f64 { 0.0 }
    /// One register read or write of `bits`.
    pub fn register_pj(&self, _bits: u32) -> f64 { 0.0 }
    /// Reading or writing one byte of an SRAM of `capacity_kib`.
    pub fn sram_pj_per_byte(&self, _capacity_kib: f64) -> f64 { 0.0 }
    /// Moving one byte to or from DRAM.
    pub fn dram_pj_per_byte(&self) -> f64 { 0.0 }
    /// One vector-unit operation.
    pub fn vector_op_pj(&self, _p: Precision) -> f64 { 0.0 }
    /// One PE: MAC, operand and accumulator registers.
    pub fn pe_area_mm2(&self, _operand: Precision, _acc: Precision) -> f64 { 0.0 }
    /// An SRAM of `capacity_kib`.
    pub fn sram_area_mm2(&self, _capacity_kib: f64) -> f64 { 0.0 }
    /// One vector lane.
    pub fn vector_lane_area_mm2(&self, _p: Precision) -> f64 { 0.0 }
}
