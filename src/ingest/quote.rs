//! Quote-page imports: markdown stock-quote pages, with or without line breaks, read by label.
//!
//! The layout is that of the quote pages in `shared/seeds` (DATA_FORMATS.md "Quote pages"),
//! and one page becomes one [`WriteSet`], so the caller applies it whole or not at all.
//! These pages rename sections, split tables and are often saved cut off, and some have lost
//! every line break. So nothing here goes by line numbers or exact headings:
//!
//! 1. [`cut_fences`] takes the fenced blocks out first: the radar JSON holds no table but
//!    its text would run into one on a one-line page;
//! 2. [`front_matter`] reads `key: "value"` pairs as tokens, so it needs no line breaks;
//! 3. [`tables`] finds each table by its `|---|---|` rule, whose cell count says how many
//!    cells a row has: that count, not line breaks, splits a one-line table into rows, and
//!    a row cut off by the end of the page is dropped;
//! 4. [`Page`] reads every row by its first cell (`ROE`, `Industry Ranking`, `PB`, `Buy`,
//!    `Current Price`) and the lines outside tables by their labels (`Overall:`,
//!    `**Style**:`, `Total Analysts:`);
//! 5. the radar block fills in what the tables lack and is checked against what they have.
//!
//! Every point takes the page's date (front matter `datetime`) as a day period.

use crate::error::{Error, Result};
use crate::model::catalog::snake_case;
use crate::model::number::parse_number;
use crate::model::{Catalog, Date, MetricDef, Period};
use crate::storage::WriteSet;
use serde_json::Value;
use std::collections::BTreeMap;

/// Indicator names of the score tables and the radar block, and their metric ids
/// (DATA_FORMATS.md). Names compare in [`compact`] form, so case and spacing may vary.
const INDICATORS: &[(&str, &str)] = &[
    ("Revenue YoY", "revenue_yoy"),
    ("P/B Ratio", "pb"),
    ("Dividend Ratio", "dividend_yield"),
    ("Market Cap", "market_cap"),
    ("ROE", "roe"),
    ("Profit Margin", "profit_margin"),
    ("Gross Margin", "gross_margin"),
    ("Net Profit YoY", "net_profit_yoy"),
    ("Total Assets YoY", "total_assets_yoy"),
    ("Net Assets YoY", "net_assets_yoy"),
    ("Cash Flow Margin", "cash_flow_margin"),
    ("OCF YoY", "ocf_yoy"),
    ("Turnover", "turnover"),
    ("Gearing Ratio", "gearing_ratio"),
    ("Revenue", "revenue"),
];

/// Rows of the valuation table and their metric ids.
const VALUATIONS: &[(&str, &str)] = &[
    ("PE (TTM)", "pe_ttm"),
    ("PB", "pb"),
    ("PS (TTM)", "ps_ttm"),
    ("Dividend Yield", "dividend_yield"),
];

/// Rows of the Item/Detail table that are company attributes of the same name.
const ITEM_ATTRIBUTES: &[&str] = &[
    "industry", "exchange", "website", "sector", "country", "currency",
];

/// Grade columns of the peer table and the attribute each becomes on the peer.
const PEER_GRADES: &[(&str, &str)] = &[
    ("profit", "published_profit"),
    ("growth", "published_growth"),
    ("operation", "published_operation"),
    ("security", "published_security"),
    ("cash", "published_cash"),
    ("rating", "published_rating"),
];

/// Reads one quote page into a write set. `file` is the name errors show; notes on what the
/// page says against itself (the radar block disagreeing with a table, a row cut off) go to
/// `warnings`, each starting with the page's symbol.
pub fn read(
    file: &str,
    bytes: &[u8],
    catalog: &Catalog,
    warnings: &mut Vec<String>,
) -> Result<WriteSet> {
    let decoded = decode(bytes);
    let (text, radar_bodies) = cut_fences(&decoded);
    // ASCII lower-casing keeps every byte offset, so a label found in `lower` is at the same
    // place in `text`.
    let lower = text.to_ascii_lowercase();
    let front = front_matter(&text);
    let (tables, row_cut) = tables(&text);
    let mut radar = Vec::new();
    let mut radar_cut = false;
    for body in &radar_bodies {
        let (found, cut) = radar_indicators(body);
        radar.extend(found);
        radar_cut |= cut;
    }

    let scored = score_heading(&lower).is_some()
        || overall(&text, &lower).is_some()
        || !radar.is_empty()
        || tables.iter().any(has_indicator_rows);
    let symbol = match front.get("symbol").and_then(|s| symbol_like(s)) {
        Some(s) => s,
        // Without front matter a page still names its company in its title, but only a page
        // that is plainly a quote page may be read that way: any markdown has a heading.
        None if scored => match front
            .get("title")
            .and_then(|t| symbol_in_parens(t))
            .or_else(|| h1(&text).and_then(symbol_in_parens))
        {
            Some(s) => s,
            None => {
                return Err(file_error(
                    file,
                    "is a quote page without a symbol: no front-matter symbol and no (SYMBOL) in its title",
                ));
            }
        },
        None => {
            return Err(file_error(
                file,
                "is not a quote page: no front-matter symbol and no Financial Score section",
            ));
        }
    };

    let mut page = Page::new(catalog, symbol);
    page.front_matter(&front, &text);
    page.labelled_lines(&text, &lower);
    for t in &tables {
        page.table(t);
    }
    page.radar(radar);
    if row_cut {
        page.warn("the page ends inside a table row; that row is skipped".to_string());
    }
    if radar_cut {
        page.warn("the radar block is cut off; its complete indicators are read".to_string());
    }
    let date = page_date(&front, &text, &lower, &mut page);
    let (set, mut notes) = page.into_write_set(date);
    warnings.append(&mut notes);
    Ok(set)
}

