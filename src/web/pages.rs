//! The home page (search, industries, sectors and the query console), the search results
//! page, and the pages for what is not there or not allowed.

use super::html::{self, Shell, TableOptions, esc};
use super::{Answer, App, Problem};
use crate::output::{Output, Table, style::format_duration};
use axum::extract::{Form, Query, State, rejection::FormRejection};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use std::fmt::Write as _;

/// An HTML page as a response.
pub fn html_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // Pages show the database as it is now: a write must show on the next load.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// A page in the shell, with this server's token and mode.
pub fn shell_page(app: &App, title: &str, search: &str, body: &str) -> String {
    html::page(
        &Shell {
            title,
            token: &app.token,
            read_only: app.read_only,
            search,
        },
        body,
    )
}

/// A page saying why a request was refused.
pub fn refused_page(app: &App, status: StatusCode, why: &str) -> Response {
    let body = format!(
        "<h1>Refused</h1><p class=\"error-text\">{}</p><p><a href=\"/\">Home</a></p>",
        esc(why)
    );
    html_response(status, shell_page(app, "Refused", "", &body))
}

/// A page for a problem that stopped a page's statements (a timeout, a busy server).
pub fn problem_page(app: &App, p: &Problem) -> Response {
    let body = format!(
        "<h1>No answer</h1><pre class=\"error\">{}</pre><p><a href=\"/\">Home</a></p>",
        esc(&p.display)
    );
    html_response(p.status, shell_page(app, "No answer", "", &body))
}

/// The 404 page, for any path the server does not have.
pub async fn not_found(State(app): State<App>, uri: Uri) -> Response {
    not_found_page(&app, &format!("There is no page at {}.", uri.path()), "")
}

/// A 404 page with a message, and the search box filled with what was looked for.
pub fn not_found_page(app: &App, message: &str, search: &str) -> Response {
    let body = format!(
        "<h1>Not found</h1><p class=\"error-text\">{}</p>\
         <p>Search for a company above, or go <a href=\"/\">home</a> to browse industries.</p>",
        esc(message)
    );
    html_response(
        StatusCode::NOT_FOUND,
        shell_page(app, "Not found", search, &body),
    )
}

/// `?q=` on the home page: statements to run in the console (reads only).
#[derive(Deserialize, Default)]
pub struct ConsoleQuery {
    q: Option<String>,
}

/// The console's form.
#[derive(Deserialize)]
pub struct ConsoleForm {
    q: String,
    token: Option<String>,
}

/// `GET /`: the home page; with `?q=`, the console runs those statements (a link to a
/// result can be shared, and a GET never writes).
pub async fn home(State(app): State<App>, Query(p): Query<ConsoleQuery>) -> Response {
    let ran = match p.q {
        Some(q) if !q.trim().is_empty() => {
            let right = app.get_right();
            Some((q.clone(), app.run_script(q, right).await))
        }
        _ => None,
    };
    home_page(&app, ran).await
}

/// `POST /`: the console's form; writes need the token the form carries.
pub async fn console_post(
    State(app): State<App>,
    form: Result<Form<ConsoleForm>, FormRejection>,
) -> Response {
    let Form(form) = match form {
        Ok(f) => f,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return refused_page(
                &app,
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the statements are over the {} MB limit",
                    super::BODY_LIMIT >> 20
                ),
            );
        }
        Err(e) => return refused_page(&app, e.status(), &e.body_text()),
    };
    let right = app.write_right(form.token.as_deref());
    let result = app.run_script(form.q.clone(), right).await;
    home_page(&app, Some((form.q, result))).await
}

/// The home page, with the console's last run when there is one.
async fn home_page(app: &App, ran: Option<(String, Result<Answer, Problem>)>) -> Response {
    let listings = app
        .session(|s| {
            let count = s.companies().map(|c| c.len());
            let industries = s.execute("show industries");
            let sectors = s.execute("show sectors");
            (count, industries, sectors)
        })
        .await;
    let mut body = String::new();
    match &listings {
        Ok((count, industries, sectors)) => {
            let count = count.as_ref().map_or(0, |n| *n);
            let _ = write!(
                body,
                "<section class=\"intro\"><h1>Company fundamentals</h1>\
                 <p>{count} companies in <code>{}</code>. Find one with the search box, browse \
                 an industry or a sector, or ask the <a href=\"#console\">console</a>.</p></section>",
                esc(&app.db_name)
            );
            body.push_str("<div class=\"columns\">");
            listing(&mut body, "Industries", industries);
            listing(&mut body, "Sectors", sectors);
            body.push_str("</div>");
        }
        Err(p) => {
            let _ = write!(body, "<pre class=\"error\">{}</pre>", esc(&p.display));
        }
    }
    let status = match &ran {
        Some((_, Err(p))) => p.status,
        Some((_, Ok(a))) => a.problem.as_ref().map_or(StatusCode::OK, |p| p.status),
        None => StatusCode::OK,
    };
    body.push_str(&console(app, ran.as_ref()));
    html_response(status, shell_page(app, "finq", "", &body))
}

