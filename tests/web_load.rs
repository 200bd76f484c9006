//! The load test of `finq serve`: 8 concurrent clients × 2,000 requests — company, industry,
//! sector and home pages, API statements and search — against the S-profile database
//! (10,000 generated companies and the bundled S&P 500 snapshot) on the loopback address.
//!
//! The warm-up is one pass of the very same requests: the server's memory grows with what
//! has been read (sled's page cache, bounded at 256 MB, fills as pages are touched, and a
//! company page reads the company's stored points), so a shorter warm-up measures the
//! caches filling rather than a leak. The measured pass repeats the mix; it passes when no
//! request fails, the server's memory after it is within 20% of what it was after the
//! warm-up, and the whole test ends within five minutes. It prints p50 / p99 latency and
//! memory for the README.
//!
//! Two passes of 16,000 requests take about two minutes on two busy cores, so it is
//! `#[ignore]`d; run it by hand:
//!
//! ```sh
//! cargo test --release --test web_load -- --ignored --nocapture
//! ```
//!
//! CI runs a short version of the same mix on the sample database (tests/web.rs,
//! `many_clients_at_once_get_their_answers`).

mod support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use support::server::{Server, add_sp500, agent, enc, generated_db, get};

const CLIENTS: usize = 8;
const REQUESTS: usize = 2_000;

/// A small deterministic generator, so every run asks the same things.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Names to ask about: symbols, industries and sectors of the dataset.
struct Names {
    symbols: Vec<String>,
    industries: Vec<String>,
    sectors: Vec<String>,
}

fn read_names(companies_csv: &Path) -> Names {
    let text = std::fs::read_to_string(companies_csv).unwrap();
    let mut names = Names {
        symbols: Vec::new(),
        industries: Vec::new(),
        sectors: Vec::new(),
    };
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        names.symbols.push(f[0].to_string());
        for (list, v) in [(&mut names.industries, f[2]), (&mut names.sectors, f[3])] {
            if !list.iter().any(|x| x == v) {
                list.push(v.to_string());
            }
        }
    }
    // Some S&P 500 companies too, whose pages have other shapes (no scorecard).
    names
        .symbols
        .extend(["AAPL", "MSFT", "JPM", "XOM", "MMM"].map(String::from));
    names
        .industries
        .push("Technology Hardware, Storage & Peripherals".into());
    names.sectors.push("Information Technology".into());
    names
}

/// One request of the mix.
fn request(r: &mut Lcg, n: &Names) -> String {
    let sym = &n.symbols[r.below(n.symbols.len())];
    let ind = &n.industries[r.below(n.industries.len())];
    let sec = &n.sectors[r.below(n.sectors.len())];
    let api = |q: String| format!("/api/query?q={}", enc(&q));
    match r.below(20) {
        0..=5 => format!("/company/{}", enc(sym)),
        6..=8 => format!("/industry/{}", enc(ind)),
        9 => format!("/sector/{}", enc(sec)),
        10 => "/".to_string(),
        11 => api(format!(
            "select roe, pb, market_cap where industry = \"{ind}\" rank limit 10"
        )),
        12 => api(format!("score {sym}")),
        13 => api(format!("series revenue, roe of {sym}")),
        14 => api(format!(
            "select score, score_grade from sector \"{sec}\" rank by score limit 20"
        )),
        15 => api(format!("valuation {sym}")),
        16 => api(format!("peers of {sym} limit 10")),
        17 => api("select count(), median(roe), avg(pe_ttm) by sector".to_string()),
        _ => format!("/api/search?q={}", enc(&sym[..3.min(sym.len())])),
    }
}

/// The server's resident memory in kB.
fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Runs `per_client` requests on each of `CLIENTS` threads; returns every latency and the
/// requests that did not answer 200.
fn run(
    server: &Server,
    names: &Names,
    per_client: usize,
    seed: u64,
) -> (Vec<Duration>, Vec<String>) {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..CLIENTS)
            .map(|c| {
                s.spawn(move || {
                    let a = agent();
                    let mut r = Lcg(seed + c as u64);
                    let mut times = Vec::with_capacity(per_client);
                    let mut failed = Vec::new();
                    for _ in 0..per_client {
                        let path = request(&mut r, names);
                        let start = Instant::now();
                        let reply = get(&a, &server.url(&path), &[]);
                        times.push(start.elapsed());
                        if reply.status != 200 {
                            failed.push(format!("{} {path}: {}", reply.status, reply.body));
                        }
                    }
                    (times, failed)
                })
            })
            .collect();
        let mut times = Vec::new();
        let mut failed = Vec::new();
        for h in handles {
            let (t, f) = h.join().unwrap();
            times.extend(t);
            failed.extend(f);
        }
        (times, failed)
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
#[ignore = "builds a 10,000-company database; run by hand with --ignored"]
fn eight_clients_of_two_thousand_requests() {
    let dir = tempfile::tempdir().unwrap();
    let db = generated_db(dir.path(), 10_000);
    let data = dir.path().join("gen");
    add_sp500(&db);
    let names = read_names(&data.join("companies.csv"));
    let server = Server::start(&db, &[]);
    let began = Instant::now();
    let (_, failed) = run(&server, &names, REQUESTS, 1);
    assert!(
        failed.is_empty(),
        "warm-up failures: {:?}",
        &failed[..failed.len().min(5)]
    );
    let warm = rss_kb(server.pid());
    // Memory is sampled while the run goes on, for its peak.
    let done = AtomicBool::new(false);
    let (result, peak) = std::thread::scope(|s| {
        let sampler = s.spawn(|| {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(rss_kb(server.pid()));
                std::thread::sleep(Duration::from_millis(200));
            }
            peak
        });
        let start = Instant::now();
        let result = run(&server, &names, REQUESTS, 1);
        let wall = start.elapsed();
        done.store(true, Ordering::Relaxed);
        ((result, wall), sampler.join().unwrap())
    });
    let ((mut times, failed), wall) = result;
    let after = rss_kb(server.pid());
    times.sort();
    let n = times.len();
    println!(
        "load: {CLIENTS} clients × {REQUESTS} requests = {n} in {:.1} s ({:.0} requests/s); \
         p50 {:.2} ms, p99 {:.2} ms, max {:.1} ms; memory after warm-up {} MB, peak {} MB, \
         after {} MB ({:+.1}%)",
        wall.as_secs_f64(),
        n as f64 / wall.as_secs_f64(),
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times[n - 1].as_secs_f64() * 1e3,
        warm / 1024,
        peak / 1024,
        after / 1024,
        (after as f64 / warm as f64 - 1.0) * 100.0
    );
    assert!(
        failed.is_empty(),
        "{} failures, the first: {:?}",
        failed.len(),
        &failed[..failed.len().min(5)]
    );
    assert!(
        after as f64 <= warm as f64 * 1.2,
        "memory grew from {warm} kB to {after} kB"
    );
    assert!(
        began.elapsed() < Duration::from_secs(300),
        "{:?}",
        began.elapsed()
    );
}
