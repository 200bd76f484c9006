//! `finq serve`: a company's quote page for every company in the database, industry and
//! sector pages, a query console and a JSON API, over HTTP (WEB.md).
//!
//! How a request is served:
//!
//! 1. **Guard** ([`security::guard`]): requests from other sites and, on loopback, to other
//!    host names are refused; every response gets the safety headers.
//! 2. **Handler** (`pages`, `company`, `group`, `api`): parses any statements the request
//!    carries ([`AppState::run_script`]) and checks what they may do
//!    ([`security::permit`]) before anything runs.
//! 3. **Session threads** ([`worker`]): the statements (or a page's fixed set of
//!    statements, built with every name quoted) run on one of a few sessions over the one
//!    open database: reads side by side, a write alone; each job is stopped at the
//!    request's deadline.
//! 4. **Rendering**, back on the async runtime: tables become HTML ([`html`]), results
//!    become SVG charts ([`crate::charts`]), concurrently for many requests while the
//!    session threads run the next jobs.

pub mod api;
mod company;
mod compare;
mod group;
mod html;
mod pages;
pub mod security;
pub mod worker;

use crate::cli::render_error;
use crate::error::{Error, Position, Result};
use crate::query::parse_script;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Path as UrlPath};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use security::{WriteRight, token_matches};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use worker::{Mode, ScriptRun, Stall, Worker};

/// The largest request body accepted (WEB.md: 1 MB).
pub const BODY_LIMIT: usize = 1 << 20;

/// How `finq serve` was started.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    pub bind: IpAddr,
    /// 0 asks the system for a free port (printed on start).
    pub port: u16,
    pub read_only: bool,
    /// The longest a request's statements may run.
    pub timeout: Duration,
    /// Sessions (threads) reading side by side; writes take one at a time, alone.
    pub sessions: usize,
}

/// What every handler shares.
pub struct AppState {
    worker: Worker,
    /// The token a write must carry; the server's own pages embed it.
    token: String,
    read_only: bool,
    /// Listening on a loopback address: only localhost names are answered.
    loopback_only: bool,
    timeout: Duration,
    /// The database's name, for page footers and titles.
    db_name: String,
}

pub type App = Arc<AppState>;

/// Why a request's statements gave no result: a status, the message, and where in the
/// statements the error is, when it has a place.
#[derive(Clone, Debug)]
pub struct Problem {
    pub status: StatusCode,
    /// The message without the `error: ` prefix.
    pub message: String,
    /// As the terminal shows it: the message, and the line with a caret under the place.
    pub display: String,
    pub at: Option<Position>,
    /// The 1-based statement it is about.
    pub statement: Option<usize>,
    /// How many statements ran before it (their writes stand).
    pub completed: Option<usize>,
}

impl Problem {
    fn plain(status: StatusCode, message: impl Into<String>) -> Problem {
        let message = message.into();
        Problem {
            status,
            display: format!("error: {message}"),
            message,
            at: None,
            statement: None,
            completed: None,
        }
    }

    /// An error from finq, placed in `source` (the statements that were sent).
    fn from_error(status: StatusCode, e: &Error, source: &str) -> Problem {
        let message = e.to_string();
        // A statement stopped at the time limit is the server's limit, not a bad request.
        let status = match e {
            Error::Stopped(_) => StatusCode::SERVICE_UNAVAILABLE,
            _ => status,
        };
        Problem {
            status,
            message: message.trim_start_matches("error: ").to_string(),
            display: render_error(e, source),
            at: e.position(source),
            statement: None,
            completed: None,
        }
    }

