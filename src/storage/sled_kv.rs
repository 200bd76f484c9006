//! [`SledKv`]: the on-disk backend, and the only place finq names sled.
//!
//! sled 0.34 needs a few workarounds, all kept here so nothing above [`Kv`] knows of them:
//! opening retries a lock another process is letting go of, tells a database someone is
//! creating from a damaged one, removes half-written snapshots, and turns sled's panics into
//! errors; a flush is followed by a `syncfs`, because sled does not sync its blob files; and
//! a large batch is refused up front when the disk cannot hold it, because sled does not keep
//! a batch whole when the disk fills half-way.
//!
//! Large values live in files of their own beside sled (`files.rs` says why and how). A
//! database made before that (without the [`LAYOUT_KEY`] mark) keeps every value in sled as
//! it always did, and is read and written that way.

use super::files::{self, Files, Stored};
use super::kv::{Batch, Iter, Kv};
use crate::error::{Error, Result};
use std::ops::Bound;
use std::path::{Path, PathBuf};

/// sled's page cache; its default (1 GiB) makes every process that large.
const CACHE_BYTES: u64 = 256 << 20;

impl From<sled::Error> for Error {
    fn from(e: sled::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

/// A stored value or key: bytes shared, not copied, as they go in and out of the store.
///
/// It is sled's own buffer under finq's name. sled takes nothing else without copying it,
/// so an importer that builds its chunks as `Value`s pays the one copy while a chunk is
/// fresh in cache, and a batch then hands them to sled as they are: an import never holds
/// its chunks twice (at L that was 815 MB against 564 MB). Reads hand out sled's buffer in
/// the same way, and the in-memory backend keeps these buffers too.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Value(sled::IVec);

impl std::ops::Deref for Value {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Keys of the in-memory backend's map are looked up by slice.
impl std::borrow::Borrow<[u8]> for Value {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

/// Copies the bytes once, into the shared buffer.
impl From<Vec<u8>> for Value {
    fn from(bytes: Vec<u8>) -> Value {
        Value(bytes.into())
    }
}

impl From<&[u8]> for Value {
    fn from(bytes: &[u8]) -> Value {
        Value(bytes.into())
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Value({} bytes)", self.len())
    }
}

/// The sled tree (beside finq's own, the default one) holding how values are stored.
const LAYOUT_TREE: &str = "finq-kv";
/// Present in [`LAYOUT_TREE`] when values are tagged and large ones are in files.
const LAYOUT_KEY: &[u8] = b"value-files";

/// A sled database folder, open.
pub struct SledKv {
    db: sled::Db,
    path: PathBuf,
    existed: bool,
    /// `None` for a database made before value files: every value is in sled, untagged.
    files: Option<Files>,
}

impl SledKv {
    /// Opens the sled database at `path`, creating it when absent. Every failure — locked by
    /// another process, damaged, not a database — is an [`Error::Open`] naming `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<SledKv> {
        let path = path.as_ref().to_path_buf();
        let shown = path.display().to_string();
        let open_err = |reason: &str| Error::Open {
            path: shown.clone(),
            reason: reason.to_string(),
        };
        if path.exists() && !path.is_dir() {
            return Err(open_err("is not a finq database (it is a file)"));
        }
        // sled makes `blobs/` before `conf`: a folder holding only that is a database another
        // process is creating right now.
        if path.is_dir()
            && std::fs::read_dir(&path)?.any(|e| !e.is_ok_and(|e| e.file_name() == "blobs"))
            && !path.join("conf").exists()
        {
            return Err(open_err("is not a finq database (a folder without one)"));
        }
        // A database that existed before must already hold its format key; sled recovers
        // some kinds of damage as an empty database, which must not pass for a new one.
        // A data file that is still empty is one being created right now by another process
        // (sled writes `conf` and creates `db` before it takes the lock): not an old database.
        let existed = path.join("conf").exists()
            && std::fs::metadata(path.join("db")).is_ok_and(|m| m.len() > 0);
        // A process that just closed the database may hold its lock for a moment longer
        // (sled releases it from a background thread), so a held lock is retried briefly.
        let mut attempts = 0;
        let mut cleaned = false;
        let db = loop {
            // sled panics on some kinds of damage rather than returning an error; a panic
            // while opening is reported like any other damage.
            let opened = quietly(|| {
                sled::Config::new()
                    .path(&path)
                    .cache_capacity(CACHE_BYTES)
                    .open()
            });
            let in_use = match &opened {
                Ok(Ok(_)) => false,
                Ok(Err(sled::Error::Io(e))) if e.to_string().contains("could not acquire lock") => {
                    true
                }
                // sled reads its `conf` file before it takes the lock, so a process creating
                // the database right now can make this one read a half-written file and see
                // "corruption". While another process holds the data file (or it does not
                // exist yet), any failure is that process's work in progress: wait as for the
                // lock.
                _ => busy_elsewhere(&path),
            };
            match opened {
                Ok(Ok(db)) => break db,
                _ if in_use => {
                    attempts += 1;
                    if attempts >= 10 {
                        return Err(open_err("is in use by another finq process"));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(30));
                }
                // sled reads a snapshot left half-written (`snap.*.generating`: the disk filled
                // or the process died while writing it) as corruption and never opens again. It
                // is not needed — sled renames a snapshot into place only once complete — so it
                // is removed and the open tried once more. (No other process holds the data
                // file here, so the snapshot is no other process's work in progress.)
                _ if !cleaned && remove_partial_snapshots(&path) => cleaned = true,
                Ok(Err(e)) => return Err(open_err(&format!("cannot be opened: {e}"))),
                Err(()) => return Err(open_err("is damaged and cannot be opened")),
            }
        };
        let layout = db.open_tree(LAYOUT_TREE)?;
        if !existed && layout.get(LAYOUT_KEY)?.is_none() {
            layout.insert(LAYOUT_KEY, &b"1"[..])?;
        }
        let files = match layout.get(LAYOUT_KEY)? {
            Some(_) => Some(Files::open(&path)?),
            None => None,
        };
        let kv = SledKv {
            db,
            path,
            existed,
            files,
        };
        kv.collect_after_a_cut_off_write()?;
        Ok(kv)
    }

    /// After a process died in the middle of a write: every value file no reference in sled
    /// names goes (`files.rs`, steps 1–3).
    fn collect_after_a_cut_off_write(&self) -> Result<()> {
        let Some(files) = self.files.as_ref().filter(|f| f.pending()) else {
            return Ok(());
        };
        let mut named = std::collections::HashSet::new();
        for item in self.db.iter() {
            let (_, v) = item?;
            named.extend(files::file_of(&v));
        }
        files.collect(&named)
    }

    /// A value as finq wrote it, from what sled holds.
    fn load(&self, stored: sled::IVec) -> Result<Value> {
        let Some(files) = &self.files else {
            return Ok(Value(stored));
        };
        Ok(match files.load(&stored)? {
            Stored::Inline => Value(stored.subslice(1, stored.len() - 1)),
            Stored::File(bytes) => Value(bytes.into()),
        })
    }

    fn pair(&self, item: sled::Result<(sled::IVec, sled::IVec)>) -> Result<(Value, Value)> {
        let (k, v) = item?;
        Ok((Value(k), self.load(v)?))
    }

    /// Applies a batch to a database with value files: large values are written to new
    /// files and synced first, the batch then names them, and files it replaces are deleted
    /// at the next durable flush.
    fn apply_with_files(&self, files: &Files, batch: Batch) -> Result<()> {
        let mut written: Vec<u64> = Vec::new();
        let mut replaced: Vec<u64> = Vec::new();
        let mut b = sled::Batch::default();
        // A key a batch writes twice: the first new file is replaced within the batch.
        let mut new_here: std::collections::HashMap<Vec<u8>, u64> = Default::default();
        let mut begun = false;
        let step = || -> Result<()> {
            for (key, value) in batch.into_ops() {
                let large = value.as_ref().is_some_and(|v| v.len() >= files::LARGE);
                match new_here.remove(&key) {
                    Some(n) => replaced.push(n),
                    None => {
                        if let Some(old) = self.db.get(&key)?
                            && let Some(n) = files::file_of(&old)
                        {
                            replaced.push(n);
                        }
                    }
                }
                if !begun && (large || !replaced.is_empty()) {
                    files.begin()?;
                    begun = true;
                }
                match value {
                    Some(v) if large => {
                        let (n, reference) = files.write(&v)?;
                        written.push(n);
                        new_here.insert(key.clone(), n);
                        b.insert(key, reference);
                    }
                    Some(v) => {
                        let mut tagged = Vec::with_capacity(v.len() + 1);
                        tagged.push(files::INLINE);
                        tagged.extend_from_slice(&v);
                        b.insert(key, tagged);
                    }
                    None => b.remove(key),
                }
            }
            files.sync(&written)?;
            Ok(())
        };
        if let Err(e) = step() {
            files.discard(&written);
            return Err(e);
        }
        if let Err(e) = self.db.apply_batch(b) {
            files.discard(&written);
            return Err(e.into());
        }
        files.doom(replaced);
        Ok(())
    }

    /// True when the folder held a database before this open (its data file was not empty).
    pub fn existed(&self) -> bool {
        self.existed
    }
}

impl Kv for SledKv {
    fn get(&self, key: &[u8]) -> Result<Option<Value>> {
        self.db.get(key)?.map(|v| self.load(v)).transpose()
    }

    fn range(&self, from: &[u8], to: Bound<&[u8]>) -> Iter<'_> {
        let bounds = (Bound::Included(from), to);
        Box::new(
            self.db
                .range::<&[u8], _>(bounds)
                .map(move |item| self.pair(item)),
        )
    }

    fn last_in(&self, from: &[u8], to: &[u8]) -> Result<Option<(Value, Value)>> {
        self.db
            .range(from..=to)
            .next_back()
            .map(|item| self.pair(item))
            .transpose()
    }

    /// One sled batch; refused before anything is written when the disk cannot hold it.
    fn apply(&self, batch: Batch) -> Result<()> {
        ensure_space(&self.path, batch.inserted_bytes())?;
        if let Some(files) = &self.files {
            return self.apply_with_files(files, batch);
        }
        let mut b = sled::Batch::default();
        for (key, value) in batch.into_ops() {
            match value {
                Some(v) => b.insert(key, v.0),
                None => b.remove(key),
            }
        }
        Ok(self.db.apply_batch(b)?)
    }

    /// sled's flush writes its buffers with `sync_file_range`, and writes large values to
    /// files under `blobs/` without syncing them at all, so the file system holding the
    /// data file is synced too (on Linux, `syncfs`: the data file, every blob and their
    /// directory entries in one call; elsewhere each file and the blob folder are fsynced).
    fn flush(&self) -> Result<()> {
        self.sync_sled()?;
        match &self.files {
            Some(files) => files.finish(),
            None => Ok(()),
        }
    }

    fn size_on_disk(&self) -> Result<u64> {
        let files = self.files.as_ref().map_or(0, |f| f.size());
        Ok(self.db.size_on_disk()? + files)
    }

    fn is_empty(&self) -> Result<bool> {
        Ok(self.db.is_empty())
    }
}

impl SledKv {
    /// sled's flush, then the file system (see [`Kv::flush`] on [`SledKv`]).
    fn sync_sled(&self) -> Result<()> {
        self.db.flush()?;
        let data = self.path.join("db");
        if !data.exists() {
            return Ok(());
        }
        let file = std::fs::File::open(&data)?;
        if files::syncfs(&file) {
            return Ok(());
        }
        file.sync_all()?;
        let blobs = self.path.join("blobs");
        if let Ok(entries) = std::fs::read_dir(&blobs) {
            for e in entries.flatten() {
                std::fs::File::open(e.path())?.sync_all()?;
            }
            std::fs::File::open(&blobs)?.sync_all()?;
        }
        Ok(())
    }
}

/// True when another process holds the database's data file locked, or the file does not
/// exist or is empty yet (a database being created).
fn busy_elsewhere(path: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(file) = std::fs::File::open(path.join("db")) else {
        return path.join("conf").exists();
    };
    if file.metadata().is_ok_and(|m| m.len() == 0) {
        return true;
    }
    // SAFETY: flock only acts on the descriptor, which `file` keeps open; closing the file
    // (dropping it) releases a lock taken here.
    let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0;
    locked && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK)
}

/// Removes sled's unfinished snapshot files from a database folder; true when there were any.
fn remove_partial_snapshots(path: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(path) else {
        return false;
    };
    let mut removed = false;
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            removed |= std::fs::remove_file(e.path()).is_ok();
        }
    }
    removed
}

