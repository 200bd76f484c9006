//! `/compare?symbols=A,B,C`: companies side by side, as `compare` shows them — a chart of
//! each company's grade per metric within its own peer group, and the table of values and
//! grades. The company page links here with its closest peers.

use super::html::{self, TableOptions, esc};
use super::pages::{html_response, not_found_page, problem_page, shell_page};
use super::{App, Problem, quoted};
use crate::charts::{self, read};
use crate::error::Result;
use crate::output::Output;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::fmt::Write as _;

/// Companies one page compares at most (the chart's colours repeat after six).
pub const MOST: usize = 8;

#[derive(Deserialize, Default)]
pub struct CompareQuery {
    /// Symbols separated by commas.
    symbols: Option<String>,
}

/// The symbols of `?symbols=`, trimmed, without empty ones or repeats (ignoring case).
fn wanted(list: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(s)) {
            out.push(s.to_string());
        }
    }
    out
}

/// The link to the page comparing `symbols`.
pub fn link(symbols: &[&str]) -> String {
    let list: Vec<String> = symbols.iter().map(|s| html::url_part(s)).collect();
    format!("/compare?symbols={}", list.join(","))
}

/// `GET /compare?symbols=A,B,C`.
pub async fn page(State(app): State<App>, Query(q): Query<CompareQuery>) -> Response {
    let symbols = wanted(q.symbols.as_deref().unwrap_or(""));
    if symbols.len() < 2 || symbols.len() > MOST {
        let p = Problem::plain(
            StatusCode::BAD_REQUEST,
            format!(
                "compare needs from 2 to {MOST} companies, as /compare?symbols=A,B (given: {})",
                symbols.len()
            ),
        );
        return problem_page(&app, &p);
    }
    let asked = symbols.clone();
    let ran = app
        .session(
            move |s| -> Result<std::result::Result<Vec<Output>, String>> {
                let companies = s.companies()?;
                let mut stored = Vec::with_capacity(asked.len());
                for a in &asked {
                    match companies.index_of(a) {
                        Some(row) => stored.push(quoted(&companies.rows[row].symbol)),
                        None => return Ok(Err(a.clone())),
                    }
                }
                Ok(Ok(s.execute(&format!("compare {}", stored.join(", ")))?))
            },
        )
        .await;
    let outputs = match ran {
        Ok(Ok(Ok(o))) => o,
        Ok(Ok(Err(missing))) => {
            return not_found_page(
                &app,
                &format!("No company has the symbol '{missing}' in this database."),
                &missing,
            );
        }
        Ok(Err(e)) => {
            let p = Problem::from_error(StatusCode::INTERNAL_SERVER_ERROR, &e, "");
            return problem_page(&app, &p);
        }
        Err(p) => return problem_page(&app, &p),
    };
    let body = render(&symbols, &outputs);
    let title = format!("Compare {}", symbols.join(", "));
    html_response(StatusCode::OK, shell_page(&app, &title, "", &body))
}

fn render(symbols: &[String], outputs: &[Output]) -> String {
    let mut body =
        String::from("<section class=\"company-head\"><h1>Compare</h1><p class=\"facts\">");
    let links: Vec<String> = symbols.iter().map(|s| html::company_link(s)).collect();
    body.push_str(&links.join(" · "));
    body.push_str("</p></section><section id=\"compare\" class=\"card wide\">");
    for o in outputs {
        match o {
            Output::Table(t) => {
                match charts::compare(&read::compare_grades(t)) {
                    Ok(svg) => {
                        let _ = write!(
                            body,
                            "<figure id=\"compare-chart\" class=\"chart\">{svg}</figure>"
                        );
                    }
                    Err(e) => {
                        let _ = write!(body, "<p class=\"muted\">{}</p>", esc(&e.to_string()));
                    }
                }
                body.push_str(&html::table(
                    t,
                    &TableOptions {
                        id: Some("compare-table"),
                        ..TableOptions::default()
                    },
                ));
            }
            Output::Message(m) => {
                let _ = write!(body, "<p class=\"muted\">{}</p>", esc(m));
            }
        }
    }
    body.push_str(
        "<p class=\"muted\">Grades are within each company's own peer group (its industry, \
         or its sector when the industry is small), A best.</p></section>",
    );
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_trimmed_without_repeats() {
        assert_eq!(wanted(" KC.US, ,kc.us,AAPL.US,"), vec!["KC.US", "AAPL.US"]);
        assert!(wanted("").is_empty());
    }
}