fn file_error(file: &str, message: &str) -> Error {
    Error::File {
        file: file.to_string(),
        message: message.to_string(),
    }
}

/// Text as the page holds it: invalid UTF-8 replaced, one kind of line break, no BOM, and
/// no-break spaces as spaces (saved pages are full of them).
fn decode(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    text.replace("\r\n", "\n")
        .replace(['\r'], "\n")
        .replace('\u{a0}', " ")
}

/// Letters and digits only, lower-cased: `P/B Ratio` → `pbratio`, `PE (TTM)` → `pettm`.
fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn lookup(table: &[(&str, &'static str)], label: &str) -> Option<&'static str> {
    let key = compact(label);
    table
        .iter()
        .find(|(name, _)| compact(name) == key)
        .map(|&(_, id)| id)
}

// ---------------------------------------------------------------------------------------
// Fenced blocks and the radar JSON.

/// Removes every fenced block, each replaced by a line break so the text around it stays
/// apart, and returns the bodies of the radar blocks. A fence the page ends inside runs to
/// the end.
fn cut_fences(text: &str) -> (String, Vec<String>) {
    let mut out = String::with_capacity(text.len());
    let mut radar = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find("```") {
        out.push_str(&rest[..open]);
        out.push('\n');
        let after = &rest[open + 3..];
        let info_end = after.find(char::is_whitespace).unwrap_or(after.len());
        let info = &after[..info_end];
        let (body, next) = match after[info_end..].find("```") {
            Some(close) => (
                &after[info_end..info_end + close],
                &after[info_end + close + 3..],
            ),
            None => (&after[info_end..], ""),
        };
        if info.to_ascii_lowercase().contains("radar") {
            radar.push(body.to_string());
        }
        rest = next;
    }
    out.push_str(rest);
    (out, radar)
}

/// One indicator as the page writes it.
#[derive(Clone, Debug, Default, PartialEq)]
struct Indicator {
    name: String,
    value: String,
    rating: String,
}

/// The indicators of a radar block: every innermost JSON object with a `name` and a
/// `value`. Reading the innermost objects one by one, rather than the whole document, keeps
/// the complete ones of a block the page cut off; the flag says whether it was cut off.
fn radar_indicators(body: &str) -> (Vec<Indicator>, bool) {
    let mut found = Vec::new();
    // Open objects: where each starts and whether it holds another object.
    let mut open: Vec<(usize, bool)> = Vec::new();
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in body.char_indices() {
        if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => {
                if let Some(parent) = open.last_mut() {
                    parent.1 = true;
                }
                open.push((i, false));
            }
            '}' => {
                let Some((start, nested)) = open.pop() else {
                    continue;
                };
                if nested {
                    continue;
                }
                let Some(Ok(Value::Object(o))) = body.get(start..=i).map(serde_json::from_str)
                else {
                    continue;
                };
                let text = |k: &str| match o.get(k) {
                    Some(Value::String(s)) => Some(s.trim().to_string()),
                    Some(Value::Number(n)) => Some(n.to_string()),
                    _ => None,
                };
                if let (Some(name), Some(value)) = (text("name"), text("value")) {
                    found.push(Indicator {
                        name,
                        value,
                        rating: text("rating").unwrap_or_default(),
                    });
                }
            }
            _ => {}
        }
    }
    let cut = !open.is_empty() || in_string;
    (found, cut)
}

// ---------------------------------------------------------------------------------------
// Front matter.

/// The `key: value` pairs of the front matter. A one-line page runs them together, so keys
/// are found as `word:` tokens; a value is a quoted string, or runs to the end of its line
/// or to the next key. A quoted value the page ends inside is left out. The first of two
/// equal keys wins.
fn front_matter(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let Some(body) = text.trim_start().strip_prefix("---") else {
        return map;
    };
    let b = body.as_bytes();
    let mut pos = 0;
    loop {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= b.len() || body[pos..].starts_with("---") {
            break;
        }
        let Some((key, after)) = key_at(body, pos) else {
            // A list item or other token: step over it.
            while pos < b.len() && !b[pos].is_ascii_whitespace() {
                pos += 1;
            }
            continue;
        };
        let mut v = after;
        while v < b.len() && (b[v] == b' ' || b[v] == b'\t') {
            v += 1;
        }
        if b.get(v) == Some(&b'"') {
            let Some((value, end)) = quoted(body, v + 1) else {
                break;
            };
            map.entry(key.to_ascii_lowercase()).or_insert(value);
            pos = end;
        } else {
            let end = plain_value_end(body, v);
            let value = body[v..end].trim();
            if !value.is_empty() {
                map.entry(key.to_ascii_lowercase())
                    .or_insert_with(|| value.to_string());
            }
            pos = end;
        }
    }
    map
}

/// A key (`word:` followed by a space or the end) starting at `pos`: its name and where
/// its value begins.
fn key_at(s: &str, pos: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    if !b.get(pos)?.is_ascii_alphabetic() {
        return None;
    }
    let mut i = pos;
    while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'-') {
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    if b.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
        return None;
    }
    Some((&s[pos..i], i + 1))
}

/// A double-quoted string starting after its opening quote: the unescaped value and the
/// position after the closing quote, or `None` when the text ends first.
fn quoted(s: &str, start: usize) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.get(start..)?.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, start + i + 1)),
            '\\' => match chars.next()?.1 {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// Where an unquoted value ends: at a line break, or before the next key or `---`.
fn plain_value_end(s: &str, start: usize) -> usize {
    let b = s.as_bytes();
    let mut i = start;
    while i < b.len() {
        if b[i] == b'\n' {
            return i;
        }
        if b[i].is_ascii_whitespace() {
            let mut j = i;
            while j < b.len() && (b[j] == b' ' || b[j] == b'\t') {
                j += 1;
            }
            if key_at(s, j).is_some() || s[j..].starts_with("---") {
                return i;
            }
            // Step at least one byte: other whitespace (a form feed) would loop forever.
            i = j.max(i + 1);
            continue;
        }
        i += 1;
    }
    b.len()
}

/// A symbol as pages write them (`KC.US`, `688316.SH`, `BRK-B`): short, no spaces.
fn symbol_like(s: &str) -> Option<String> {
    let s = s.trim();
    let ok = (1..=32).contains(&s.len())
        && s.chars().any(|c| c.is_ascii_alphanumeric())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-_^=:".contains(c));
    ok.then(|| s.to_string())
}

/// The symbol in the last parentheses of a title: `Kingsoft Cloud (KC.US)` → `KC.US`.
fn symbol_in_parens(s: &str) -> Option<String> {
    let open = s.rfind('(')?;
    let close = open + s[open..].find(')')?;
    symbol_like(&s[open + 1..close])
}

/// The name before a title's parentheses: `Shopify  (SHOP.US)` → `Shopify`.
fn name_before_parens(s: &str) -> Option<String> {
    let name = squash(&s[..s.rfind('(')?]);
    (!name.is_empty()).then_some(name)
}

/// Runs of whitespace as one space, trimmed.
fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of the first level-1 heading, up to its line's end or the next heading marker.
fn h1(text: &str) -> Option<&str> {
    for (i, _) in text.match_indices("# ") {
        if !at_token_start(text, i) {
            continue;
        }
        let rest = &text[i + 2..];
        let end = [rest.find('\n'), rest.find(" #")]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(rest.len());
        return Some(&rest[..end]);
    }
    None
}

/// Whether position `i` starts a token: the text's start or after whitespace.
fn at_token_start(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace)
}

