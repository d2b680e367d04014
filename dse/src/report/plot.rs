//! front.svg, front.png, convergence.svg and compare.svg, drawn with plotters.
//!
//! Text is measured and (in PNGs) rasterised with DejaVu Sans, embedded from
//! `dse/assets/fonts/` and registered with plotters' `ab_glyph` font table, so plots come out
//! the same on machines without system fonts. SVGs name the `sans-serif` family and leave
//! glyphs to the viewer. (This needs plotters built with `ab_glyph` and without `ttf`: with
//! `ttf` on, plotters looks fonts up on the system instead.)
//!
//! Axes show objective values as reported (maximised ones marked `(max)`); an axis whose
//! positive values span more than two decades is logarithmic.

use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use plotters::coord::combinators::IntoLogRange;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{register_font, FontStyle};

use crate::error::DseError;
use crate::problem::Goal;

use super::{fmt_sig, io_error, objective_label, Analysis, REFERENCE_FACTOR};

/// DejaVu Sans 2.37 (Debian fonts-dejavu-core 2.37-6); license in the same folder.
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// Points that are infeasible (or failed).
const INFEASIBLE: RGBColor = RGBColor(190, 190, 190);
/// Feasible points off the front.
const FEASIBLE: RGBColor = RGBColor(158, 202, 225);
/// The Pareto front.
const FRONT: RGBColor = RGBColor(8, 81, 156);
/// The knee point.
const KNEE: RGBColor = RGBColor(215, 48, 39);
/// Line colours of compared searchers (ColorBrewer Dark2).
const SERIES: [RGBColor; 8] = [
    RGBColor(27, 158, 119),
    RGBColor(217, 95, 2),
    RGBColor(117, 112, 179),
    RGBColor(231, 41, 138),
    RGBColor(102, 166, 30),
    RGBColor(230, 171, 2),
    RGBColor(166, 118, 29),
    RGBColor(102, 102, 102),
];

/// Size of one scatter panel, pixels.
const PANEL: (u32, u32) = (800, 600);
/// Size of one cell of the pairwise grid, pixels.
const CELL: u32 = 380;

type PlotResult = Result<(), String>;

/// Registers the embedded font under every family name plotters uses; once per process.
pub(super) fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            // The font is compiled in, so failing to parse it is a build defect.
            assert!(
                register_font(family, FontStyle::Normal, DEJAVU_SANS).is_ok(),
                "the embedded DejaVu Sans parses"
            );
        }
    });
}

fn plot_err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Wraps a drawing failure of `path` as an I/O error naming the file.
fn drawing_error(path: &Path, message: String) -> DseError {
    io_error(path, std::io::Error::other(message))
}

/// Renders an SVG of `size` with `draw` and writes it to `path`.
fn write_svg(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> PlotResult,
) -> Result<(), DseError> {
    register_fonts();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(plot_err)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present().map_err(plot_err))
            .map_err(|m| drawing_error(path, m))?;
    }
    std::fs::write(path, svg).map_err(|e| io_error(path, e))
}

/// Renders a PNG of `size` with `draw` and writes it to `path`.
fn write_png(
    path: &Path,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> PlotResult,
) -> Result<(), DseError> {
    register_fonts();
    let root = BitMapBackend::new(path, size).into_drawing_area();
    root.fill(&WHITE)
        .map_err(plot_err)
        .and_then(|()| draw(&root))
        .and_then(|()| root.present().map_err(plot_err))
        .map_err(|m| drawing_error(path, m))
}

/// Writes front.svg.
pub(super) fn write_front_svg(path: &Path, a: &Analysis) -> Result<(), DseError> {
    write_svg(path, front_size(a), |root| draw_front(root, a))
}

/// Writes front.png.
pub(super) fn write_front_png(path: &Path, a: &Analysis) -> Result<(), DseError> {
    write_png(path, front_size(a), |root| draw_front(root, a))
}

fn front_size(a: &Analysis) -> (u32, u32) {
    let m = a.info.objectives.len();
    if m <= 2 {
        PANEL
    } else {
        let n = (m - 1) as u32;
        (CELL * n, CELL * n + 40)
    }
}

