//! Markdown tables found by their rule rows, one-line pages included ([`tables`]), and the
//! values their cells hold (numbers, ranks, grades, links).

use super::front::squash;
use super::{INDICATORS, compact, lookup};
use crate::model::number::parse_number;

/// A table: its header cells and its complete rows, cells trimmed.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Table {
    pub(super) header: Vec<String>,
    pub(super) rows: Vec<Vec<String>>,
}

impl Table {
    /// The column whose header, in compact form, satisfies `test`.
    pub(super) fn column(&self, test: impl Fn(&str) -> bool) -> Option<usize> {
        self.header.iter().position(|h| test(&compact(h)))
    }
}

/// A cell of a table's rule row: dashes, maybe colons for alignment. Three dashes at least,
/// so a `-` or `--` that stands for a missing value is never taken for one.
fn is_rule_cell(cell: &str) -> bool {
    let t = cell.trim();
    t.bytes().filter(|&b| b == b'-').count() >= 3 && t.bytes().all(|b| b == b'-' || b == b':')
}

/// Every table of the text, and whether the text ends inside a row (that row is dropped).
///
/// A table is found by its rule row (`|---|---|`), which must open a row: only whitespace
/// lies between it and the header row's closing pipe. The rule's cell count `n` is the
/// table's width: the header is the `n` cells before it, and rows follow, each `n` cells,
/// separated by nothing but whitespace. That width is what splits a one-line table, where
/// an empty cell and the gap between two rows both look like `| |`. Rows a line break ends
/// early (a row without its last pipe, or with fewer cells) are kept as they are; a row the
/// text ends inside is not.
pub(super) fn tables(text: &str) -> (Vec<Table>, bool) {
    let pipes: Vec<usize> = text.match_indices('|').map(|(i, _)| i).collect();
    // The text between pipe k and pipe k + 1. Pipes are ASCII, so these are char boundaries.
    let cell = |k: usize| -> Option<&str> { text.get(pipes.get(k)? + 1..*pipes.get(k + 1)?) };

    // (index of the rule's first pipe, width)
    let mut rules = Vec::new();
    let mut k = 1;
    while k + 1 < pipes.len() {
        let opens_row = cell(k - 1).is_some_and(|c| c.trim().is_empty());
        if opens_row && cell(k).is_some_and(is_rule_cell) {
            let mut n = 0;
            while cell(k + n).is_some_and(is_rule_cell) {
                n += 1;
            }
            rules.push((k, n));
            k += n;
        } else {
            k += 1;
        }
    }
    let header_start = |&(k, n): &(usize, usize)| k.saturating_sub(1 + n);

    let mut out = Vec::new();
    let mut cut = false;
    for (t, rule) in rules.iter().enumerate() {
        let (k, n) = *rule;
        let header = (header_start(rule)..k - 1)
            .filter_map(cell)
            .map(|c| c.rsplit('\n').next().unwrap_or(c).trim().to_string())
            .collect();
        // Rows stop where the next table's header begins.
        let limit = rules.get(t + 1).map_or(pipes.len(), header_start);
        let mut rows = Vec::new();
        let mut open = match cell(k + n) {
            Some(gap) if gap.trim().is_empty() => k + n + 1,
            _ => usize::MAX,
        };
        'rows: while open < limit && open < pipes.len() {
            let mut cells: Vec<String> = Vec::new();
            let mut j = open;
            let next = loop {
                if j >= limit {
                    break 'rows;
                }
                let Some(c) = cell(j) else {
                    // The row's last cell has no closing pipe: a row written without it ends
                    // at a line break, otherwise the text ends inside the row.
                    let tail = pipes.get(j).and_then(|&p| text.get(p + 1..)).unwrap_or("");
                    match tail.find('\n') {
                        Some(nl) => {
                            push_cell(&mut cells, &tail[..nl]);
                            rows.push(cells);
                        }
                        None => cut = true,
                    }
                    break 'rows;
                };
                if let Some(nl) = c.find('\n') {
                    push_cell(&mut cells, &c[..nl]);
                    rows.push(cells);
                    if c[nl..].trim().is_empty() {
                        break j + 1;
                    }
                    break 'rows;
                }
                cells.push(c.trim().to_string());
                j += 1;
                if cells.len() == n {
                    rows.push(cells);
                    match cell(j) {
                        Some(gap) if gap.trim().is_empty() => break j + 1,
                        Some(_) => match past_extra_cells(text, &pipes, j) {
                            Some(next) => break next,
                            None => break 'rows,
                        },
                        None => break 'rows,
                    }
                }
            };
            open = next;
        }
        out.push(Table { header, rows });
    }
    (out, cut)
}

