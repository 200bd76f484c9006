//! `/company/SYMBOL`: a company's quote page. Its figures are the results of finq's own
//! statements — `describe`, `score`, `valuation`, `peers of`, `fscore` and `series` — run
//! in one read job on a session thread, so the page shows exactly what the terminal would; a
//! statement that fails leaves a note in its section, not a broken page.

use super::html::{self, TableOptions, esc};
use super::pages::{html_response, not_found_page, problem_page, shell_page};
use super::{App, quoted};
use crate::charts::{self, read};
use crate::error::Result;
use crate::output::{Output, Table};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use std::fmt::Write as _;

/// How many peers the page lists; the industry page has them all.
const PEERS: usize = 15;

/// The metrics drawn over time.
const HISTORY: &str = "revenue, net_income, roe";

/// The results of the page's statements, each kept apart so one failing leaves the others.
struct CompanyData {
    symbol: String,
    describe: Result<Vec<Output>>,
    score: Result<Vec<Output>>,
    valuation: Result<Vec<Output>>,
    peers: Result<Vec<Output>>,
    fscore: Result<Vec<Output>>,
    series: Result<Vec<Output>>,
}

/// `GET /company/SYMBOL`.
pub async fn page(State(app): State<App>, Path(symbol): Path<String>) -> Response {
    let wanted = symbol.clone();
    let data = app
        .session(move |s| -> Result<Option<CompanyData>> {
            let companies = s.companies()?;
            let Some(row) = companies.index_of(&wanted) else {
                return Ok(None);
            };
            // The symbol as stored, quoted: the URL's text never becomes statement text.
            let symbol = companies.rows[row].symbol.to_string();
            let q = quoted(&symbol);
            Ok(Some(CompanyData {
                describe: s.execute(&format!("describe {q}")),
                score: s.execute(&format!("score {q}")),
                valuation: s.execute(&format!("valuation {q}")),
                peers: s.execute(&format!("peers of {q} limit {PEERS}")),
                fscore: s.execute(&format!("fscore {q}")),
                series: s.execute(&format!("series {HISTORY} of {q}")),
                symbol,
            }))
        })
        .await;
    let data = match data {
        Ok(Ok(Some(d))) => d,
        Ok(Ok(None)) => {
            return not_found_page(
                &app,
                &format!("No company has the symbol '{symbol}' in this database."),
                &symbol,
            );
        }
        Ok(Err(e)) => {
            let p = super::Problem::from_error(StatusCode::INTERNAL_SERVER_ERROR, &e, "");
            return problem_page(&app, &p);
        }
        Err(p) => return problem_page(&app, &p),
    };
    let results = [
        &data.describe,
        &data.score,
        &data.valuation,
        &data.peers,
        &data.fscore,
        &data.series,
    ];
    if let Some(p) = super::stopped_among(results) {
        return problem_page(&app, &p);
    }
    // Rendering (tables and charts) happens here, off the session threads.
    let (title, body) = render(&data);
    html_response(StatusCode::OK, shell_page(&app, &title, "", &body))
}

/// The first table a statement gave, or why there is none.
pub(super) fn first_table(r: &Result<Vec<Output>>) -> std::result::Result<&Table, String> {
    match r {
        Ok(outputs) => outputs
            .iter()
            .find_map(|o| match o {
                Output::Table(t) => Some(t),
                Output::Message(_) => None,
            })
            .ok_or_else(|| "no result".to_string()),
        Err(e) => Err(e.to_string()),
    }
}

/// The n-th table a statement gave.
fn nth_table(r: &Result<Vec<Output>>, n: usize) -> Option<&Table> {
    r.as_ref()
        .ok()?
        .iter()
        .filter_map(|o| match o {
            Output::Table(t) => Some(t),
            Output::Message(_) => None,
        })
        .nth(n)
}

/// A note in place of a section whose statement failed.
fn unavailable(why: &str) -> String {
    format!("<p class=\"error-text\">Not available: {}</p>", esc(why))
}

/// What `describe` says: attributes by name, and each metric's latest value as shown.
struct Profile<'a> {
    attributes: Vec<(&'a str, &'a str)>,
    metrics: Option<&'a Table>,
}

