//! Synthetic benchmark dataset behind `finq gen`: `companies.csv` and a wide `metrics.csv`.
//!
//! The shape and distributions follow the reference generator `shared/bench/gen.py` (see the
//! Dataset section of BENCHMARKS.md); its random stream is not reproduced, only its
//! statistical character. Companies are generated in fixed-size chunks, each with its own
//! PRNG seeded from `(seed, chunk index)`, so the files depend only on [`GenOptions`] and
//! never on how many threads produced them.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread;

/// The metric columns of `metrics.csv`, in the reference generator's order.
pub const GEN_METRICS: [&str; 24] = [
    "roe",
    "profit_margin",
    "gross_margin",
    "revenue_yoy",
    "net_profit_yoy",
    "total_assets_yoy",
    "net_assets_yoy",
    "cash_flow_margin",
    "ocf_yoy",
    "turnover",
    "gearing_ratio",
    "pe_ttm",
    "pb",
    "ps_ttm",
    "dividend_yield",
    "market_cap",
    "revenue",
    "net_income",
    "total_assets",
    "operating_cash_flow",
    "long_term_debt",
    "current_assets",
    "current_liabilities",
    "shares_outstanding",
];

/// The columns of `metrics.csv` with `--statements` (BENCHMARKS.md, statements profile):
/// statement items instead of indicators, and `price`, which only the day rows carry.
pub const STATEMENT_ITEMS: [&str; 12] = [
    "revenue",
    "cost_of_revenue",
    "net_income",
    "total_assets",
    "total_liabilities",
    "total_equity",
    "operating_cash_flow",
    "current_assets",
    "current_liabilities",
    "long_term_debt",
    "shares_outstanding",
    "price",
];

/// What to generate and where.
#[derive(Debug, Clone, PartialEq)]
pub struct GenOptions {
    pub companies: usize,
    /// Quarters per company, the last one being 2025Q4.
    pub periods: usize,
    pub seed: u64,
    /// Directory receiving `companies.csv` and `metrics.csv`; created if missing.
    pub out: PathBuf,
    /// Probability that a metric cell is left empty.
    pub missing: f64,
    /// Statement items (and a price at each quarter's last day) instead of indicators.
    pub statements: bool,
}

impl Default for GenOptions {
    fn default() -> Self {
        GenOptions {
            companies: 10_000,
            periods: 40,
            seed: 7,
            out: PathBuf::from("gen"),
            missing: 0.02,
            statements: false,
        }
    }
}

/// What [`generate`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GenSummary {
    pub companies: usize,
    /// Data rows of `metrics.csv` (companies × periods).
    pub rows: usize,
    /// Non-empty metric cells, i.e. the points an import will store.
    pub cells: usize,
    /// Size of both files together, headers included.
    pub bytes: u64,
}

/// Writes `companies.csv` and `metrics.csv` into `opts.out`, using every available core.
pub fn generate(opts: &GenOptions) -> io::Result<GenSummary> {
    let threads = thread::available_parallelism().map_or(1, |n| n.get());
    generate_with_threads(opts, threads)
}

const N_INDUSTRIES: usize = 120;
const N_SECTORS: usize = 12;
const EXCHANGES: [&str; 4] = ["US", "SH", "SZ", "HK"];
const LAST_YEAR: usize = 2025;
/// Going further back than year 1 would need signed years, which no period parser expects.
const MAX_PERIODS: usize = LAST_YEAR * 4;
/// Companies per unit of work. A constant rather than companies / threads, because the PRNG
/// is seeded per chunk and the output must not depend on the machine.
const CHUNK: usize = 512;
/// A generous guess of one metrics row, so chunk buffers rarely grow while being filled.
const ROW_BYTES: usize = 280;

// Column positions in GEN_METRICS; the derived metrics are computed from these.
const ROE: usize = 0;
const PROFIT_MARGIN: usize = 1;
const GROSS_MARGIN: usize = 2;
const REVENUE_YOY: usize = 3;
const NET_PROFIT_YOY: usize = 4;
const TOTAL_ASSETS_YOY: usize = 5;
const NET_ASSETS_YOY: usize = 6;
const CASH_FLOW_MARGIN: usize = 7;
const OCF_YOY: usize = 8;
const TURNOVER: usize = 9;
const GEARING_RATIO: usize = 10;
const PE_TTM: usize = 11;
const PB: usize = 12;
const PS_TTM: usize = 13;
const DIVIDEND_YIELD: usize = 14;
const MARKET_CAP: usize = 15;
const REVENUE: usize = 16;
const NET_INCOME: usize = 17;
const TOTAL_ASSETS: usize = 18;
const OPERATING_CASH_FLOW: usize = 19;
const LONG_TERM_DEBT: usize = 20;
const CURRENT_ASSETS: usize = 21;
const CURRENT_LIABILITIES: usize = 22;
const SHARES_OUTSTANDING: usize = 23;

