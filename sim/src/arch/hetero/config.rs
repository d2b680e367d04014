//! `[arch.hetero]` as written in TOML: the two parts (by file or inline) and the partitioner's
//! keys.
//!
//! ```toml
//! [arch.hetero]
//! host = "a100_sxm_80gb.toml"   # an accelerator file, relative to this file ...
//! pim = "hbm2_pim.toml"         # ... or an inline table: [arch.hetero.pim.pim.dram]
//! pim_devices = 5               # PIM stacks/chips working in parallel
//! pim_max_rows = 4              # GEMMs with at most this many rows go to the PIM
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::config::{ArchConfig, ArchFile};
use crate::error::InputError;

/// One side of the system: a file reference or an inline accelerator table.
#[derive(Debug, Clone)]
pub enum Part {
    /// An accelerator file, relative to the file that names it.
    File(PathBuf),
    /// An accelerator section written in place (`[arch.hetero.host.tensor_core]`).
    Inline(Box<ArchConfig>),
}

impl Serialize for Part {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Part::File(p) => s.serialize_str(&p.to_string_lossy()),
            Part::Inline(a) => a.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct PartVisitor;
        impl<'de> Visitor<'de> for PartVisitor {
            type Value = Part;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "an accelerator file name (string) or an inline accelerator table \
                     (systolic, tensor_core or pim)",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Part, E> {
                Ok(Part::File(PathBuf::from(v)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Part, A::Error> {
                let arch = ArchConfig::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Part::Inline(Box::new(arch)))
            }
        }
        d.deserialize_any(PartVisitor)
    }
}

fn one() -> u32 {
    1
}
fn attention_seq_q() -> u64 {
    4
}
fn handoff_latency_us() -> f64 {
    1.0
}
fn pim_kernel_launch_us() -> f64 {
    4.0
}

/// `[arch.hetero]`: a host accelerator plus DRAM-PIM devices, and the rule that splits a
/// workload between them.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeteroConfig {
    /// The host: a `[arch.systolic]` or `[arch.tensor_core]` accelerator.
    pub host: Part,
    /// The PIM device: an `[arch.pim.dram]` accelerator (one stack or chip).
    pub pim: Part,
    /// PIM devices working in parallel (1..=64): each holds its share of every matrix.
    #[serde(default = "one")]
    pub pim_devices: u32,
    /// Matrix products (GEMM, convolution) with at most this many rows (batch x tokens) run
    /// on the PIM (0..=65536; 0 keeps them all on the host). Default: the largest row count
    /// at which the PIM beats the host on a 4096 x 4096 layer.
    #[serde(default)]
    pub pim_max_rows: Option<u64>,
    /// Attention with at most this many query tokens per sequence (decode) runs on the PIM at
    /// any batch: each sequence's K/V cache is its own matrix (0..=65536).
    #[serde(default = "attention_seq_q")]
    pub pim_attention_max_seq_q: u64,
    /// Bandwidth of a hand-off between the sides, GB/s. Default: the PIM devices' external
    /// bandwidth (activations are written into, or read out of, the PIM memory).
    #[serde(default)]
    pub handoff_bandwidth_gbps: Option<f64>,
    /// Fixed cost of each hand-off (synchronisation, PIM mode switch), µs.
    #[serde(default = "handoff_latency_us")]
    pub handoff_latency_us: f64,
    /// Host-side launch cost of each PIM kernel, µs: the host issues the PIM commands.
    #[serde(default = "pim_kernel_launch_us")]
    pub pim_kernel_launch_us: f64,
}

/// What a [`Part`] may hold, for error messages.
pub(crate) const HOST_ALLOWED: &str = "an [arch.systolic] or [arch.tensor_core] accelerator";
pub(crate) const PIM_ALLOWED: &str = "an [arch.pim.dram] accelerator";

impl Part {
    /// The accelerator section and the file it came from (for errors): a referenced file is
    /// read relative to `file`'s folder.
    pub(crate) fn resolve(
        &self,
        file: &Path,
        key: &str,
    ) -> Result<(ArchConfig, PathBuf), InputError> {
        match self {
            Part::Inline(a) => Ok(((**a).clone(), file.to_path_buf())),
            Part::File(rel) => {
                let path = file.parent().unwrap_or(Path::new("")).join(rel);
                if !path.is_file() {
                    return Err(InputError::Invalid {
                        file: file.to_path_buf(),
                        message: format!(
                            "`{key}` = \"{}\": no such file {} (paths are relative to this file)",
                            rel.display(),
                            path.display()
                        ),
                    });
                }
                Ok((ArchFile::load(&path)?.arch, path))
            }
        }
    }
}

impl HeteroConfig {
    /// Replaces file references by the sections they hold; true if any was replaced.
    pub(crate) fn inline_parts(&mut self, file: &Path) -> Result<bool, InputError> {
        let mut changed = false;
        for (part, key) in [
            (&mut self.host, "arch.hetero.host"),
            (&mut self.pim, "arch.hetero.pim"),
        ] {
            if let Part::File(_) = part {
                let (arch, _) = part.resolve(file, key)?;
                *part = Part::Inline(Box::new(arch));
                changed = true;
            }
        }
        Ok(changed)
    }
}