/// Coordinates of the points of one panel, by category.
#[derive(Default)]
struct Panel {
    x_label: String,
    y_label: String,
    caption: Option<String>,
    infeasible: Vec<(f64, f64)>,
    feasible: Vec<(f64, f64)>,
    /// Sorted by x.
    front: Vec<(f64, f64)>,
    knee: Option<((f64, f64), u64)>,
    /// Connect the front (2 objectives; a projection of a 3+-objective front is no curve).
    connect: bool,
    /// Draw a legend inside the panel.
    legend: bool,
    /// Whether larger is better along x and y: the ideal corner, where no point can lie
    /// beyond the front, takes the legend and the knee's label points towards it.
    x_max: bool,
    y_max: bool,
}

impl Panel {
    /// Objective `xi` against objective `yi`.
    fn new(a: &Analysis, xi: usize, yi: usize) -> Panel {
        let objectives = &a.info.objectives;
        let (xm, ym) = (&objectives[xi].metric, &objectives[yi].metric);
        let mut p = Panel {
            x_label: objective_label(&objectives[xi]),
            y_label: objective_label(&objectives[yi]),
            x_max: objectives[xi].goal == Goal::Max,
            y_max: objectives[yi].goal == Goal::Max,
            ..Panel::default()
        };
        for (i, r) in a.records.iter().enumerate() {
            let (Some(&x), Some(&y)) = (r.objectives.get(xm), r.objectives.get(ym)) else {
                continue;
            };
            if !(x.is_finite() && y.is_finite()) {
                continue;
            }
            if a.knee == Some(i) {
                p.knee = Some(((x, y), r.id));
            }
            if a.on_front(i) {
                p.front.push((x, y));
            } else if a.scores[i].is_some() {
                p.feasible.push((x, y));
            } else {
                p.infeasible.push((x, y));
            }
        }
        p.front
            .sort_by(|u, v| u.0.total_cmp(&v.0).then(u.1.total_cmp(&v.1)));
        p
    }

    fn all(&self) -> impl Iterator<Item = &(f64, f64)> {
        self.infeasible
            .iter()
            .chain(&self.feasible)
            .chain(&self.front)
    }
}

/// An axis range, linear or logarithmic.
enum Axis {
    Linear(Range<f64>),
    Log(Range<f64>),
}

impl Axis {
    /// A padded range covering `values`; logarithmic when all are positive and they span more
    /// than two decades.
    fn fit(values: impl Iterator<Item = f64>) -> Axis {
        let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
        if lo > hi {
            return Axis::Linear(0.0..1.0);
        }
        if lo > 0.0 && hi / lo > 100.0 {
            return Axis::Log(lo / 1.25..hi * 1.25);
        }
        let pad = if hi > lo {
            0.05 * (hi - lo)
        } else {
            0.1 * lo.abs().max(1e-12)
        };
        Axis::Linear(lo - pad..hi + pad)
    }
}

/// Draws the scatter (2 objectives) or the lower triangle of pairwise panels (3+).
fn draw_front<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Analysis) -> PlotResult {
    let m = a.info.objectives.len();
    let title = format!(
        "{}: Pareto front ({} of {} evaluations, {} feasible)",
        a.info.name,
        a.front.len(),
        a.records.len(),
        a.scores.iter().flatten().count()
    );
    match m {
        0 => Ok(()),
        1 => {
            // One objective: the value against the evaluation id.
            let mut p = Panel::new(a, 0, 0);
            let ids = |v: &mut Vec<(f64, f64)>, want: &dyn Fn(usize) -> bool| {
                *v = a
                    .records
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| want(i))
                    .filter_map(|(_, r)| {
                        let y = *r.objectives.get(&a.info.objectives[0].metric)?;
                        y.is_finite().then_some((r.id as f64, y))
                    })
                    .collect()
            };
            ids(&mut p.infeasible, &|i| a.scores[i].is_none());
            ids(&mut p.feasible, &|i| {
                a.scores[i].is_some() && !a.on_front(i)
            });
            ids(&mut p.front, &|i| a.on_front(i));
            p.knee = None;
            p.x_label = "evaluation id".into();
            (p.x_max, p.y_max) = (true, true);
            p.caption = Some(title);
            p.legend = true;
            draw_panel(root, &p)
        }
        2 => {
            let mut p = Panel::new(a, 0, 1);
            p.caption = Some(title);
            p.connect = true;
            p.legend = true;
            draw_panel(root, &p)
        }
        _ => {
            let area = root
                .titled(&title, ("sans-serif", 20).into_font())
                .map_err(plot_err)?;
            let cells = area.split_evenly((m - 1, m - 1));
            for row in 0..m - 1 {
                for col in 0..m - 1 {
                    let cell = &cells[row * (m - 1) + col];
                    if col <= row {
                        draw_panel(cell, &Panel::new(a, col, row + 1))?;
                    } else if row == 0 && col == m - 2 {
                        draw_legend(cell)?;
                    }
                }
            }
            Ok(())
        }
    }
}

