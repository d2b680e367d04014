//! SCALE-Sim `.cfg` import: a SCALE-Sim 3.0.0 config becomes a systolic [`ArchFile`].
//!
//! ```ini
//! [general]
//! run_name = scale_example_run_32x32_ws
//!
//! [architecture_presets]
//! ArrayHeight:    32
//! ArrayWidth:     32
//! IfmapSramSzkB:   64
//! FilterSramSzkB:  64
//! OfmapSramSzkB:   64
//! Bandwidth : 10
//! Dataflow : ws
//! ```
//!
//! | SCALE-Sim key                                      | ours                         |
//! |----------------------------------------------------|------------------------------|
//! | `[general] run_name`                               | `name`                       |
//! | `ArrayHeight`, `ArrayWidth` (required)             | `rows`, `cols`               |
//! | `Dataflow` (required: `os`, `ws`, `is`)            | `dataflow`                   |
//! | `IfmapSramSzkB`, `FilterSramSzkB`, `OfmapSramSzkB` | `*_sram_kib` (default 64)    |
//! | `Bandwidth` (words per cycle)                      | `dram_bandwidth_gbps`        |
//!
//! All but `run_name` are read from `[architecture_presets]`. Offsets, request buffers, memory
//! banks, `[layout]`, `[sparsity]` and `[run_presets]` are ignored: they shape SCALE-Sim's
//! address traces, which we do not produce, or features we do not model.
//!
//! Assumptions, since SCALE-Sim counts cycles and words only:
//! - a SCALE-Sim word is one byte, so the precision is int8;
//! - the clock is [`CLOCK_MHZ`] = 1000 MHz (SCALE-Sim has none), so `Bandwidth` words per
//!   cycle is `Bandwidth * 1 byte * 1000 MHz / 1000 = Bandwidth` GB/s.
//!
//! `[run_presets] InterfaceBandwidth` picks SCALE-Sim's mode: in `CALC` mode (its default
//! config) it ignores `Bandwidth` and reports the bandwidth a stall-free run would need; in
//! `USER` mode its ofmap write port uses `Bandwidth` (a comma list: the first entry) while its
//! ifmap and filter read ports use `[layout] IfmapSRAMBankBandwidth` and
//! `FilterSRAMBankBandwidth` (`single_layer_sim.py`, `run()`), each port its own channel. We
//! always model one shared DRAM channel of `Bandwidth` (its first entry) and report the stalls,
//! so a `CALC` config's numbers compare with SCALE-Sim's compute cycles, not its bandwidth
//! report (see `reports/reproductions/scalesim_memory/`).
//!
//! The INI dialect is Python's `configparser` as SCALE-Sim uses it: `key: value` or
//! `key = value` (the first `:` or `=` splits), keys **case-insensitive** (configparser
//! lower-cases them; SCALE-Sim itself asks for `ifmapsramszkB`), section names case-sensitive,
//! whole-line comments starting `#` or `;` (no inline comments: `32 # rows` is not a number),
//! indented lines continuing the value above, a `[DEFAULT]` section whose keys every section
//! inherits, and duplicate sections or keys rejected. `%` interpolation is not performed.
//! Missing optional keys take [`SystolicConfig::new`]'s defaults, where SCALE-Sim would stop.

use std::path::Path;

use crate::config::{ArchConfig, ArchFile, Dataflow, SystolicConfig};
use crate::error::InputError;
use crate::workload::scalesim_csv::universal_lines;
use crate::workload::Precision;

/// Clock assumed for a SCALE-Sim config, MHz (SCALE-Sim has no clock).
pub const CLOCK_MHZ: f64 = 1000.0;

/// Bytes in a SCALE-Sim word (its traces count words of one byte).
const WORD_BYTES: f64 = 1.0;

/// The section SCALE-Sim reads the array from.
const ARCH: &str = "architecture_presets";

/// Keys a config must have.
const REQUIRED: &str = "ArrayHeight, ArrayWidth, Dataflow";

