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

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use super::{CacheError, CacheKey};
use crate::lm::LmResponse;

/// Most writes committed in one transaction.
const MAX_BATCH: usize = 512;
/// Most idle reader connections kept.
const MAX_IDLE_READERS: usize = 8;

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
}

impl Default for DiskCacheOptions {
    fn default() -> Self {
        DiskCacheOptions {
            read_timeout: Duration::from_millis(100),
            write_timeout: Duration::from_secs(2),
            cooldown: Duration::from_secs(5),
            queue_capacity: 4096,
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
    readers: Mutex<Vec<Connection>>,
    /// Lookups are skipped until then, after a failure.
    cooling_until: Mutex<Option<Instant>>,
    writer: Option<SyncSender<WriteOp>>,
    thread: Option<JoinHandle<()>>,
    errors: Arc<AtomicU64>,
}

enum WriteOp {
    Put(CacheKey, Arc<LmResponse>),
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
        if let Err(error) = prepare(&path, &options) {
            tracing::warn!(%error, "response cache unavailable; calls go to the LM until it can be used");
        }
        DiskCache::start(path, options)
    }

    /// Opens the cache file at `path`, failing if it cannot be used right now.
    pub fn try_open(path: impl AsRef<Path>) -> Result<DiskCache, CacheError> {
        DiskCache::try_open_with(path, DiskCacheOptions::default())
    }

    /// Like [`try_open`](DiskCache::try_open), with options.
    pub fn try_open_with(
        path: impl AsRef<Path>,
        options: DiskCacheOptions,
    ) -> Result<DiskCache, CacheError> {
        let path = path.as_ref().to_path_buf();
        prepare(&path, &options)?;
        Ok(DiskCache::start(path, options))
    }

    fn start(path: PathBuf, options: DiskCacheOptions) -> DiskCache {
        let errors = Arc::new(AtomicU64::new(0));
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

    /// Deletes every entry (asynchronously; [`flush`](DiskCache::flush) to wait).
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
                match serde_json::from_slice(&bytes) {
                    Ok(response) => Some(response),
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
    /// is full.
    pub(super) fn put(&self, key: CacheKey, response: Arc<LmResponse>) {
        self.send(WriteOp::Put(key, response));
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
            None => {
                let conn = Connection::open_with_flags(
                    &self.inner.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(self.inner.options.read_timeout)?;
                Ok(conn)
            }
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

/// Creates the folder and file, switches to WAL and creates the table.
fn prepare(path: &Path, options: &DiskCacheOptions) -> Result<(), CacheError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    open_writer(path, options)
        .map(drop)
        .map_err(|e| CacheError::Open {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
}

fn open_writer(path: &Path, options: &DiskCacheOptions) -> Result<Connection, rusqlite::Error> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(options.write_timeout)?;
    // `journal_mode` answers with the mode in force; the file keeps WAL once set.
    let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    conn.execute_batch(
        "PRAGMA synchronous=NORMAL;
         CREATE TABLE IF NOT EXISTS responses (
             key BLOB PRIMARY KEY NOT NULL,
             value BLOB NOT NULL,
             created_at INTEGER NOT NULL
         ) WITHOUT ROWID;",
    )?;
    Ok(conn)
}

fn write_loop(path: &Path, options: &DiskCacheOptions, rx: &Receiver<WriteOp>, errors: &AtomicU64) {
    let mut conn: Option<Connection> = None;
    let mut warnings = WarnEvery::new(options.cooldown.max(Duration::from_secs(1)));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut flushes = Vec::new();
    while let Ok(first) = rx.recv() {
        batch.clear();
        flushes.clear();
        let mut next = Some(first);
        while let Some(op) = next {
            match op {
                WriteOp::Flush(done) => flushes.push(done),
                op => batch.push(op),
            }
            next = if batch.len() < MAX_BATCH {
                rx.try_recv().ok()
            } else {
                None
            };
        }
        if !batch.is_empty() {
            if conn.is_none() {
                match open_writer(path, options) {
                    Ok(c) => conn = Some(c),
                    Err(error) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if warnings.allow() {
                            tracing::warn!(path = %path.display(), %error, dropped = batch.len(), "could not open the response cache for writing; answers not stored");
                        }
                    }
                }
            }
            if let Some(c) = conn.as_mut() {
                match write_batch(c, &batch) {
                    Ok(()) => warnings.reset(),
                    Err(error) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if warnings.allow() {
                            tracing::warn!(path = %path.display(), %error, dropped = batch.len(), "could not write to the response cache; answers not stored");
                        }
                        conn = None;
                    }
                }
            }
        }
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Lets one warning through per period while failures repeat, so a broken file does not
/// flood the log; the next success starts over.
struct WarnEvery {
    period: Duration,
    last: Option<Instant>,
}

impl WarnEvery {
    fn new(period: Duration) -> WarnEvery {
        WarnEvery { period, last: None }
    }

    fn allow(&mut self) -> bool {
        let now = Instant::now();
        match self.last {
            Some(last) if now.duration_since(last) < self.period => false,
            _ => {
                self.last = Some(now);
                true
            }
        }
    }

    fn reset(&mut self) {
        self.last = None;
    }
}

fn write_batch(conn: &mut Connection, batch: &[WriteOp]) -> Result<(), rusqlite::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO responses (key, value, created_at) VALUES (?1, ?2, ?3)",
        )?;
        let mut remove = tx.prepare_cached("DELETE FROM responses WHERE key = ?1")?;
        for op in batch {
            match op {
                WriteOp::Put(key, response) => {
                    // An answer that does not serialize is skipped, never half-written.
                    if let Ok(bytes) = serde_json::to_vec(&**response) {
                        put.execute(params![&key.as_bytes()[..], bytes, now])?;
                    }
                }
                WriteOp::Remove(key) => {
                    remove.execute([&key.as_bytes()[..]])?;
                }
                WriteOp::Clear => {
                    tx.execute("DELETE FROM responses", [])?;
                }
                WriteOp::Flush(_) => {}
            }
        }
    }
    tx.commit()
}
