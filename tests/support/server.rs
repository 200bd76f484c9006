//! Running `finq serve` in tests: databases to serve (the seed sample and the bundled S&P
//! 500 snapshot), a server on a free loopback port, and a small HTTP
//! client that reports every status instead of failing on 4xx/5xx.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The `finq` binary under test.
pub fn finq_bin() -> &'static str {
    env!("CARGO_BIN_EXE_finq")
}

/// Builds the seed sample's database at `path` (closed again when this returns).
pub fn sample_db(path: &Path) {
    let mut s = finq::Session::open(path).expect("open a new database");
    finq::demo::load_sample(&mut s).expect("load the sample");
}

/// Adds the bundled S&P 500 snapshot (data/sp500) to the database at `path`, as `finq
/// demo` does (closed again when this returns).
pub fn add_sp500(path: &Path) {
    let mut s = finq::Session::open(path).expect("open the database");
    finq::demo::load_sp500(&mut s).expect("load the S&P 500 snapshot");
}

/// Imports the illustrative CNY rates of `tests/data/fx/sample_rates.csv` (not sourced data)
/// into the database at `path` with `finq import --kind fx`, so the sample's money of
/// different currencies can meet.
pub fn import_sample_rates(path: &Path) {
    let rates = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/fx/sample_rates.csv");
    let o = Command::new(finq_bin())
        .arg("--db")
        .arg(path)
        .arg("import")
        .arg(&rates)
        .args(["--kind", "fx"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// A `finq gen --companies N` dataset in `dir/gen`, imported into `dir/db` by `finq import`
/// (the data files stay, for their names); returns the database's path.
pub fn generated_db(dir: &Path, companies: usize) -> PathBuf {
    let data = dir.join("gen");
    let db = dir.join("db");
    let run = |args: &[&str]| {
        let o = Command::new(finq_bin()).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    let data_s = data.to_str().unwrap();
    run(&[
        "gen",
        "--companies",
        &companies.to_string(),
        "--out",
        data_s,
    ]);
    run(&[
        "--db",
        db.to_str().unwrap(),
        "import",
        &format!("{data_s}/companies.csv"),
        &format!("{data_s}/metrics.csv"),
    ]);
    db
}

/// `finq --db DB --format json -c TEXT`'s standard output (the database must be free).
pub fn cli_json(db: &Path, text: &str) -> String {
    let o = Command::new(finq_bin())
        .arg("--db")
        .arg(db)
        .args(["--format", "json", "-c", text])
        .output()
        .expect("finq runs");
    assert!(
        o.status.success(),
        "{text}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A running `finq serve`, stopped when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base: String,
    /// The write token it printed (empty under `--read-only`).
    pub token: String,
    /// Everything it printed on start.
    pub banner: String,
}

impl Server {
    /// Starts `finq --db DB serve --port 0 EXTRA...` and waits until it listens.
    pub fn start(db: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(finq_bin())
            .arg("--db")
            .arg(db)
            .args(["serve", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("finq serve starts");
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut banner = String::new();
        // The banner ends with the Ctrl-C line; an early end of output means it failed.
        loop {
            let mut line = String::new();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("finq serve did not start: {banner}{err}");
            }
            banner.push_str(&line);
            if line.starts_with("Ctrl-C") {
                break;
            }
        }
        // Whatever it prints later must not fill a pipe nobody reads.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut out, &mut std::io::sink());
        });
        let base = banner
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .expect("the banner names the address")
            .trim_end_matches('/')
            .to_string();
        let token = banner
            .split("X-Finq-Token: ")
            .nth(1)
            .map(|t| t.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_default();
        Server {
            child,
            base,
            token,
            banner,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The server's process id (for its memory).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server (SIGTERM, as Ctrl-C would) and waits for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("finq serve exits");
        std::mem::forget(self);
        status
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP agent that hands back every response, whatever its status.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A response's status, headers we look at, and body.
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

fn reply(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Reply {
    let mut r = r.expect("the server answers");
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Reply {
        status: r.status().as_u16(),
        body: r
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default(),
        headers,
    }
}

/// GET `url` with extra headers.
pub fn get(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = agent.get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.call())
}

/// POST `body` to `url` with extra headers.
pub fn post(agent: &ureq::Agent, url: &str, headers: &[(&str, &str)], body: &str) -> Reply {
    let mut req = agent.post(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    reply(req.send(body))
}

/// A query value percent-encoded.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A scratch folder with the sample database in it, as `db`.
pub fn sample_dir() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db");
    sample_db(&db);
    (dir, db)
}

/// Asks `/api/query` for `statement` and checks it is answered (200) within a second: the
/// server is free, nothing earlier left running.
pub fn answered_at_once(agent: &ureq::Agent, server: &Server, statement: &str) {
    let start = std::time::Instant::now();
    let r = get(
        agent,
        &server.url(&format!("/api/query?q={}", enc(statement))),
        &[],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let took = start.elapsed();
    assert!(took < std::time::Duration::from_secs(1), "{took:?}");
}
