//! What makes the server safe to leave running on a desktop (WEB.md, Safety):
//!
//! - which statements write, and which touch the server's files, read from the parsed
//!   statements, never guessed from their text ([`access`], [`permit`]);
//! - the per-process token a write must carry, which the server puts in its own pages, so
//!   a page elsewhere cannot write through the user's browser ([`new_token`]);
//! - the request guard ([`guard`]): a request whose `Origin` is another site, or (on a
//!   loopback address) whose `Host` is not a loopback name, is refused, the second against
//!   DNS rebinding, where another site's name is pointed at 127.0.0.1;
//! - the headers every response carries: a strict Content-Security-Policy, `nosniff`, no
//!   framing, no referrer.

use super::App;
use crate::query::ast::{Located, Statement};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::io::Read;

/// What a statement does to the database and the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// Reads or writes files where the server runs (`import`): refused over HTTP always.
    Files,
}

/// What a statement does, from its parsed form. The match names every statement, with no
/// catch-all, so a statement added to the language does not compile here until someone
/// decides whether the web may run it.
pub fn access(s: &Statement) -> Access {
    match s {
        Statement::Select(_)
        | Statement::Explain(_)
        | Statement::Series { .. }
        | Statement::Describe { .. }
        | Statement::Show(_)
        | Statement::DescribeMetric { .. }
        | Statement::RunScreen { .. }
        | Statement::Score { .. }
        | Statement::Peers { .. }
        | Statement::Valuation { .. }
        | Statement::FScore { .. }
        | Statement::Compare { .. } => Access::Read,
        Statement::SetPoint { .. }
        | Statement::SetAttr { .. }
        | Statement::Delete { .. }
        | Statement::DefineMetric { .. }
        | Statement::SetMetric { .. }
        | Statement::SetBase { .. }
        | Statement::DefineScreen { .. }
        | Statement::DefineScorecard { .. }
        | Statement::Drop { .. } => Access::Write,
        Statement::Import { .. } | Statement::Export { .. } => Access::Files,
    }
}

/// Whether a request may write, and if not, why.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteRight {
    Granted,
    /// The server runs with `--read-only`.
    ReadOnlyServer,
    /// The request is a GET.
    ByGet,
    /// A POST without this server's token.
    NoToken,
}

/// A request refused before anything ran (HTTP 403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused(pub String);

/// Checks every statement of a script against what the request may do, before any runs:
/// a script is refused whole, so it never half-runs up to its first write.
pub fn permit(statements: &[Located], right: WriteRight) -> Result<(), Refused> {
    for (i, s) in statements.iter().enumerate() {
        let n = i + 1;
        match access(&s.statement) {
            Access::Read => {}
            Access::Files => {
                return Err(Refused(format!(
                    "statement {n} reads files on the server's machine, which is refused over \
                     HTTP: run finq import where the files are"
                )));
            }
            Access::Write => {
                let why = match right {
                    WriteRight::Granted => continue,
                    WriteRight::ReadOnlyServer => "this server is read-only (--read-only)",
                    WriteRight::ByGet => {
                        "a GET never writes: POST the statement with this server's token"
                    }
                    WriteRight::NoToken => {
                        "a write needs this server's token (the X-Finq-Token header or the \
                         token field that its own pages send)"
                    }
                };
                return Err(Refused(format!("statement {n} writes, and {why}")));
            }
        }
    }
    Ok(())
}

