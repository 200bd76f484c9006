//! Charts as standalone SVG documents, drawn with plotters' SVG backend into a `String`: the
//! scorecard's radar, the valuation band, line charts of a company's series, the grade
//! distribution of an industry and `compare`'s grades side by side. The web pages inline
//! them and `--format svg` prints them, so both show the same picture.
//!
//! Each chart takes plain data ([`Radar`], [`Band`], [`LinePanel`], [`GradeBars`],
//! [`CompareGrades`]); [`read`] builds that data from the tables statements return, by
//! column name, so a new column in a result never breaks a chart. Data points, and only data points, are drawn as
//! `<circle>` elements: a reader (or a test) counts a chart's points by counting circles.

mod band;
mod bars;
mod compare;
mod lines;
mod radar;
pub mod read;

pub use band::{Band, BandRow, band};
pub use bars::{GradeBars, grade_bars};
pub use compare::{CompareGrades, compare};
pub use lines::{Line, LinePanel, lines};
pub use radar::{Radar, RadarAxis, radar};

use crate::error::{Error, Result};
use crate::output::escape_markup;
use plotters::coord::Shift;
use plotters::prelude::*;

/// What a drawing step returns: plotters' errors, boxed, until [`draw`] turns them into
/// finq's.
type Drawn = std::result::Result<(), Box<dyn std::error::Error>>;

/// The area a chart draws on.
type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The one font family of every chart: the viewer's sans-serif. The SVG backend writes text
/// as `<text>` elements, so the browser lays it out; plotters only estimates widths.
const FONT: &str = "sans-serif";

/// Ink for text and axes.
const INK: RGBColor = RGBColor(0x22, 0x2a, 0x33);
/// Secondary text and guides.
const MUTED: RGBColor = RGBColor(0x6b, 0x74, 0x80);
/// Grid lines and rings.
const GRID: RGBColor = RGBColor(0xd5, 0xd9, 0xde);
/// The company's own marks.
const ACCENT: RGBColor = RGBColor(0x1f, 0x6f, 0xb2);

/// The colour of a grade, as the terminal paints it: A green through E red.
pub fn grade_color(grade: &str) -> Option<RGBColor> {
    Some(match grade {
        "A" => RGBColor(0x1a, 0x98, 0x50),
        "B" => RGBColor(0x7c, 0xb8, 0x3e),
        "C" => RGBColor(0xd9, 0xa4, 0x00),
        "D" => RGBColor(0xf0, 0x7c, 0x2e),
        "E" => RGBColor(0xd7, 0x30, 0x27),
        _ => return None,
    })
}

/// Draws a chart of `size` pixels and returns the SVG document, with `title` also as its
/// `<title>` element (what screen readers and tooltips show).
fn draw(size: (u32, u32), title: &str, paint: impl FnOnce(&Area) -> Drawn) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| e.into())
            .and_then(|_| paint(&root))
            .and_then(|_| root.present().map_err(|e| e.into()))
            .map_err(|e| Error::Data(format!("cannot draw the chart '{title}': {e}")))?;
    }
    Ok(with_title(svg, title))
}

/// Puts a `<title>` first inside the root `<svg>` element, and marks the chart as an image.
fn with_title(svg: String, title: &str) -> String {
    match svg.find('>') {
        Some(end) if svg.starts_with("<svg") => format!(
            "{} role=\"img\"><title>{}</title>{}",
            &svg[..end],
            escape_markup(title),
            &svg[end + 1..]
        ),
        _ => svg,
    }
}

/// A text style of the charts' font, `size` pixels high.
fn text(size: f64, color: RGBColor) -> TextStyle<'static> {
    // Built whole: the `color` builder ties the style's lifetime to the colour's borrow.
    // The SVG backend writes a font size of size / 1.24 (its fonts' em box), so this asks
    // for that much more.
    TextStyle {
        font: (FONT, size * 1.24).into_font(),
        color: color.to_backend_color(),
        pos: Default::default(),
    }
}

/// The axes' look shared by the bar charts: small ink labels, muted descriptions, light
/// grid lines and no minor ones.
fn plain_axes<'m, 'a, 'b, X, Y, DB>(
    m: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    m.label_style(text(12.0, INK))
        .axis_desc_style(text(12.0, MUTED))
        .bold_line_style(GRID.stroke_width(1))
        .light_line_style(WHITE)
        .axis_style(GRID)
}

/// The range a value axis spans: the values with some room either side, never empty (a
/// single value, or equal ones, get a tenth of their size, or 1, either side).
fn padded_range(values: impl IntoIterator<Item = f64>, room: f64) -> Option<(f64, f64)> {
    let (lo, hi) =
        values
            .into_iter()
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<(f64, f64)>, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })?;
    let pad = if hi - lo > f64::EPSILON * hi.abs().max(1.0) {
        (hi - lo) * room
    } else if lo.abs() > 0.0 {
        lo.abs() * 0.1
    } else {
        1.0
    };
    Some((lo - pad, hi + pad))
}

#[cfg(test)]
mod tests;