fn generate_with_threads(opts: &GenOptions, threads: usize) -> io::Result<GenSummary> {
    validate(opts)?;
    fs::create_dir_all(&opts.out)?;
    let plan = Plan::new(opts);
    let n_chunks = opts.companies.div_ceil(CHUNK);
    let threads = threads.clamp(1, n_chunks);

    let mut companies =
        BufWriter::with_capacity(1 << 16, File::create(opts.out.join("companies.csv"))?);
    let mut metrics =
        BufWriter::with_capacity(1 << 22, File::create(opts.out.join("metrics.csv"))?);
    let company_header = b"symbol,name,industry,sector,exchange\n";
    let columns = if opts.statements {
        &STATEMENT_ITEMS[..]
    } else {
        &GEN_METRICS[..]
    };
    let metric_header = format!("symbol,period,{}\n", columns.join(","));
    companies.write_all(company_header)?;
    metrics.write_all(metric_header.as_bytes())?;
    let mut bytes = (company_header.len() + metric_header.len()) as u64;
    let mut cells = 0;

    // Worker w makes chunks w, w + threads, ... and hands them over on its own bounded
    // channel, so the writer reads them back in file order without a reordering buffer and
    // memory stays at a few chunks per worker. Written chunks go back for reuse.
    thread::scope(|scope| -> io::Result<()> {
        let mut ready = Vec::with_capacity(threads);
        let mut spent = Vec::with_capacity(threads);
        for first in 0..threads {
            let (done_tx, done_rx) = mpsc::sync_channel(2);
            let (spent_tx, spent_rx) = mpsc::channel();
            let plan = &plan;
            scope.spawn(move || plan.work(first, threads, n_chunks, &done_tx, &spent_rx));
            ready.push(done_rx);
            spent.push(spent_tx);
        }
        for index in 0..n_chunks {
            let worker = index % threads;
            let chunk: Chunk = ready[worker]
                .recv()
                .map_err(|_| io::Error::other("a generator thread stopped early"))?;
            companies.write_all(&chunk.companies)?;
            metrics.write_all(&chunk.metrics)?;
            bytes += (chunk.companies.len() + chunk.metrics.len()) as u64;
            cells += chunk.cells;
            // The worker may already be done and gone; the buffer is then simply dropped.
            let _ = spent[worker].send(chunk);
        }
        Ok(())
    })?;
    companies.flush()?;
    metrics.flush()?;

    Ok(GenSummary {
        companies: opts.companies,
        // The statements profile adds a price row to every quarter's row.
        rows: opts.companies * opts.periods * if opts.statements { 2 } else { 1 },
        cells,
        bytes,
    })
}

fn validate(opts: &GenOptions) -> io::Result<()> {
    let invalid = |msg: String| Err(io::Error::new(io::ErrorKind::InvalidInput, msg));
    if opts.companies == 0 {
        return invalid("gen: --companies must be at least 1".into());
    }
    if opts.periods == 0 {
        return invalid("gen: --periods must be at least 1".into());
    }
    if opts.periods > MAX_PERIODS {
        return invalid(format!(
            "gen: --periods {} reaches before year 1 (at most {MAX_PERIODS})",
            opts.periods
        ));
    }
    if !(0.0..=1.0).contains(&opts.missing) {
        return invalid(format!(
            "gen: missing fraction {} is not between 0 and 1",
            opts.missing
        ));
    }
    Ok(())
}

/// The last `n` quarters ending 2025Q4, oldest first.
fn period_labels(n: usize) -> Vec<String> {
    let last = LAST_YEAR * 4 + 3;
    (0..n)
        .map(|i| {
            let quarter = last + 1 + i - n;
            format!("{}Q{}", quarter / 4, quarter % 4 + 1)
        })
        .collect()
}

/// One chunk's share of both files, ready to be appended.
struct Chunk {
    companies: Vec<u8>,
    metrics: Vec<u8>,
    cells: usize,
}

/// Everything the workers share, computed once.
struct Plan {
    companies: usize,
    seed: u64,
    missing: f64,
    statements: bool,
    periods: Vec<String>,
    /// Cumulative industry weights, for inverse-CDF sampling.
    industry_cdf: [f64; N_INDUSTRIES],
}

