//! `finq serve` over HTTP, as a client sees it: the API's answers against `--format json`,
//! errors with their place, and each safety measure of WEB.md (writes, tokens, read-only
//! mode, other sites, escaping, body and time limits, the database lock, headers), plus a
//! short load of mixed requests. The pages in a real browser are tests/browser.rs.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};
use support::server::{Server, agent, answered_at_once, cli_json, enc, get, post, sample_dir};

#[test]
fn the_api_answers_what_format_json_prints() {
    let (_dir, db) = sample_dir();
    let statements = [
        "score KC.US",
        "valuation KC.US",
        "peers of KC.US",
        "select roe, pb rank",
        "series revenue, roe of 688316.SH",
        "show industries",
    ];
    let expected: Vec<String> = statements.iter().map(|s| cli_json(&db, s)).collect();
    let server = Server::start(&db, &[]);
    let a = agent();
    for (s, want) in statements.iter().zip(&expected) {
        let r = get(&a, &server.url(&format!("/api/query?q={}", enc(s))), &[]);
        assert_eq!(r.status, 200, "{s}: {}", r.body);
        assert_eq!(&r.body, want, "{s}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        // POSTing the statement itself gives the same answer.
        let r = post(&a, &server.url("/api/query"), &[], s);
        assert_eq!(&r.body, want, "POST {s}");
    }
    // Two results: one array holding each result's array.
    let r = get(&a, &server.url("/api/query?q=describe%20KC.US"), &[]);
    let v = r.json();
    assert_eq!(v.as_array().map(Vec::len), Some(2), "{}", r.body);
    // CSV, as --format csv prints it, offered as a download.
    let r = get(
        &a,
        &server.url("/api/query?q=select%20roe%20rank&format=csv&download=1"),
        &[],
    );
    assert!(r.body.starts_with("symbol,name,roe,rank\n"), "{}", r.body);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"finq.csv\"")
    );
}

#[test]
fn errors_are_json_with_line_and_column_and_status_400() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let r = get(&a, &server.url("/api/query?q=select%20reo"), &[]);
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(v["error"], "unknown metric 'reo' — did you mean 'roe'?");
    assert_eq!(
        (v["line"].as_u64(), v["column"].as_u64()),
        (Some(1), Some(8))
    );
    assert!(
        v["display"].as_str().unwrap().ends_with("|        ^"),
        "{v}"
    );
    // A name error in the second statement points into the whole script.
    let r = post(
        &a,
        &server.url("/api/query"),
        &[],
        "select roe\nscore NOPE.XX",
    );
    let v = r.json();
    assert_eq!(r.status, 400);
    assert_eq!(
        (v["line"].as_u64(), v["column"].as_u64()),
        (Some(2), Some(7))
    );
    assert_eq!(v["statement"], 2);
    assert_eq!(v["completed"], 1);
    // A syntax error runs nothing.
    let r = get(&a, &server.url("/api/query?q=select%20roe%20where"), &[]);
    let v = r.json();
    assert_eq!(r.status, 400);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .starts_with("expected a condition after 'where'"),
        "{v}"
    );
    assert_eq!(v["column"], 18, "the column the terminal shows");
}