    fn stalled(stall: Stall, timeout: Duration) -> Problem {
        let message = match stall {
            Stall::Busy => "the server is busy: too many requests are waiting for the database; \
                            try again"
                .to_string(),
            Stall::TimedOut(_) => format!(
                "stopped: the request ran longer than {} and did not stop",
                crate::error::stop::seconds(timeout)
            ),
            Stall::Stopped => "the server is stopping".to_string(),
            Stall::Panicked => {
                return Problem::plain(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "finq failed inside while running this (a bug; the server goes on)",
                );
            }
        };
        Problem::plain(StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

/// The time limit's error among a page's statements' results: a page whose statements
/// were stopped is answered as out of time, not drawn with holes.
fn stopped_among<'a>(
    results: impl IntoIterator<Item = &'a Result<Vec<crate::output::Output>>>,
) -> Option<Problem> {
    results.into_iter().find_map(|r| match r {
        Err(e @ Error::Stopped(_)) => Some(Problem::from_error(StatusCode::OK, e, "")),
        _ => None,
    })
}

/// A script's run as a request sees it: what ran, and the problem that stopped it.
pub struct Answer {
    pub run: ScriptRun,
    pub problem: Option<Problem>,
    /// The script only reads, so it can be offered again as a link or a download.
    pub reads_only: bool,
}

/// A company found by the search box.
#[derive(Clone, Debug)]
pub struct Found {
    pub symbol: String,
    pub name: Option<String>,
    pub industry: Option<String>,
}

impl AppState {
    /// When a request that starts now must have its answer.
    fn deadline(&self) -> Instant {
        Instant::now() + self.timeout
    }

    /// What a POST carrying `presented` as its token may do.
    pub fn write_right(&self, presented: Option<&str>) -> WriteRight {
        if self.read_only {
            WriteRight::ReadOnlyServer
        } else if presented.is_some_and(|t| token_matches(t, &self.token)) {
            WriteRight::Granted
        } else {
            WriteRight::NoToken
        }
    }

    /// What a GET may do: never write.
    pub fn get_right(&self) -> WriteRight {
        if self.read_only {
            WriteRight::ReadOnlyServer
        } else {
            WriteRight::ByGet
        }
    }

    /// Runs `f`, which only reads, on a session thread within the request's deadline.
    pub async fn session<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut crate::session::Session) -> T + Send + 'static,
    ) -> std::result::Result<T, Problem> {
        self.worker
            .call(self.deadline(), Mode::Read, f)
            .await
            .map_err(|s| Problem::stalled(s, self.timeout))
    }

    /// Parses statements sent by a request, refuses them whole if any does what the request
    /// may not, and runs them. `Err` when nothing ran; a statement that failed after others
    /// ran is the answer's `problem`.
    pub async fn run_script(
        &self,
        text: String,
        right: WriteRight,
    ) -> std::result::Result<Answer, Problem> {
        let statements = parse_script(&text)
            .map_err(|e| Problem::from_error(StatusCode::BAD_REQUEST, &e, &text))?;
        security::permit(&statements, right)
            .map_err(|r| Problem::plain(StatusCode::FORBIDDEN, r.0))?;
        let reads_only = statements
            .iter()
            .all(|s| security::access(&s.statement) == security::Access::Read);
        let mode = if reads_only { Mode::Read } else { Mode::Write };
        let run = self
            .worker
            .call(self.deadline(), mode, move |s| {
                worker::run_statements(s, &statements)
            })
            .await
            .map_err(|s| Problem::stalled(s, self.timeout))?;
        let problem = run.failed.as_ref().map(|f| {
            let status = if f.stopped {
                StatusCode::SERVICE_UNAVAILABLE
            } else if matches!(f.error, Error::Storage(_) | Error::Io(_)) {
                StatusCode::INTERNAL_SERVER_ERROR
            } else {
                StatusCode::BAD_REQUEST
            };
            Problem {
                statement: Some(f.index),
                completed: Some(run.ran.len()),
                ..Problem::from_error(status, &f.error, &text)
            }
        });
        Ok(Answer {
            run,
            problem,
            reads_only,
        })
    }

    /// Up to `limit` companies matching `q`: the symbol itself, then symbols starting with
    /// it, names starting with it, names and symbols containing it; in symbol order within
    /// each.
    pub async fn search(
        &self,
        q: String,
        limit: usize,
    ) -> std::result::Result<Vec<Found>, Problem> {
        let found = self
            .session(move |s| -> Result<Vec<Found>> {
                let needle = q.trim().to_lowercase();
                if needle.is_empty() {
                    return Ok(Vec::new());
                }
                let companies = s.companies()?;
                let mut hits: Vec<(u8, usize)> = Vec::new();
                for (row, c) in companies.rows.iter().enumerate() {
                    let symbol = c.symbol.to_lowercase();
                    let name = companies
                        .attr(row, "name")
                        .map(|n| n.to_lowercase())
                        .unwrap_or_default();
                    let rank = if symbol == needle {
                        0
                    } else if symbol.starts_with(&needle) {
                        1
                    } else if name.starts_with(&needle) {
                        2
                    } else if name.contains(&needle) || symbol.contains(&needle) {
                        3
                    } else {
                        continue;
                    };
                    hits.push((rank, row));
                }
                hits.sort_unstable();
                Ok(hits
                    .into_iter()
                    .take(limit)
                    .map(|(_, row)| Found {
                        symbol: companies.rows[row].symbol.to_string(),
                        name: companies.attr(row, "name").map(|n| n.to_string()),
                        industry: companies.attr(row, "industry").map(|n| n.to_string()),
                    })
                    .collect())
            })
            .await?;
        found.map_err(|e| Problem::from_error(StatusCode::INTERNAL_SERVER_ERROR, &e, ""))
    }
}

