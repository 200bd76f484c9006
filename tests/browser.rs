//! The pages in a real browser: `finq serve` over the seed sample and the S&P 500 files,
//! driven through headless Chromium by WebDriver (Debian's `chromium` and
//! `chromium-driver`, which `.ci/run` installs). It checks what WEB.md promises a reader
//! sees — the scorecard's figures equal `score --format json`, the charts are there with a
//! point per dimension, multiple and period, links lead where they say, the console runs
//! statements and shows errors with their caret, an unknown symbol is a 404 page, a hostile
//! name stays text, a read-only server refuses a write — and takes the screenshots in
//! `docs/` that the README shows (with `UPDATE_SCREENSHOTS=1`; otherwise into a temp folder).
//!
//! Without Chromium or chromedriver it prints one `skipped:` line, or fails when `CI` is set.

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::server::{Server, add_sp500, agent, cli_json, get, import_sample_rates, sample_db};

/// The first of `names` found on PATH (or at one of `also`).
fn find_program(names: &[&str], also: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .chain(also.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(program: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let url = format!("http://127.0.0.1:{port}");
        let a = agent();
        let start = Instant::now();
        while get_quietly(&a, &format!("{url}/status")).is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "chromedriver did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Driver { child, url }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn get_quietly(a: &ureq::Agent, url: &str) -> Option<u16> {
    a.get(url).call().ok().map(|r| r.status().as_u16())
}

/// A headless Chromium session with the flags a machine without network needs.
async fn browser(driver: &Driver, chromium: &Path, profile: &Path) -> Client {
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--window-size=1280,1600",
    ]
    .iter()
    .map(|a| a.to_string())
    .chain([format!("--user-data-dir={}", profile.display())])
    .collect::<Vec<_>>();
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": { "binary": chromium, "args": args },
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session")
}

async fn text(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap().len()
}

async fn wait_for(c: &Client, css: &str) {
    if let Err(e) = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css(css))
        .await
    {
        // What the browser shows instead says more than the timeout.
        let url = c
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let main = match c.find(Locator::Css("main")).await {
            Ok(m) => m.text().await.unwrap_or_default(),
            Err(_) => c.source().await.unwrap_or_default(),
        };
        panic!("{css} never appeared ({e}) at {url}:\n{main}");
    }
}

/// Non-null values of a JSON result's column.
fn non_null(rows: &Value, column: &str) -> usize {
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| !r[column].is_null())
        .count()
}

/// What the pages must show, from `--format json`, taken before the server holds the
/// database.
struct Expected {
    score: Value,
    valuation: Value,
    series: Value,
    sp500: (Value, Value),
}