#[test]
fn a_write_needs_a_post_with_the_token() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let roe = || {
        let r = get(
            &a,
            &server.url("/api/query?q=select%20roe%20where%20symbol%20%3D%20%22KC.US%22"),
            &[],
        );
        r.json()[0]["roe"].as_f64()
    };
    assert_eq!(roe(), Some(-0.1293));
    let set = "set KC.US roe at 2026-04-15 = 12%";
    let r = get(&a, &server.url(&format!("/api/query?q={}", enc(set))), &[]);
    assert_eq!(r.status, 403, "a GET never writes");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("a GET never writes")
    );
    let r = post(&a, &server.url("/api/query"), &[], set);
    assert_eq!(r.status, 403, "no token");
    let r = post(
        &a,
        &server.url("/api/query"),
        &[("x-finq-token", "0123456789abcdef0123456789abcdef")],
        set,
    );
    assert_eq!(r.status, 403, "a wrong token");
    assert_eq!(roe(), Some(-0.1293), "nothing was written");
    // A script is refused whole: its read did not run either.
    let r = post(
        &a,
        &server.url("/api/query"),
        &[],
        &format!("select roe; {set}"),
    );
    assert_eq!(r.status, 403);
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("statement 2 writes")
    );
    let r = post(
        &a,
        &server.url("/api/query"),
        &[("x-finq-token", &server.token)],
        set,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()[0]["message"]
            .as_str()
            .map(|m| m.starts_with("set KC.US roe")),
        Some(true)
    );
    assert_eq!(roe(), Some(0.12));
    // The console's form carries the token the page embeds.
    let page = get(&a, &server.url("/"), &[]);
    assert!(
        page.body
            .contains(&format!("name=\"token\" value=\"{}\"", server.token))
    );
    let form = format!(
        "q={}&token={}",
        enc("set KC.US roe at 2026-04-15 = -12.93%"),
        server.token
    );
    let r = post(
        &a,
        &server.url("/"),
        &[("content-type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(r.status, 200);
    assert_eq!(roe(), Some(-0.1293));
}

#[test]
fn read_only_refuses_every_write_and_import_is_refused_always() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let import = "import \"/etc/passwd\"";
    let r = post(
        &a,
        &server.url("/api/query"),
        &[("x-finq-token", &server.token)],
        import,
    );
    assert_eq!(r.status, 403, "import reads the server's files");
    assert!(
        r.json()["error"]
            .as_str()
            .unwrap()
            .contains("refused over HTTP")
    );
    drop(server);

    let server = Server::start(&db, &["--read-only"]);
    assert!(server.banner.contains("read-only"), "{}", server.banner);
    let page = get(&a, &server.url("/"), &[]);
    let token = page
        .body
        .split("name=\"finq-token\" content=\"")
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap()
        .to_string();
    for write in [
        "set KC.US roe = 1",
        "delete KC.US",
        "define screen s as select roe",
        "set metric roe direction lower",
        import,
    ] {
        let r = post(
            &a,
            &server.url("/api/query"),
            &[("x-finq-token", &token)],
            write,
        );
        assert_eq!(r.status, 403, "{write}: {}", r.body);
    }
    let r = post(
        &a,
        &server.url("/api/query"),
        &[],
        "select roe rank limit 1",
    );
    assert_eq!(r.status, 200, "reads still work");
}

#[test]
fn requests_from_other_sites_and_other_names_are_refused() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let set = "set KC.US roe = 1";
    let token = ("x-finq-token", server.token.as_str());
    let r = post(
        &a,
        &server.url("/api/query"),
        &[token, ("origin", "https://evil.example")],
        set,
    );
    assert_eq!(r.status, 403, "cross-site request forgery");
    let r = post(
        &a,
        &server.url("/api/query"),
        &[
            token,
            ("host", "evil.example"),
            ("origin", "http://evil.example"),
        ],
        set,
    );
    assert_eq!(r.status, 403, "DNS rebinding");
    let r = get(
        &a,
        &server.url("/company/KC.US"),
        &[("host", "evil.example:80")],
    );
    assert_eq!(r.status, 403);
    let own = server.base.clone();
    let r = post(
        &a,
        &server.url("/api/query"),
        &[("origin", &own)],
        "select roe rank limit 1",
    );
    assert_eq!(r.status, 200, "the server's own pages: {}", r.body);
    let r = get(&a, &server.url("/company/KC.US"), &[("host", "localhost")]);
    assert_eq!(r.status, 200);
}

#[test]
fn every_response_carries_the_safety_headers() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    for path in [
        "/",
        "/company/KC.US",
        "/company/NOPE",
        "/api/query?q=select%20reo",
        "/static/finq.js",
        "/no/such/page",
    ] {
        let r = get(&a, &server.url(path), &[]);
        let csp = r
            .header("content-security-policy")
            .unwrap_or_else(|| panic!("{path}"));
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe"),
            "{csp}"
        );
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
    }
    // The pages name nothing outside the server.
    let page = get(&a, &server.url("/company/KC.US"), &[]);
    for outside in ["src=\"http", "href=\"http", "url(http", "<script>"] {
        assert!(!page.body.contains(outside), "{outside}");
    }
}

#[test]
fn hostile_names_are_shown_as_text() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let script = "set EVIL.US name = \"<script>alert(1)</script>\"\n\
                  set EVIL.US industry = \"<img src=x onerror=alert(2)>\"\n\
                  set EVIL.US roe = 5%";
    let r = post(
        &a,
        &server.url("/api/query"),
        &[("x-finq-token", &server.token)],
        script,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let page = get(&a, &server.url("/company/EVIL.US"), &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("<img src=x"));
    let industry = get(
        &a,
        &server.url(&format!(
            "/industry/{}",
            enc("<img src=x onerror=alert(2)>")
        )),
        &[],
    );
    assert_eq!(industry.status, 200);
    assert!(industry.body.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!industry.body.contains("<img src=x"));
    let search = get(&a, &server.url("/api/search?q=script"), &[]);
    assert_eq!(
        search.json()[0]["name"],
        "<script>alert(1)</script>",
        "JSON carries the text; the script builds text nodes"
    );
    // A symbol in the URL is quoted into the statement, never spliced into it.
    let r = get(
        &a,
        &server.url(&format!("/company/{}", enc("KC.US\"; delete KC.US; --"))),
        &[],
    );
    assert_eq!(r.status, 404);
    let r = get(&a, &server.url("/company/KC.US"), &[]);
    assert_eq!(r.status, 200, "KC.US is still there");
}

