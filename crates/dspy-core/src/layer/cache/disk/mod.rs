//! The persistent level: one SQLite file, shared by threads and processes.
//!
//! The file is in WAL mode, so readers never wait for the writer and several processes can use
//! one cache. Lookups run on the caller's thread with a pooled connection and a short busy
//! timeout (a point query by primary key takes microseconds). Writes go to a background thread
//! that batches them into transactions, so a call never waits for a commit and a cancelled call
//! can never leave half a row: each batch commits whole or not at all.
//!
//! Every failure (a corrupt or locked file, a full disk, an unreadable row) is logged with
//! `tracing::warn!` and turns into a miss or a dropped write; after a failed lookup the cache
//! stops reading for [`DiskCacheOptions::cooldown`] so a broken file costs nothing per call,
//! and repeated write failures are logged once per cooldown (at least a second).
//!
//! **Size bound.** The file holds at most [`DiskCacheOptions::max_entries`] answers and
//! [`DiskCacheOptions::max_bytes`] bytes of answers (default 30 GB, DSPy's); after each batch of
//! writes the least recently used answers (stored or read from disk last longest ago) are
//! deleted until both hold. Counts are kept by triggers in the file, so they stay exact when
//! several processes share it. Freed pages are reused, the file does not shrink.
//!
//! **Read-only files.** A cache file (or folder) that cannot be written is opened read-only:
//! hits are served from it, new answers are not stored, and a warning says so once.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{
    params, Connection, ErrorCode, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

use super::{CacheError, CacheKey};
use crate::lm::LmResponse;

mod open;
mod writer;

use open::*;
use writer::*;

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 512;
/// Most idle reader connections kept.
const MAX_IDLE_READERS: usize = 8;
/// The file's layout (`PRAGMA user_version`): 0 is the first one (no `used_at`, no size
/// counters), 1 adds them.
const SCHEMA_VERSION: i64 = 1;

/// Settings of a [`DiskCache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskCacheOptions {
    /// How long a lookup waits for a lock held by another connection before it counts as a
    /// miss. Lookups run on the caller's thread, so keep it short.
    pub read_timeout: Duration,
    /// How long the background writer waits for a lock before dropping a batch.
    pub write_timeout: Duration,
    /// After a failed lookup, how long lookups are skipped (answered as misses) before the file
    /// is tried again.
    pub cooldown: Duration,
    /// Most writes waiting for the background writer; beyond it writes are dropped.
    pub queue_capacity: usize,
    /// Most answers kept in the file (`None`: no limit, the default); beyond it the least
    /// recently used are deleted.
    pub max_entries: Option<u64>,
    /// Most bytes of answers (their JSON) kept in the file (default
    /// [`DEFAULT_MAX_BYTES`](DiskCacheOptions::DEFAULT_MAX_BYTES); `None`: no limit); beyond it
    /// the least recently used are deleted. The file itself is somewhat larger (keys, pages).
    pub max_bytes: Option<u64>,
}

impl DiskCacheOptions {
    /// Default [`max_bytes`](DiskCacheOptions::max_bytes): 30 GB, DSPy's disk cache limit.
    pub const DEFAULT_MAX_BYTES: u64 = 30_000_000_000;

    /// True when a size limit is set (disk hits then record when each answer was used).
    fn bounded(&self) -> bool {
        self.max_entries.is_some() || self.max_bytes.is_some()
    }
}

impl Default for DiskCacheOptions {
    fn default() -> Self {
        DiskCacheOptions {
            read_timeout: Duration::from_millis(100),
            write_timeout: Duration::from_secs(2),
            cooldown: Duration::from_secs(5),
            queue_capacity: 4096,
            max_entries: None,
            max_bytes: Some(DiskCacheOptions::DEFAULT_MAX_BYTES),
        }
    }
}