impl<'a> Profile<'a> {
    fn read(data: &'a CompanyData) -> Profile<'a> {
        let mut attributes = Vec::new();
        if let Some(t) = nth_table(&data.describe, 0) {
            for r in 0..t.rows.len() {
                if let (Some(k), Some(v)) = (
                    read::text(read::cell(t, r, "attribute")),
                    read::text(read::cell(t, r, "value")),
                ) {
                    attributes.push((k, v));
                }
            }
        }
        Profile {
            attributes,
            metrics: nth_table(&data.describe, 1),
        }
    }

    fn attr(&self, name: &str) -> Option<&'a str> {
        self.attributes
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    /// A metric's latest value, as a number and as shown.
    fn metric(&self, id: &str) -> Option<(f64, String)> {
        let t = self.metrics?;
        let row =
            (0..t.rows.len()).find(|&r| read::text(read::cell(t, r, "metric")) == Some(id))?;
        Some((
            read::number(read::cell(t, row, "latest"))?,
            read::shown(t, row, "latest")?,
        ))
    }
}

/// The page's title and main content.
fn render(data: &CompanyData) -> (String, String) {
    let profile = Profile::read(data);
    let name = profile.attr("name").unwrap_or(&data.symbol);
    let title = format!("{} — {name}", data.symbol);
    let mut body = String::new();
    header(&mut body, data, &profile, name);
    body.push_str("<div class=\"grid\">");
    scorecard(&mut body, data, &profile);
    valuation(&mut body, data);
    analysts(&mut body, &profile);
    published(&mut body, data, &profile);
    peers(&mut body, data);
    fscore(&mut body, data);
    history(&mut body, data);
    figures(&mut body, data, &profile);
    body.push_str("</div>");
    (title, body)
}

fn header(body: &mut String, data: &CompanyData, p: &Profile, name: &str) {
    let _ = write!(
        body,
        "<section class=\"company-head\"><h1><span id=\"company-name\">{}</span> \
         <span class=\"symbol\" id=\"company-symbol\">{}</span></h1><p class=\"facts\">",
        esc(name),
        esc(&data.symbol)
    );
    let mut facts: Vec<String> = Vec::new();
    if let Some(i) = p.attr("industry") {
        facts.push(format!("Industry {}", html::group_link("industry", i)));
    }
    if let Some(s) = p.attr("sector") {
        facts.push(format!("Sector {}", html::group_link("sector", s)));
    }
    let currency = p.attr("currency").or_else(|| p.attr("trading_currency"));
    facts.push(format!(
        "Currency <span id=\"currency\">{}</span>",
        esc(currency.unwrap_or("not given"))
    ));
    for (label, attr) in [("Exchange", "exchange"), ("Country", "country")] {
        if let Some(v) = p.attr(attr) {
            facts.push(format!("{label} {}", esc(v)));
        }
    }
    body.push_str(&facts.join(" · "));
    body.push_str("</p>");
    if let Some(o) = p.attr("overview") {
        let _ = write!(body, "<p class=\"overview\">{}</p>", esc(o));
    }
    body.push_str("</section>");
}

/// `k / n` from two cells, or a dash.
fn rank_of(t: &Table, rank: &str, size: &str) -> String {
    match (
        read::number(read::cell(t, 0, rank)),
        read::number(read::cell(t, 0, size)),
    ) {
        (Some(k), Some(n)) => format!("{k} / {n}"),
        _ => "–".to_string(),
    }
}

fn scorecard(body: &mut String, data: &CompanyData, p: &Profile) {
    body.push_str("<section id=\"scorecard\" class=\"card wide\"><h2>Financial score</h2>");
    let t = match first_table(&data.score) {
        Ok(t) if !t.rows.is_empty() => t,
        Ok(_) => return body.push_str("<p>No scorecard.</p></section>"),
        Err(why) => {
            body.push_str(&unavailable(&why));
            return body.push_str("</section>");
        }
    };
    let score = read::number(read::cell(t, 0, "score"));
    let grade = read::text(read::cell(t, 0, "score_grade"));
    let group = read::text(read::cell(t, 0, "peer_group")).unwrap_or("");
    let group_link = match group.split_once(' ') {
        Some((kind @ ("industry" | "sector"), name)) => {
            format!("{kind} {}", html::group_link(kind, name))
        }
        _ => esc(group),
    };
    let members = read::number(read::cell(t, 0, "peer_group_companies"))
        .map(|n| format!(" ({n} companies)"))
        .unwrap_or_default();
    body.push_str("<div class=\"score-row\"><dl class=\"summary\">");
    let _ = write!(
        body,
        "<dt>Score</dt><dd><span id=\"score-value\" class=\"big\">{}</span> \
         <span id=\"score-grade\">{}</span></dd>",
        score.map_or("–".to_string(), |s| format!("{s:.2}")),
        html::grade(grade),
    );
    let _ = write!(
        body,
        "<dt>Industry rank</dt><dd id=\"industry-rank\">{}</dd>\
         <dt>Industry median</dt><dd id=\"median-grade\">{}</dd>\
         <dt>Peer group</dt><dd id=\"peer-group\">{group_link}{members}</dd>",
        rank_of(t, "industry_rank", "group_size"),
        html::grade(read::text(read::cell(t, 0, "median_grade"))),
    );
    if score.is_none() {
        body.push_str(
            "<dt>Note</dt><dd>No overall score: fewer than 3 of the dimensions have values.</dd>",
        );
    }
    body.push_str("</dl>");
    match read::score_radar(t).map(|r| charts::radar(&r)) {
        Some(Ok(svg)) => {
            let _ = write!(body, "<figure id=\"radar\" class=\"chart\">{svg}</figure>");
        }
        Some(Err(e)) => body.push_str(&unavailable(&e.to_string())),
        None => {}
    }
    body.push_str("</div>");
    indicators(body, t, p);
    body.push_str("</section>");
}

/// The indicator table: each dimension's grade, then its indicators' values, percentiles
/// and grades, with the quote page's published rating beside them when there is one.
fn indicators(body: &mut String, t: &Table, p: &Profile) {
    let dims: Vec<&str> = t
        .columns
        .iter()
        .filter_map(|c| c.name.strip_suffix("_score"))
        .filter(|d| !d.is_empty() && read::column(t, &format!("{d}_grade")).is_some())
        .collect();
    let indicators: Vec<&str> = t
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .filter(|n| {
            read::column(t, &format!("{n}_pct")).is_some()
                && read::column(t, &format!("{n}_grade")).is_some()
        })
        .collect();
    let any_published = indicators
        .iter()
        .any(|i| p.attr(&format!("published_rating_{i}")).is_some());
    body.push_str(
        "<div class=\"scroll\"><table class=\"data\" id=\"indicators\"><thead><tr>\
         <th scope=\"col\">Dimension</th><th scope=\"col\">Indicator</th>\
         <th scope=\"col\" class=\"num\">Value</th><th scope=\"col\" class=\"num\">Percentile</th>\
         <th scope=\"col\">Grade</th>",
    );
    if any_published {
        body.push_str("<th scope=\"col\">Published</th>");
    }
    body.push_str("</tr></thead><tbody>");
    // Indicators go under their catalog dimension; any the card's dimensions do not name
    // follow at the end.
    let mut placed: Vec<&str> = Vec::new();
    let mut groups: Vec<(Option<&str>, Vec<&str>)> = dims
        .iter()
        .map(|d| {
            let members: Vec<&str> = indicators
                .iter()
                .copied()
                .filter(|i| read::dimension_of(i) == Some(*d))
                .collect();
            placed.extend(&members);
            (Some(*d), members)
        })
        .collect();
    let rest: Vec<&str> = indicators
        .iter()
        .copied()
        .filter(|i| !placed.contains(i))
        .collect();
    if !rest.is_empty() {
        groups.push((None, rest));
    }
    for (dim, members) in &groups {
        let span = members.len().max(1);
        let dim_cell = match dim {
            Some(d) => format!(
                "<th scope=\"row\" rowspan=\"{span}\">{} {}</th>",
                esc(&capitalised(d)),
                html::grade(read::text(read::cell(t, 0, &format!("{d}_grade"))))
            ),
            None => format!("<th scope=\"row\" rowspan=\"{span}\">Other</th>"),
        };
        if members.is_empty() {
            let _ = write!(
                body,
                "<tr>{dim_cell}<td colspan=\"4\">no indicators</td></tr>"
            );
            continue;
        }
        for (k, i) in members.iter().enumerate() {
            body.push_str("<tr>");
            if k == 0 {
                body.push_str(&dim_cell);
            }
            let pct = read::number(read::cell(t, 0, &format!("{i}_pct")));
            let _ = write!(
                body,
                "<td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td>",
                esc(&read::display_name(i)),
                read::shown(t, 0, i).map_or("–".to_string(), |v| esc(&v)),
                pct.map_or("–".to_string(), |v| format!("{v:.2}")),
                html::grade(read::text(read::cell(t, 0, &format!("{i}_grade")))),
            );
            if any_published {
                let _ = write!(
                    body,
                    "<td>{}</td>",
                    html::grade(p.attr(&format!("published_rating_{i}")))
                );
            }
            body.push_str("</tr>");
        }
    }
    body.push_str("</tbody></table></div>");
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn valuation(body: &mut String, data: &CompanyData) {
    body.push_str("<section id=\"valuation\" class=\"card wide\"><h2>Valuation</h2>");
    match first_table(&data.valuation) {
        Ok(t) => {
            match charts::band(&read::valuation_band(t)) {
                Ok(svg) => {
                    let _ = write!(body, "<figure id=\"band\" class=\"chart\">{svg}</figure>");
                }
                Err(e) => body.push_str(&unavailable(&e.to_string())),
            }
            body.push_str(&html::table(
                t,
                &TableOptions {
                    id: Some("valuation-table"),
                    ..TableOptions::default()
                },
            ));
        }
        Err(why) => body.push_str(&unavailable(&why)),
    }
    body.push_str("</section>");
}

/// The analyst view a quote page brought: ratings, targets, price.
fn analysts(body: &mut String, p: &Profile) {
    let Some(t) = p.metrics else { return };
    let rows: Vec<(String, String)> = (0..t.rows.len())
        .filter_map(|r| {
            let id = read::text(read::cell(t, r, "metric"))?;
            let wanted =
                id.starts_with("analyst") || matches!(id, "price" | "target_high" | "target_low");
            wanted.then(|| {
                let name = read::text(read::cell(t, r, "name"))
                    .unwrap_or(id)
                    .to_string();
                (name, read::shown(t, r, "latest").unwrap_or_default())
            })
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    body.push_str(
        "<section id=\"analysts\" class=\"card\"><h2>Analyst view</h2><dl class=\"pairs\">",
    );
    for (name, value) in &rows {
        let _ = write!(body, "<dt>{}</dt><dd>{}</dd>", esc(name), esc(value));
    }
    if let Some(d) = p.attr("analyst_rating_as_of") {
        let _ = write!(body, "<dt>As of</dt><dd>{}</dd>", esc(d));
    }
    body.push_str("</dl></section>");
}

/// The figures an imported quote page published, beside finq's own.
fn published(body: &mut String, data: &CompanyData, p: &Profile) {
    let mut rows: Vec<(String, String, String)> = Vec::new();
    if let Ok(t) = first_table(&data.score)
        && !t.rows.is_empty()
    {
        if let Some((_, v)) = p.metric("published_score") {
            let own =
                read::number(read::cell(t, 0, "score")).map_or("–".into(), |s| format!("{s:.2}"));
            rows.push(("Score".into(), esc(&v), own));
        }
        if let Some(g) = p.attr("published_grade") {
            rows.push((
                "Grade".into(),
                html::grade(Some(g)),
                html::grade(read::text(read::cell(t, 0, "score_grade"))),
            ));
        }
        if let (Some((k, _)), Some((n, _))) = (
            p.metric("published_industry_rank"),
            p.metric("published_industry_size"),
        ) {
            rows.push((
                "Industry rank".into(),
                format!("{k} / {n}"),
                rank_of(t, "industry_rank", "group_size"),
            ));
        }
        if let Some(g) = p.attr("published_industry_median") {
            rows.push((
                "Industry median".into(),
                html::grade(Some(g)),
                html::grade(read::text(read::cell(t, 0, "median_grade"))),
            ));
        }
    }
    if let Ok(t) = first_table(&data.valuation) {
        for r in 0..t.rows.len() {
            let Some(id) = read::text(read::cell(t, r, "metric")) else {
                continue;
            };
            let band =
                ["low", "median", "high"].map(|k| p.metric(&format!("{id}_{k}")).map(|(_, s)| s));
            if band.iter().any(Option::is_some) {
                let shown = band.map(|b| b.unwrap_or_else(|| "–".into())).join(" / ");
                let own = ["low", "median", "high"]
                    .map(|k| read::shown(t, r, k).unwrap_or_else(|| "–".into()))
                    .join(" / ");
                rows.push((
                    format!("{} low / median / high", read::display_name(id)),
                    esc(&shown),
                    esc(&own),
                ));
            }
            if let Some((k, _)) = p.metric(&format!("{id}_industry_rank")) {
                let own = read::shown(t, r, "industry_ranking").unwrap_or_else(|| "–".into());
                rows.push((
                    format!("{} industry rank", read::display_name(id)),
                    format!("{k}"),
                    esc(&own),
                ));
            }
        }
    }
    if rows.is_empty() {
        return;
    }
    body.push_str(
        "<section id=\"published\" class=\"card\"><h2>Published on the quote page</h2>\
         <div class=\"scroll\"><table class=\"data\"><thead><tr><th scope=\"col\">Figure</th>\
         <th scope=\"col\">Published</th><th scope=\"col\">finq</th></tr></thead><tbody>",
    );
    for (label, theirs, ours) in &rows {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{theirs}</td><td>{ours}</td></tr>",
            esc(label)
        );
    }
    body.push_str("</tbody></table></div></section>");
}

fn peers(body: &mut String, data: &CompanyData) {
    body.push_str("<section id=\"peers\" class=\"card wide\"><h2>Peers</h2>");
    match first_table(&data.peers) {
        Ok(t) => {
            body.push_str(&html::table(
                t,
                &TableOptions {
                    id: Some("peers-table"),
                    subject: Some(&data.symbol),
                    hide: &["subject"],
                    ..TableOptions::default()
                },
            ));
            // The company and its closest peers, side by side.
            let mut side: Vec<&str> = vec![&data.symbol];
            for r in 0..t.rows.len() {
                match read::text(read::cell(t, r, "symbol")) {
                    Some(p) if side.len() < 4 && !p.eq_ignore_ascii_case(&data.symbol) => {
                        side.push(p)
                    }
                    _ => {}
                }
            }
            if side.len() > 1 {
                let _ = write!(
                    body,
                    "<p><a id=\"compare-link\" href=\"{}\">Compare with {}</a></p>",
                    esc(&super::compare::link(&side)),
                    esc(&side[1..].join(", "))
                );
            }
        }
        Err(why) => body.push_str(&unavailable(&why)),
    }
    body.push_str("</section>");
}

fn fscore(body: &mut String, data: &CompanyData) {
    body.push_str("<section id=\"fscore\" class=\"card wide\"><h2>Piotroski F-score</h2>");
    match first_table(&data.fscore) {
        Ok(t) => body.push_str(&html::table(
            t,
            &TableOptions {
                id: Some("fscore-table"),
                ..TableOptions::default()
            },
        )),
        Err(why) => body.push_str(&unavailable(&why)),
    }
    body.push_str("</section>");
}

fn history(body: &mut String, data: &CompanyData) {
    body.push_str("<section id=\"history\" class=\"card wide\"><h2>Over time</h2>");
    match first_table(&data.series) {
        Ok(t) if t.rows.is_empty() => {
            body.push_str("<p>No revenue, net income or ROE points.</p>");
        }
        Ok(t) => {
            let (title, panels) = read::series_panels(t);
            match charts::lines(&title, &panels) {
                Ok(svg) => {
                    let _ = write!(body, "<figure id=\"lines\" class=\"chart\">{svg}</figure>");
                }
                Err(e) => body.push_str(&unavailable(&e.to_string())),
            }
        }
        Err(why) => body.push_str(&unavailable(&why)),
    }
    body.push_str("</section>");
}

/// Every attribute and every metric's latest value, folded away.
fn figures(body: &mut String, data: &CompanyData, p: &Profile) {
    body.push_str("<section id=\"figures\" class=\"card wide\"><h2>All figures</h2>");
    if let Some(t) = p.metrics {
        let _ = write!(
            body,
            "<details><summary>{} metrics, latest values</summary>{}</details>",
            t.rows.len(),
            html::table(t, &TableOptions::default())
        );
    }
    if let Some(t) = nth_table(&data.describe, 0) {
        let _ = write!(
            body,
            "<details><summary>{} attributes</summary>{}</details>",
            t.rows.len(),
            html::table(t, &TableOptions::default())
        );
    } else if let Err(e) = &data.describe {
        body.push_str(&unavailable(&e.to_string()));
    }
    body.push_str("</section>");
}
