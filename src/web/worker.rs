//! The session threads: where the server's [`Session`]s live. A session is `&mut` for
//! every statement (it owns its column cache), so the server keeps a few of them, each on
//! its own thread, all over the one open database ([`Session::share`]). Jobs wait in one
//! queue and go to whichever thread is free; HTTP handling and HTML/SVG rendering stay on
//! the async runtime's threads.
//!
//! **Readers run side by side, writers alone.** A job says whether it may write. Readers
//! hold a shared gate while they run and a writer holds it exclusively, so writes are
//! serialised, a reader never sees a write half-done, and a writer waits for the reads
//! already running (new readers wait behind a waiting writer). Each write is atomic
//! because every write statement is; before its next job every other session takes in
//! what was written (a few series' points are patched into its cache, anything else clears
//! it: `Database::catch_up`).
//!
//! **Time.** A job runs within its request's deadline ([`stop::within`]): a job still
//! queued when the deadline passes never starts, and a running statement checks the
//! deadline at cheap points (between the chunks it reads, the statements of a script, ...)
//! and stops with an error there, leaving the database as it was; a write that has begun
//! to apply finishes. The request waits a little past the deadline for that error, so what
//! it reports is the statement's own stop.

use crate::error::{Error, Result, Span, stop};
use crate::output::Output;
use crate::query::ast::Located;
use crate::session::Session;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Jobs that may wait for a session at once; more are refused as busy rather than queued
/// without bound.
const QUEUE: usize = 64;

/// How long past its deadline a request waits for its statement to report that it stopped
/// (a check point is at most one chunk's decoding away).
const GRACE: Duration = Duration::from_secs(2);

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// What a job may do to the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Reads only: runs beside other reads.
    Read,
    /// May write: runs alone.
    Write,
}

/// A handle on the session threads; cloning it shares them.
#[derive(Clone)]
pub struct Worker {
    jobs: SyncSender<(Mode, Job)>,
    /// The time a request is allowed, named when a statement is stopped.
    allowed: Duration,
}

/// Why a job gave no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Stall {
    /// The queue is full.
    Busy,
    /// The deadline passed first.
    TimedOut(Duration),
    /// The session threads are gone (the server is stopping).
    Stopped,
    /// The job panicked: a bug in finq, reported rather than taking the server down.
    Panicked,
}

/// The threads' shared queue and gate.
struct Shared {
    queue: Mutex<Receiver<(Mode, Job)>>,
    gate: RwLock<()>,
}

impl Worker {
    /// Opens the database and starts `sessions` threads (at least one), each with its own
    /// session over it, which serve jobs until every handle is dropped; the database
    /// closes when the last thread ends, so join them all to wait for that. An error
    /// opening it (in use by another process, damaged, another format) is returned here,
    /// before anything listens. `allowed` is the time a request may take.
    pub fn start(
        path: &Path,
        sessions: usize,
        allowed: Duration,
    ) -> Result<(Worker, Vec<JoinHandle<()>>)> {
        let first = Session::open(path)?;
        let (jobs, queue) = sync_channel::<(Mode, Job)>(QUEUE);
        let shared = Arc::new(Shared {
            queue: Mutex::new(queue),
            gate: RwLock::new(()),
        });
        let mut all = Vec::with_capacity(sessions.max(1));
        for _ in 1..sessions.max(1) {
            all.push(first.share());
        }
        all.insert(0, first);
        let mut threads = Vec::with_capacity(all.len());
        for (i, session) in all.into_iter().enumerate() {
            let shared = shared.clone();
            let thread = std::thread::Builder::new()
                .name(format!("finq-session-{i}"))
                .spawn(move || serve_jobs(session, &shared))
                .map_err(|e| Error::Io(format!("cannot start a session thread: {e}")))?;
            threads.push(thread);
        }
        Ok((Worker { jobs, allowed }, threads))
    }

    /// Runs `f` on a session thread, beside other reads or alone as `mode` says, and waits
    /// for its result until a little past `deadline`; `f` itself is stopped at `deadline`.
    pub async fn call<T: Send + 'static>(
        &self,
        deadline: Instant,
        mode: Mode,
        f: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> std::result::Result<T, Stall> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let allowed = self.allowed;
        let job: Job = Box::new(move |session| {
            // Its caller is being told it ran out of time: starting it now would only
            // delay the jobs behind it.
            if Instant::now() >= deadline {
                return;
            }
            // A panic in a statement is a bug, but it must not take the server down with
            // it: the caller hears of it (a 500), and the cache, which the statement may have
            // left half-built, is dropped.
            let result = catch_unwind(AssertUnwindSafe(|| {
                stop::within(deadline, allowed, || f(session))
            }));
            if result.is_err() {
                session.clear_cache();
            }
            let _ = reply.send(result);
        });
        self.jobs.try_send((mode, job)).map_err(|e| match e {
            TrySendError::Full(_) => Stall::Busy,
            TrySendError::Disconnected(_) => Stall::Stopped,
        })?;
        let waited = Instant::now();
        match tokio::time::timeout_at((deadline + GRACE).into(), answer).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(_))) => Err(Stall::Panicked),
            Ok(Err(_)) if Instant::now() >= deadline => Err(Stall::TimedOut(waited.elapsed())),
            Ok(Err(_)) => Err(Stall::Stopped),
            Err(_) => Err(Stall::TimedOut(waited.elapsed())),
        }
    }
}