#[test]
fn an_unknown_symbol_is_a_404_page() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let r = get(&a, &server.url("/company/NOPE.XX"), &[]);
    assert_eq!(r.status, 404);
    assert!(
        r.body
            .contains("No company has the symbol &#39;NOPE.XX&#39;"),
        "{}",
        r.body
    );
    assert_eq!(get(&a, &server.url("/industry/Nope"), &[]).status, 404);
    assert_eq!(get(&a, &server.url("/sector/Nope"), &[]).status, 404);
    // Symbols match case-insensitively, as in statements.
    assert_eq!(get(&a, &server.url("/company/kc.us"), &[]).status, 200);
}

#[test]
fn bodies_over_one_megabyte_are_refused() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let a = agent();
    let big = format!("select roe -- {}", "x".repeat(1 << 20));
    let r = post(&a, &server.url("/api/query"), &[], &big);
    assert_eq!(r.status, 413);
    assert!(r.json()["error"].as_str().unwrap().contains("1 MB"));
    let form = format!("q={}", "x".repeat(1 << 20));
    let r = post(
        &a,
        &server.url("/"),
        &[("content-type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(r.status, 413);
    // Just under the limit is read and run.
    let fits = format!("select roe rank limit 1 -- {}", "x".repeat((1 << 20) - 100));
    let r = post(&a, &server.url("/api/query"), &[], &fits);
    assert_eq!(r.status, 200, "{}", &r.body[..r.body.len().min(300)]);
}

#[test]
fn statements_past_the_time_limit_are_stopped() {
    let (_dir, db) = sample_dir();
    // A limit of a quarter second, and a script that takes far longer: thousands of
    // scorecards, each a statement, so the run stops between two of them.
    let server = Server::start(&db, &["--timeout", "0.25"]);
    let a = agent();
    let script = "score KC.US; peers of KC.US; valuation KC.US; fscore KC.US\n".repeat(4000);
    let start = Instant::now();
    let r = post(&a, &server.url("/api/query"), &[], &script);
    assert_eq!(r.status, 503, "{}", &r.body[..r.body.len().min(300)]);
    assert!(
        r.json()["error"].as_str().unwrap().starts_with("stopped"),
        "{}",
        r.body
    );
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // It was stopped, not left running: the next request is answered at once.
    answered_at_once(&a, &server, "select roe rank limit 1");
}

#[test]
fn a_second_process_gets_the_in_use_error() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let o = Command::new(support::server::finq_bin())
        .arg("--db")
        .arg(&db)
        .args(["-c", "show sectors"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is in use by another finq process"));
    let o = Command::new(support::server::finq_bin())
        .arg("--db")
        .arg(&db)
        .args(["serve", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // Stopped, the server lets the database go.
    assert!(server.stop().success());
    assert!(cli_json(&db, "show sectors").contains("Technology"));
}

#[test]
fn bind_says_when_the_server_is_open_to_others() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    assert!(
        server.base.starts_with("http://127.0.0.1:"),
        "{}",
        server.banner
    );
    assert!(!server.banner.contains("note:"), "{}", server.banner);
    drop(server);
    let server = Server::start(&db, &["--bind", "0.0.0.0"]);
    assert!(
        server.banner.contains("not a loopback address"),
        "{}",
        server.banner
    );
    // Opened on purpose, it answers to any name.
    let r = get(
        &agent(),
        &server.url("/company/KC.US"),
        &[("host", "finq.example")],
    );
    assert_eq!(r.status, 200);
}

#[test]
fn many_clients_at_once_get_their_answers() {
    let (_dir, db) = sample_dir();
    let server = Server::start(&db, &[]);
    let paths = [
        "/company/KC.US",
        "/company/688316.SH",
        "/industry/Internet%20Services%20and%20Infrastructure",
        "/api/query?q=select%20roe%2C%20pb%20rank",
        "/api/query?q=score%20600756.SH",
        "/",
        "/api/search?q=in",
    ];
    let failures: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|c| {
                let server = &server;
                s.spawn(move || {
                    let a = agent();
                    (0..100)
                        .filter(|i| {
                            let path = paths[(i + c) % paths.len()];
                            get(&a, &server.url(path), &[]).status != 200
                        })
                        .count()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(failures, 0);
}

/// The industry page's members table shows market_cap in the base currency when rates
/// allow, and without rates shows the table without it under one line naming the fix.
#[test]
fn the_industry_page_shows_market_cap_in_one_currency_or_says_why_not() {
    let (_dir, db) = sample_dir();
    let page = "/industry/Internet%20Services%20and%20Infrastructure";
    {
        let server = Server::start(&db, &[]);
        let r = get(&agent(), &server.url(page), &[]);
        assert_eq!(r.status, 200);
        assert!(
            r.body.contains(
                "market_cap not shown: market_cap mixes CNY and USD, and there are no CNY \
                 rates: import them with finq import rates.csv --kind fx"
            ),
            "{}",
            r.body
        );
        assert!(r.body.contains("id=\"members-table\""), "{}", r.body);
    }
    support::server::import_sample_rates(&db);
    let server = Server::start(&db, &[]);
    let r = get(&agent(), &server.url(page), &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.contains(">market_cap (USD)</th>"), "{}", r.body);
    assert!(!r.body.contains("not shown"), "{}", r.body);
}
