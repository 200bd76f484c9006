//! Value files: the large values of a sled database (series chunks, company blocks, long
//! member lists), each kept in a file of its own under `values/`, with only a short
//! reference in sled.
//!
//! Why: sled 0.34 writes a tree node larger than a quarter of its log segment (128 KiB) to a
//! blob file and counts it in its page cache by the size of the pointer, so it never evicts
//! one: a process kept every chunk it had scanned (an L scoring process ~380 MiB, most of it
//! chunks), and every open re-read, in full, the blobs of the log segment it replays (~150 MB
//! at L). With every value in sled at most [`LARGE`] bytes, a 16-entry leaf stays well under
//! that limit, sled's cache holds small inline nodes it can evict, and a chunk is read from
//! its file when a statement needs it and freed when the statement is done with it.
//!
//! A value in sled is one tag byte and then either the value itself ([`INLINE`]) or a
//! reference ([`FILE`]: `u64` file number, `u64` length, `u32` CRC-32 of the bytes, all
//! little-endian). The file holds the value's bytes and nothing else; a reader checks the
//! length and checksum, so a damaged or missing file is an error naming it.
//!
//! Crash safety (`SledKv::apply` and `flush` keep this order):
//! 1. before a write creates or replaces a file, the `pending` marker is created and synced;
//! 2. the new files are written and synced before the sled batch naming them is applied, so
//!    sled can never hold a reference to a file that is not on disk;
//! 3. files the batch replaced or removed are deleted only after the batch is durable
//!    (`flush`), and then the marker goes.
//!
//! A process that dies between 1 and 3 leaves the marker, and the next open deletes every
//! file no reference in sled names ([`Files::collect`]): the new files of a batch that did
//! not survive, or the old ones of a batch that did.

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Values at least this long go to a file. Sled splits a leaf above 16 entries, so a leaf of
/// inline values stays near 64 KiB, half of sled's blob limit.
pub const LARGE: usize = 4096;

/// Tag of a value stored in sled after it.
pub const INLINE: u8 = 0;
/// Tag of a reference to a value file.
pub const FILE: u8 = 1;
const REF_LEN: usize = 1 + 8 + 8 + 4;
const PENDING: &str = "pending";

/// The folder of value files of one open database.
pub struct Files {
    dir: PathBuf,
    next: AtomicU64,
    /// Files that batches applied since the last flush replaced or removed.
    doomed: Mutex<Vec<u64>>,
}

/// What a stored sled value holds.
pub enum Stored {
    /// The value is the stored bytes after the tag.
    Inline,
    /// The value was read from its file.
    File(Vec<u8>),
}

impl Files {
    /// The value folder of the database at `db` (created when absent).
    pub fn open(db: &Path) -> Result<Files> {
        let dir = db.join("values");
        std::fs::create_dir_all(&dir)?;
        let last = std::fs::read_dir(&dir)?
            .flatten()
            .filter_map(|e| number(&e.file_name().to_string_lossy()))
            .max()
            .unwrap_or(0);
        Ok(Files {
            dir,
            next: AtomicU64::new(last + 1),
            doomed: Mutex::new(Vec::new()),
        })
    }

    /// True when a write may have been cut off since the last durable flush.
    pub fn pending(&self) -> bool {
        self.dir.join(PENDING).exists()
    }

    /// Step 1: the marker, synced with its folder entry, before any file changes.
    pub fn begin(&self) -> Result<()> {
        if self.pending() {
            return Ok(());
        }
        std::fs::File::create(self.dir.join(PENDING))?.sync_all()?;
        sync_dir(&self.dir)
    }