/// One session thread: takes the next job, waits at the gate as its mode says, runs it.
fn serve_jobs(mut session: Session, shared: &Shared) {
    loop {
        let next = {
            let queue = shared.queue.lock().unwrap_or_else(|p| p.into_inner());
            queue.recv()
        };
        let Ok((mode, job)) = next else { return };
        // The gate guards no data (a job that panicked is caught inside it), so a poisoned
        // gate is as good as a sound one.
        match mode {
            Mode::Read => {
                let _shared = shared.gate.read().unwrap_or_else(|p| p.into_inner());
                job(&mut session);
            }
            Mode::Write => {
                let _alone = shared.gate.write().unwrap_or_else(|p| p.into_inner());
                job(&mut session);
            }
        }
    }
}

/// What one statement of a script gave.
#[derive(Debug)]
pub struct Ran {
    /// The statement as written.
    pub text: String,
    pub outputs: Vec<Output>,
    pub elapsed: Duration,
}

/// A statement that failed, or was stopped at the request's time limit.
#[derive(Debug)]
pub struct Failed {
    /// 1-based position of the statement in the script.
    pub index: usize,
    /// The error, with any place it has counted in the whole script.
    pub error: Error,
    /// Stopped at the time limit (before it started, or while it ran), having changed
    /// nothing.
    pub stopped: bool,
}

/// A script's run: the statements that ran, and the one that failed, if any (the rest were
/// not run).
#[derive(Debug)]
pub struct ScriptRun {
    pub ran: Vec<Ran>,
    pub failed: Option<Failed>,
}

impl ScriptRun {
    /// Time spent running statements.
    pub fn elapsed(&self) -> Duration {
        self.ran.iter().map(|r| r.elapsed).sum()
    }
}

/// Runs parsed statements one by one, stopping at the first error. Within a time limit
/// ([`stop::within`]) a statement running past it, or any after it, stops with
/// [`Error::Stopped`].
pub fn run_statements(session: &mut Session, statements: &[Located]) -> ScriptRun {
    let mut ran = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        let start = Instant::now();
        match session.execute(&s.text) {
            Ok(outputs) => ran.push(Ran {
                text: s.text.clone(),
                outputs,
                elapsed: start.elapsed(),
            }),
            Err(e) => {
                let failed = Failed {
                    index: i + 1,
                    stopped: matches!(e, Error::Stopped(_)),
                    error: placed_in_script(e, s),
                };
                return ScriptRun {
                    ran,
                    failed: Some(failed),
                };
            }
        }
    }
    ScriptRun { ran, failed: None }
}