// ---------------------------------------------------------------------------------------
// Tables.

/// A table: its header cells and its complete rows, cells trimmed.
#[derive(Clone, Debug, Default, PartialEq)]
struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// The column whose header, in compact form, satisfies `test`.
    fn column(&self, test: impl Fn(&str) -> bool) -> Option<usize> {
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
fn tables(text: &str) -> (Vec<Table>, bool) {
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
fn has_indicator_rows(t: &Table) -> bool {
    t.rows
        .iter()
        .any(|r| r.len() >= 2 && r.first().is_some_and(|l| lookup(INDICATORS, l).is_some()))
}

// ---------------------------------------------------------------------------------------
// Values in cells.

/// A number cell; `-`, `undefined` and empty cells are missing.
fn number(cell: &str) -> Option<f64> {
    parse_number(cell.trim().trim_matches('*'))
}

/// `20 / 32` or `23/32`: the rank and, when given, the group's size.
fn rank(cell: &str) -> Option<(f64, Option<f64>)> {
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
fn grade(cell: &str) -> Option<String> {
    let t = cell.trim().trim_matches('*').trim();
    let mut chars = t.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let rest = chars.as_str();
    (('A'..='E').contains(&letter) && (rest.is_empty() || rest == "+" || rest == "-"))
        .then(|| format!("{letter}{rest}"))
}

/// A text cell worth keeping: not empty and not a placeholder.
fn text_cell(cell: &str) -> Option<String> {
    let t = squash(cell.trim_matches('*'));
    let placeholder =
        ["", "-", "--", "undefined", "null", "n/a"].contains(&t.to_lowercase().as_str());
    (!placeholder).then_some(t)
}

/// `[www.ksyun.com](https://www.ksyun.com)` → the link's target; other text as it is.
fn link_target(cell: &str) -> String {
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

// ---------------------------------------------------------------------------------------
// Labelled lines outside tables.

/// The text after each `label` that starts a token and is followed by a colon, in any of
/// the forms `Label:`, `**Label**:` and `**Label:**`. `lower` is `text` lower-cased.
fn labelled<'t>(text: &'t str, lower: &'t str, label: &'t str) -> impl Iterator<Item = &'t str> {
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
fn after_label<'t>(text: &'t str, lower: &'t str, label: &'t str) -> Option<&'t str> {
    labelled(text, lower, label).next()
}

/// The first word of a labelled value (`Growth - Stocks whose ...` → `Growth`), when the
/// page does not end inside it.
fn first_word(value: &str) -> Option<String> {
    let v = value.trim_start_matches(|c: char| c.is_whitespace() || c == '*');
    let end = v.find(|c: char| c.is_whitespace() || c == '*')?;
    let word = v[..end].trim_end_matches([',', ';', '.']);
    (!word.is_empty() && word != "-").then(|| word.to_string())
}

/// `**Overall: C (0.55)**` → the grade and the score. Without its closing parenthesis the
/// score may be cut short, so it is left out.
fn overall(text: &str, lower: &str) -> Option<(String, Option<f64>)> {
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
fn score_heading(lower: &str) -> Option<Option<String>> {
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
fn overview(text: &str, lower: &str) -> Option<String> {
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
fn page_date(
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

// ---------------------------------------------------------------------------------------
// What the page says.

/// Which value wins when two places give one metric: the valuation table's Current beats
/// the score tables (DATA_FORMATS.md). The radar block never competes here: it is merged
/// with the score tables first (see [`Page::radar`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Page,
    Valuation,
}

#[derive(Clone, Debug)]
struct Peer {
    rank: Option<f64>,
    symbol: String,
    name: Option<String>,
    grades: Vec<(&'static str, String)>,
}

/// Everything read from one page, before it becomes a write set.
struct Page<'c> {
    catalog: &'c Catalog,
    symbol: String,
    attrs: BTreeMap<String, String>,
    points: BTreeMap<String, (f64, Source)>,
    /// Indicators of the score tables by metric id, in the order first seen.
    indicators: Vec<(String, Indicator)>,
    peers: Vec<Peer>,
    warnings: Vec<String>,
}

impl<'c> Page<'c> {
    fn new(catalog: &'c Catalog, symbol: String) -> Page<'c> {
        Page {
            catalog,
            symbol,
            attrs: BTreeMap::new(),
            points: BTreeMap::new(),
            indicators: Vec::new(),
            peers: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn warn(&mut self, message: String) {
        self.warnings.push(format!("{}: {message}", self.symbol));
    }

    fn has_points(&self) -> bool {
        !self.points.is_empty() || !self.indicators.is_empty()
    }

    /// An attribute, unless an earlier place on the page gave it already.
    fn attr(&mut self, name: &str, value: String) {
        self.attrs.entry(name.to_string()).or_insert(value);
    }

    fn point(&mut self, id: &str, value: f64, source: Source) {
        match self.points.get(id) {
            Some(&(_, old)) if old >= source => {}
            _ => {
                self.points.insert(id.to_string(), (value, source));
            }
        }
    }

    /// A metric id for a name the fixed tables do not know: the catalog's, else the name in
    /// snake_case (registered when the set is built).
    fn resolve(&self, name: &str) -> String {
        self.catalog
            .get(name)
            .map_or_else(|| snake_case(name), |d| d.id.clone())
    }

    fn front_matter(&mut self, front: &BTreeMap<String, String>, text: &str) {
        let title = front.get("title").map(String::as_str).or_else(|| h1(text));
        let name = front
            .get("name")
            .and_then(|n| text_cell(n))
            .or_else(|| title.and_then(name_before_parens));
        if let Some(name) = name {
            self.attr("name", name);
        }
        for key in ["industry", "url"] {
            if let Some(v) = front.get(key).and_then(|v| text_cell(v)) {
                self.attr(key, v);
            }
        }
    }

    /// The lines read by their labels wherever they stand: the overall grade and score,
    /// style and scale, the number of analysts, and the overview paragraph.
    fn labelled_lines(&mut self, text: &str, lower: &str) {
        if let Some(p) = overview(text, lower) {
            self.attr("overview", p);
        }
        match overall(text, lower) {
            Some((g, score)) => {
                self.attr("published_grade", g);
                if let Some(s) = score {
                    self.point("published_score", s, Source::Page);
                }
            }
            None => {
                if let Some(Some(g)) = score_heading(lower) {
                    self.attr("published_grade", g);
                }
            }
        }
        for (label, attr) in [("style", "style"), ("scale", "scale")] {
            if let Some(word) = after_label(text, lower, label).and_then(first_word) {
                self.attr(attr, word);
            }
        }
        if let Some(v) = after_label(text, lower, "total analysts") {
            let v = v.trim_start();
            let (bold, v) = match v.strip_prefix("**") {
                Some(rest) => (true, rest),
                None => (false, v),
            };
            let end = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
            // The count must be closed (by `**` or a space) or it may have been cut short.
            let closed = if bold {
                v[end..].starts_with("**")
            } else {
                v[end..].starts_with(char::is_whitespace)
            };
            if closed && let Some(n) = number(&v[..end]) {
                self.point("analysts_total", n, Source::Page);
            }
        }
    }

    fn table(&mut self, t: &Table) {
        let header: Vec<String> = t.header.iter().map(|h| compact(h)).collect();
        let has = |w: &str| header.iter().any(|h| h == w);
        let grade_columns = PEER_GRADES.iter().filter(|(g, _)| has(g)).count();
        if t.column(|h| h.starts_with("current")).is_some()
            || t.rows
                .iter()
                .any(|r| r.len() >= 5 && r.first().is_some_and(|l| lookup(VALUATIONS, l).is_some()))
        {
            self.valuation_table(t);
        } else if grade_columns >= 2 {
            self.peer_table(t);
        } else if has("count") || has("percentage") {
            self.analyst_table(t);
        } else {
            self.plain_table(t);
        }
    }

    /// `| PB | 3.89 | 13/32 | 4.89 | 4.30 | 3.77 |`: Current, industry rank, high, median, low.
    fn valuation_table(&mut self, t: &Table) {
        let col = |test: fn(&str) -> bool, default: usize| t.column(test).unwrap_or(default);
        let current = col(|h| h.starts_with("current"), 1);
        let ranking = col(|h| h.contains("rank"), 2);
        let high = col(|h| h.starts_with("high"), 3);
        let median = col(|h| h.contains("median"), 4);
        let low = col(|h| h.starts_with("low"), 5);
        for row in &t.rows {
            let Some(label) = row.first().filter(|l| !compact(l).is_empty()) else {
                continue;
            };
            let id = lookup(VALUATIONS, label).map_or_else(|| self.resolve(label), str::to_string);
            let cell = |i: usize| row.get(i).map_or("", String::as_str);
            if let Some(v) = number(cell(current)) {
                self.point(&id, v, Source::Valuation);
            }
            if let Some((k, _)) = rank(cell(ranking)) {
                self.point(&format!("{id}_industry_rank"), k, Source::Valuation);
            }
            for (i, suffix) in [(high, "high"), (median, "median"), (low, "low")] {
                if let Some(v) = number(cell(i)) {
                    self.point(&format!("{id}_{suffix}"), v, Source::Valuation);
                }
            }
        }
    }

    /// `| 01 | Mega Fortune (MGRT.US) | A | A | A | A | C | A |`.
    fn peer_table(&mut self, t: &Table) {
        let rank_col = t.column(|h| h.contains("rank")).unwrap_or(0);
        let name_col = t.column(|h| h == "name").unwrap_or(1);
        for row in &t.rows {
            let Some(cell) = row.get(name_col) else {
                continue;
            };
            let Some(symbol) = symbol_in_parens(cell) else {
                continue;
            };
            let grades = PEER_GRADES
                .iter()
                .enumerate()
                .filter_map(|(n, &(column, attr))| {
                    let i = t.column(|h| h == column).unwrap_or(2 + n);
                    Some((attr, grade(row.get(i)?)?))
                })
                .collect();
            self.peers.push(Peer {
                rank: row.get(rank_col).and_then(|r| rank(r)).map(|r| r.0),
                name: name_before_parens(cell),
                symbol,
                grades,
            });
        }
    }

    /// `| Buy | 9 | 69% |`: how many analysts give each rating.
    fn analyst_table(&mut self, t: &Table) {
        let count = t.column(|h| h == "count").unwrap_or(1);
        for row in &t.rows {
            let (Some(label), Some(n)) = (row.first(), row.get(count).and_then(|c| number(c)))
            else {
                continue;
            };
            let rating = snake_case(label);
            if rating.is_empty() {
                continue;
            }
            if rating == "total" || rating == "total_analysts" {
                self.point("analysts_total", n, Source::Page);
            } else {
                self.point(&format!("analyst_{rating}"), n, Source::Page);
            }
        }
    }

    /// Rows read by their first cell: the Item/Detail, Metric/Value, score-indicator and
    /// target-price tables, however the page splits or heads them.
    fn plain_table(&mut self, t: &Table) {
        let value = t
            .column(|h| ["value", "detail", "price"].contains(&h))
            .unwrap_or(1);
        let rating = t.column(|h| ["rating", "grade"].contains(&h)).unwrap_or(2);
        let indicator_table = t.header.first().is_some_and(|h| compact(h) == "indicator");
        for row in &t.rows {
            let Some(label) = row.first() else { continue };
            let cell = row.get(value).map_or("", String::as_str);
            let key = compact(label);
            match key.as_str() {
                k if ITEM_ATTRIBUTES.contains(&k) => {
                    let v =
                        text_cell(cell).map(|v| if k == "website" { link_target(cell) } else { v });
                    if let Some(v) = v {
                        self.attr(k, v);
                    }
                }
                "industryranking" | "industryrank" => {
                    if let Some((k, n)) = rank(cell) {
                        self.point("published_industry_rank", k, Source::Page);
                        if let Some(n) = n {
                            self.point("published_industry_size", n, Source::Page);
                        }
                    }
                }
                "industrymedian" | "industryaverage" => {
                    if let Some(v) = text_cell(cell) {
                        let name = &format!("published_industry_{}", &key["industry".len()..]);
                        self.attr(name, v);
                    }
                }
                "currentprice" | "price" | "lastprice" | "highesttarget" | "targethigh"
                | "lowesttarget" | "targetlow" | "totalanalysts" => {
                    let id = match key.as_str() {
                        "highesttarget" | "targethigh" => "target_high",
                        "lowesttarget" | "targetlow" => "target_low",
                        "totalanalysts" => "analysts_total",
                        _ => "price",
                    };
                    if let Some(v) = number(cell) {
                        self.point(id, v, Source::Page);
                    }
                }
                _ => {
                    let id = match lookup(INDICATORS, label) {
                        Some(id) => id.to_string(),
                        None if indicator_table && !key.is_empty() => self.resolve(label),
                        None => continue,
                    };
                    let found = Indicator {
                        name: label.clone(),
                        value: cell.to_string(),
                        rating: row.get(rating).cloned().unwrap_or_default(),
                    };
                    self.indicator(id, found);
                }
            }
        }
    }

    /// An indicator of the score tables. The Style table and the Multi Score table both
    /// list some (Revenue YoY): the first value stands, a rating fills in where missing.
    fn indicator(&mut self, id: String, found: Indicator) {
        let Some(i) = self.indicators.iter().position(|(m, _)| *m == id) else {
            self.indicators.push((id, found));
            return;
        };
        let old = &mut self.indicators[i].1;
        if old.rating.trim().is_empty() {
            old.rating = found.rating.clone();
        }
        let (a, b) = (number(&old.value), number(&found.value));
        let old_value = old.value.clone();
        if a.is_none() {
            old.value = found.value.clone();
        } else if b.is_some() && a != b {
            self.warn(format!(
                "the score tables give {} as {} and as {}; the first is kept",
                found.name, old_value, found.value
            ));
        }
    }

    /// The radar block: what the tables lack comes from it; where both give an indicator a
    /// disagreement is a warning and the table stands.
    fn radar(&mut self, radar: Vec<Indicator>) {
        let mut merged: Vec<(String, Indicator)> = Vec::new();
        for r in radar {
            let Some(id) = lookup(INDICATORS, &r.name)
                .map(str::to_string)
                .or_else(|| (!compact(&r.name).is_empty()).then(|| self.resolve(&r.name)))
            else {
                continue;
            };
            // The radar lists some indicators twice too (Style and Multi Score).
            match merged.iter_mut().find(|(m, _)| *m == id) {
                Some((_, m)) => {
                    if m.rating.is_empty() {
                        m.rating = r.rating;
                    }
                }
                None => merged.push((id, r)),
            }
        }
        for (id, r) in merged {
            let Some(i) = self.indicators.iter().position(|(m, _)| *m == id) else {
                self.indicators.push((id, r));
                continue;
            };
            let table = &mut self.indicators[i].1;
            let values_differ = match (number(&r.value), number(&table.value)) {
                (Some(a), Some(b)) => a != b,
                _ => false,
            };
            let ratings_differ = grade(&r.rating)
                .zip(grade(&table.rating))
                .is_some_and(|(a, b)| a != b);
            if number(&table.value).is_none() && number(&r.value).is_some() {
                table.value = r.value.clone();
            }
            if grade(&table.rating).is_none() && grade(&r.rating).is_some() {
                table.rating = r.rating.clone();
            }
            if values_differ || ratings_differ {
                let shown = |i: &Indicator| match grade(&i.rating) {
                    Some(g) => format!("{} ({g})", i.value),
                    None => i.value.clone(),
                };
                let message = format!(
                    "radar says {} {}, table says {}; the table's value is kept",
                    table.name,
                    shown(&r),
                    shown(table)
                );
                self.warn(message);
            }
        }
    }

    /// The write set: the page's company with its attributes and points at `date`, its
    /// peers, and registrations for metric ids the catalog does not know; and the warnings.
    fn into_write_set(mut self, date: Option<Date>) -> (WriteSet, Vec<String>) {
        for (id, ind) in std::mem::take(&mut self.indicators) {
            if let Some(v) = number(&ind.value) {
                self.point(&id, v, Source::Page);
            }
            if let Some(g) = grade(&ind.rating) {
                self.attr(&format!("published_rating_{id}"), g);
            }
        }
        let mut set = WriteSet::new();
        let me = set.company(&self.symbol);

        // Peers in rank order; a peer without a rank keeps its place after the ranked ones.
        let mut peers = std::mem::take(&mut self.peers);
        peers.sort_by(|a, b| {
            let key = |p: &Peer| p.rank.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b))
        });
        let mut listed: Vec<String> = Vec::new();
        for p in &peers {
            if listed.iter().any(|s| s.eq_ignore_ascii_case(&p.symbol)) {
                continue;
            }
            listed.push(p.symbol.clone());
            let c = set.company(&p.symbol);
            // The page's own name for itself beats a peer table's short one.
            if c != me
                && let Some(name) = &p.name
            {
                set.set_attr(c, "name", name);
            }
            for (attr, g) in &p.grades {
                set.set_attr(c, attr, g);
            }
        }
        if !listed.is_empty() {
            self.attr("peers", listed.join(" "));
        }
        for (k, v) in &self.attrs {
            set.set_attr(me, k, v);
        }
        if let Some(date) = date {
            let period = Period::Day(date);
            for (id, (v, _)) in &self.points {
                let id = match self.catalog.get(id) {
                    Some(def) => def.id.clone(),
                    None => {
                        set.register(MetricDef::registered(id));
                        id.clone()
                    }
                };
                let m = set.metric(&id);
                set.push(me, m, period, *v);
            }
        }
        (set, self.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Vec<Vec<String>>> {
        tables(text).0.into_iter().map(|t| t.rows).collect()
    }

    fn strings(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn a_one_line_table_is_split_by_its_width_not_by_line_breaks() {
        // An empty last cell and the gap between two rows both read `| |`.
        let t = tables(
            "text | Indicator | Value | Rating | |---|---|---| | ROE | 1% | | | Turnover | 0.5 | C | ## Next",
        );
        assert_eq!(t.0.len(), 1);
        assert_eq!(t.0[0].header, ["Indicator", "Value", "Rating"]);
        assert_eq!(
            t.0[0].rows,
            strings(&[&["ROE", "1%", ""], &["Turnover", "0.5", "C"]])
        );
        assert!(!t.1);
    }

    #[test]
    fn a_missing_value_dash_is_not_a_rule_row() {
        let text =
            "| Metric | Current | High |\n|---|---|---|\n| PE (TTM) | - | - |\n| PB | -- | --- |\n";
        assert_eq!(
            rows(text),
            [strings(&[&["PE (TTM)", "-", "-"], &["PB", "--", "---"]])]
        );
    }

    #[test]
    fn a_row_the_text_ends_inside_is_dropped_and_reported() {
        for text in [
            "| A | B |\n|---|---|\n| x | 1 |\n| y | 2",
            "| A | B |\n|---|---|\n| x | 1 |\n| y |",
            "| A | B | |---|---| | x | 1 | | y | 2",
        ] {
            let (t, cut) = tables(text);
            assert_eq!(t[0].rows, strings(&[&["x", "1"]]), "{text}");
            assert!(cut, "{text}");
        }
    }

    #[test]
    fn rows_with_line_breaks_may_lack_their_last_pipe_or_cells() {
        let text =
            "| A | B | C |\n|---|---|---|\n| x | 1\n| y | 2 | 3 | extra |\n| z |\n| w | 4 | 5 |\n";
        assert_eq!(
            rows(text),
            [strings(&[
                &["x", "1"],
                &["y", "2", "3"],
                &["z"],
                &["w", "4", "5"]
            ])]
        );
    }

    #[test]
    fn a_table_ends_where_the_next_one_begins() {
        let text =
            "| A | B |\n|---|---|\n| x | 1 |\n\n| C | D | E |\n|---|---|---|\n| y | 2 | 3 |\n";
        let (t, _) = tables(text);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].rows, strings(&[&["x", "1"]]));
        assert_eq!(t[1].header, ["C", "D", "E"]);
        assert_eq!(t[1].rows, strings(&[&["y", "2", "3"]]));
    }

    #[test]
    fn front_matter_is_read_as_tokens_on_one_line() {
        let text = r#"--- title: "Tern (TRN.L)" type: "Symbol" symbol: "TRN.L" plain: some words here locales: - [en](https://x.example/q/TRN.L.md) name: "Tern \"Harbour\"" --- # Tern"#;
        let fm = front_matter(text);
        assert_eq!(fm.get("title").map(String::as_str), Some("Tern (TRN.L)"));
        assert_eq!(fm.get("symbol").map(String::as_str), Some("TRN.L"));
        assert_eq!(fm.get("plain").map(String::as_str), Some("some words here"));
        assert_eq!(fm.get("name").map(String::as_str), Some("Tern \"Harbour\""));
        assert_eq!(fm.len(), 6, "{fm:?}");
        // A quoted value the text ends inside is left out, with everything after it.
        let cut = front_matter("---\nsymbol: \"TRN.L\"\nname: \"Tern Har");
        assert_eq!(cut.keys().collect::<Vec<_>>(), ["symbol"]);
        assert!(front_matter("symbol: \"TRN.L\"").is_empty());
    }

    #[test]
    fn a_cut_radar_block_keeps_its_complete_indicators() {
        let body = r#"{"dimensions": [{"name": "Multi", "indicators": [
            {"name": "ROE", "value": "-1.5%", "rating": "D"},
            {"name": "Turn}over {", "value": 0.4},
            {"name": "Gearing Ratio", "value": "12"#;
        let (found, cut) = radar_indicators(body);
        assert!(cut);
        let names: Vec<&str> = found.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["ROE", "Turn}over {"]);
        assert_eq!(found[1].value, "0.4");
        assert_eq!(found[1].rating, "");
    }

    #[test]
    fn fences_are_cut_out_and_radar_bodies_kept() {
        let (text, radar) = cut_fences(
            "a | x | ```chart-data:radar {\"a\": \"|\"} ``` b ```js\nlet y = 1 | 2;\n``` c",
        );
        assert_eq!(text, "a | x | \n b \n c");
        assert_eq!(radar, [" {\"a\": \"|\"} "]);
    }

    #[test]
    fn labelled_lines_need_their_labels_and_whole_values() {
        let text = "**Overall: C (0.55)** - **Style**: Growth - stage. **Scale:** Mid - x";
        let lower = text.to_ascii_lowercase();
        assert_eq!(overall(text, &lower), Some(("C".into(), Some(0.55))));
        assert_eq!(
            after_label(text, &lower, "style").and_then(first_word),
            Some("Growth".into())
        );
        assert_eq!(
            after_label(text, &lower, "scale").and_then(first_word),
            Some("Mid".into())
        );
        // Cut short: no closing parenthesis, no word end.
        let cut = "Overall: B (0.7";
        assert_eq!(overall(cut, &cut.to_lowercase()), Some(("B".into(), None)));
        assert_eq!(first_word(" Gro"), None);
        // Prose is not a label.
        let prose = "The overall: plan stands. Lifestyle: fine.";
        let lower = prose.to_lowercase();
        assert_eq!(overall(prose, &lower), None);
        assert_eq!(after_label(prose, &lower, "style"), None);
    }

    #[test]
    fn cells_read_ranks_grades_numbers_and_links() {
        assert_eq!(rank("20 / 32"), Some((20.0, Some(32.0))));
        assert_eq!(rank("0 / 4"), Some((0.0, Some(4.0))));
        assert_eq!(rank("23/32"), Some((23.0, Some(32.0))));
        assert_eq!(rank("-"), None);
        assert_eq!(number("4.85T"), Some(4.85e12));
        assert_eq!(number("-165.82%"), Some(-1.6582));
        assert_eq!(number("undefined"), None);
        assert_eq!(number("-"), None);
        assert_eq!(grade(" d "), Some("D".into()));
        assert_eq!(grade("B+"), Some("B+".into()));
        assert_eq!(grade("F"), None);
        assert_eq!(grade(""), None);
        assert_eq!(
            link_target("[www.a.example](https://www.a.example)"),
            "https://www.a.example"
        );
        assert_eq!(link_target("www.a.example"), "www.a.example");
        assert_eq!(
            symbol_in_parens("Shopify  (SHOP.US)"),
            Some("SHOP.US".into())
        );
        assert_eq!(
            name_before_parens("Shopify  (SHOP.US)"),
            Some("Shopify".into())
        );
        assert_eq!(symbol_in_parens("Team meeting (week 12)"), None);
    }

    #[test]
    fn the_overview_ends_at_the_next_table_or_blank_line_and_not_at_the_page_end() {
        let one_line = "# X ## Company Overview Makes things. Sells them. | Item | Detail |";
        assert_eq!(
            overview(one_line, &one_line.to_lowercase()),
            Some("Makes things. Sells them.".into())
        );
        let lines = "## Company Overview\n\nMakes things.\nSells them.\n\n## Next\n";
        assert_eq!(
            overview(lines, &lines.to_lowercase()),
            Some("Makes things. Sells them.".into())
        );
        let cut = "## Company Overview\n\nMakes thi";
        assert_eq!(overview(cut, &cut.to_lowercase()), None);
        let link = "- [Company Overview — Profile](https://x.example/overview.md)\n";
        assert_eq!(overview(link, &link.to_lowercase()), None);
    }
}
