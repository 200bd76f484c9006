//! The valuation band: one row per multiple, each on its own scale (a P/E of 35 and a yield
//! of 0.35% share no axis), showing the low–high range of the company's own history as a
//! bar, the median as a tick and the current value as a point.

use super::{ACCENT, Area, Drawn, GRID, INK, MUTED, draw, padded_range, text};
use crate::error::Result;
use crate::model::Unit;
use crate::output::format_number;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// A band chart: title, a line under it, one row per multiple.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub title: String,
    pub subtitle: String,
    pub rows: Vec<BandRow>,
}

/// One multiple: its current value against the low, median and high of its history, and a
/// note shown under its name (the industry ranking, or that the band was published).
#[derive(Clone, Debug, PartialEq)]
pub struct BandRow {
    pub label: String,
    pub unit: Option<Unit>,
    pub current: Option<f64>,
    pub low: Option<f64>,
    pub median: Option<f64>,
    pub high: Option<f64>,
    pub note: String,
}

const ROW_HEIGHT: u32 = 70;
const LABEL_WIDTH: u32 = 170;
const BAND: RGBColor = RGBColor(0x9e, 0xc5, 0xe6);

/// Draws the band chart as a standalone SVG document.
pub fn band(b: &Band) -> Result<String> {
    let height = 80 + ROW_HEIGHT * b.rows.len().max(1) as u32 + 30;
    draw((680, height), &b.title, |root| paint(root, b))
}

fn paint(root: &Area, b: &Band) -> Drawn {
    let titled = root.titled(&b.title, text(19.0, INK))?;
    let (sub, rest) = titled.split_vertically(26);
    let (w, _) = sub.dim_in_pixel();
    sub.draw_text(
        &b.subtitle,
        &text(14.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
        (w as i32 / 2, 2),
    )?;
    let (_, h) = rest.dim_in_pixel();
    let (rows_area, legend) = rest.split_vertically(h.saturating_sub(30));
    if b.rows.is_empty() {
        rows_area.draw_text(
            "no valuation multiples",
            &text(14.0, MUTED),
            (LABEL_WIDTH as i32, 20),
        )?;
    }
    for (row, area) in b
        .rows
        .iter()
        .zip(rows_area.split_evenly((b.rows.len().max(1), 1)))
    {
        paint_row(&area, row)?;
    }
    paint_legend(&legend)
}

fn paint_row(area: &Area, row: &BandRow) -> Drawn {
    let (label, plot) = area.split_horizontally(LABEL_WIDTH);
    label.draw_text(&row.label, &text(15.0, INK), (8, 14))?;
    label.draw_text(&row.note, &text(12.0, MUTED), (8, 36))?;
    let values = [row.low, row.median, row.high, row.current];
    let Some((lo, hi)) = padded_range(values.iter().flatten().copied(), 0.12) else {
        plot.draw_text("no value", &text(13.0, MUTED), (10, 22))?;
        return Ok(());
    };
    let unit = row.unit;
    let label_of = move |v: &f64| format_number(*v, unit);
    let mut chart = ChartBuilder::on(&plot)
        .margin_right(24)
        .margin_top(6)
        .x_label_area_size(22)
        .build_cartesian_2d(lo..hi, -1.0..1.0)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_labels(5)
        .x_label_formatter(&label_of)
        .x_label_style(text(11.0, MUTED))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE)
        .axis_style(GRID)
        .draw()?;
    if let (Some(low), Some(high)) = (row.low, row.high) {
        chart.draw_series(std::iter::once(Rectangle::new(
            [(low, -0.38), (high, 0.38)],
            BAND.mix(0.8).filled(),
        )))?;
    }
    if let Some(m) = row.median {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(m, -0.6), (m, 0.6)],
            INK.stroke_width(2),
        )))?;
    }
    if let Some(c) = row.current {
        chart.draw_series(std::iter::once(Circle::new((c, 0.0), 6, ACCENT.filled())))?;
        chart.draw_series(std::iter::once(Text::new(
            format_number(c, unit),
            (c, 0.45),
            text(12.0, ACCENT).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    Ok(())
}

/// What the marks mean, in words and glyphs (no circle: circles are data points).
fn paint_legend(area: &Area) -> Drawn {
    let y = 10;
    area.draw(&Rectangle::new(
        [
            (LABEL_WIDTH as i32, y - 5),
            (LABEL_WIDTH as i32 + 24, y + 5),
        ],
        BAND.mix(0.8).filled(),
    ))?;
    area.draw_text(
        "low – high of its own history",
        &text(12.0, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
        (LABEL_WIDTH as i32 + 30, y),
    )?;
    area.draw_text(
        "│ median",
        &text(12.0, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        (LABEL_WIDTH as i32 + 230, y),
    )?;
    area.draw_text(
        "● current",
        &text(12.0, ACCENT).pos(Pos::new(HPos::Left, VPos::Center)),
        (LABEL_WIDTH as i32 + 320, y),
    )?;
    Ok(())
}