/// A fresh random token for this process: 128 bits from the kernel, as hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares a presented token with the real one in time that does not depend on where they
/// first differ.
pub fn token_matches(presented: &str, real: &str) -> bool {
    presented.len() == real.len()
        && presented
            .bytes()
            .zip(real.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The Content-Security-Policy of every response: the server's own script and styles, and
/// inline SVG (which is markup, not a resource); nothing inline that runs, nothing from
/// elsewhere, no framing, forms only to itself.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// Refuses requests from other sites and, on loopback, to other names; stamps the safety
/// headers on every response, refusals included.
pub async fn guard(State(app): State<App>, req: Request, next: Next) -> Response {
    let refusal = check_request(req.method(), req.headers(), app.loopback_only);
    let mut response = match refusal {
        Some(why) if req.uri().path().starts_with("/api/") => {
            super::api::error_response(StatusCode::FORBIDDEN, &why, None)
        }
        Some(why) => super::pages::refused_page(&app, StatusCode::FORBIDDEN, &why),
        None => next.run(req).await,
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// Why a request must be refused before it is handled, if it must.
pub fn check_request(method: &Method, headers: &HeaderMap, loopback_only: bool) -> Option<String> {
    let get = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = get(header::HOST);
    if loopback_only
        && let Some(host) = host
        && !is_loopback_host(host)
    {
        return Some(format!(
            "this server listens on a loopback address and answers only to localhost names, \
             not to '{host}'"
        ));
    }
    if let Some(origin) = get(header::ORIGIN) {
        let own = host.is_some_and(|h| origin.eq_ignore_ascii_case(&format!("http://{h}")));
        if !own {
            return Some(format!("a request from another site ({origin}) is refused"));
        }
    }
    let safe = method == Method::GET || method == Method::HEAD;
    if !safe && get(header::HeaderName::from_static("sec-fetch-site")) == Some("cross-site") {
        return Some("a request from another site is refused".to_string());
    }
    None
}

/// `localhost`, `127.0.0.1`, `[::1]` and the like, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        // `[::1]:8080`, or `host:8080`; a bare `::1` has colons but no brackets.
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !name.ends_with(':') => {
            name
        }
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = name.parse::<std::net::IpAddr>() {
        return ip.is_loopback();
    }
    let name = name.to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// A refusal as a response, for handlers.
pub fn refusal(r: Refused, api: bool, app: &App) -> Response {
    if api {
        super::api::error_response(StatusCode::FORBIDDEN, &r.0, None)
    } else {
        super::pages::refused_page(app, StatusCode::FORBIDDEN, &r.0).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn statements_are_classified_from_the_parse() {
        let kinds = |text: &str| -> Vec<Access> {
            crate::query::parse_script(text)
                .unwrap()
                .iter()
                .map(|s| access(&s.statement))
                .collect()
        };
        assert_eq!(
            kinds("select roe; score KC.US; explain select roe; show sectors"),
            vec![Access::Read; 4]
        );
        assert_eq!(
            kinds("set KC.US roe = 1; delete KC.US; drop screen x"),
            vec![Access::Write; 3]
        );
        assert_eq!(kinds("import \"x.csv\""), vec![Access::Files]);
        // A write hidden in a string or a comment is still just a read.
        assert_eq!(
            kinds("select name where name = \"x; delete KC.US\" -- delete KC.US"),
            vec![Access::Read]
        );
    }

    #[test]
    fn a_script_is_refused_whole_and_says_which_statement() {
        let s = crate::query::parse_script("select roe; set KC.US roe = 1").unwrap();
        assert_eq!(permit(&s, WriteRight::Granted), Ok(()));
        let Err(Refused(why)) = permit(&s, WriteRight::ReadOnlyServer) else {
            panic!("a write on a read-only server must be refused");
        };
        assert!(why.starts_with("statement 2 writes"), "{why}");
        assert!(permit(&s, WriteRight::ByGet).is_err());
        assert!(permit(&s, WriteRight::NoToken).is_err());
        let import = crate::query::parse_script("import \"/etc/passwd\"").unwrap();
        assert!(permit(&import, WriteRight::Granted).is_err());
    }

    #[test]
    fn tokens_are_random_and_compared_whole() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(token_matches(&a, &a));
        assert!(!token_matches(&a, &b));
        assert!(!token_matches(&a[..31], &a));
        assert!(!token_matches("", &a));
    }

    #[test]
    fn other_sites_and_other_host_names_are_refused() {
        let local = headers(&[("host", "127.0.0.1:8080")]);
        assert_eq!(check_request(&Method::GET, &local, true), None);
        let own = headers(&[
            ("host", "localhost:8080"),
            ("origin", "http://localhost:8080"),
        ]);
        assert_eq!(check_request(&Method::POST, &own, true), None);
        let ipv6 = headers(&[("host", "[::1]:8080")]);
        assert_eq!(check_request(&Method::GET, &ipv6, true), None);
        let foreign = headers(&[
            ("host", "127.0.0.1:8080"),
            ("origin", "https://evil.example"),
        ]);
        assert!(check_request(&Method::POST, &foreign, true).is_some());
        assert!(check_request(&Method::GET, &foreign, true).is_some());
        let sandboxed = headers(&[("host", "127.0.0.1:8080"), ("origin", "null")]);
        assert!(check_request(&Method::POST, &sandboxed, true).is_some());
        // DNS rebinding: the attacker's name, pointed at 127.0.0.1, is same-origin to the
        // browser; only the Host header gives it away.
        let rebound = headers(&[
            ("host", "evil.example:8080"),
            ("origin", "http://evil.example:8080"),
        ]);
        assert!(check_request(&Method::POST, &rebound, true).is_some());
        // Opened with --bind, other names are the point.
        assert_eq!(check_request(&Method::POST, &rebound, false), None);
        let cross = headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")]);
        assert!(check_request(&Method::POST, &cross, true).is_some());
        // A link followed from another site is a navigation, and GETs never write.
        assert_eq!(check_request(&Method::GET, &cross, true), None);
    }
}