/// Draws one panel, choosing linear or log axes from its data.
fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, p: &Panel) -> PlotResult {
    let x = Axis::fit(p.all().map(|v| v.0));
    let y = Axis::fit(p.all().map(|v| v.1));
    match (x, y) {
        (Axis::Linear(x), Axis::Linear(y)) => draw_panel_in(area, x, y, p),
        (Axis::Linear(x), Axis::Log(y)) => draw_panel_in(area, x, y.log_scale(), p),
        (Axis::Log(x), Axis::Linear(y)) => draw_panel_in(area, x.log_scale(), y, p),
        (Axis::Log(x), Axis::Log(y)) => draw_panel_in(area, x.log_scale(), y.log_scale(), p),
    }
}

fn draw_panel_in<DB, X, Y>(area: &DrawingArea<DB, Shift>, x: X, y: Y, p: &Panel) -> PlotResult
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    Y: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70);
    if let Some(caption) = &p.caption {
        builder.caption(caption, ("sans-serif", 20));
    }
    let mut chart = builder.build_cartesian_2d(x, y).map_err(plot_err)?;
    let tick = |v: &f64| fmt_sig(*v, 3);
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;

    let dot = |c: RGBColor, r: i32| move |&(x, y): &(f64, f64)| Circle::new((x, y), r, c.filled());
    if !p.infeasible.is_empty() {
        chart
            .draw_series(p.infeasible.iter().map(dot(INFEASIBLE, 3)))
            .map_err(plot_err)?
            .label("infeasible")
            .legend(|(x, y)| Circle::new((x, y), 4, INFEASIBLE.filled()));
    }
    if !p.feasible.is_empty() {
        chart
            .draw_series(p.feasible.iter().map(dot(FEASIBLE, 3)))
            .map_err(plot_err)?
            .label("feasible")
            .legend(|(x, y)| Circle::new((x, y), 4, FEASIBLE.filled()));
    }
    if !p.front.is_empty() {
        if p.connect {
            chart
                .draw_series(LineSeries::new(
                    p.front.iter().copied(),
                    FRONT.stroke_width(2),
                ))
                .map_err(plot_err)?;
        }
        chart
            .draw_series(p.front.iter().map(dot(FRONT, 5)))
            .map_err(plot_err)?
            .label("Pareto front")
            .legend(|(x, y)| Circle::new((x, y), 5, FRONT.filled()));
    }
    if let Some(((kx, ky), id)) = p.knee {
        // Pixel y grows downwards.
        let (dx, h) = if p.x_max {
            (12, HPos::Left)
        } else {
            (-12, HPos::Right)
        };
        let (dy, v) = if p.y_max {
            (-10, VPos::Bottom)
        } else {
            (10, VPos::Top)
        };
        let font = ("sans-serif", 15)
            .into_font()
            .color(&KNEE)
            .pos(Pos::new(h, v));
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((kx, ky))
                    + Circle::new((0, 0), 9, KNEE.stroke_width(3))
                    + Text::new(format!("knee #{id}"), (dx, dy), font),
            ))
            .map_err(plot_err)?
            .label("knee")
            .legend(|(x, y)| Circle::new((x, y), 5, KNEE.stroke_width(2)));
    }
    if p.legend {
        chart
            .configure_series_labels()
            .position(match (p.x_max, p.y_max) {
                (false, false) => SeriesLabelPosition::LowerLeft,
                (false, true) => SeriesLabelPosition::UpperLeft,
                (true, false) => SeriesLabelPosition::LowerRight,
                (true, true) => SeriesLabelPosition::UpperRight,
            })
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .label_font(("sans-serif", 14))
            .draw()
            .map_err(plot_err)?;
    }
    Ok(())
}

