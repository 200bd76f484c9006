//! The grade distribution of a group of companies: how many have an overall A, B, C, D or E,
//! one bar each in the grade's colour.

use super::{Area, Drawn, INK, MUTED, draw, grade_color, plain_axes, text};
use crate::error::Result;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Bars of counts per grade, with a note under the title (e.g. how many have no score).
#[derive(Clone, Debug, PartialEq)]
pub struct GradeBars {
    pub title: String,
    pub note: String,
    /// (grade, companies), in the order drawn.
    pub counts: Vec<(String, usize)>,
}

/// Draws the bars as a standalone SVG document.
pub fn grade_bars(g: &GradeBars) -> Result<String> {
    draw((480, 300), &g.title, |root| paint(root, g))
}

fn paint(root: &Area, g: &GradeBars) -> Drawn {
    let titled = root.titled(&g.title, text(18.0, INK))?;
    let (sub, body) = titled.split_vertically(22);
    let (w, _) = sub.dim_in_pixel();
    sub.draw_text(
        &g.note,
        &text(13.0, MUTED).pos(Pos::new(HPos::Center, VPos::Top)),
        (w as i32 / 2, 2),
    )?;
    let n = g.counts.len().max(1) as u32;
    let top = g.counts.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    // Room above the tallest bar for its count.
    let y_max = top as f64 * 1.15 + 0.5;
    let grades: Vec<String> = g.counts.iter().map(|(name, _)| name.clone()).collect();
    let x_label = move |x: &SegmentValue<u32>| match x {
        SegmentValue::CenterOf(i) => grades.get(*i as usize).cloned().unwrap_or_default(),
        _ => String::new(),
    };
    let mut chart = ChartBuilder::on(&body)
        .margin(10)
        .x_label_area_size(26)
        .y_label_area_size(40)
        .build_cartesian_2d((0u32..n).into_segmented(), 0.0..y_max)?;
    let mut mesh = chart.configure_mesh();
    mesh.disable_x_mesh()
        .x_labels(n as usize)
        .x_label_formatter(&x_label)
        .y_labels(5)
        .y_label_formatter(&|v| format!("{v:.0}"))
        .x_desc("overall grade")
        .y_desc("companies");
    plain_axes(&mut mesh).draw()?;
    for (i, (grade, count)) in g.counts.iter().enumerate() {
        let i = i as u32;
        let color = grade_color(grade).unwrap_or(MUTED);
        let mut bar = Rectangle::new(
            [
                (SegmentValue::Exact(i), 0.0),
                (SegmentValue::Exact(i + 1), *count as f64),
            ],
            color.filled(),
        );
        bar.set_margin(0, 0, 14, 14);
        chart.draw_series(std::iter::once(bar))?;
        chart.draw_series(std::iter::once(Text::new(
            count.to_string(),
            (SegmentValue::CenterOf(i), *count as f64),
            text(12.0, INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
        )))?;
    }
    Ok(())
}
