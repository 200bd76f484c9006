//! The scorecard's radar: one spoke per dimension, rings at the grade thresholds (0.2, 0.4,
//! 0.6, 0.8, 1.0), the company's dimension scores joined into a polygon with a point on
//! each spoke that has a score.

use super::{ACCENT, Area, Drawn, GRID, INK, MUTED, draw, grade_color, text};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::f64::consts::{FRAC_PI_2, TAU};

/// A radar chart: a title, a line under it, and the spokes.
#[derive(Clone, Debug, PartialEq)]
pub struct Radar {
    pub title: String,
    pub subtitle: String,
    pub axes: Vec<RadarAxis>,
}

/// One spoke: a dimension, its score in [0, 1] (missing when none of its indicators has a
/// value) and its grade.
#[derive(Clone, Debug, PartialEq)]
pub struct RadarAxis {
    pub label: String,
    pub value: Option<f64>,
    pub grade: Option<String>,
}

/// The grade zones between the rings, innermost first.
const ZONES: [&str; 5] = ["E", "D", "C", "B", "A"];

/// Draws the radar as a standalone SVG document.
pub fn radar(r: &Radar) -> Result<String> {
    draw((480, 440), &r.title, |root| paint(root, r))
}

fn paint(root: &Area, r: &Radar) -> Drawn {
    let titled = root.titled(&r.title, text(19.0, INK))?;
    let (sub, body) = titled.split_vertically(24);
    let (w, _) = sub.dim_in_pixel();
    sub.draw_text(
        &r.subtitle,
        &text(14.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
        (w as i32 / 2, 2),
    )?;
    let (w, h) = body.dim_in_pixel();
    // Equal scales on both axes keep the rings regular: the x range decides, y follows.
    let half_w = 1.6;
    let half_h = half_w * f64::from(h.max(1)) / f64::from(w.max(1));
    let mut chart = ChartBuilder::on(&body)
        .margin(4)
        .margin_top(22)
        .build_cartesian_2d(-half_w..half_w, -half_h..half_h)?;
    let unit_px = f64::from(w) / (2.0 * half_w);
    let n = r.axes.len().max(1);
    // Spoke i points up for i = 0 and the others follow clockwise, as quote sites draw it.
    let at = |i: usize, radius: f64| {
        let angle = FRAC_PI_2 - TAU * i as f64 / n as f64;
        (radius * angle.cos(), radius * angle.sin())
    };
    for ring in [0.2, 0.4, 0.6, 0.8, 1.0] {
        let outline: Vec<(f64, f64)> = (0..=n).map(|i| at(i % n, ring)).collect();
        chart.draw_series(std::iter::once(PathElement::new(
            outline,
            GRID.stroke_width(1),
        )))?;
    }
    for (k, zone) in ZONES.iter().enumerate() {
        // Each zone's letter sits just right of the upward spoke, halfway between its rings.
        let y = 0.1 + 0.2 * k as f64;
        chart.draw_series(std::iter::once(Text::new(
            zone.to_string(),
            (6.0 / unit_px, y),
            text(11.0, MUTED).pos(Pos::new(HPos::Left, VPos::Center)),
        )))?;
    }
    for (i, axis) in r.axes.iter().enumerate() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(0.0, 0.0), at(i, 1.0)],
            GRID.stroke_width(1),
        )))?;
        let (x, y) = at(i, 1.14);
        let h = if x > 0.2 {
            HPos::Left
        } else if x < -0.2 {
            HPos::Right
        } else {
            HPos::Center
        };
        let v = if y > 0.2 {
            VPos::Bottom
        } else if y < -0.2 {
            VPos::Top
        } else {
            VPos::Center
        };
        let detail = match (&axis.grade, axis.value) {
            (Some(g), Some(s)) => format!("{g} · {s:.2}"),
            _ => "n.a.".to_string(),
        };
        let color = axis.grade.as_deref().and_then(grade_color).unwrap_or(MUTED);
        // The name and, a line further out, the grade and score.
        let line = 16.0 / unit_px;
        let (name_y, detail_y) = match v {
            VPos::Bottom => (y + line, y),
            VPos::Top => (y, y - line),
            VPos::Center => (y + line / 2.0, y - line / 2.0),
        };
        chart.draw_series(std::iter::once(Text::new(
            axis.label.clone(),
            (x, name_y),
            text(14.0, INK).pos(Pos::new(h, v)),
        )))?;
        chart.draw_series(std::iter::once(Text::new(
            detail,
            (x, detail_y),
            text(13.0, color).pos(Pos::new(h, v)),
        )))?;
    }
    // A dimension without a score has no point; the polygon joins the ones that do.
    let points: Vec<(f64, f64)> = r
        .axes
        .iter()
        .enumerate()
        .filter_map(|(i, a)| a.value.map(|v| at(i, v.clamp(0.0, 1.0))))
        .collect();
    if points.len() >= 3 {
        chart.draw_series(std::iter::once(Polygon::new(
            points.clone(),
            ACCENT.mix(0.22).filled(),
        )))?;
    }
    if points.len() >= 2 {
        let mut outline = points.clone();
        outline.push(points[0]);
        chart.draw_series(std::iter::once(PathElement::new(
            outline,
            ACCENT.stroke_width(2),
        )))?;
    }
    chart.draw_series(points.iter().map(|p| Circle::new(*p, 4, ACCENT.filled())))?;
    Ok(())
}