impl Plan {
    fn new(opts: &GenOptions) -> Self {
        // Zipf-like sizes: industry k gets weight 1/(k+1)^0.8, so the largest holds about
        // 12% of companies and the smallest about 0.25%.
        let mut industry_cdf = [0.0; N_INDUSTRIES];
        let mut total = 0.0;
        for (k, slot) in industry_cdf.iter_mut().enumerate() {
            total += 1.0 / ((k + 1) as f64).powf(0.8);
            *slot = total;
        }
        Plan {
            companies: opts.companies,
            seed: opts.seed,
            missing: opts.missing,
            statements: opts.statements,
            periods: period_labels(opts.periods),
            industry_cdf,
        }
    }

    fn work(
        &self,
        first: usize,
        step: usize,
        n_chunks: usize,
        done: &SyncSender<Chunk>,
        spent: &Receiver<Chunk>,
    ) {
        let mut cols = vec![0.0; GEN_METRICS.len() * self.periods.len()];
        for index in (first..n_chunks).step_by(step) {
            let mut chunk = spent.try_recv().unwrap_or_else(|_| Chunk {
                companies: Vec::with_capacity(CHUNK * 64),
                metrics: Vec::with_capacity(CHUNK * self.periods.len() * ROW_BYTES),
                cells: 0,
            });
            self.fill(index, &mut chunk, &mut cols);
            if done.send(chunk).is_err() {
                // The writer gave up (an I/O error); nothing left to do.
                return;
            }
        }
    }

    fn fill(&self, index: usize, chunk: &mut Chunk, cols: &mut [f64]) {
        chunk.companies.clear();
        chunk.metrics.clear();
        chunk.cells = 0;
        let mut rng = Rng::for_chunk(self.seed, index as u64);
        // Which statement cells are empty: a stream of its own (see `statement_rows`).
        let mut cells = Rng::for_chunk(self.seed ^ 0x5157_4154, index as u64);
        let n = self.periods.len();
        let mut symbol = Vec::with_capacity(16);
        let start = index * CHUNK;
        for i in start..self.companies.min(start + CHUNK) {
            let exchange = EXCHANGES[i % EXCHANGES.len()];
            symbol.clear();
            symbol.push(b'C');
            push_padded(&mut symbol, i as u64, 6);
            symbol.push(b'.');
            symbol.extend_from_slice(exchange.as_bytes());

            let industry = self.pick_industry(&mut rng);
            let out = &mut chunk.companies;
            out.extend_from_slice(&symbol);
            out.extend_from_slice(b",Company ");
            push_padded(out, i as u64, 1);
            out.extend_from_slice(b",Industry ");
            push_padded(out, industry as u64 + 1, 3);
            out.extend_from_slice(b",Sector ");
            push_padded(out, (industry % N_SECTORS) as u64 + 1, 2);
            out.push(b',');
            out.extend_from_slice(exchange.as_bytes());
            out.push(b'\n');

            company_series(&mut rng, cols, n);
            if self.statements {
                // The indicator file's draws for its empty cells, made all the same, so
                // later companies of the chunk get the same industries and histories.
                for _ in 0..n * GEN_METRICS.len() {
                    rng.next_f64();
                }
                self.statement_rows(&mut cells, &symbol, cols, chunk);
                continue;
            }

            let out = &mut chunk.metrics;
            for (k, period) in self.periods.iter().enumerate() {
                out.extend_from_slice(&symbol);
                out.push(b',');
                out.extend_from_slice(period.as_bytes());
                for m in 0..GEN_METRICS.len() {
                    out.push(b',');
                    let v = cols[m * n + k];
                    if rng.next_f64() >= self.missing && v.is_finite() {
                        push_value(out, v);
                        chunk.cells += 1;
                    }
                }
                out.push(b'\n');
            }
        }
    }