/// A persistent response cache in one SQLite file, safe to share between processes.
///
/// Cloning is cheap and shares the file's connections and writer. Writes are asynchronous:
/// call [`flush`](DiskCache::flush) to wait until everything stored so far is committed
/// (dropping the last clone flushes too).
///
/// ```no_run
/// use dspy_core::layer::cache::{DiskCache, ResponseCache};
///
/// let disk = DiskCache::open("/tmp/dspy-cache/responses.sqlite");
/// let cache = ResponseCache::builder().disk(disk).build();
/// # let _ = cache;
/// ```
#[derive(Clone)]
pub struct DiskCache {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    options: DiskCacheOptions,
    access: Access,
    readers: Mutex<Vec<Connection>>,
    /// Lookups are skipped until then, after a failure.
    cooling_until: Mutex<Option<Instant>>,
    writer: Option<SyncSender<WriteOp>>,
    thread: Option<JoinHandle<()>>,
    errors: Arc<AtomicU64>,
}

/// How the file can be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    /// Read and written (the normal case).
    ReadWrite,
    /// Opened read-only: hits only.
    ReadOnly,
    /// Opened read-only as an unchanging file (`immutable=1`): a WAL file in a folder that
    /// cannot be written, where SQLite cannot create its shared-memory file.
    Immutable,
}

enum WriteOp {
    /// Stores an answer, used at the given time (see [`now_nanos`]).
    Put(CacheKey, Arc<LmResponse>, i64),
    /// Marks an answer used at the given time.
    Touch(CacheKey, i64),
    Remove(CacheKey),
    Clear,
    Flush(mpsc::Sender<()>),
}

impl DiskCache {
    /// Opens (creating if needed) the cache file at `path` with default options.
    ///
    /// Never fails: if the file cannot be used now, a warning is logged, lookups miss and
    /// writes are dropped until it can.
    pub fn open(path: impl AsRef<Path>) -> DiskCache {
        DiskCache::open_with(path, DiskCacheOptions::default())
    }

    /// Like [`open`](DiskCache::open), with options.
    pub fn open_with(path: impl AsRef<Path>, options: DiskCacheOptions) -> DiskCache {
        let path = path.as_ref().to_path_buf();
        let access = match prepare(&path, &options) {
            Ok(access) => access,
            Err(error) => {
                tracing::warn!(%error, "response cache unavailable; calls go to the LM until it can be used");
                Access::ReadWrite
            }
        };
        DiskCache::start(path, options, access)
    }

    /// Opens the cache file at `path`, failing if it cannot be used right now.
    ///
    /// A file that can be read but not written is not a failure: it is opened read-only
    /// ([`is_read_only`](DiskCache::is_read_only)).
    pub fn try_open(path: impl AsRef<Path>) -> Result<DiskCache, CacheError> {
        DiskCache::try_open_with(path, DiskCacheOptions::default())
    }

    /// Like [`try_open`](DiskCache::try_open), with options.
    pub fn try_open_with(
        path: impl AsRef<Path>,
        options: DiskCacheOptions,
    ) -> Result<DiskCache, CacheError> {
        let path = path.as_ref().to_path_buf();
        let access = prepare(&path, &options)?;
        Ok(DiskCache::start(path, options, access))
    }

    fn start(path: PathBuf, options: DiskCacheOptions, access: Access) -> DiskCache {
        let errors = Arc::new(AtomicU64::new(0));
        if access != Access::ReadWrite {
            // Nothing can be written: no writer, writes are dropped as they come.
            return DiskCache {
                inner: Arc::new(Inner {
                    path,
                    options,
                    access,
                    readers: Mutex::new(Vec::new()),
                    cooling_until: Mutex::new(None),
                    writer: None,
                    thread: None,
                    errors,
                }),
            };
        }
        let (tx, rx) = mpsc::sync_channel(options.queue_capacity.max(1));
        let thread = {
            let path = path.clone();
            let options = options.clone();
            let errors = Arc::clone(&errors);
            std::thread::Builder::new()
                .name("dspy-disk-cache".into())
                .spawn(move || write_loop(&path, &options, &rx, &errors))
        };
        let (writer, thread) = match thread {
            Ok(handle) => (Some(tx), Some(handle)),
            Err(error) => {
                tracing::warn!(%error, "could not start the response cache writer; answers will not be stored on disk");
                (None, None)
            }
        };
        DiskCache {
            inner: Arc::new(Inner {
                path,
                options,
                access,
                readers: Mutex::new(Vec::new()),
                cooling_until: Mutex::new(None),
                writer,
                thread,
                errors,
            }),
        }
    }

    /// The cache file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Lookups and writes that failed so far (each was logged).
    pub fn errors(&self) -> u64 {
        self.inner.errors.load(Ordering::Relaxed)
    }