/// Parses a SCALE-Sim config file's text into a systolic accelerator; `file` names it in errors.
pub fn parse(file: &Path, text: &str) -> Result<ArchFile, InputError> {
    let ini = Ini::parse(file, text)?;
    let rows = ini.required(ARCH, "ArrayHeight")?;
    let cols = ini.required(ARCH, "ArrayWidth")?;
    let dataflow = ini.required(ARCH, "Dataflow")?;
    let dataflow = match dataflow.value.as_str() {
        "os" => Dataflow::Os,
        "ws" => Dataflow::Ws,
        "is" => Dataflow::Is,
        _ => {
            return Err(dataflow.error(format!(
                "= `{}` is not a dataflow (allowed: os, ws, is)",
                dataflow.value
            )))
        }
    };
    let mut config = SystolicConfig::new(
        to_u32(rows, rows.whole_number()?)?,
        to_u32(cols, cols.whole_number()?)?,
        dataflow,
    );
    config.clock_mhz = CLOCK_MHZ;
    config.precision = Precision::Int8;
    for (key, slot) in [
        ("IfmapSramSzkB", &mut config.ifmap_sram_kib),
        ("FilterSramSzkB", &mut config.filter_sram_kib),
        ("OfmapSramSzkB", &mut config.ofmap_sram_kib),
    ] {
        if let Some(entry) = ini.get(ARCH, key) {
            *slot = entry.whole_number()? as f64;
        }
    }
    if let Some(entry) = ini.get(ARCH, "Bandwidth") {
        // A comma list in SCALE-Sim's USER mode; its read and write ports use the first.
        let mut words_per_cycle = None;
        for part in entry.value.split(',') {
            let words = entry.whole_number_in(part.trim())?;
            words_per_cycle.get_or_insert(words);
        }
        if let Some(words) = words_per_cycle {
            config.dram_bandwidth_gbps = words as f64 * WORD_BYTES * CLOCK_MHZ / 1000.0;
        }
    }
    let name = ini
        .get("general", "run_name")
        .map(|e| e.value.clone())
        .filter(|n| !n.is_empty());
    Ok(ArchFile {
        name,
        arch: ArchConfig::Systolic(config),
    })
}

/// Narrows a whole number to the `u32` the array dimensions use.
fn to_u32(entry: &Entry<'_>, value: u64) -> Result<u32, InputError> {
    u32::try_from(value).map_err(|_| entry.out_of_range())
}

/// One `key: value` of the file.
#[derive(Debug)]
struct Entry<'a> {
    file: &'a Path,
    section: String,
    /// The key as written.
    key: String,
    /// Stripped value; continuation lines joined with `\n`.
    value: String,
    /// 1-based line of the key.
    line: usize,
}

impl Entry<'_> {
    fn error(&self, what: String) -> InputError {
        InputError::Line {
            file: self.file.to_path_buf(),
            line: self.line,
            message: format!("[{}] {} {what}", self.section, self.key),
        }
    }

    fn out_of_range(&self) -> InputError {
        self.error(format!(
            "= {} is out of range (allowed: 1..={})",
            self.value,
            u32::MAX
        ))
    }

    /// The value as a whole number >= 1 (SCALE-Sim applies `int()`; zero sizes are useless).
    fn whole_number(&self) -> Result<u64, InputError> {
        self.whole_number_in(&self.value)
    }

    /// `text` (the value or a part of it) as a whole number >= 1.
    fn whole_number_in(&self, text: &str) -> Result<u64, InputError> {
        match text.parse::<u64>() {
            Ok(v) if v >= 1 => Ok(v),
            Ok(_) => Err(self.out_of_range()),
            Err(_) if self.value.is_empty() => {
                Err(self.error("is empty (expected a whole number)".into()))
            }
            Err(_) => Err(self.error(format!("= `{}` is not a whole number", self.value))),
        }
    }
}

