//! `/industry/NAME` and `/sector/NAME`: a group's members ranked by score, the distribution
//! of their overall grades as a bar chart, and the group's median indicators.

use super::company::first_table;
use super::html::{self, TableOptions, esc};
use super::pages::{html_response, not_found_page, problem_page, shell_page};
use super::{App, Problem, quoted};
use crate::charts::{self, read};
use crate::error::Result;
use crate::output::Output;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;

/// The columns of the members table.
const MEMBER_COLUMNS: &str = "score, score_grade, industry_rank, profit_grade, growth_grade, \
     operation_grade, security_grade, cash_grade, pe_ttm";

/// The money column of the members table, in the base currency (the header says which).
/// Members in currencies without exchange rates cannot meet in one: the table is then
/// shown without it, under a line saying why and how to import rates.
const MONEY_COLUMN: &str = "market_cap";

/// The indicators whose medians the page shows: the scorecard's and the valuation multiples.
const MEDIANS: [&str; 15] = [
    "roe",
    "profit_margin",
    "gross_margin",
    "revenue_yoy",
    "net_profit_yoy",
    "total_assets_yoy",
    "net_assets_yoy",
    "turnover",
    "gearing_ratio",
    "cash_flow_margin",
    "ocf_yoy",
    "pe_ttm",
    "pb",
    "ps_ttm",
    "dividend_yield",
];

/// Industry or sector.
#[derive(Clone, Copy)]
enum Kind {
    Industry,
    Sector,
}

impl Kind {
    fn word(self) -> &'static str {
        match self {
            Kind::Industry => "industry",
            Kind::Sector => "sector",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Kind::Industry => "Industry",
            Kind::Sector => "Sector",
        }
    }
}

struct GroupData {
    /// The name as stored.
    name: String,
    members: Result<Vec<Output>>,
    /// Why the members table has no money column, when it has none.
    money_note: Option<String>,
    medians: Result<Vec<Output>>,
    /// The other kind of group the members belong to, with member counts: an industry's
    /// sectors, a sector's industries.
    related: Vec<(String, usize)>,
}

/// `GET /industry/NAME`.
pub async fn industry(State(app): State<App>, Path(name): Path<String>) -> Response {
    group_page(app, Kind::Industry, name).await
}

/// `GET /sector/NAME`.
pub async fn sector(State(app): State<App>, Path(name): Path<String>) -> Response {
    group_page(app, Kind::Sector, name).await
}

async fn group_page(app: App, kind: Kind, name: String) -> Response {
    let wanted = name.clone();
    let data = app
        .session(move |s| -> Result<Option<GroupData>> {
            let companies = s.companies()?;
            let groups = match kind {
                Kind::Industry => &companies.industries,
                Kind::Sector => &companies.sectors,
            };
            let Some(rows) = groups.get(&wanted.to_lowercase()) else {
                return Ok(None);
            };
            let word = kind.word();
            let name = rows
                .first()
                .and_then(|&r| companies.attr(r, word))
                .map_or(wanted.clone(), |n| n.to_string());
            let other = match kind {
                Kind::Industry => "sector",
                Kind::Sector => "industry",
            };
            let mut related: Vec<(String, usize)> = Vec::new();
            for &r in rows {
                if let Some(v) = companies.attr(r, other) {
                    match related.iter_mut().find(|(n, _)| n.eq_ignore_ascii_case(v)) {
                        Some((_, count)) => *count += 1,
                        None => related.push((v.to_string(), 1)),
                    }
                }
            }
            related.sort();
            let q = quoted(&name);
            let medians = MEDIANS
                .iter()
                .map(|m| format!("median({m}) as {m}"))
                .collect::<Vec<_>>()
                .join(", ");
            let mut members = |extra: &str| {
                s.execute(&format!(
                    "select {MEMBER_COLUMNS}{extra} from {word} {q} rank by score"
                ))
            };
            let (members, money_note) = match members(&format!(", {MONEY_COLUMN}")) {
                Ok(m) => (Ok(m), None),
                Err(e) => {
                    let e = e.to_string();
                    let why = e.strip_prefix("error: ").unwrap_or(&e);
                    (
                        members(""),
                        Some(format!("{MONEY_COLUMN} not shown: {why}")),
                    )
                }
            };
            Ok(Some(GroupData {
                members,
                money_note,
                medians: s.execute(&format!("select {medians} from {word} {q}")),
                related,
                name,
            }))
        })
        .await;
    let data = match data {
        Ok(Ok(Some(d))) => d,
        Ok(Ok(None)) => {
            return not_found_page(
                &app,
                &format!("No {} is called '{name}' in this database.", kind.word()),
                "",
            );
        }
        Ok(Err(e)) => {
            let p = Problem::from_error(StatusCode::INTERNAL_SERVER_ERROR, &e, "");
            return problem_page(&app, &p);
        }
        Err(p) => return problem_page(&app, &p),
    };
    if let Some(p) = super::stopped_among([&data.members, &data.medians]) {
        return problem_page(&app, &p);
    }
    let body = render(kind, &data);
    let title = format!("{} {}", kind.title(), data.name);
    html_response(StatusCode::OK, shell_page(&app, &title, "", &body))
}