fn push_cell(cells: &mut Vec<String>, text: &str) {
    let t = text.trim();
    if !t.is_empty() {
        cells.push(t.to_string());
    }
}

/// A row with more cells than its table, on a page with line breaks: the opening pipe of
/// the next line's row, when the rest of this line is nothing but more cells.
fn past_extra_cells(text: &str, pipes: &[usize], closing: usize) -> Option<usize> {
    let from = *pipes.get(closing)?;
    let line_end = from + text.get(from..)?.find('\n')?;
    let last = pipes.partition_point(|&p| p < line_end).checked_sub(1)?;
    if last <= closing || !text.get(pipes[last] + 1..line_end)?.trim().is_empty() {
        return None;
    }
    // The next row must open right after the line break.
    let gap = text.get(pipes[last] + 1..*pipes.get(last + 1)?)?;
    gap.trim().is_empty().then_some(last + 1)
}

/// Whether a table holds indicator rows (a sign the page is a quote page).
pub(super) fn has_indicator_rows(t: &Table) -> bool {
    t.rows
        .iter()
        .any(|r| r.len() >= 2 && r.first().is_some_and(|l| lookup(INDICATORS, l).is_some()))
}

// ---------------------------------------------------------------------------------------
// Values in cells.

/// A number cell; `-`, `undefined` and empty cells are missing.
pub(super) fn number(cell: &str) -> Option<f64> {
    parse_number(cell.trim().trim_matches('*'))
}

/// `20 / 32` or `23/32`: the rank and, when given, the group's size.
pub(super) fn rank(cell: &str) -> Option<(f64, Option<f64>)> {
    let whole = |s: &str| {
        let s = s.trim().trim_matches('*').trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<f64>().ok())
            .flatten()
    };
    match cell.split_once('/') {
        Some((k, n)) => Some((whole(k)?, whole(n))),
        None => Some((whole(cell)?, None)),
    }
}

/// A published grade: one letter A–E, maybe with `+` or `-`.
pub(super) fn grade(cell: &str) -> Option<String> {
    let t = cell.trim().trim_matches('*').trim();
    let mut chars = t.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let rest = chars.as_str();
    (('A'..='E').contains(&letter) && (rest.is_empty() || rest == "+" || rest == "-"))
        .then(|| format!("{letter}{rest}"))
}

/// A text cell worth keeping: not empty and not a placeholder.
pub(super) fn text_cell(cell: &str) -> Option<String> {
    let t = squash(cell.trim_matches('*'));
    let placeholder =
        ["", "-", "--", "undefined", "null", "n/a"].contains(&t.to_lowercase().as_str());
    (!placeholder).then_some(t)
}

/// `[www.ksyun.com](https://www.ksyun.com)` → the link's target; other text as it is.
pub(super) fn link_target(cell: &str) -> String {
    let t = cell.trim();
    if let Some(inner) = t.strip_prefix('[')
        && let Some(mid) = inner.find("](")
        && let Some(target) = inner[mid + 2..].strip_suffix(')')
        && !target.trim().is_empty()
    {
        return target.trim().to_string();
    }
    squash(t)
}