    /// One company's rows of the statements profile from its generated history: per
    /// quarter the statement items (cost of revenue from the gross margin, liabilities from
    /// the gearing ratio, equity as the rest), then a row dated the quarter's last day with
    /// the price (market cap over shares). Cells go missing as in the indicator file.
    fn statement_rows(&self, rng: &mut Rng, symbol: &[u8], cols: &[f64], chunk: &mut Chunk) {
        let n = self.periods.len();
        let at = |m: usize, k: usize| cols[m * n + k];
        let out = &mut chunk.metrics;
        for (k, period) in self.periods.iter().enumerate() {
            let revenue = at(REVENUE, k);
            let assets = at(TOTAL_ASSETS, k);
            let liabilities = assets * at(GEARING_RATIO, k);
            let items = [
                revenue,
                revenue * (1.0 - at(GROSS_MARGIN, k)),
                at(NET_INCOME, k),
                assets,
                liabilities,
                assets - liabilities,
                at(OPERATING_CASH_FLOW, k),
                at(CURRENT_ASSETS, k),
                at(CURRENT_LIABILITIES, k),
                at(LONG_TERM_DEBT, k),
                at(SHARES_OUTSTANDING, k),
            ];
            out.extend_from_slice(symbol);
            out.push(b',');
            out.extend_from_slice(period.as_bytes());
            for v in items {
                out.push(b',');
                if rng.next_f64() >= self.missing && v.is_finite() {
                    push_value(out, v);
                    chunk.cells += 1;
                }
            }
            out.extend_from_slice(b",\n");
            // The quarter's last day: 2025Q4 → 2025-12-31.
            let (year, q) = period.split_once('Q').unwrap_or((period, "4"));
            let day = match q {
                "1" => "03-31",
                "2" => "06-30",
                "3" => "09-30",
                _ => "12-31",
            };
            out.extend_from_slice(symbol);
            out.extend_from_slice(format!(",{year}-{day}").as_bytes());
            out.extend_from_slice(&[b','; STATEMENT_ITEMS.len()]);
            let price = at(MARKET_CAP, k) / at(SHARES_OUTSTANDING, k);
            if rng.next_f64() >= self.missing && price.is_finite() {
                push_value(out, price);
                chunk.cells += 1;
            }
            out.push(b'\n');
        }
    }

    fn pick_industry(&self, rng: &mut Rng) -> usize {
        let target = rng.next_f64() * self.industry_cdf[N_INDUSTRIES - 1];
        self.industry_cdf
            .partition_point(|&c| c <= target)
            .min(N_INDUSTRIES - 1)
    }
}

/// Fills `cols` (column-major, `n` values per metric) with one company's history.
///
/// Ratios are mean-reverting around a per-company level, so companies differ more from each
/// other than from their own past, as real fundamentals do. Money amounts are random walks
/// with a per-company drift, and the F-score inputs are derived from them so that the
/// accounting identities the scorecards rely on roughly hold.
fn company_series(rng: &mut Rng, cols: &mut [f64], n: usize) {
    let col = |m: usize| m * n..(m + 1) * n;

    let level = rng.gauss(0.06, 0.12);
    ar(rng, &mut cols[col(PROFIT_MARGIN)], level, 0.08);
    let level = rng.gauss(0.08, 0.12);
    ar(rng, &mut cols[col(ROE)], level, 0.08);
    let level = rng.uniform(0.1, 0.7);
    ar(rng, &mut cols[col(GROSS_MARGIN)], level, 0.05);
    clamp(&mut cols[col(GROSS_MARGIN)], 0.01, 0.95);
    let level = rng.gauss(0.08, 0.15);
    ar(rng, &mut cols[col(REVENUE_YOY)], level, 0.15);
    let level = rng.gauss(0.05, 0.3);
    ar(rng, &mut cols[col(NET_PROFIT_YOY)], level, 0.4);
    let level = rng.gauss(0.06, 0.1);
    ar(rng, &mut cols[col(TOTAL_ASSETS_YOY)], level, 0.1);
    let level = rng.gauss(0.06, 0.1);
    ar(rng, &mut cols[col(NET_ASSETS_YOY)], level, 0.1);
    let level = rng.gauss(0.08, 0.2);
    ar(rng, &mut cols[col(CASH_FLOW_MARGIN)], level, 0.15);
    let level = rng.gauss(0.05, 0.3);
    ar(rng, &mut cols[col(OCF_YOY)], level, 0.4);
    let level = rng.gauss(-0.7, 0.4);
    ar(rng, &mut cols[col(TURNOVER)], level, 0.15);
    exp(&mut cols[col(TURNOVER)]);
    let level = rng.uniform(0.1, 0.85);
    ar(rng, &mut cols[col(GEARING_RATIO)], level, 0.05);
    clamp(&mut cols[col(GEARING_RATIO)], 0.01, 0.98);
    let level = rng.gauss(20.0, 20.0);
    ar(rng, &mut cols[col(PE_TTM)], level, 10.0);
    let level = rng.gauss(0.8, 0.7);
    ar(rng, &mut cols[col(PB)], level, 0.2);
    exp(&mut cols[col(PB)]);
    let level = rng.gauss(0.7, 0.8);
    ar(rng, &mut cols[col(PS_TTM)], level, 0.2);
    exp(&mut cols[col(PS_TTM)]);
    let level = rng.gauss(0.015, 0.015);
    ar(rng, &mut cols[col(DIVIDEND_YIELD)], level, 0.005);
    clamp(&mut cols[col(DIVIDEND_YIELD)], 0.0, f64::INFINITY);
    let level = rng.gauss(21.0, 1.6);
    ar(rng, &mut cols[col(MARKET_CAP)], level, 0.3);
    exp(&mut cols[col(MARKET_CAP)]);

    let mut revenue = rng.gauss(19.0, 1.4).exp();
    let mut assets = rng.gauss(20.5, 1.4).exp();
    let mut shares = rng.gauss(18.0, 1.0).exp();
    let growth = rng.gauss(0.02, 0.02);
    for k in 0..n {
        revenue *= rng.gauss(growth, 0.06).exp();
        assets *= rng.gauss(growth, 0.03).exp();
        // Occasional issues and buybacks keep share counts flat for long stretches.
        if rng.next_f64() < 0.05 {
            shares *= 1.0 + rng.uniform(0.01, 0.1);
        } else if rng.next_f64() < 0.05 {
            shares *= 1.0 - rng.uniform(0.0, 0.03);
        }
        cols[REVENUE * n + k] = revenue;
        cols[TOTAL_ASSETS * n + k] = assets;
        cols[SHARES_OUTSTANDING * n + k] = shares.round();
    }

    let debt_share = rng.uniform(0.0, 0.5);
    let current_share = rng.uniform(0.2, 0.6);
    let current_ratio = rng.uniform(0.8, 2.5);
    for k in 0..n {
        let revenue = cols[REVENUE * n + k];
        let assets = cols[TOTAL_ASSETS * n + k];
        cols[NET_INCOME * n + k] = revenue * cols[PROFIT_MARGIN * n + k];
        cols[OPERATING_CASH_FLOW * n + k] = revenue * cols[CASH_FLOW_MARGIN * n + k];
        cols[LONG_TERM_DEBT * n + k] = assets * (debt_share + rng.gauss(0.0, 0.02)).max(0.0);
        let current_assets = assets * (current_share + rng.gauss(0.0, 0.02)).max(0.01);
        cols[CURRENT_ASSETS * n + k] = current_assets;
        cols[CURRENT_LIABILITIES * n + k] =
            current_assets / (current_ratio + rng.gauss(0.0, 0.1)).max(0.2);
    }
}