    /// True when the file could only be opened for reading: hits are served from it, new
    /// answers are not stored. Open it again once it can be written.
    pub fn is_read_only(&self) -> bool {
        self.inner.access != Access::ReadWrite
    }

    /// Blocks until every write queued so far is committed (or has failed). Cheap when idle.
    pub fn flush(&self) {
        let Some(writer) = &self.inner.writer else {
            return;
        };
        let (tx, rx) = mpsc::channel();
        if writer.send(WriteOp::Flush(tx)).is_ok() {
            let _ = rx.recv();
        }
    }

    /// Deletes every entry (asynchronously; [`flush`](DiskCache::flush) to wait). Does nothing
    /// to a [read-only](DiskCache::is_read_only) file.
    pub fn clear(&self) {
        self.send(WriteOp::Clear);
    }

    /// Looks `key` up. Any failure is logged and counts as a miss.
    pub(super) fn get(&self, key: &CacheKey) -> Option<LmResponse> {
        if self.cooling_down() {
            return None;
        }
        let conn = match self.take_reader() {
            Ok(conn) => conn,
            Err(error) => {
                self.failed("open", &error);
                return None;
            }
        };
        let row = conn
            .prepare_cached("SELECT value FROM responses WHERE key = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([&key.as_bytes()[..]], |row| row.get::<_, Vec<u8>>(0))
                    .optional()
            });
        match row {
            Ok(found) => {
                self.return_reader(conn);
                let bytes = found?;
                match serde_json::from_slice::<LmResponse>(&bytes) {
                    // An answer without completions is never stored; one in the file was
                    // written by something else and is no answer.
                    Ok(response) if response.choices.is_empty() => {
                        self.inner.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(%key, "response cache entry without completions; removing it");
                        self.send(WriteOp::Remove(*key));
                        None
                    }
                    Ok(response) => {
                        if self.inner.options.bounded() {
                            self.send(WriteOp::Touch(*key, now_nanos()));
                        }
                        Some(response)
                    }
                    Err(error) => {
                        self.inner.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(%key, %error, "unreadable response cache entry; removing it");
                        self.send(WriteOp::Remove(*key));
                        None
                    }
                }
            }
            // The connection is dropped: it may be in a bad state.
            Err(error) => {
                self.failed("lookup", &error);
                None
            }
        }
    }

    /// Queues `response` to be stored under `key`. Never blocks; drops the write if the queue
    /// is full. An answer without completions is never stored.
    pub(super) fn put(&self, key: CacheKey, response: Arc<LmResponse>) {
        if response.choices.is_empty() {
            return;
        }
        self.send(WriteOp::Put(key, response, now_nanos()));
    }

    fn send(&self, op: WriteOp) {
        let Some(writer) = &self.inner.writer else {
            return;
        };
        match writer.try_send(op) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                tracing::debug!("response cache write queue full; dropping a write");
            }
        }
    }

    fn cooling_down(&self) -> bool {
        let mut until = self
            .inner
            .cooling_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match *until {
            Some(t) if Instant::now() < t => true,
            Some(_) => {
                *until = None;
                false
            }
            None => false,
        }
    }

    fn failed(&self, what: &str, error: &rusqlite::Error) {
        self.inner.errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(
            path = %self.inner.path.display(),
            %error,
            "response cache {what} failed; treating it as a miss"
        );
        if !self.inner.options.cooldown.is_zero() {
            let mut until = self
                .inner
                .cooling_until
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            *until = Some(Instant::now() + self.inner.options.cooldown);
        }
    }

    fn take_reader(&self) -> Result<Connection, rusqlite::Error> {
        let pooled = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match pooled {
            Some(conn) => Ok(conn),
            None => open_reader(&self.inner.path, &self.inner.options, self.inner.access),
        }
    }

    fn return_reader(&self, conn: Connection) {
        let mut readers = self
            .inner
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if readers.len() < MAX_IDLE_READERS {
            readers.push(conn);
        }
    }
}

impl fmt::Debug for DiskCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskCache")
            .field("path", &self.inner.path)
            .field("options", &self.inner.options)
            .field("read_only", &self.is_read_only())
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the queue ends the writer once it has committed what is queued.
        drop(self.writer.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
