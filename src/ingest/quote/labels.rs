//! Labelled lines outside tables (`Overall:`, `**Style**:`, `Updated:`), the overview
//! paragraph and the page's date.

use super::front::{at_token_start, squash};
use super::page::Page;
use super::tables::{grade, number};
use crate::model::Date;
use std::collections::BTreeMap;

/// The text after each `label` that starts a token and is followed by a colon, in any of
/// the forms `Label:`, `**Label**:` and `**Label:**`. `lower` is `text` lower-cased.
pub(super) fn labelled<'t>(
    text: &'t str,
    lower: &'t str,
    label: &'t str,
) -> impl Iterator<Item = &'t str> {
    lower.match_indices(label).filter_map(move |(i, _)| {
        let starts = lower[..i]
            .chars()
            .next_back()
            .is_none_or(|c| c.is_whitespace() || "*-|>#".contains(c));
        let rest = &lower[i + label.len()..];
        let skip = if rest.starts_with("**:") || rest.starts_with(":**") {
            3
        } else if rest.starts_with(':') {
            1
        } else {
            return None;
        };
        if !starts {
            return None;
        }
        text.get(i + label.len() + skip..)
    })
}

/// The text after the first such label.
pub(super) fn after_label<'t>(text: &'t str, lower: &'t str, label: &'t str) -> Option<&'t str> {
    labelled(text, lower, label).next()
}

/// The first word of a labelled value (`Growth - Stocks whose ...` → `Growth`), when the
/// page does not end inside it.
pub(super) fn first_word(value: &str) -> Option<String> {
    let v = value.trim_start_matches(|c: char| c.is_whitespace() || c == '*');
    let end = v.find(|c: char| c.is_whitespace() || c == '*')?;
    let word = v[..end].trim_end_matches([',', ';', '.']);
    (!word.is_empty() && word != "-").then(|| word.to_string())
}

/// `**Overall: C (0.55)**` → the grade and the score. Without its closing parenthesis the
/// score may be cut short, so it is left out.
pub(super) fn overall(text: &str, lower: &str) -> Option<(String, Option<f64>)> {
    for v in labelled(text, lower, "overall") {
        let v = v.trim_start_matches(|c: char| c.is_whitespace() || c == '*');
        let end = v
            .find(|c: char| !(c.is_ascii_alphabetic() || c == '+' || c == '-'))
            .unwrap_or(v.len());
        let Some(g) = grade(&v[..end]) else { continue };
        if end == v.len() {
            // The page ends right after the letter, which may be the start of a word.
            return None;
        }
        let score = v[end..]
            .trim_start()
            .strip_prefix('(')
            .and_then(|s| s.find(')').map(|close| &s[..close]))
            .and_then(number);
        return Some((g, score));
    }
    None
}

/// The grade of a `Financial Score: C` heading (the name may carry more words or a ™).
pub(super) fn score_heading(lower: &str) -> Option<Option<String>> {
    for (i, _) in lower.match_indices("score") {
        let mut from = i.saturating_sub(30);
        while !lower.is_char_boundary(from) {
            from -= 1;
        }
        if !lower[from..i].contains("financial") {
            continue;
        }
        let rest = lower[i + 5..].trim_start_matches(['™', '*', ' ']);
        let g = rest
            .strip_prefix(':')
            .map(|r| r.trim_start_matches([' ', '*']))
            .and_then(|r| {
                let end = r.find(|c: char| !c.is_ascii_alphanumeric())?;
                grade(&r[..end])
            });
        return Some(g);
    }
    None
}

/// The overview paragraph: the text after a heading that names an overview, up to the
/// next table, heading or blank line. A paragraph the page ends inside is left out.
pub(super) fn overview(text: &str, lower: &str) -> Option<String> {
    for (i, _) in lower.match_indices("overview") {
        let line_start = lower[..i].rfind('\n').map_or(0, |p| p + 1);
        let Some(hash) = lower[line_start..i].rfind('#').map(|h| line_start + h) else {
            continue;
        };
        let words = &lower[hash + 1..i];
        let marker = lower[..=hash].trim_end_matches('#').len();
        if !at_token_start(lower, marker)
            || words.len() > 60
            || words.contains(['|', '*', '>', '[', ']', '('])
        {
            continue;
        }
        let mut start = i + "overview".len();
        let rest = &text[start..];
        // A page with line breaks ends the heading at its line's end; a one-line page right
        // after the word.
        if let Some(nl) = rest.find('\n')
            && nl <= 80
        {
            start += nl;
        }
        let body = text[start..].trim_start_matches([':', '*']);
        let body_start = text.len() - body.len();
        let (end, complete) = paragraph_end(text, body_start);
        let p = squash(&text[body_start..end]);
        if complete && !p.is_empty() {
            return Some(p);
        }
        return None;
    }
    None
}

/// Where a paragraph starting at `start` ends (blank line, table or heading; fences are cut
/// out before, each leaving a line break), and
/// whether it ended there rather than at the end of a cut-off page.
fn paragraph_end(text: &str, start: usize) -> (usize, bool) {
    let b = text.as_bytes();
    let mut i = start;
    let mut seen = false;
    while i < b.len() {
        let c = b[i];
        if c == b'\n'
            && seen
            && text[i + 1..]
                .trim_start_matches([' ', '\t'])
                .starts_with('\n')
        {
            return (i, true);
        }
        if seen && i > 0 && b[i - 1].is_ascii_whitespace() {
            let rest = &text[i..];
            let heading = rest.trim_start_matches('#').starts_with(' ') && rest.starts_with('#');
            if c == b'|' || heading {
                return (i, true);
            }
        }
        if !c.is_ascii_whitespace() {
            seen = true;
        }
        i += 1;
    }
    // A page that ends at a line break ends after a whole paragraph.
    (b.len(), text.ends_with('\n'))
}

/// The page's date: front matter `datetime`, else the score's `Updated:` date.
pub(super) fn page_date(
    front: &BTreeMap<String, String>,
    text: &str,
    lower: &str,
    page: &mut Page,
) -> Option<Date> {
    let day = |s: &str| s.trim().get(..10).and_then(Date::parse);
    if let Some(d) = front.get("datetime").and_then(|s| day(s)) {
        return Some(d);
    }
    let updated = after_label(text, lower, "updated").and_then(|v| {
        let v = v.trim_start_matches(|c: char| c.is_whitespace() || c == '*');
        day(v)
    });
    match updated {
        Some(d) => {
            page.warn(format!(
                "the page has no front-matter datetime; its values are dated {d}, the score's Updated date"
            ));
            Some(d)
        }
        None if page.has_points() => {
            page.warn(
                "the page has no date (front-matter datetime); its values are not imported"
                    .to_string(),
            );
            None
        }
        None => None,
    }
}