fn render(kind: Kind, data: &GroupData) -> String {
    let mut body = String::new();
    let members = first_table(&data.members);
    let count = members.as_ref().map_or(0, |t| t.rows.len());
    let _ = write!(
        body,
        "<section class=\"company-head\"><h1>{} <span id=\"group-name\">{}</span></h1>\
         <p class=\"facts\">{count} companies",
        kind.title(),
        esc(&data.name)
    );
    if !data.related.is_empty() {
        let (label, other) = match kind {
            Kind::Industry => ("Sector", "sector"),
            Kind::Sector => ("Industries", "industry"),
        };
        let links: Vec<String> = data
            .related
            .iter()
            .map(|(n, c)| format!("{} ({c})", html::group_link(other, n)))
            .collect();
        let _ = write!(body, " · {label} {}", links.join(", "));
    }
    body.push_str("</p></section><div class=\"grid\">");
    body.push_str("<section id=\"grades\" class=\"card\"><h2>Grades</h2>");
    match &members {
        Ok(t) => {
            let bars = read::grade_distribution(t, "score_grade", "Overall grades");
            match charts::grade_bars(&bars) {
                Ok(svg) => {
                    let _ = write!(
                        body,
                        "<figure id=\"grade-bars\" class=\"chart\">{svg}</figure>"
                    );
                }
                Err(e) => {
                    let _ = write!(body, "<p class=\"error-text\">{}</p>", esc(&e.to_string()));
                }
            }
        }
        Err(why) => {
            let _ = write!(body, "<p class=\"error-text\">{}</p>", esc(why));
        }
    }
    body.push_str("</section><section id=\"medians\" class=\"card\"><h2>Median indicators</h2>");
    match first_table(&data.medians) {
        Ok(t) if !t.rows.is_empty() => {
            body.push_str(
                "<div class=\"scroll\"><table class=\"data\" id=\"medians-table\"><thead><tr>\
                 <th scope=\"col\">Indicator</th><th scope=\"col\" class=\"num\">Median</th>\
                 </tr></thead><tbody>",
            );
            for c in &t.columns {
                let _ = write!(
                    body,
                    "<tr><td>{}</td><td class=\"num\">{}</td></tr>",
                    esc(&read::display_name(&c.name)),
                    read::shown(t, 0, &c.name).map_or("–".to_string(), |v| esc(&v))
                );
            }
            body.push_str("</tbody></table></div>");
        }
        Ok(_) => body.push_str("<p>No values.</p>"),
        Err(why) => {
            let _ = write!(body, "<p class=\"error-text\">{}</p>", esc(&why));
        }
    }
    body.push_str(
        "</section><section id=\"members\" class=\"card wide\"><h2>Members ranked by score</h2>",
    );
    let notes = data.money_note.iter().chain(messages(&data.members));
    for note in notes {
        let _ = write!(body, "<p class=\"hint money-note\">{}</p>", esc(note));
    }
    match &members {
        Ok(t) => body.push_str(&html::table(
            t,
            &TableOptions {
                id: Some("members-table"),
                ..TableOptions::default()
            },
        )),
        Err(why) => {
            let _ = write!(body, "<p class=\"error-text\">{}</p>", esc(why));
        }
    }
    body.push_str("</section></div>");
    body
}

/// The message lines a statement gave beside its tables (values left out for want of an
/// exchange rate).
fn messages(r: &Result<Vec<Output>>) -> impl Iterator<Item = &String> {
    r.iter().flatten().filter_map(|o| match o {
        Output::Message(m) => Some(m),
        Output::Table(_) => None,
    })
}
