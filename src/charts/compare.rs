//! `compare`'s chart: for each metric, each company's grade within its own peer group, as a
//! lollipop (a stem from E up to the grade, and a dot at the grade), one colour per company.
//! Grades put metrics of different units on one scale, which raw values cannot; a metric
//! without a direction (a size, a count) has no grade and is named under the chart instead.

use super::{Area, Drawn, INK, MUTED, draw, plain_axes, text};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The companies compared and, per metric, each one's grade (`None`: no value or no
/// grade), in the companies' order.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareGrades {
    pub title: String,
    pub companies: Vec<String>,
    /// (metric label, grade per company).
    pub metrics: Vec<(String, Vec<Option<char>>)>,
}

/// The company colours, in order (then again).
const PALETTE: [RGBColor; 6] = [
    RGBColor(0x1f, 0x6f, 0xb2),
    RGBColor(0xc7, 0x6a, 0x12),
    RGBColor(0x2e, 0x9e, 0x6b),
    RGBColor(0x8e, 0x44, 0xad),
    RGBColor(0xb0, 0x3a, 0x5b),
    RGBColor(0x4a, 0x55, 0x60),
];

/// The height of one metric's band, per company in it.
const ROW: u32 = 13;
const GRADES: [char; 5] = ['E', 'D', 'C', 'B', 'A'];

/// A grade's place on the axis: E is 1, A is 5.
fn level(g: char) -> Option<f64> {
    GRADES.iter().position(|&x| x == g).map(|i| i as f64 + 1.0)
}

/// The metrics drawn: those where some company has a grade.
fn graded(c: &CompareGrades) -> Vec<&(String, Vec<Option<char>>)> {
    c.metrics
        .iter()
        .filter(|(_, gs)| gs.iter().any(|g| g.and_then(level).is_some()))
        .collect()
}

/// Draws the chart as a standalone SVG document.
pub fn compare(c: &CompareGrades) -> Result<String> {
    let rows = graded(c).len().max(1) as u32;
    let band = ROW * c.companies.len().max(1) as u32 + 12;
    let height = 150 + rows * band;
    draw((680, height), &c.title, |root| paint(root, c))
}

fn paint(root: &Area, c: &CompareGrades) -> Drawn {
    let titled = root.titled(&c.title, text(18.0, INK))?;
    let (legend, rest) = titled.split_vertically(26);
    draw_legend(&legend, &c.companies)?;
    let shown = graded(c);
    let ungraded: Vec<&str> = c
        .metrics
        .iter()
        .filter(|m| !shown.contains(m))
        .map(|(name, _)| name.as_str())
        .collect();
    let (_, h) = rest.dim_in_pixel();
    let (body, foot) = rest.split_vertically(h.saturating_sub(24));
    if !ungraded.is_empty() {
        foot.draw_text(
            &format!(
                "no grade (no direction or no value): {}",
                ungraded.join(", ")
            ),
            &text(12.0, MUTED),
            (12, 4),
        )?;
    }
    let m = shown.len().max(1) as f64;
    let names: Vec<String> = shown.iter().map(|(n, _)| n.clone()).collect();
    // Metric i's band spans y in (m - i - 1, m - i]: the first metric at the top.
    let y_label = move |y: &f64| {
        let i = m - y.ceil();
        match (y.fract().abs() - 0.5).abs() < 1e-6 && i >= 0.0 {
            true => names.get(i as usize).cloned().unwrap_or_default(),
            false => String::new(),
        }
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(12)
        .x_label_area_size(34)
        .y_label_area_size(150)
        .build_cartesian_2d(0.5..5.5, 0.0..m)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_y_mesh()
        .x_labels(5)
        .x_label_formatter(&|x: &f64| {
            let i = x.round() as usize;
            match (1..=5).contains(&i) && (x - x.round()).abs() < 1e-6 {
                true => GRADES[i - 1].to_string(),
                false => String::new(),
            }
        })
        .y_labels(2 * shown.len().max(1) + 1)
        .y_label_formatter(&y_label)
        .x_desc("grade within the company's peer group");
    plain_axes(&mut mesh).draw()?;
    let n = c.companies.len().max(1) as f64;
    for (i, (_, grades)) in shown.iter().enumerate() {
        let top = m - i as f64;
        for (k, g) in grades.iter().enumerate() {
            let Some(x) = g.and_then(level) else { continue };
            // Companies side by side within the band, first at the top.
            let y = top - (k as f64 + 1.0) / (n + 1.0);
            let color = PALETTE[k % PALETTE.len()];
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(0.5, y), (x, y)],
                color.stroke_width(3),
            )))?;
            chart.draw_series(std::iter::once(Circle::new((x, y), 5, color.filled())))?;
        }
    }
    Ok(())
}

/// The companies' colours, in a row under the title (squares, so that the chart's only
/// circles are its data points).
fn draw_legend(area: &Area, companies: &[String]) -> Drawn {
    let mut x = 16;
    for (k, name) in companies.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        area.draw(&Rectangle::new([(x, 8), (x + 12, 20)], color.filled()))?;
        area.draw_text(
            name,
            &text(13.0, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            (x + 17, 14),
        )?;
        x += 30 + 8 * name.chars().count() as i32;
    }
    Ok(())
}