/// The key of the pairwise grid, drawn in its empty upper-right cell.
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> PlotResult {
    let font = ("sans-serif", 16).into_font();
    let entries: [(&str, ShapeStyle, i32); 4] = [
        ("infeasible", INFEASIBLE.filled(), 4),
        ("feasible", FEASIBLE.filled(), 4),
        ("Pareto front", FRONT.filled(), 5),
        ("knee (circled)", KNEE.stroke_width(3), 8),
    ];
    for (k, (label, style, r)) in entries.into_iter().enumerate() {
        let y = 60 + 32 * k as i32;
        area.draw(&Circle::new((60, y), r, style))
            .map_err(plot_err)?;
        area.draw(&Text::new(label, (80, y - 9), font.clone()))
            .map_err(plot_err)?;
    }
    Ok(())
}

/// Writes convergence.svg: normalised hypervolume after each evaluation.
pub(super) fn write_convergence_svg(path: &Path, a: &Analysis) -> Result<(), DseError> {
    write_svg(path, PANEL, |root| draw_convergence(root, a))
}

fn draw_convergence<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, a: &Analysis) -> PlotResult {
    let n = a.curve.len().max(1) as f64;
    let top = a.curve.iter().copied().fold(0.0, f64::max);
    let top = if top > 0.0 { (top * 1.1).min(1.0) } else { 1.0 };
    let bounds = match &a.bounds {
        Some(b) if b.known => "known bounds",
        _ => "observed bounds",
    };
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .caption(
            format!("{}: hypervolume vs evaluations", a.info.name),
            ("sans-serif", 20),
        )
        .build_cartesian_2d(0.0..n, 0.0..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("evaluations")
        .y_desc(format!(
            "normalised hypervolume (ref. {REFERENCE_FACTOR}, {bounds})"
        ))
        .x_label_formatter(&|v| fmt_sig(*v, 4))
        .y_label_formatter(&|v| fmt_sig(*v, 3))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    // A step line: the hypervolume holds until the next improving evaluation.
    let mut steps = vec![(0.0, 0.0)];
    for (k, hv) in a.curve.iter().enumerate() {
        let x = (k + 1) as f64;
        steps.push((x, steps.last().expect("starts non-empty").1));
        steps.push((x, *hv));
    }
    chart
        .draw_series(LineSeries::new(steps, FRONT.stroke_width(2)))
        .map_err(plot_err)?;
    Ok(())
}

/// One searcher's line in compare.svg: (evaluations, q1, median, q3) per checkpoint.
pub(super) struct CompareLine {
    pub searcher: String,
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// Writes compare.svg: median normalised hypervolume against evaluations, one line per
/// searcher, the interquartile range shaded.
pub(super) fn write_compare_svg(
    path: &Path,
    name: &str,
    lines: &[CompareLine],
) -> Result<(), DseError> {
    write_svg(path, PANEL, |root| draw_compare(root, name, lines))
}

fn draw_compare<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    name: &str,
    lines: &[CompareLine],
) -> PlotResult {
    let all = || lines.iter().flat_map(|l| &l.points);
    let x_max = all().map(|p| p.0).fold(1.0, f64::max);
    let top = all().map(|p| p.3).fold(0.0, f64::max);
    let top = if top > 0.0 { (top * 1.1).min(1.0) } else { 1.0 };
    let mut chart = ChartBuilder::on(root)
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .caption(
            format!("{name}: median hypervolume vs evaluations"),
            ("sans-serif", 20),
        )
        .build_cartesian_2d(0.0..x_max, 0.0..top)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("evaluations")
        .y_desc(format!(
            "normalised hypervolume (ref. {REFERENCE_FACTOR}; median, IQR shaded)"
        ))
        .x_label_formatter(&|v| fmt_sig(*v, 4))
        .y_label_formatter(&|v| fmt_sig(*v, 3))
        .axis_desc_style(("sans-serif", 15))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(plot_err)?;
    for (k, line) in lines.iter().enumerate() {
        let colour = SERIES[k % SERIES.len()];
        if line.points.len() > 1 {
            let band: Vec<(f64, f64)> = line
                .points
                .iter()
                .map(|p| (p.0, p.1))
                .chain(line.points.iter().rev().map(|p| (p.0, p.3)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(band, colour.mix(0.18))))
                .map_err(plot_err)?;
        }
        chart
            .draw_series(LineSeries::new(
                line.points.iter().map(|p| (p.0, p.2)),
                colour.stroke_width(2),
            ))
            .map_err(plot_err)?
            .label(line.searcher.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x - 8, y), (x + 8, y)], colour.stroke_width(2))
            });
        chart
            .draw_series(
                line.points
                    .iter()
                    .map(move |p| Circle::new((p.0, p.2), 3, colour.filled())),
            )
            .map_err(plot_err)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}
