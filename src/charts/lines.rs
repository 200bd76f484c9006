//! Line charts of a company's series: one panel per metric, stacked on one time axis, with
//! one line per kind of period (fiscal years, halves, quarters, days), because kinds never
//! mix: a half year's revenue joined to a full year's would draw a crash that never was.

use super::{Area, Drawn, GRID, INK, MUTED, draw, padded_range, text};
use crate::error::Result;
use crate::model::{Date, Period, PeriodKind, Unit};
use crate::output::format_number;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// One metric's panel.
#[derive(Clone, Debug, PartialEq)]
pub struct LinePanel {
    pub label: String,
    pub unit: Option<Unit>,
    pub lines: Vec<Line>,
}

/// The points of one kind of period, oldest first.
#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub kind: PeriodKind,
    pub points: Vec<(Period, f64)>,
}

const PANEL_HEIGHT: u32 = 230;

/// The colour and name of each kind's line.
fn style_of(kind: PeriodKind) -> (RGBColor, &'static str) {
    match kind {
        PeriodKind::Year => (RGBColor(0x1f, 0x6f, 0xb2), "fiscal year"),
        PeriodKind::Half => (RGBColor(0x2e, 0x9e, 0x6b), "half year"),
        PeriodKind::Quarter => (RGBColor(0xc7, 0x6a, 0x12), "quarter"),
        PeriodKind::Day => (RGBColor(0x8e, 0x44, 0xad), "day"),
    }
}

/// Where a period sits on the time axis: the day it ends.
fn x_of(p: Period) -> f64 {
    p.end_date().days_since_epoch() as f64
}

/// Draws the panels as one standalone SVG document under `title`.
pub fn lines(title: &str, panels: &[LinePanel]) -> Result<String> {
    let height = 40 + PANEL_HEIGHT * panels.len().max(1) as u32;
    draw((680, height), title, |root| paint(root, title, panels))
}

fn paint(root: &Area, title: &str, panels: &[LinePanel]) -> Drawn {
    let body = root.titled(title, text(19.0, INK))?;
    // Every panel shares one time range, so a year sits at the same x in each.
    let xs = panels
        .iter()
        .flat_map(|p| &p.lines)
        .flat_map(|l| &l.points)
        .map(|(p, _)| x_of(*p));
    let Some((x0, x1)) = padded_range(xs, 0.04) else {
        body.draw_text("no points", &text(14.0, MUTED), (20, 20))?;
        return Ok(());
    };
    // A lone point gets a year either side rather than a day.
    let (x0, x1) = if x1 - x0 < 60.0 {
        (x0 - 365.0, x1 + 365.0)
    } else {
        (x0, x1)
    };
    for (panel, area) in panels
        .iter()
        .zip(body.split_evenly((panels.len().max(1), 1)))
    {
        paint_panel(&area, panel, (x0, x1))?;
    }
    Ok(())
}

fn paint_panel(area: &Area, panel: &LinePanel, (x0, x1): (f64, f64)) -> Drawn {
    let values = panel.lines.iter().flat_map(|l| &l.points).map(|(_, v)| *v);
    let unit = panel.unit;
    let y_label = move |v: &f64| format_number(*v, unit);
    let Some((y0, y1)) = padded_range(values, 0.1) else {
        area.draw_text(
            &format!("{}: no points", panel.label),
            &text(14.0, MUTED),
            (20, 20),
        )?;
        return Ok(());
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.label, text(15.0, INK))
        .margin(8)
        .margin_right(20)
        .x_label_area_size(24)
        .y_label_area_size(72)
        .build_cartesian_2d(x0..x1, y0..y1)?;
    // The time axis is labelled by year, at each 1 January, by hand: plotters' numeric
    // ticks would fall on arbitrary days.
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_labels(5)
        .y_label_formatter(&y_label)
        .label_style(text(11.0, MUTED))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE)
        .axis_style(GRID)
        .draw()?;
    let first = Date::from_days_since_epoch(x0.ceil() as i64).year;
    let last = Date::from_days_since_epoch(x1.floor() as i64).year;
    let step = ((last - first + 1) / 8).max(1);
    for year in (first..=last + 1).step_by(step as usize) {
        let Some(jan1) = Date::new(year, 1, 1) else {
            continue;
        };
        let x = jan1.days_since_epoch() as f64;
        if x < x0 || x > x1 {
            continue;
        }
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x, y0), (x, y1)],
            GRID.stroke_width(1),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            year.to_string(),
            (x, y0),
            text(11.0, MUTED).pos(Pos::new(HPos::Left, VPos::Bottom)),
        )))?;
    }
    if y0 < 0.0 && y1 > 0.0 {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(x0, 0.0), (x1, 0.0)],
            MUTED.stroke_width(1),
        )))?;
    }
    for line in &panel.lines {
        let (color, name) = style_of(line.kind);
        let pts: Vec<(f64, f64)> = line.points.iter().map(|(p, v)| (x_of(*p), *v)).collect();
        chart
            .draw_series(std::iter::once(PathElement::new(
                pts.clone(),
                color.stroke_width(2),
            )))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        chart.draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))?;
    }
    if !panel.lines.is_empty() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .label_font(text(11.0, INK))
            .background_style(WHITE.mix(0.85))
            .border_style(GRID)
            .draw()?;
    }
    Ok(())
}
