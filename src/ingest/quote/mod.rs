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
//!
//! The files: `fences.rs` (1), `front.rs` (2), `tables.rs` (3, and the values cells hold),
//! `labels.rs` (labelled lines, the overview and the page's date), `page.rs` (4 and 5).

mod fences;
mod front;
mod labels;
mod page;
mod tables;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::model::Catalog;
use crate::storage::WriteSet;
use fences::{cut_fences, radar_indicators};
use front::{front_matter, h1, symbol_in_parens, symbol_like};
use labels::{overall, page_date, score_heading};
use page::Page;
use tables::{has_indicator_rows, tables};

/// Indicator names of the score tables and the radar block, and their metric ids
/// (DATA_FORMATS.md). Names compare in [`compact`] form, so case and spacing may vary.
pub(super) const INDICATORS: &[(&str, &str)] = &[
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
pub(super) const VALUATIONS: &[(&str, &str)] = &[
    ("PE (TTM)", "pe_ttm"),
    ("PB", "pb"),
    ("PS (TTM)", "ps_ttm"),
    ("Dividend Yield", "dividend_yield"),
];

/// Rows of the Item/Detail table that are company attributes of the same name.
pub(super) const ITEM_ATTRIBUTES: &[&str] = &[
    "industry", "exchange", "website", "sector", "country", "currency",
];

/// Grade columns of the peer table and the attribute each becomes on the peer.
pub(super) const PEER_GRADES: &[(&str, &str)] = &[
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

    let market_currency = crate::model::currency::currency_of_market(&symbol);
    let mut page = Page::new(catalog, symbol.clone());
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
    let (mut set, mut notes) = page.into_write_set(date);
    // The market suffix gives the trading currency of a company that has none yet
    // (DATA_FORMATS.md); the reporting currency stays unset unless another source gives it.
    if let Some(code) = market_currency {
        let row = set.company(&symbol);
        set.set_default_attr(row, "trading_currency", code);
    }
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
pub(super) fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

pub(super) fn lookup(table: &[(&str, &'static str)], label: &str) -> Option<&'static str> {
    let key = compact(label);
    table
        .iter()
        .find(|(name, _)| compact(name) == key)
        .map(|&(_, id)| id)
}