#[test]
fn the_pages_work_in_a_real_browser() {
    let chromium = find_program(&["chromium", "chromium-browser", "google-chrome"], &[]);
    let driver = find_program(&["chromedriver"], &["/usr/lib/chromium/chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        support::skip(
            "chromium and chromedriver are not installed (apt-get install chromium chromium-driver)",
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    sample_db(&db);
    add_sp500(&db);
    // Illustrative CNY rates, so the console can show market caps of KC.US (USD) and the
    // SH companies (CNY) in one column.
    import_sample_rates(&db);
    let json = |s: &str| -> Value { serde_json::from_str(&cli_json(&db, s)).unwrap() };
    let expected = Expected {
        score: json("score KC.US"),
        valuation: json("valuation KC.US"),
        series: json("series revenue, net_income, roe of KC.US"),
        sp500: (
            json("valuation AAPL"),
            json("select pe_ttm from industry \"Technology Hardware, Storage & Peripherals\""),
        ),
    };
    let driver = Driver::start(&driver);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The screenshots land in docs/ (what the README shows) only when asked for with
    // UPDATE_SCREENSHOTS=1; otherwise they are still taken, into the temp folder, so a test
    // run leaves the checkout as it was.
    let docs = if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
    } else {
        dir.path().to_path_buf()
    };
    runtime.block_on(async {
        let server = Server::start(&db, &[]);
        let c = browser(&driver, &chromium, &dir.path().join("profile")).await;
        company_page(&c, &server, &expected, &docs).await;
        links(&c, &server).await;
        console(&c, &server, &docs).await;
        search_as_you_type(&c, &server).await;
        not_found_and_hostile_names(&c, &server).await;
        let (valuation, members) = &expected.sp500;
        sp500(&c, &server, valuation, members).await;
        assert!(server.stop().success());
        let server = Server::start(&db, &["--read-only"]);
        read_only(&c, &server).await;
        c.close().await.unwrap();
    });
}

/// KC.US: the scorecard's figures, the radar, the band and the line charts.
async fn company_page(c: &Client, server: &Server, e: &Expected, docs: &Path) {
    c.goto(&server.url("/company/KC.US")).await.unwrap();
    let card = &e.score[0];
    assert_eq!(
        text(c, "#company-name").await,
        "Kingsoft Cloud Holdings Limited"
    );
    assert_eq!(
        text(c, "#score-value").await,
        format!("{:.2}", card["score"].as_f64().unwrap())
    );
    assert_eq!(
        text(c, "#score-grade").await,
        card["score_grade"].as_str().unwrap()
    );
    assert_eq!(
        text(c, "#industry-rank").await,
        format!("{} / {}", card["industry_rank"], card["group_size"])
    );
    assert_eq!(
        text(c, "#median-grade").await,
        card["median_grade"].as_str().unwrap()
    );
    // Every indicator's grade, in the order of the scorecard.
    let grades: Vec<String> = {
        let mut g = Vec::new();
        for cell in c
            .find_all(Locator::Css("#indicators tbody tr td:nth-last-child(2)"))
            .await
            .unwrap()
        {
            g.push(cell.text().await.unwrap());
        }
        g
    };
    let want: Vec<&str> = [
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
    ]
    .iter()
    .map(|i| card[format!("{i}_grade")].as_str().unwrap())
    .collect();
    assert_eq!(grades, want);
    // One radar point per dimension with a score, one band point per multiple with a
    // current value, one line-chart point per value of the series.
    let dims = ["profit", "growth", "operation", "security", "cash"]
        .iter()
        .filter(|d| !card[format!("{d}_score")].is_null())
        .count();
    assert_eq!(count(c, "#radar svg circle").await, dims);
    assert_eq!(
        count(c, "#band svg circle").await,
        non_null(&e.valuation, "current")
    );
    let points: usize = ["revenue", "net_income", "roe"]
        .iter()
        .map(|m| non_null(&e.series, m))
        .sum();
    assert_eq!(count(c, "#lines svg circle").await, points);
    assert!(
        text(c, "#radar svg").await.contains("Profit"),
        "the radar labels its spokes"
    );
    assert_eq!(
        count(c, "#peers-table tr.subject").await,
        1,
        "the subject is marked"
    );
    c.set_window_size(1280, 1500).await.unwrap();
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(docs.join("screenshot-company.png"), png).unwrap();
}

/// A peer link leads to the peer's page; the industry link to the industry's.
async fn links(c: &Client, server: &Server) {
    c.goto(&server.url("/company/KC.US")).await.unwrap();
    c.find(Locator::Css("#peers-table a[href='/company/688316.SH']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#company-symbol").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/company/688316.SH");
    assert_eq!(
        text(c, "#company-name").await,
        "QingCloud Technologies Corp."
    );
    c.find(Locator::Css(".facts a[href^='/industry/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#group-name").await;
    assert_eq!(
        text(c, "#group-name").await,
        "Internet Services and Infrastructure"
    );
    assert_eq!(count(c, "#members-table tbody tr").await, 12);
    assert!(
        count(c, "#grade-bars svg rect").await >= 5,
        "a bar per grade"
    );
    // The peer table's compare link: KC.US beside its one scored peer, 16 graded metrics
    // (the score and 15 indicators) for each, a point each.
    c.goto(&server.url("/company/KC.US")).await.unwrap();
    c.find(Locator::Css("#compare-link"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#compare-chart").await;
    assert_eq!(c.current_url().await.unwrap().path(), "/compare");
    assert_eq!(count(c, "#compare-chart svg circle").await, 16 * 2);
    assert_eq!(count(c, "#compare-table tbody tr").await, 16);
}

/// The console: rows for a statement, a caret under an error.
async fn console(c: &Client, server: &Server, docs: &Path) {
    // Tall enough that the console and all twelve rows fit the screenshot.
    c.set_window_size(1280, 1500).await.unwrap();
    c.goto(&server.url("/")).await.unwrap();
    let statement =
        "select roe, pb, market_cap where industry = \"Internet Services and Infrastructure\" rank";
    let box_ = c.find(Locator::Css("#statements")).await.unwrap();
    box_.send_keys(statement).await.unwrap();
    c.find(Locator::Css("#run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#result-1").await;
    // Twelve members; the ranked rows first.
    assert_eq!(count(c, "#result-1 tbody tr").await, 12);
    assert_eq!(
        text(c, "#result-1 tbody tr:first-child td:first-child").await,
        "KC.US"
    );
    assert!(text(c, ".result .footer").await.starts_with("12 rows"));
    // Market caps of USD and CNY companies meet in one column, converted to the base
    // currency the header names: KC.US 5.18B USD as it is, QingCloud 3.52B CNY at 0.1385 =
    // 487.66M USD.
    let head = text(c, "#result-1 thead").await;
    assert!(head.contains("market_cap (USD)"), "{head}");
    assert_eq!(
        text(c, "#result-1 tbody tr:first-child td:nth-child(5)").await,
        "5.18B"
    );
    assert_eq!(
        text(c, "#result-1 tbody tr:nth-child(2) td:nth-child(5)").await,
        "487.66M"
    );
    assert!(
        count(c, "#csv").await == 1 && count(c, "#json").await == 1,
        "downloads offered"
    );
    let console = c.find(Locator::Css("#console")).await.unwrap();
    let png = console.screenshot().await.unwrap();
    std::fs::write(docs.join("screenshot-console.png"), png).unwrap();
    // An error shows as in the terminal: message, line and column, caret.
    let box_ = c.find(Locator::Css("#statements")).await.unwrap();
    box_.clear().await.unwrap();
    box_.send_keys("select reo").await.unwrap();
    c.find(Locator::Css("#run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "pre.error").await;
    let error = text(c, "pre.error").await;
    assert!(
        error.contains("unknown metric 'reo' — did you mean 'roe'?"),
        "{error}"
    );
    assert!(error.contains("--> line 1, column 8"), "{error}");
    assert!(error.ends_with("|        ^"), "{error}");
}

/// Typing in the search box suggests companies; a suggestion leads to its page.
async fn search_as_you_type(c: &Client, server: &Server) {
    c.goto(&server.url("/")).await.unwrap();
    c.find(Locator::Css("#search"))
        .await
        .unwrap()
        .send_keys("kingsoft")
        .await
        .unwrap();
    wait_for(c, "#suggestions li a").await;
    let first = c.find(Locator::Css("#suggestions li a")).await.unwrap();
    assert!(first.text().await.unwrap().starts_with("KC.US"));
    first.click().await.unwrap();
    wait_for(c, "#company-symbol").await;
    assert_eq!(text(c, "#company-symbol").await, "KC.US");
}

async fn not_found_and_hostile_names(c: &Client, server: &Server) {
    c.goto(&server.url("/company/NOPE.XX")).await.unwrap();
    assert_eq!(text(c, "h1").await, "Not found");
    assert!(
        text(c, "main")
            .await
            .contains("No company has the symbol 'NOPE.XX'")
    );
    // A name written by the console's user is shown as the characters it is.
    let hostile = "<script>alert(1)</script>";
    let script = format!(
        "set EVIL.US name = \"{hostile}\"; set EVIL.US industry = \"Internet Services and Infrastructure\""
    );
    c.goto(&server.url("/")).await.unwrap();
    c.find(Locator::Css("#statements"))
        .await
        .unwrap()
        .send_keys(&script)
        .await
        .unwrap();
    c.find(Locator::Css("#run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#result").await;
    c.goto(&server.url("/company/EVIL.US")).await.unwrap();
    assert_eq!(text(c, "#company-name").await, hostile);
    assert!(c.get_alert_text().await.is_err(), "no script ran");
    c.goto(&server.url("/industry/Internet%20Services%20and%20Infrastructure"))
        .await
        .unwrap();
    assert!(text(c, "#members-table").await.contains(hostile));
    assert!(c.get_alert_text().await.is_err(), "no script ran");
    let a = agent();
    assert_eq!(get(&a, &server.url("/company/NOPE.XX"), &[]).status, 404);
}

/// The S&P 500 companies: an industry of them, and one's valuation band.
async fn sp500(c: &Client, server: &Server, valuation: &Value, members: &Value) {
    c.goto(&server.url("/company/AAPL")).await.unwrap();
    assert_eq!(text(c, "#company-name").await, "Apple Inc.");
    assert_eq!(
        count(c, "#band svg circle").await,
        non_null(valuation, "current")
    );
    c.find(Locator::Css(".facts a[href^='/industry/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#group-name").await;
    assert_eq!(
        text(c, "#group-name").await,
        "Technology Hardware, Storage & Peripherals"
    );
    assert_eq!(
        count(c, "#members-table tbody tr").await,
        members.as_array().unwrap().len()
    );
    c.find(Locator::Css(".facts a[href^='/sector/']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "#group-name").await;
    assert_eq!(text(c, "#group-name").await, "Information Technology");
}

/// Under --read-only the console's write is refused with a message.
async fn read_only(c: &Client, server: &Server) {
    c.goto(&server.url("/")).await.unwrap();
    assert_eq!(text(c, "header .badge").await, "read-only");
    c.find(Locator::Css("#statements"))
        .await
        .unwrap()
        .send_keys("set KC.US roe = 1")
        .await
        .unwrap();
    c.find(Locator::Css("#run"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(c, "pre.error").await;
    let error = text(c, "pre.error").await;
    assert!(
        error.contains("statement 1 writes, and this server is read-only"),
        "{error}"
    );
    c.goto(&server.url("/company/KC.US")).await.unwrap();
    assert_eq!(
        text(c, "#score-grade").await,
        "B",
        "the write did not happen"
    );
}
