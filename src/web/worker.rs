//! The session thread: the one place the server's [`Session`] lives. A session is `&mut`
//! for every statement (it owns the column cache), so statements run one at a time, in the
//! order they arrive, on this thread; HTTP handling and HTML/SVG rendering stay on the
//! async runtime's threads and run concurrently with it. Writes are therefore serialised
//! as in the REPL, and each is atomic because every write statement is.
//!
//! A request waits at most until its deadline. A job whose deadline passes while it is
//! queued never starts; a script checks the deadline between its statements and stops
//! there. A statement already running is not interrupted (the executor has no points at
//! which it could stop safely): it finishes, and its result is dropped.

use crate::error::{Error, Result, Span};
use crate::output::Output;
use crate::query::ast::Located;
use crate::session::Session;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Jobs that may wait for the session at once; more are refused as busy rather than queued
/// without bound.
const QUEUE: usize = 64;

type Job = Box<dyn FnOnce(&mut Session) + Send>;

/// A handle on the session thread; cloning it shares the thread.
#[derive(Clone)]
pub struct Worker {
    jobs: SyncSender<Job>,
}

/// Why a job gave no answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Stall {
    /// The queue is full.
    Busy,
    /// The deadline passed first.
    TimedOut(Duration),
    /// The session thread is gone (the server is stopping).
    Stopped,
    /// The job panicked: a bug in finq, reported rather than taking the server down.
    Panicked,
}

impl Worker {
    /// Opens the database on a new thread, which then serves jobs until every handle is
    /// dropped, and closes the database; join the thread to wait for that. An error opening
    /// it (in use by another process, damaged, another format) is returned here, before
    /// anything listens.
    pub fn start(path: &Path) -> Result<(Worker, JoinHandle<()>)> {
        let (jobs, queue) = sync_channel::<Job>(QUEUE);
        let (opened_tx, opened) = std::sync::mpsc::channel();
        let path = path.to_path_buf();
        let thread = std::thread::Builder::new()
            .name("finq-session".into())
            .spawn(move || {
                let mut session = match Session::open(&path) {
                    Ok(s) => {
                        let _ = opened_tx.send(Ok(()));
                        s
                    }
                    Err(e) => {
                        let _ = opened_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut session);
                }
            })
            .map_err(|e| Error::Io(format!("cannot start the session thread: {e}")))?;
        opened
            .recv()
            .map_err(|_| Error::Io("the session thread stopped while opening".into()))??;
        Ok((Worker { jobs }, thread))
    }

    /// Runs `f` on the session thread and waits for its result until `deadline`.
    pub async fn call<T: Send + 'static>(
        &self,
        deadline: Instant,
        f: impl FnOnce(&mut Session) -> T + Send + 'static,
    ) -> std::result::Result<T, Stall> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move |session| {
            // Its caller has been told it timed out: starting it now would only delay the
            // jobs behind it.
            if Instant::now() >= deadline {
                return;
            }
            // A panic in a statement is a bug, but it must not take the server down with
            // it: the caller hears of it (a 500), and the cache, which the statement may have
            // left half-built, is dropped.
            let result = catch_unwind(AssertUnwindSafe(|| f(session)));
            if result.is_err() {
                session.clear_cache();
            }
            let _ = reply.send(result);
        });
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(_) => Stall::Busy,
            TrySendError::Disconnected(_) => Stall::Stopped,
        })?;
        let waited = Instant::now();
        match tokio::time::timeout_at(deadline.into(), answer).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(_))) => Err(Stall::Panicked),
            Ok(Err(_)) if Instant::now() >= deadline => Err(Stall::TimedOut(waited.elapsed())),
            Ok(Err(_)) => Err(Stall::Stopped),
            Err(_) => Err(Stall::TimedOut(waited.elapsed())),
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

/// A statement that failed, or was not started because the deadline had passed.
#[derive(Debug)]
pub struct Failed {
    /// 1-based position of the statement in the script.
    pub index: usize,
    /// The error, with any place it has counted in the whole script.
    pub error: Error,
    /// The deadline passed before this statement could start.
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

/// Runs parsed statements one by one, stopping at the first error or when `deadline`
/// passes between two statements.
pub fn run_statements(
    session: &mut Session,
    statements: &[Located],
    deadline: Instant,
) -> ScriptRun {
    let mut ran = Vec::new();
    for (i, s) in statements.iter().enumerate() {
        if Instant::now() >= deadline {
            let error = Error::Data(format!(
                "stopped before statement {}: the request ran out of time",
                i + 1
            ));
            let failed = Failed {
                index: i + 1,
                error,
                stopped: true,
            };
            return ScriptRun {
                ran,
                failed: Some(failed),
            };
        }
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
                    error: placed_in_script(e, s),
                    stopped: false,
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
        let far = Instant::now() + Duration::from_secs(60);
        let run = run_statements(&mut s, &statements, far);
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
        let run = run_statements(&mut s, &statements, Instant::now());
        assert!(run.ran.is_empty());
        let failed = run.failed.unwrap();
        assert!(failed.stopped);
        assert!(failed.error.to_string().contains("ran out of time"));
    }

    #[test]
    fn the_session_thread_answers_in_order_and_reports_a_late_job() {
        let dir = tempfile::tempdir().unwrap();
        let (worker, thread) = Worker::start(&dir.path().join("db")).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let soon = Instant::now() + Duration::from_secs(10);
            let n = worker
                .call(soon, |s| s.companies().map(|c| c.len()).unwrap())
                .await;
            assert_eq!(n, Ok(0));
            // A job whose deadline has passed is never started.
            let late = worker
                .call(Instant::now(), |_| panic!("must not run"))
                .await;
            assert!(matches!(late, Err(Stall::TimedOut(_))), "{late:?}");
            // A panicking job costs its caller an answer, not the thread.
            let broken: std::result::Result<(), Stall> =
                worker.call(soon, |_| panic!("a bug")).await;
            assert_eq!(broken, Err(Stall::Panicked));
            let again = worker.call(soon, |_| 7).await;
            assert_eq!(again, Ok(7));
        });
        drop(worker);
        thread.join().unwrap();
    }
}