/// A listing (`show industries`, `show sectors`) as a section.
fn listing(body: &mut String, title: &str, outputs: &crate::error::Result<Vec<Output>>) {
    let _ = write!(body, "<section class=\"listing\"><h2>{title}</h2>");
    match outputs {
        Ok(outputs) => {
            for o in outputs {
                if let Output::Table(t) = o {
                    body.push_str(&html::table(t, &TableOptions::default()));
                }
            }
        }
        Err(e) => {
            let _ = write!(body, "<p class=\"error-text\">{}</p>", esc(&e.to_string()));
        }
    }
    body.push_str("</section>");
}

/// The console: the statement box, and the results or error of the last run.
fn console(app: &App, ran: Option<&(String, Result<Answer, Problem>)>) -> String {
    let text = ran.map_or("", |(q, _)| q.as_str());
    let example = "select roe, pb, market_cap rank limit 10";
    let mut out = format!(
        "<section id=\"console\" class=\"console\"><h2>Console</h2>\
         <form method=\"post\" action=\"/#console\">\
         <textarea id=\"statements\" name=\"q\" rows=\"4\" spellcheck=\"false\" \
         placeholder=\"{example}\" aria-label=\"Statements\">{}</textarea>\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\
         <div class=\"actions\"><button id=\"run\" type=\"submit\">Run</button>\
         <span class=\"hint\">Ctrl+Enter runs. Statements as in the REPL; {}</span></div></form>",
        esc(text),
        esc(&app.token),
        if app.read_only {
            "this server is read-only."
        } else {
            "writes are atomic, one at a time."
        }
    );
    let Some((text, result)) = ran else {
        out.push_str("</section>");
        return out;
    };
    out.push_str("<div id=\"result\" class=\"result\">");
    match result {
        Err(p) => {
            let _ = write!(out, "<pre class=\"error\">{}</pre>", esc(&p.display));
        }
        Ok(answer) => {
            for (i, r) in answer.run.ran.iter().enumerate() {
                let rows: usize = r.outputs.iter().map(Output::rows).sum();
                let _ = write!(
                    out,
                    "<div class=\"statement\"><pre class=\"stmt\">{}</pre>",
                    esc(&r.text)
                );
                for o in &r.outputs {
                    match o {
                        Output::Table(t) => out.push_str(&result_table(t, i)),
                        Output::Message(m) => {
                            let _ = write!(out, "<p class=\"message\">{}</p>", esc(m));
                        }
                    }
                }
                let _ = write!(
                    out,
                    "<p class=\"footer\">{rows} row{} · {}</p></div>",
                    if rows == 1 { "" } else { "s" },
                    esc(&format_duration(r.elapsed))
                );
            }
            if let Some(p) = &answer.problem {
                let _ = write!(out, "<pre class=\"error\">{}</pre>", esc(&p.display));
            }
            if answer.reads_only && answer.problem.is_none() && !answer.run.ran.is_empty() {
                let _ = write!(
                    out,
                    "<p class=\"downloads\">Total {} · download \
                     <a id=\"csv\" href=\"{}\">CSV</a> · <a id=\"json\" href=\"{}\">JSON</a> · \
                     <a href=\"/?q={}#console\">link to this result</a></p>",
                    esc(&format_duration(answer.run.elapsed())),
                    esc(&super::api::download_link(text, "csv")),
                    esc(&super::api::download_link(text, "json")),
                    esc(&html::url_part(text)),
                );
            }
        }
    }
    out.push_str("</div></section>");
    out
}

/// A console result table; the `id` lets a test or a bookmark find the n-th.
fn result_table(t: &Table, n: usize) -> String {
    let id = format!("result-{}", n + 1);
    html::table(
        t,
        &TableOptions {
            id: Some(&id),
            ..TableOptions::default()
        },
    )
}

/// `?q=` of the search page.
#[derive(Deserialize)]
pub struct SearchQuery {
    q: Option<String>,
}

/// `GET /search?q=`: the company whose symbol it is, or a list of matches (the search box
/// without JavaScript).
pub async fn search(State(app): State<App>, Query(p): Query<SearchQuery>) -> Response {
    let q = p.q.unwrap_or_default();
    let found = match app.search(q.clone(), 50).await {
        Ok(f) => f,
        Err(p) => return problem_page(&app, &p),
    };
    if let Some(first) = found.first()
        && first.symbol.eq_ignore_ascii_case(q.trim())
    {
        return Redirect::to(&format!("/company/{}", html::url_part(&first.symbol)))
            .into_response();
    }
    let mut body = format!("<h1>Search: {}</h1>", esc(&q));
    if found.is_empty() {
        body.push_str("<p>No company matches.</p>");
    } else {
        body.push_str("<ul class=\"found\">");
        for f in &found {
            let _ = write!(
                body,
                "<li>{} {}{}</li>",
                html::company_link(&f.symbol),
                esc(f.name.as_deref().unwrap_or("")),
                f.industry
                    .as_deref()
                    .map(|i| format!(" · {}", html::group_link("industry", i)))
                    .unwrap_or_default()
            );
        }
        body.push_str("</ul>");
    }
    html_response(StatusCode::OK, shell_page(&app, "Search", &q, &body))
}