/// Mean-reverting AR(1) around `mu` whose stationary deviation is `sd`, started from a draw
/// of that stationary distribution so the first quarters are not special.
fn ar(rng: &mut Rng, out: &mut [f64], mu: f64, sd: f64) {
    const PHI: f64 = 0.8;
    let innovation = sd * (1.0 - PHI * PHI).sqrt();
    let mut x = mu + rng.gauss(0.0, sd);
    for slot in out {
        x = mu + PHI * (x - mu) + rng.gauss(0.0, innovation);
        *slot = x;
    }
}

fn clamp(values: &mut [f64], lo: f64, hi: f64) {
    for v in values {
        *v = v.clamp(lo, hi);
    }
}

fn exp(values: &mut [f64]) {
    for v in values {
        *v = v.exp();
    }
}

/// Appends `v` as the reference writes it: to 6 decimals below 1e6, else as an integer.
///
/// Formats the scaled integer directly instead of going through `f64` Display. The text is
/// the same: the double nearest to k/10^6 is printed by Display as k/10^6 with trailing
/// zeros cut, because below 1e6 a double is far finer than 10^-6, so no shorter decimal
/// reads back as the same double. It is several times faster, which matters at 10^8 cells.
fn push_value(out: &mut Vec<u8>, v: f64) {
    if v.abs() < 1e6 {
        let scaled = (v * 1e6).round() as i64;
        if scaled < 0 {
            out.push(b'-');
        }
        let scaled = scaled.unsigned_abs();
        push_padded(out, scaled / 1_000_000, 1);
        let mut frac = scaled % 1_000_000;
        if frac != 0 {
            let mut width = 6;
            while frac.is_multiple_of(10) {
                frac /= 10;
                width -= 1;
            }
            out.push(b'.');
            push_padded(out, frac, width);
        }
    } else {
        let rounded = v.round();
        if rounded.abs() < 9.0e18 {
            let n = rounded as i64;
            if n < 0 {
                out.push(b'-');
            }
            push_padded(out, n.unsigned_abs(), 1);
        } else {
            // Beyond i64; never produced by the distributions above, kept exact anyway.
            out.extend_from_slice(rounded.to_string().as_bytes());
        }
    }
}

