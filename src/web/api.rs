//! The JSON API: `/api/query` runs statements (GET `?q=` for reads, POST for anything the
//! request may do) and answers with what `--format json` prints; `/api/search` gives the
//! companies matching what is typed in the search box.

use super::security::WriteRight;
use super::{App, Problem};
use crate::output::{self, Format, Output};
use axum::body::Bytes;
use axum::extract::{FromRequest, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::fmt::Write as _;

/// The query string of `/api/query`.
#[derive(Deserialize, Default)]
pub struct QueryParams {
    /// The statements (GET).
    q: Option<String>,
    /// `json` (default) or `csv`.
    format: Option<String>,
    /// Ask the browser to save the answer as a file.
    download: Option<String>,
}

/// A form POSTed to `/api/query`.
#[derive(Deserialize)]
struct QueryForm {
    q: String,
    token: Option<String>,
}

/// `GET /api/query?q=...`: reads only.
pub async fn query_get(State(app): State<App>, Query(p): Query<QueryParams>) -> Response {
    let Some(q) = p.q.clone() else {
        return error_response(
            StatusCode::BAD_REQUEST,
            "give the statements as ?q=, or POST them",
            None,
        );
    };
    answer(&app, q, WriteRight::ByGet, &p).await
}

/// `POST /api/query`: the body is the statements (any content type), or a form with `q`
/// (and `token`). A write needs the token, as a form field or the `X-Finq-Token` header.
pub async fn query_post(
    State(app): State<App>,
    Query(p): Query<QueryParams>,
    request: Request,
) -> Response {
    let headers = request.headers().clone();
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let bytes = match Bytes::from_request(request, &()).await {
        Ok(bytes) => bytes,
        Err(e) => return body_refused(e.status(), &e.body_text()),
    };
    // A form with a `q` field is the console's (or a script's) form; any other body is the
    // statements themselves, as `curl --data 'select roe'` sends them, form type and all.
    let form = if is_form {
        form_fields(&bytes).await
    } else {
        None
    };
    let (text, form_token) = match form {
        Some(f) => (f.q, f.token),
        None => match String::from_utf8(bytes.to_vec()) {
            Ok(text) => (text, None),
            Err(_) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    "the statements are not UTF-8 text",
                    None,
                );
            }
        },
    };
    let presented = form_token.or_else(|| {
        headers
            .get("x-finq-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let right = app.write_right(presented.as_deref());
    answer(&app, text, right, &p).await
}

/// The fields of a form body, when it is a form with a `q` field.
async fn form_fields(bytes: &Bytes) -> Option<QueryForm> {
    let request = Request::builder()
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from(bytes.clone()))
        .ok()?;
    axum::Form::<QueryForm>::from_request(request, &())
        .await
        .ok()
        .map(|axum::Form(f)| f)
}

/// A body that could not be read: over the size limit, or a malformed form.
fn body_refused(status: StatusCode, detail: &str) -> Response {
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!(
            "the request body is over the {} MB limit",
            super::BODY_LIMIT >> 20
        )
    } else {
        detail.to_string()
    };
    error_response(status, &message, None)
}

/// Runs the statements and answers in the requested format.
async fn answer(app: &App, text: String, right: WriteRight, p: &QueryParams) -> Response {
    let csv = p
        .format
        .as_deref()
        .is_some_and(|f| f.eq_ignore_ascii_case("csv"));
    if let Some(f) = p.format.as_deref()
        && !csv
        && !f.eq_ignore_ascii_case("json")
    {
        return error_response(
            StatusCode::BAD_REQUEST,
            &format!("'{f}' is not a format here (json, csv)"),
            None,
        );
    }
    let run = match app.run_script(text, right).await {
        Ok(run) => run,
        Err(problem) => return problem_response(&problem),
    };
    if let Some(problem) = &run.problem {
        return problem_response(problem);
    }
    let outputs: Vec<&Output> = run.run.ran.iter().flat_map(|r| &r.outputs).collect();
    let elapsed = run.run.elapsed();
    let (body, content_type, file) = if csv {
        (to_csv(&outputs), "text/csv; charset=utf-8", "finq.csv")
    } else {
        (to_json(&outputs), "application/json", "finq.json")
    };
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("{:.3}", elapsed.as_secs_f64() * 1000.0)) {
        h.insert("x-finq-ms", v);
    }
    if p.download.is_some()
        && let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\""))
    {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// What `--format json` prints for one table (its array of rows) when the statements gave
/// exactly that; otherwise one array holding, in order, each table's array and each
/// message as `{"message": ...}`.
pub fn to_json(outputs: &[&Output]) -> String {
    if let [Output::Table(t)] = outputs {
        return output::render(t, Format::Json);
    }
    let parts: Vec<String> = outputs
        .iter()
        .map(|o| match o {
            Output::Table(t) => output::render(t, Format::Json).trim_end().to_string(),
            Output::Message(m) => serde_json::json!({ "message": m }).to_string(),
        })
        .collect();
    format!("[\n{}\n]\n", parts.join(",\n"))
}

/// Each table as `--format csv` prints it, a blank line between tables; messages are not
/// data and are left out.
fn to_csv(outputs: &[&Output]) -> String {
    let mut out = String::new();
    for o in outputs {
        if let Output::Table(t) = o {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&output::render(t, Format::Csv));
        }
    }
    out
}

/// A problem as a JSON error object.
pub fn problem_response(p: &Problem) -> Response {
    let mut body = serde_json::json!({
        "error": p.message,
        "line": p.at.map(|a| a.line),
        "column": p.at.map(|a| a.column),
        "statement": p.statement,
        "display": p.display,
    });
    if let Some(done) = p.completed {
        body["completed"] = done.into();
    }
    json_response(p.status, body.to_string())
}

/// An error without a place as a JSON error object.
pub fn error_response(status: StatusCode, message: &str, statement: Option<usize>) -> Response {
    let body = serde_json::json!({
        "error": message,
        "line": null,
        "column": null,
        "statement": statement,
    });
    json_response(status, body.to_string())
}

fn json_response(status: StatusCode, body: String) -> Response {
    let mut r = (status, body + "\n").into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

/// The query string of `/api/search`.
#[derive(Deserialize)]
pub struct SearchParams {
    q: Option<String>,
}

/// `GET /api/search?q=`: up to 10 companies whose symbol or name matches, best first.
pub async fn search(State(app): State<App>, Query(p): Query<SearchParams>) -> Response {
    let q = p.q.unwrap_or_default();
    match app.search(q, 10).await {
        Ok(found) => {
            let rows: Vec<serde_json::Value> = found
                .iter()
                .map(|c| serde_json::json!({ "symbol": c.symbol, "name": c.name, "industry": c.industry }))
                .collect();
            json_response(StatusCode::OK, serde_json::Value::from(rows).to_string())
        }
        Err(p) => problem_response(&p),
    }
}

/// A `?q=` link to the API for statements, in a format, to download.
pub fn download_link(text: &str, format: &str) -> String {
    let mut s = String::from("/api/query?q=");
    s.push_str(&super::html::url_part(text));
    let _ = write!(s, "&format={format}&download=1");
    s
}