/// A finq string literal holding `s`: quoted, with `"` and `\` escaped, so a name from a
/// URL can never end the string and start a statement of its own.
pub fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every route, behind the guard and the body limit.
pub fn router(app: App) -> Router {
    Router::new()
        .route("/", get(pages::home).post(pages::console_post))
        .route("/search", get(pages::search))
        .route("/company/{symbol}", get(company::page))
        .route("/compare", get(compare::page))
        .route("/industry/{name}", get(group::industry))
        .route("/sector/{name}", get(group::sector))
        .route("/api/query", get(api::query_get).post(api::query_post))
        .route("/api/search", get(api::search))
        .route("/static/{file}", get(asset))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            security::guard,
        ))
        .with_state(app)
}

/// The server's own files, compiled in: nothing is fetched from elsewhere.
async fn asset(UrlPath(file): UrlPath<String>) -> Response {
    let (body, kind): (&'static str, &'static str) = match file.as_str() {
        "finq.css" => (include_str!("assets/finq.css"), "text/css; charset=utf-8"),
        "finq.js" => (
            include_str!("assets/finq.js"),
            "text/javascript; charset=utf-8",
        ),
        "favicon.svg" => (include_str!("assets/favicon.svg"), "image/svg+xml"),
        _ => return (StatusCode::NOT_FOUND, "no such file").into_response(),
    };
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// Sessions reading side by side unless `--sessions` says otherwise: one per core, from 2
/// (so a slow read never holds up every page) to 4 (each keeps its own cache).
pub fn default_sessions() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4))
}

/// `finq serve`: opens the database, listens, and serves until Ctrl-C or SIGTERM.
pub fn serve(db: &Path, opts: &ServeOptions) -> Result<i32> {
    let token =
        security::new_token().map_err(|e| Error::Io(format!("cannot make a token: {e}")))?;
    let (worker, session_threads) = Worker::start(db, opts.sessions, opts.timeout)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("finq-http")
        .enable_all()
        .build()
        .map_err(|e| Error::Io(format!("cannot start the HTTP runtime: {e}")))?;
    let app = Arc::new(AppState {
        worker,
        token,
        read_only: opts.read_only,
        loopback_only: opts.bind.is_loopback(),
        timeout: opts.timeout,
        db_name: db.display().to_string(),
    });
    let served = runtime.block_on(listen(app, opts));
    // The runtime's end drops the last handle on the session threads, which then close
    // the database; waiting for them means the process never exits mid-flush.
    drop(runtime);
    for thread in session_threads {
        let _ = thread.join();
    }
    served
}

async fn listen(app: App, opts: &ServeOptions) -> Result<i32> {
    let addr = SocketAddr::new(opts.bind, opts.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Error::Io(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| Error::Io(format!("cannot listen on {addr}: {e}")))?;
    let companies = app
        .session(|s| s.companies().map(|c| c.len()))
        .await
        .map_err(|p| Error::Io(p.message))??;
    let shown = match local.ip() {
        ip if ip.is_unspecified() => SocketAddr::new([127, 0, 0, 1].into(), local.port()),
        _ => local,
    };
    let mode = if app.read_only {
        "read-only: every write is refused".to_string()
    } else {
        format!(
            "writes from the console, or POSTs with the header X-Finq-Token: {}",
            app.token
        )
    };
    crate::cli::print(&format!(
        "finq serve: {} ({companies} companies) on http://{shown}/\n{mode}\n",
        app.db_name
    ));
    if !app.loopback_only {
        crate::cli::print(&format!(
            "note: listening on {}, not a loopback address: anyone who can reach this machine \
             can read the database\n",
            local.ip()
        ));
    }
    crate::cli::print("Ctrl-C stops the server.\n");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(stop_signal())
        .await
        .map_err(|e| Error::Io(format!("the server stopped: {e}")))?;
    Ok(0)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}