/// Appends `n` in decimal, left-padded with zeros to at least `width` digits.
fn push_padded(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut at = digits.len();
    while n > 0 {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let at = at.min(digits.len() - width.clamp(1, digits.len()));
    out.extend_from_slice(&digits[at..]);
}

/// xoshiro256** seeded through splitmix64: small, fast, and good enough for synthetic data.
struct Rng {
    s: [u64; 4],
    /// Box–Muller makes Gaussians in pairs; the second waits here.
    spare: Option<f64>,
}

impl Rng {
    fn for_chunk(seed: u64, chunk: u64) -> Self {
        // Mixing seed and chunk through a bijection before expanding keeps the streams of
        // neighbouring chunks (and neighbouring seeds) unrelated.
        let mut state = mix64(mix64(seed).wrapping_add(chunk));
        let mut s = [0; 4];
        for word in &mut s {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            *word = mix64(state);
        }
        Rng { s, spare: None }
    }

    fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.next_f64()
    }

    fn gauss(&mut self, mu: f64, sd: f64) -> f64 {
        let z = match self.spare.take() {
            Some(z) => z,
            None => {
                // 1 - u lies in (0, 1], keeping ln finite.
                let radius = (-2.0 * (1.0 - self.next_f64()).ln()).sqrt();
                let (sin, cos) = (std::f64::consts::TAU * self.next_f64()).sin_cos();
                self.spare = Some(radius * sin);
                radius * cos
            }
        };
        mu + sd * z
    }
}

