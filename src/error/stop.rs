//! Stopping a statement that has run too long. A caller that bounds a statement's time
//! (`finq serve`: 30 s per request) runs it inside [`within`]; the code that does the work
//! calls [`check`] at cheap points — between the chunks of a column load, the blocks of the
//! company list, the peer groups of a scorecard, the statements of a script — and returns
//! its error once the deadline has passed. The limit is the calling thread's own, so nothing
//! has to be passed down through every function, and code run without a limit (the command
//! line, the REPL, tests) pays one thread-local read per check.
//!
//! Writes stay atomic because every check comes before a write set is applied or after it
//! has been applied in full: a stopped write has changed nothing, and the cache work after
//! an applied write runs [`shielded`] from the limit (its result would not be undone).

use super::{Error, Result};
use std::cell::Cell;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
struct Limit {
    deadline: Instant,
    /// How long the caller allowed, for the message.
    allowed: Duration,
}

thread_local! {
    static LIMIT: Cell<Option<Limit>> = const { Cell::new(None) };
}

/// Puts the previous limit back when dropped, even when the work panics.
struct Restore(Option<Limit>);

impl Drop for Restore {
    fn drop(&mut self) {
        LIMIT.with(|l| l.set(self.0));
    }
}

/// Runs `f` with this thread's work stopped at `deadline` (`allowed`: the whole time the
/// caller gave, named in the error). A limit already in force that ends sooner is kept.
pub fn within<T>(deadline: Instant, allowed: Duration, f: impl FnOnce() -> T) -> T {
    let previous = LIMIT.with(Cell::get);
    let limit = match previous {
        Some(p) if p.deadline <= deadline => p,
        _ => Limit { deadline, allowed },
    };
    let _restore = Restore(previous);
    LIMIT.with(|l| l.set(Some(limit)));
    f()
}

/// Runs `f` with no limit: work that must finish once begun (the cache brought up to date
/// after a write that has been applied).
pub fn shielded<T>(f: impl FnOnce() -> T) -> T {
    let previous = LIMIT.with(Cell::get);
    let _restore = Restore(previous);
    LIMIT.with(|l| l.set(None));
    f()
}

/// `Err(Error::Stopped)` once this thread's deadline has passed; `Ok` without a limit.
pub fn check() -> Result<()> {
    match LIMIT.with(Cell::get) {
        Some(l) if Instant::now() >= l.deadline => Err(stopped(l.allowed)),
        _ => Ok(()),
    }
}

/// The error of a statement stopped after `allowed`.
pub fn stopped(allowed: Duration) -> Error {
    Error::Stopped(format!(
        "the statement ran longer than {}",
        seconds(allowed)
    ))
}

/// `30 s`, `0.25 s`: the limit as a user set it.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{} s", (s * 1000.0).round() / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limit_never_stops() {
        assert!(check().is_ok());
    }

    #[test]
    fn a_passed_deadline_stops_and_the_limit_ends_with_its_scope() {
        let r = within(Instant::now(), Duration::from_secs(30), check);
        let e = r.unwrap_err();
        assert_eq!(
            e.to_string(),
            "error: stopped: the statement ran longer than 30 s"
        );
        assert!(check().is_ok());
        let later = Instant::now() + Duration::from_secs(60);
        assert!(within(later, Duration::from_secs(60), check).is_ok());
    }

    #[test]
    fn shielded_work_runs_past_the_deadline_and_the_limit_returns_after_it() {
        within(Instant::now(), Duration::from_millis(250), || {
            assert!(shielded(check).is_ok());
            let e = check().unwrap_err();
            assert!(e.to_string().ends_with("longer than 0.25 s"), "{e}");
        });
    }

    #[test]
    fn an_inner_limit_cannot_extend_an_outer_one() {
        let now = Instant::now();
        let r = within(now, Duration::from_secs(1), || {
            within(
                now + Duration::from_secs(60),
                Duration::from_secs(60),
                check,
            )
        });
        assert!(r.is_err());
    }

    #[test]
    fn a_panic_inside_does_not_leave_the_limit_behind() {
        let r = std::panic::catch_unwind(|| {
            within(Instant::now(), Duration::from_secs(1), || panic!("a bug"))
        });
        assert!(r.is_err());
        assert!(check().is_ok());
    }
}