/// An error from running one statement's text on its own, with its place moved to where
/// that statement sits in the whole script, so line and column point into what was sent.
/// The script parsed whole before anything ran, so a parse error now comes from elsewhere
/// (a stored definition's text): its line and column are not the script's, and are dropped.
fn placed_in_script(e: Error, s: &Located) -> Error {
    match e {
        Error::Name {
            message,
            span: Some(span),
        } => Error::Name {
            message,
            span: Some(Span {
                start: span.start + s.pos,
                end: span.end + s.pos,
            }),
        },
        e @ Error::Parse { .. } => e.without_place(),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Session {
        let mut s = Session::in_memory().unwrap();
        crate::demo::load_sample(&mut s).unwrap();
        s
    }

    #[test]
    fn errors_point_into_the_whole_script() {
        let mut s = sample();
        let text = "select roe rank limit 1\nselect pb,\n  reo";
        let statements = crate::query::parse_script(text).unwrap();
        let run = run_statements(&mut s, &statements);
        assert_eq!(run.ran.len(), 1);
        let failed = run.failed.unwrap();
        assert_eq!(failed.index, 2);
        assert!(!failed.stopped);
        let at = failed.error.position(text).unwrap();
        assert_eq!((at.line, at.column), (3, 3));
        // The same place the terminal reports for the same script.
        let mut s2 = sample();
        let direct = s2.execute(text).unwrap_err();
        assert_eq!(direct.position(text), Some(at));
    }

    #[test]
    fn a_script_stops_between_statements_when_time_is_up() {
        let mut s = sample();
        let statements = crate::query::parse_script("select roe; select pb").unwrap();
        let run = stop::within(Instant::now(), Duration::from_secs(30), || {
            run_statements(&mut s, &statements)
        });
        assert!(run.ran.is_empty());
        let failed = run.failed.unwrap();
        assert!(failed.stopped);
        assert_eq!(
            failed.error.to_string(),
            "error: stopped: the statement ran longer than 30 s"
        );
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    #[test]
    fn a_session_thread_answers_and_reports_a_late_job_and_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let (worker, threads) =
            Worker::start(&dir.path().join("db"), 1, Duration::from_secs(10)).unwrap();
        runtime().block_on(async {
            let soon = Instant::now() + Duration::from_secs(10);
            let n = worker
                .call(soon, Mode::Read, |s| {
                    s.companies().map(|c| c.len()).unwrap()
                })
                .await;
            assert_eq!(n, Ok(0));
            // A job whose deadline has passed is never started.
            let late = worker
                .call(Instant::now(), Mode::Read, |_| panic!("must not run"))
                .await;
            assert!(matches!(late, Err(Stall::TimedOut(_))), "{late:?}");
            // A panicking job costs its caller an answer, not the thread.
            let broken: std::result::Result<(), Stall> =
                worker.call(soon, Mode::Write, |_| panic!("a bug")).await;
            assert_eq!(broken, Err(Stall::Panicked));
            let again = worker.call(soon, Mode::Read, |_| 7).await;
            assert_eq!(again, Ok(7));
        });
        drop(worker);
        for t in threads {
            t.join().unwrap();
        }
    }

    /// When a job held its session: (start, end).
    type Held = (Instant, Instant);

    async fn hold(worker: &Worker, mode: Mode) -> Held {
        let soon = Instant::now() + Duration::from_secs(20);
        worker
            .call(soon, mode, |_| {
                let start = Instant::now();
                std::thread::sleep(Duration::from_millis(150));
                (start, Instant::now())
            })
            .await
            .unwrap()
    }

    fn overlap(a: Held, b: Held) -> bool {
        a.0 < b.1 && b.0 < a.1
    }

    #[test]
    fn reads_run_side_by_side_and_a_write_runs_alone() {
        let dir = tempfile::tempdir().unwrap();
        let (worker, threads) =
            Worker::start(&dir.path().join("db"), 3, Duration::from_secs(20)).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (a, b, c) = tokio::join!(
                hold(&worker, Mode::Read),
                hold(&worker, Mode::Read),
                hold(&worker, Mode::Read)
            );
            assert!(overlap(a, b) && overlap(b, c) && overlap(a, c));
            let (r1, w, r2) = tokio::join!(
                hold(&worker, Mode::Read),
                hold(&worker, Mode::Write),
                hold(&worker, Mode::Read)
            );
            assert!(
                !overlap(r1, w) && !overlap(w, r2),
                "a write ran beside a read"
            );
            let (w1, w2) = tokio::join!(hold(&worker, Mode::Write), hold(&worker, Mode::Write));
            assert!(!overlap(w1, w2), "two writes ran at once");
        });
        drop(worker);
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn a_write_through_one_session_is_read_through_every_other() {
        let dir = tempfile::tempdir().unwrap();
        let (worker, threads) =
            Worker::start(&dir.path().join("db"), 3, Duration::from_secs(20)).unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(3)
            .enable_all()
            .build()
            .unwrap();
        let read = |worker: Worker| async move {
            let soon = Instant::now() + Duration::from_secs(20);
            worker
                .call(soon, Mode::Read, |s| {
                    let q = r#"select name, revenue where symbol = "AA.US" at 2024"#;
                    let row = s.execute(q);
                    // Held long enough that the three reads land on three sessions.
                    std::thread::sleep(Duration::from_millis(100));
                    crate::cli::render_output(&row.unwrap()[0], crate::output::Format::Csv)
                })
                .await
                .unwrap()
                .unwrap()
        };
        // A new company (the caches start afresh), a new name (likewise), then one point
        // (the other sessions patch their cached revenue column).
        let writes = [
            (
                r#"set AA.US name = "First"; set AA.US revenue at 2024 = 10"#,
                "First,10",
            ),
            (r#"set AA.US name = "Second""#, "Second,10"),
            ("set AA.US revenue at 2024 = 30", "Second,30"),
        ];
        rt.block_on(async {
            for (write, expected) in writes {
                let soon = Instant::now() + Duration::from_secs(20);
                worker
                    .call(soon, Mode::Write, move |s| s.execute(write).map(|_| ()))
                    .await
                    .unwrap()
                    .unwrap();
                let (a, b, c) = tokio::join!(
                    read(worker.clone()),
                    read(worker.clone()),
                    read(worker.clone())
                );
                for answer in [a, b, c] {
                    assert!(answer.contains(expected), "after {write}: {answer}");
                }
            }
        });
        drop(worker);
        for t in threads {
            t.join().unwrap();
        }
    }
}