/// splitmix64's finaliser.
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::path::Path;

    /// A scratch directory removed when dropped, so failing tests do not leave data behind.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Self {
            let dir =
                std::env::temp_dir().join(format!("finq-gen-test-{}-{name}", std::process::id()));
            let _ = fs::remove_dir_all(&dir);
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn options(dir: &Path, companies: usize, periods: usize, seed: u64) -> GenOptions {
        GenOptions {
            companies,
            periods,
            seed,
            out: dir.to_path_buf(),
            ..GenOptions::default()
        }
    }

    fn read(dir: &Path, file: &str) -> String {
        fs::read_to_string(dir.join(file)).unwrap()
    }

    #[test]
    fn same_seed_same_bytes_other_seed_other_bytes() {
        let (a, b, c) = (
            Scratch::new("det-a"),
            Scratch::new("det-b"),
            Scratch::new("det-c"),
        );
        generate(&options(&a.0, 60, 12, 7)).unwrap();
        generate(&options(&b.0, 60, 12, 7)).unwrap();
        generate(&options(&c.0, 60, 12, 8)).unwrap();
        for file in ["companies.csv", "metrics.csv"] {
            assert_eq!(read(&a.0, file), read(&b.0, file), "{file}");
        }
        assert_ne!(read(&a.0, "metrics.csv"), read(&c.0, "metrics.csv"));
    }

    #[test]
    fn output_does_not_depend_on_thread_count() {
        let (a, b) = (Scratch::new("thr-a"), Scratch::new("thr-b"));
        let companies = CHUNK * 3 + 17;
        let one = generate_with_threads(&options(&a.0, companies, 3, 11), 1).unwrap();
        let three = generate_with_threads(&options(&b.0, companies, 3, 11), 3).unwrap();
        assert_eq!(one, three);
        for file in ["companies.csv", "metrics.csv"] {
            assert!(read(&a.0, file) == read(&b.0, file), "{file} differs");
        }
    }

    #[test]
    fn headers_row_counts_and_summary() {
        let dir = Scratch::new("counts");
        let summary = generate(&options(&dir.0, 130, 8, 1)).unwrap();
        let companies = read(&dir.0, "companies.csv");
        let metrics = read(&dir.0, "metrics.csv");
        let company_lines: Vec<&str> = companies.lines().collect();
        let metric_lines: Vec<&str> = metrics.lines().collect();
        assert_eq!(company_lines[0], "symbol,name,industry,sector,exchange");
        assert_eq!(
            metric_lines[0],
            format!("symbol,period,{}", GEN_METRICS.join(","))
        );
        assert_eq!(company_lines.len(), 131);
        assert_eq!(metric_lines.len(), 130 * 8 + 1);
        assert!(metric_lines[1..].iter().all(|l| l.split(',').count() == 26));
        assert_eq!(summary.companies, 130);
        assert_eq!(summary.rows, 130 * 8);
        assert_eq!(summary.bytes, (companies.len() + metrics.len()) as u64);
        let non_empty = metric_lines[1..]
            .iter()
            .flat_map(|l| l.split(',').skip(2))
            .filter(|c| !c.is_empty())
            .count();
        assert_eq!(summary.cells, non_empty);

        let hk = company_lines
            .iter()
            .find(|l| l.starts_with("C000123.HK,"))
            .expect("C000123.HK exists");
        let fields: Vec<&str> = hk.split(',').collect();
        assert_eq!(fields[1], "Company 123");
        assert!(fields[2].starts_with("Industry "));
        assert_eq!(fields[4], "HK");
        assert!(company_lines[1].starts_with("C000000.US,Company 0,Industry "));
        assert!(company_lines[2].starts_with("C000001.SH,"));
        assert!(company_lines[3].starts_with("C000002.SZ,"));
        assert!(metric_lines[1].starts_with("C000000.US,"));
    }

    #[test]
    fn forty_periods_run_2016q1_to_2025q4() {
        let labels = period_labels(40);
        assert_eq!(labels.len(), 40);
        assert_eq!(labels[0], "2016Q1");
        assert_eq!(labels[1], "2016Q2");
        assert_eq!(labels[39], "2025Q4");
        assert_eq!(period_labels(1), ["2025Q4"]);
        assert_eq!(
            period_labels(6),
            ["2024Q3", "2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4"]
        );

        let dir = Scratch::new("periods");
        generate(&options(&dir.0, 2, 40, 3)).unwrap();
        let metrics = read(&dir.0, "metrics.csv");
        let periods: Vec<&str> = metrics
            .lines()
            .skip(1)
            .take(40)
            .map(|l| l.split(',').nth(1).unwrap())
            .collect();
        assert_eq!(periods, labels);
    }

    #[test]
    fn about_two_percent_of_cells_are_empty() {
        let dir = Scratch::new("missing");
        let summary = generate(&options(&dir.0, 200, 40, 7)).unwrap();
        let total = summary.rows * GEN_METRICS.len();
        let empty = (total - summary.cells) as f64 / total as f64;
        assert!((0.01..=0.03).contains(&empty), "empty fraction {empty}");

        let none = Scratch::new("missing-none");
        let opts = GenOptions {
            missing: 0.0,
            ..options(&none.0, 20, 5, 7)
        };
        let summary = generate(&opts).unwrap();
        assert_eq!(summary.cells, 20 * 5 * GEN_METRICS.len());
    }

    #[test]
    fn industries_are_uneven_and_sectors_follow_them() {
        let dir = Scratch::new("industries");
        let n = 5000;
        generate(&options(&dir.0, n, 1, 7)).unwrap();
        let companies = read(&dir.0, "companies.csv");
        let mut sizes: HashMap<String, usize> = HashMap::new();
        for line in companies.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            let k: usize = fields[2]
                .strip_prefix("Industry ")
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=N_INDUSTRIES).contains(&k), "{line}");
            assert_eq!(fields[3], format!("Sector {:02}", (k - 1) % N_SECTORS + 1));
            *sizes.entry(fields[2].to_string()).or_default() += 1;
        }
        assert!(sizes.len() >= 110, "{} industries", sizes.len());
        let largest = sizes.values().max().copied().unwrap() as f64 / n as f64;
        assert!((0.09..=0.15).contains(&largest), "largest {largest}");
        assert_eq!(
            sizes.iter().max_by_key(|(_, v)| **v).unwrap().0,
            "Industry 001"
        );
        let smallest = sizes.values().min().copied().unwrap();
        assert!(smallest < 30, "smallest {smallest}");
    }

    #[test]
    fn every_cell_is_a_number_in_its_range() {
        let dir = Scratch::new("cells");
        generate(&options(&dir.0, 300, 40, 5)).unwrap();
        let metrics = read(&dir.0, "metrics.csv");
        let col = |name: &str| GEN_METRICS.iter().position(|m| *m == name).unwrap() + 2;
        let mut sums = vec![(0.0, 0usize); GEN_METRICS.len()];
        for line in metrics.lines().skip(1) {
            let fields: Vec<&str> = line.split(',').collect();
            for (m, cell) in fields[2..].iter().enumerate() {
                if cell.is_empty() {
                    continue;
                }
                let v: f64 = cell
                    .parse()
                    .unwrap_or_else(|_| panic!("{cell:?} in {line}"));
                assert!(v.is_finite());
                // Plain decimals only: no exponent, no negative zero.
                assert!(!cell.contains(['e', 'E']) && *cell != "-0", "{cell:?}");
                sums[m].0 += v;
                sums[m].1 += 1;
            }
            let get = |name: &str| fields[col(name)].parse::<f64>().ok();
            if let Some(v) = get("gross_margin") {
                assert!((0.01..=0.95).contains(&v));
            }
            if let Some(v) = get("gearing_ratio") {
                assert!((0.01..=0.98).contains(&v));
            }
            if let Some(v) = get("dividend_yield") {
                assert!(v >= 0.0);
            }
            for name in [
                "turnover",
                "pb",
                "ps_ttm",
                "market_cap",
                "revenue",
                "total_assets",
            ] {
                if let Some(v) = get(name) {
                    assert!(v > 0.0, "{name} {v}");
                }
            }
            let shares = fields[col("shares_outstanding")];
            assert!(shares.is_empty() || shares.bytes().all(|b| b.is_ascii_digit()));
        }
        let mean = |name: &str| {
            let (s, c) = sums[col(name) - 2];
            s / c as f64
        };
        assert!((0.04..0.12).contains(&mean("roe")), "roe {}", mean("roe"));
        assert!(
            (10.0..30.0).contains(&mean("pe_ttm")),
            "pe {}",
            mean("pe_ttm")
        );
    }

    #[test]
    fn values_print_like_display_of_the_rounded_number() {
        let mut rng = Rng::for_chunk(1, 2);
        let mut out = Vec::new();
        let mut check = |v: f64| {
            out.clear();
            push_value(&mut out, v);
            let expected = if v.abs() < 1e6 {
                format!("{}", (v * 1e6).round() / 1e6 + 0.0)
            } else {
                format!("{}", v.round())
            };
            assert_eq!(std::str::from_utf8(&out).unwrap(), expected, "{v:e}");
        };
        for v in [
            0.0,
            -0.0,
            1.0,
            -1.0,
            0.5,
            1e-6,
            -1e-6,
            4e-7,
            -4e-7,
            6e-7,
            0.1,
            0.123456789,
            999_999.5,
            999_999.9999996,
            -999_999.9999996,
            1e6,
            -1e6,
            1234567.5,
            3.0e15,
            -7.25e12,
        ] {
            check(v);
        }
        for _ in 0..200_000 {
            let scale = 10f64.powf(rng.uniform(-8.0, 13.0));
            check(rng.gauss(0.0, 1.0) * scale);
        }
    }

    #[test]
    fn zero_companies_or_periods_is_invalid_input() {
        let dir = Scratch::new("invalid");
        for (companies, periods) in [(0, 40), (10, 0), (10, MAX_PERIODS + 1)] {
            let err = generate(&options(&dir.0, companies, periods, 7)).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        }
        let opts = GenOptions {
            missing: 1.5,
            ..options(&dir.0, 10, 4, 7)
        };
        assert_eq!(
            generate(&opts).unwrap_err().kind(),
            io::ErrorKind::InvalidInput
        );
        assert!(!dir.0.exists(), "nothing is created for invalid options");
    }

    #[test]
    fn statements_profile_has_the_same_companies_and_statement_items() {
        let (a, b) = (Scratch::new("st-a"), Scratch::new("st-b"));
        generate(&options(&a.0, 40, 8, 7)).unwrap();
        let opts = GenOptions {
            statements: true,
            missing: 0.0,
            ..options(&b.0, 40, 8, 7)
        };
        let summary = generate(&opts).unwrap();
        assert_eq!(read(&a.0, "companies.csv"), read(&b.0, "companies.csv"));
        let text = read(&b.0, "metrics.csv");
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            format!("symbol,period,{}", STATEMENT_ITEMS.join(","))
        );
        // Per quarter a statement row and a price row on the quarter's last day.
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        assert_eq!(rows.len(), 40 * 8 * 2);
        assert_eq!(summary.cells, 40 * 8 * STATEMENT_ITEMS.len());
        let (q, d) = (&rows[14], &rows[15]);
        assert_eq!((q[1], d[1]), ("2025Q4", "2025-12-31"));
        assert!(q[13].is_empty() && d[2..13].iter().all(|c| c.is_empty()));
        let num = |c: &str| c.parse::<f64>().unwrap();
        // Equity is what liabilities leave of assets; the price is positive.
        assert!((num(q[5]) - num(q[6]) - num(q[7])).abs() <= 1.0);
        assert!(num(d[13]) > 0.0);
    }

    #[test]
    fn default_options() {
        let d = GenOptions::default();
        assert_eq!((d.companies, d.periods, d.seed), (10_000, 40, 7));
        assert_eq!(d.out, PathBuf::from("gen"));
        assert_eq!(d.missing, 0.02);
    }
}
