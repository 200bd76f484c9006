//! The disk-full boundary (issue 8, part 5), on a 20 MB tmpfs mounted for the test. Needs
//! root (mount); without it the test says so and passes without checking anything.
//!
//! - An import too big for the disk is refused with an error naming the shortage, exit 1,
//!   before anything is written; the database keeps its earlier contents and passes check.
//! - A disk filled to the last byte by someone else: finq cannot open the database (exit 3,
//!   "No space left on device"), never panics, and once space is freed the database opens
//!   with its contents and passes check.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn finq(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_finq"))
        .current_dir(dir)
        .env_remove("FINQ_DB")
        .args(args)
        .output()
        .expect("finq runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A tmpfs of `size` mounted on a temp folder, unmounted when dropped.
struct SmallDisk {
    mount: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(size: &str) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().ok()?;
        let mount = dir.path().join("small");
        std::fs::create_dir(&mount).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then_some(SmallDisk { mount, _dir: dir })
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.mount).output();
    }
}

/// Companies with their attributes, and per-metric (companies, points), as `finq` reports
/// them.
fn contents(dir: &Path, db: &str) -> (String, String) {
    let companies = finq(
        dir,
        &[
            "--db",
            db,
            "--format",
            "csv",
            "-c",
            "select industry, sector, exchange",
        ],
    );
    let metrics = finq(dir, &["--db", db, "--format", "csv", "-c", "show metrics"]);
    for o in [&companies, &metrics] {
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    (text(&companies.stdout), text(&metrics.stdout))
}

/// The points column of one metric's line of `show metrics`.
fn points_of(metrics: &str, id: &str) -> u64 {
    let line = metrics
        .lines()
        .find(|l| l.starts_with(&format!("{id},")))
        .unwrap_or_else(|| panic!("no {id} in {metrics}"));
    line.rsplit(',').next().unwrap().parse().unwrap()
}

fn assert_check_passes(dir: &Path, db: &str) {
    let o = finq(dir, &["--db", db, "check"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

fn assert_clean_failure(o: &Output, code: i32, needle: &str) {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{err}");
    assert!(err.contains(needle), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_full_disk_is_an_error_and_the_database_keeps_its_contents() {
    let Some(disk) = SmallDisk::mount("20m") else {
        support::skip("cannot mount a tmpfs here (needs root)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    for (n, periods, out) in [("3000", "40", "big"), ("200", "8", "small")] {
        let o = finq(
            w,
            &[
                "gen",
                "--companies",
                n,
                "--periods",
                periods,
                "--seed",
                "3",
                "--out",
                out,
            ],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let db = disk.mount.join("d.db");
    let db = db.to_str().unwrap();
    let o = finq(
        w,
        &[
            "--db",
            db,
            "import",
            "big/companies.csv",
            "small/metrics.csv",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let before = contents(w, db);
    assert!(before.1.contains("roe,ROE,"), "{}", before.1);

    // 2.8 million points need ~85 MB in sled; the disk has ~15 MB left.
    let o = finq(w, &["--db", db, "import", "big/metrics.csv"]);
    assert_clean_failure(&o, 1, "not enough free disk space for this write");
    assert!(text(&o.stderr).contains("nothing from big/metrics.csv was stored"));
    assert_check_passes(w, db);
    assert!(
        contents(w, db) == before,
        "the failed import changed the database"
    );

    // Someone else fills the disk to the last byte.
    let filler = disk.mount.join("filler");
    {
        use std::io::Write;
        let mut f = std::fs::File::create(&filler).unwrap();
        let block = vec![0u8; 1 << 20];
        while f.write_all(&block).is_ok() {}
        let mut byte = [0u8; 1];
        while f.write_all(&byte).is_ok() {
            byte[0] ^= 1;
        }
    }
    // Reads may or may not work (sled may need to write when it opens); a write either
    // returns an error or, when it reports success, must be there afterwards.
    for args in [
        &["--db", db, "-c", "show companies"][..],
        &["--db", db, "check"],
    ] {
        let o = finq(w, args);
        let err = text(&o.stderr);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(
            matches!(o.status.code(), Some(0 | 1 | 3)),
            "{args:?}: exit {:?}: {err}",
            o.status.code()
        );
        eprintln!(
            "disk full: finq {}: exit {:?} {}",
            args[2..].join(" "),
            o.status.code(),
            err.trim()
        );
    }
    let set = finq(w, &["--db", db, "-c", "set C000001.SH roe at 2030 = 1%"]);
    let err = text(&set.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(set.status.code(), Some(0 | 1 | 3)), "{err}");
    eprintln!(
        "disk full: finq set: exit {:?} {}",
        set.status.code(),
        err.trim()
    );
    std::fs::remove_file(&filler).unwrap();
    assert_check_passes(w, db);
    let after = contents(w, db);
    assert!(after.0 == before.0, "the companies changed");
    if set.status.code() == Some(0) {
        let o = finq(
            w,
            &[
                "--db",
                db,
                "--format",
                "csv",
                "-c",
                "series roe of C000001.SH from 2030",
            ],
        );
        assert!(
            text(&o.stdout).contains("2030,0.01"),
            "a set that returned is missing: {}",
            text(&o.stdout)
        );
        assert_eq!(points_of(&after.1, "roe"), points_of(&before.1, "roe") + 1);
    } else {
        assert!(after.1 == before.1, "a failed set changed the points");
    }
    // And it takes writes again.
    let o = finq(w, &["--db", db, "-c", "set C000001.SH roe at 2030 = 1%"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_check_passes(w, db);
}