/// sled does not keep a batch whole when the disk fills while it is being written: part of
/// an import can survive a failed write. So a large write that may not fit (sled needs about
/// 2.5 times the batch's bytes: log, blobs, rewritten pages) is refused before anything is
/// written. Small writes (`set`, `delete`) skip the check.
fn ensure_space(path: &Path, bytes: u64) -> Result<()> {
    if bytes < 1 << 20 {
        return Ok(());
    }
    let Some(free) = free_space(path) else {
        return Ok(());
    };
    let needed = bytes.saturating_mul(3) + (4 << 20);
    if free < needed {
        return Err(Error::Storage(format!(
            "not enough free disk space for this write: it needs about {} MB, {} MB are free",
            needed >> 20,
            free >> 20
        )));
    }
    Ok(())
}

/// Bytes available to this user on the file system holding `path`.
fn free_space(path: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only writes into the struct it is given.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    Some((s.f_bavail as u64).saturating_mul(s.f_frsize as u64))
}

thread_local! {
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `Err(())`. The panic hook is wrapped once so that panics
/// on this thread during `f` print nothing; other threads' panics still print as usual.
fn quietly<T>(f: impl FnOnce() -> T + std::panic::UnwindSafe) -> std::result::Result<T, ()> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET.with(|q| q.set(true));
    let r = std::panic::catch_unwind(f);
    QUIET.with(|q| q.set(false));
    r.map_err(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir.join("values"))
            .map(|d| {
                d.flatten()
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
    }

    fn big(seed: u8) -> Vec<u8> {
        (0..200_000u32)
            .map(|i| (i as u8).wrapping_mul(seed))
            .collect()
    }

    fn put(kv: &SledKv, key: &[u8], value: Option<Vec<u8>>) {
        let mut b = Batch::new();
        match value {
            Some(v) => b.insert(key.to_vec(), v),
            None => b.remove(key.to_vec()),
        }
        kv.apply(b).unwrap();
    }

    #[test]
    fn large_values_live_in_files_that_follow_every_write() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        {
            let kv = SledKv::open(&path).unwrap();
            put(&kv, b"\x06a", Some(big(3)));
            put(&kv, b"\x06b", Some(b"small".to_vec()));
            kv.flush().unwrap();
            assert_eq!(files_in(&path).len(), 1);
            // Replaced: the old file goes at the durable flush, not before.
            put(&kv, b"\x06a", Some(big(5)));
            assert_eq!(files_in(&path).len(), 3, "new file, old file, pending mark");
            kv.flush().unwrap();
            assert_eq!(files_in(&path).len(), 1);
            // Written twice in one batch: only the last file stays.
            let mut b = Batch::new();
            b.insert(b"\x06c".to_vec(), big(7));
            b.remove(b"\x06c".to_vec());
            b.insert(b"\x06c".to_vec(), big(9));
            kv.apply(b).unwrap();
            kv.flush().unwrap();
            assert_eq!(files_in(&path).len(), 2);
        }
        let kv = SledKv::open(&path).unwrap();
        assert!(kv.existed());
        assert_eq!(&*kv.get(b"\x06a").unwrap().unwrap(), &big(5)[..]);
        assert_eq!(&*kv.get(b"\x06b").unwrap().unwrap(), b"small");
        let all: Vec<(Value, Value)> = kv
            .range(b"\x06", Bound::Unbounded)
            .collect::<Result<_>>()
            .unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(&*all[2].1, &big(9)[..]);
        let last = kv.last_in(b"\x06", b"\x06b").unwrap().unwrap();
        assert_eq!(&*last.1, b"small");
        // Smaller again, then gone: no file is left behind.
        put(&kv, b"\x06a", Some(b"tiny".to_vec()));
        put(&kv, b"\x06c", None);
        kv.flush().unwrap();
        assert!(files_in(&path).is_empty());
        assert_eq!(&*kv.get(b"\x06a").unwrap().unwrap(), b"tiny");
        assert!(kv.get(b"\x06c").unwrap().is_none());
    }

    #[test]
    fn an_open_after_a_cut_off_write_deletes_only_unnamed_files() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        {
            let kv = SledKv::open(&path).unwrap();
            put(&kv, b"\x06a", Some(big(3)));
            kv.flush().unwrap();
        }
        // A write cut off after its files were written: the mark and a file nothing names.
        let stray = path.join("values").join(format!("{:016x}", 999));
        std::fs::write(&stray, b"half a chunk").unwrap();
        std::fs::write(path.join("values").join("pending"), b"").unwrap();
        let kv = SledKv::open(&path).unwrap();
        assert!(!stray.exists());
        assert_eq!(files_in(&path).len(), 1);
        assert_eq!(&*kv.get(b"\x06a").unwrap().unwrap(), &big(3)[..]);
        // Without the mark an open lists nothing and deletes nothing.
        drop(kv);
        std::fs::write(&stray, b"x").unwrap();
        let _kv = SledKv::open(&path).unwrap();
        assert!(stray.exists());
    }

    #[test]
    fn a_database_made_before_value_files_is_read_and_written_as_before() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("db");
        {
            let db = sled::open(&path).unwrap();
            db.insert(b"\x06a", big(3)).unwrap();
            db.insert(b"\x06b", &b"small"[..]).unwrap();
            db.flush().unwrap();
        }
        let kv = SledKv::open(&path).unwrap();
        assert!(kv.existed() && kv.files.is_none());
        assert_eq!(&*kv.get(b"\x06a").unwrap().unwrap(), &big(3)[..]);
        assert_eq!(&*kv.get(b"\x06b").unwrap().unwrap(), b"small");
        put(&kv, b"\x06c", Some(big(5)));
        kv.flush().unwrap();
        assert!(files_in(&path).is_empty());
        assert_eq!(&*kv.get(b"\x06c").unwrap().unwrap(), &big(5)[..]);
    }
}
