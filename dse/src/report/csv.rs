//! points.csv and front.csv.
//!
//! Columns: `id`, one per dimension (in [`RunInfo::dims`] order, named by key path), one per
//! objective (reported value, named by metric), one per constraint (`constraint:<name>`, the
//! value where `<= 0` is satisfied), `feasible`, `cached`, `error`; front.csv adds `knee`.
//! A missing value is an empty cell; numbers are written in full (shortest round-trip form).
//!
//! [`RunInfo::dims`]: crate::record::RunInfo::dims

use std::path::Path;

use crate::error::DseError;
use crate::record::Record;

use super::{io_error, Analysis};

/// Writes every record, by id.
pub(super) fn write_points(path: &Path, a: &Analysis) -> Result<(), DseError> {
    write(path, a, &(0..a.records.len()).collect::<Vec<_>>(), false)
}

/// Writes the Pareto front, by first objective, with a `knee` column.
pub(super) fn write_front(path: &Path, a: &Analysis) -> Result<(), DseError> {
    write(path, a, &a.front, true)
}

fn write(path: &Path, a: &Analysis, rows: &[usize], knee: bool) -> Result<(), DseError> {
    let to_io = |e: csv::Error| io_error(path, e.into());
    let mut w = csv::Writer::from_path(path).map_err(to_io)?;
    let mut header = header(a);
    if knee {
        header.push("knee".into());
    }
    w.write_record(&header).map_err(to_io)?;
    for &i in rows {
        let mut row = cells(a, a.records[i]);
        if knee {
            row.push((a.knee == Some(i)).to_string());
        }
        w.write_record(&row).map_err(to_io)?;
    }
    w.flush().map_err(|e| io_error(path, e))
}

/// Column names shared by both files.
fn header(a: &Analysis) -> Vec<String> {
    let info = a.info;
    let mut h = vec!["id".to_string()];
    h.extend(info.dims.iter().cloned());
    h.extend(info.objectives.iter().map(|o| o.metric.clone()));
    h.extend(info.constraints.iter().map(|c| format!("constraint:{c}")));
    h.extend(["feasible", "cached", "error"].map(String::from));
    h
}

/// One record's cells, in [`header`] order.
fn cells(a: &Analysis, r: &Record) -> Vec<String> {
    let info = a.info;
    let number = |v: Option<&f64>| v.map(f64::to_string).unwrap_or_default();
    let mut row = vec![r.id.to_string()];
    row.extend(
        info.dims
            .iter()
            .map(|d| r.point.get(d).map(ToString::to_string).unwrap_or_default()),
    );
    row.extend(
        info.objectives
            .iter()
            .map(|o| number(r.objectives.get(&o.metric))),
    );
    row.extend(
        info.constraints
            .iter()
            .map(|c| number(r.constraints.get(c))),
    );
    row.push(r.feasible.to_string());
    row.push(r.cached.to_string());
    row.push(r.error.clone().unwrap_or_default());
    row
}