    /// Writes `bytes` to a new file (not yet synced, see [`Files::sync`]) and returns its
    /// number and the reference to store in sled.
    pub fn write(&self, bytes: &[u8]) -> Result<(u64, Vec<u8>)> {
        use std::io::Write;
        loop {
            let n = self.next.fetch_add(1, Ordering::Relaxed);
            let path = self.path(n);
            let mut f = match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(f) => f,
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e.into()),
            };
            if let Err(e) = f.write_all(bytes) {
                drop(f);
                let _ = std::fs::remove_file(&path);
                return Err(e.into());
            }
            let mut r = Vec::with_capacity(REF_LEN);
            r.push(FILE);
            r.extend_from_slice(&n.to_le_bytes());
            r.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            r.extend_from_slice(&crc32fast::hash(bytes).to_le_bytes());
            return Ok((n, r));
        }
    }

    /// Step 2: makes the files just written durable (with their folder entries).
    pub fn sync(&self, written: &[u64]) -> Result<()> {
        if written.is_empty() {
            return Ok(());
        }
        if syncfs(&std::fs::File::open(&self.dir)?) {
            return Ok(());
        }
        for &n in written {
            std::fs::File::open(self.path(n))?.sync_all()?;
        }
        sync_dir(&self.dir)
    }

    /// Removes files written for a batch that was not applied.
    pub fn discard(&self, written: &[u64]) {
        for &n in written {
            let _ = std::fs::remove_file(self.path(n));
        }
    }

    /// Files to delete once the batch that replaced them is durable.
    pub fn doom(&self, files: impl IntoIterator<Item = u64>) {
        let mut d = self.doomed.lock().unwrap_or_else(|e| e.into_inner());
        d.extend(files);
    }

    /// Step 3, after a durable flush: deletes the doomed files, then the marker.
    pub fn finish(&self) -> Result<()> {
        let doomed = std::mem::take(&mut *self.doomed.lock().unwrap_or_else(|e| e.into_inner()));
        for n in doomed {
            match std::fs::remove_file(self.path(n)) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        match std::fs::remove_file(self.dir.join(PENDING)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// After a cut-off write: deletes every file whose number `referenced` does not hold,
    /// then the marker.
    pub fn collect(&self, referenced: &HashSet<u64>) -> Result<()> {
        for e in std::fs::read_dir(&self.dir)?.flatten() {
            if let Some(n) = number(&e.file_name().to_string_lossy())
                && !referenced.contains(&n)
            {
                std::fs::remove_file(e.path())?;
            }
        }
        sync_dir(&self.dir)?;
        self.finish()
    }

    /// Reads what a stored sled value holds: inline bytes, or its file, checked.
    pub fn load(&self, stored: &[u8]) -> Result<Stored> {
        match stored.first() {
            Some(&INLINE) => Ok(Stored::Inline),
            Some(&FILE) => {
                let (n, len, crc) = reference(stored)
                    .ok_or_else(|| damaged("a value reference is cut short".into()))?;
                let path = self.path(n);
                let bytes = std::fs::read(&path).map_err(|e| {
                    damaged(format!("value file {} cannot be read ({e})", shown(&path)))
                })?;
                if bytes.len() as u64 != len || crc32fast::hash(&bytes) != crc {
                    return Err(damaged(format!(
                        "value file {} does not hold what was written (length or checksum)",
                        shown(&path)
                    )));
                }
                Ok(Stored::File(bytes))
            }
            _ => Err(damaged("a stored value has an unknown tag".into())),
        }
    }

    /// Bytes the value files take.
    pub fn size(&self) -> u64 {
        std::fs::read_dir(&self.dir)
            .map(|d| {
                d.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    fn path(&self, n: u64) -> PathBuf {
        self.dir.join(format!("{n:016x}"))
    }
}

/// The file number a stored value refers to, if it is a reference.
pub fn file_of(stored: &[u8]) -> Option<u64> {
    reference(stored).map(|(n, _, _)| n)
}

fn reference(stored: &[u8]) -> Option<(u64, u64, u32)> {
    if stored.len() != REF_LEN || stored[0] != FILE {
        return None;
    }
    let n = u64::from_le_bytes(stored[1..9].try_into().ok()?);
    let len = u64::from_le_bytes(stored[9..17].try_into().ok()?);
    let crc = u32::from_le_bytes(stored[17..21].try_into().ok()?);
    Some((n, len, crc))
}

/// A value file's number from its name (16 hex digits); `None` for anything else.
fn number(name: &str) -> Option<u64> {
    if name.len() != 16 {
        return None;
    }
    u64::from_str_radix(name, 16).ok()
}

fn damaged(what: String) -> Error {
    Error::Storage(format!(
        "the database is damaged: {what}; `finq check` lists what is readable"
    ))
}

fn shown(path: &Path) -> String {
    let mut parts = path.iter().rev().take(2).collect::<Vec<_>>();
    parts.reverse();
    parts
        .iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Syncs the whole file system holding `file` (Linux `syncfs`: every file written there and
/// every folder entry, in one call). False where that is not available or fails: the caller
/// then syncs file by file.
pub fn syncfs(file: &std::fs::File) -> bool {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: syncfs only reads the descriptor, which `file` keeps open.
        unsafe { libc::syncfs(file.as_raw_fd()) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        false
    }
}

fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_reads_back_and_damage_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let f = Files::open(tmp.path()).unwrap();
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let (n, r) = f.write(&bytes).unwrap();
        f.sync(&[n]).unwrap();
        assert_eq!(file_of(&r), Some(n));
        assert!(matches!(f.load(&r).unwrap(), Stored::File(b) if b == bytes));
        assert!(matches!(f.load(&[INLINE, 7]).unwrap(), Stored::Inline));
        // A file changed on disk, or gone, is an error that names it.
        let path = f.path(n);
        std::fs::write(&path, &bytes[1..]).unwrap();
        let e = f.load(&r).err().unwrap().to_string();
        assert!(
            e.contains(&format!("values/{n:016x}")) && e.contains("checksum"),
            "{e}"
        );
        std::fs::remove_file(&path).unwrap();
        assert!(
            f.load(&r)
                .err()
                .unwrap()
                .to_string()
                .contains("cannot be read")
        );
        assert!(f.load(&r[..5]).is_err() && f.load(&[9]).is_err() && f.load(&[]).is_err());
    }

    #[test]
    fn doomed_files_go_only_at_finish_and_collect_keeps_what_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let f = Files::open(tmp.path()).unwrap();
        f.begin().unwrap();
        let (a, _) = f.write(b"aaaa").unwrap();
        let (b, _) = f.write(b"bbbb").unwrap();
        let (c, _) = f.write(b"cccc").unwrap();
        f.doom([a]);
        assert!(f.path(a).exists() && f.pending());
        f.finish().unwrap();
        assert!(!f.path(a).exists() && f.path(b).exists() && !f.pending());
        // A reopened folder numbers after the last file, so no name is taken twice.
        let g = Files::open(tmp.path()).unwrap();
        assert_eq!(g.write(b"d").unwrap().0, c + 1);
        g.begin().unwrap();
        g.collect(&HashSet::from([b])).unwrap();
        assert!(g.path(b).exists() && !g.path(c).exists() && !g.path(c + 1).exists());
        assert!(!g.pending());
    }
}