/// A parsed INI file: sections in order, keys lower-cased for lookup.
struct Ini<'a> {
    file: &'a Path,
    sections: Vec<(String, Vec<(String, Entry<'a>)>)>,
}

impl<'a> Ini<'a> {
    /// Reads the file the way Python's `configparser.ConfigParser()` does (see the module docs).
    fn parse(file: &'a Path, text: &str) -> Result<Self, InputError> {
        let mut ini = Ini {
            file,
            sections: Vec::new(),
        };
        // Indentation of the last key, while indented lines may continue its value.
        let mut key_indent: Option<usize> = None;
        for (index, raw) in universal_lines(text).enumerate() {
            let line = index + 1;
            let stripped = raw.trim();
            if stripped.is_empty() || stripped.starts_with('#') || stripped.starts_with(';') {
                continue;
            }
            let indent = raw.len() - raw.trim_start().len();
            let error = |message: String| InputError::Line {
                file: file.to_path_buf(),
                line,
                message,
            };
            if key_indent.is_some_and(|k| indent > k) {
                if let Some((_, entries)) = ini.sections.last_mut() {
                    if let Some((_, entry)) = entries.last_mut() {
                        entry.value.push('\n');
                        entry.value.push_str(stripped);
                        continue;
                    }
                }
            }
            if let Some(close) = stripped.strip_prefix('[').and_then(|s| s.rfind(']')) {
                if close > 0 {
                    let name = stripped[1..1 + close].to_string();
                    if ini.sections.iter().any(|(n, _)| *n == name) {
                        return Err(error(format!("section [{name}] appears twice")));
                    }
                    ini.sections.push((name, Vec::new()));
                    key_indent = None;
                    continue;
                }
            }
            let Some((section, entries)) = ini.sections.last_mut() else {
                return Err(error(format!(
                    "`{stripped}` comes before any [section] header; SCALE-Sim's keys sit \
                     in [general] and [{ARCH}]"
                )));
            };
            let Some(split) = stripped.find([':', '=']) else {
                return Err(error(format!(
                    "[{section}] `{stripped}` is not `key: value` or `key = value`"
                )));
            };
            let key = stripped[..split].trim();
            if key.is_empty() {
                return Err(error(format!("[{section}] `{stripped}` has no key")));
            }
            let lower = key.to_lowercase();
            if entries.iter().any(|(k, _)| *k == lower) {
                return Err(error(format!(
                    "[{section}] {key} appears twice (keys ignore case)"
                )));
            }
            entries.push((
                lower,
                Entry {
                    file,
                    section: section.clone(),
                    key: key.to_string(),
                    value: stripped[split + 1..].trim().to_string(),
                    line,
                },
            ));
            key_indent = Some(indent);
        }
        for (_, entries) in &mut ini.sections {
            for (_, entry) in entries {
                entry.value = entry.value.trim().to_string();
            }
        }
        Ok(ini)
    }

    fn section(&self, name: &str) -> Option<&[(String, Entry<'a>)]> {
        self.sections
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, entries)| entries.as_slice())
    }

    /// `key` (any case) in `section`, else in `[DEFAULT]`, as configparser looks it up.
    fn get(&self, section: &str, key: &str) -> Option<&Entry<'a>> {
        let lower = key.to_lowercase();
        let find = |s: &str| {
            self.section(s)?
                .iter()
                .find(|(k, _)| *k == lower)
                .map(|(_, e)| e)
        };
        // `[DEFAULT]` fills in keys of sections that exist, it does not create them.
        self.section(section)?;
        find(section).or_else(|| find("DEFAULT"))
    }

    fn required(&self, section: &str, key: &str) -> Result<&Entry<'a>, InputError> {
        let message = if self.section(section).is_none() {
            format!("no [{section}] section (it must hold {REQUIRED})")
        } else if let Some(entry) = self.get(section, key) {
            return Ok(entry);
        } else {
            format!("[{section}] has no `{key}` (required: {REQUIRED})")
        };
        Err(InputError::Invalid {
            file: self.file.to_path_buf(),
            message,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn systolic(arch: &ArchFile) -> &SystolicConfig {
        match &arch.arch {
            ArchConfig::Systolic(c) => c,
            other => panic!("not systolic: {other:?}"),
        }
    }

    fn parse_str(text: &str) -> Result<ArchFile, InputError> {
        parse(Path::new("t.cfg"), text)
    }

    fn err(text: &str) -> String {
        match parse_str(text) {
            Ok(a) => panic!("expected an error, got {a:?}"),
            Err(e) => e.to_string(),
        }
    }

    /// The smallest config we accept, with `extra` appended to `[architecture_presets]`.
    fn minimal(extra: &str) -> String {
        format!("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 4\nDataflow: os\n{extra}")
    }

    fn assert_scale_cfg(path: &Path) {
        let text = std::fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let arch = parse(path, &text).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(arch.name.as_deref(), Some("scale_example_run_32x32_ws"));
        let c = systolic(&arch);
        assert_eq!((c.rows, c.cols, c.dataflow), (32, 32, Dataflow::Ws));
        assert_eq!(
            (c.ifmap_sram_kib, c.filter_sram_kib, c.ofmap_sram_kib),
            (64.0, 64.0, 64.0)
        );
        // 10 words/cycle * 1 byte * 1000 MHz = 10 GB/s, exactly representable.
        assert!((c.dram_bandwidth_gbps - 10.0).abs() < 1e-12);
        assert!((c.clock_mhz - 1000.0).abs() < 1e-12);
        assert_eq!(c.precision, Precision::Int8);
    }

    #[test]
    fn reads_scalesim_default_config() {
        let path =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/scalesim/inputs/scale.cfg");
        assert_scale_cfg(&path);
    }

    #[test]
    fn reads_the_shipped_copy() {
        let path: PathBuf =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs/accelerators/scale.cfg");
        assert_scale_cfg(&path);
    }

    #[test]
    fn keys_ignore_case_sections_do_not() {
        let a = parse_str("[architecture_presets]\narrayheight = 8\nARRAYWIDTH=4\ndataflow=is\n")
            .unwrap();
        assert_eq!((systolic(&a).rows, systolic(&a).cols), (8, 4));
        assert_eq!(systolic(&a).dataflow, Dataflow::Is);
        assert_eq!(a.name, None);
        let e = err("[Architecture_Presets]\nArrayHeight: 8\nArrayWidth: 4\nDataflow: os\n");
        assert_eq!(
            e,
            "t.cfg: no [architecture_presets] section (it must hold ArrayHeight, ArrayWidth, \
             Dataflow)"
        );
    }

    #[test]
    fn missing_optional_keys_take_defaults_and_bandwidth_uses_the_first_entry() {
        let a = parse_str(&minimal("Bandwidth: 20, 10\n")).unwrap();
        let c = systolic(&a);
        let d = SystolicConfig::new(8, 4, Dataflow::Os);
        assert_eq!(c.ifmap_sram_kib, d.ifmap_sram_kib);
        assert!((c.dram_bandwidth_gbps - 20.0).abs() < 1e-12);
        let a = parse_str(&minimal("")).unwrap();
        assert!((systolic(&a).dram_bandwidth_gbps - d.dram_bandwidth_gbps).abs() < 1e-12);
    }

    #[test]
    fn comments_continuations_and_default_section() {
        let text = "; SCALE-Sim\n[DEFAULT]\nBandwidth = 7\n[general]\nrun_name = r\n\
                    [architecture_presets]\n# rows\nArrayHeight: 16\nArrayWidth: 16\n\
                    Dataflow: ws\nNote: first\n    second\n";
        let a = parse_str(text).unwrap();
        assert_eq!(a.name.as_deref(), Some("r"));
        assert!((systolic(&a).dram_bandwidth_gbps - 7.0).abs() < 1e-12);
        // A continuation line makes the value two lines: not a number.
        let e =
            err("[architecture_presets]\nArrayHeight: 16\n  32\nArrayWidth: 16\nDataflow: ws\n");
        assert_eq!(
            e,
            "t.cfg: line 2: [architecture_presets] ArrayHeight = `16\n32` is not a whole number"
        );
    }

    #[test]
    fn rejects_missing_required_keys() {
        let e = err("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 4\n");
        assert_eq!(
            e,
            "t.cfg: [architecture_presets] has no `Dataflow` (required: ArrayHeight, \
             ArrayWidth, Dataflow)"
        );
        let e = err("[general]\nrun_name = x\n");
        assert!(e.contains("no [architecture_presets] section"), "{e}");
    }

    #[test]
    fn rejects_non_numeric_and_zero_values_naming_section_key_and_line() {
        let e =
            err("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 32 # cols\nDataflow: os\n");
        assert_eq!(
            e,
            "t.cfg: line 3: [architecture_presets] ArrayWidth = `32 # cols` is not a whole number"
        );
        let e = err(&minimal("IfmapSramSzkB: 64.5\n"));
        assert_eq!(
            e,
            "t.cfg: line 5: [architecture_presets] IfmapSramSzkB = `64.5` is not a whole number"
        );
        let e = err(&minimal("Bandwidth: 10,x\n"));
        assert_eq!(
            e,
            "t.cfg: line 5: [architecture_presets] Bandwidth = `10,x` is not a whole number"
        );
        let e = err("[architecture_presets]\nArrayHeight: 0\nArrayWidth: 4\nDataflow: os\n");
        assert_eq!(
            e,
            "t.cfg: line 2: [architecture_presets] ArrayHeight = 0 is out of range \
             (allowed: 1..=4294967295)"
        );
        let e =
            err("[architecture_presets]\nArrayHeight: 4294967296\nArrayWidth: 4\nDataflow: os\n");
        assert!(
            e.contains("ArrayHeight = 4294967296 is out of range"),
            "{e}"
        );
        let e = err(&minimal("OfmapSramSzkB:\n"));
        assert_eq!(
            e,
            "t.cfg: line 5: [architecture_presets] OfmapSramSzkB is empty (expected a whole number)"
        );
    }

    #[test]
    fn rejects_unknown_dataflow_listing_allowed() {
        let e = err("[architecture_presets]\nArrayHeight: 8\nArrayWidth: 4\nDataflow : WS\n");
        assert_eq!(
            e,
            "t.cfg: line 4: [architecture_presets] Dataflow = `WS` is not a dataflow \
             (allowed: os, ws, is)"
        );
    }

    #[test]
    fn rejects_malformed_ini() {
        assert_eq!(
            err("ArrayHeight: 8\n"),
            "t.cfg: line 1: `ArrayHeight: 8` comes before any [section] header; SCALE-Sim's \
             keys sit in [general] and [architecture_presets]"
        );
        assert_eq!(
            err(&minimal("Dataflow: ws\n")),
            "t.cfg: line 5: [architecture_presets] Dataflow appears twice (keys ignore case)"
        );
        assert_eq!(
            err(&minimal("ArrayHeight\n")),
            "t.cfg: line 5: [architecture_presets] `ArrayHeight` is not `key: value` or \
             `key = value`"
        );
        assert_eq!(
            err(&format!("{}[architecture_presets]\n", minimal(""))),
            "t.cfg: line 5: section [architecture_presets] appears twice"
        );
    }
}
