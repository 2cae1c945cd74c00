//! Errors of the cache's own setup.

use std::path::PathBuf;

/// Setting up a cache level failed: a [`DiskCache`](super::DiskCache) file, or a Redis URL.
///
/// Only setup returns it ([`DiskCache::try_open`](super::DiskCache::try_open),
/// `RedisCache::open`): the cache layer itself never fails a call because of its cache, it
/// logs a warning and treats the lookup as a miss.
///
/// ```
/// use dspy_core::layer::cache::{CacheError, DiskCache};
///
/// let dir = std::env::temp_dir().join(format!("dspy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("garbage.sqlite");
/// std::fs::write(&path, b"this is not a database, just some bytes long enough to matter....").unwrap();
/// assert!(matches!(DiskCache::try_open(&path), Err(CacheError::Open { .. })));
///
/// // A folder cannot be created inside a file.
/// let under_a_file = path.join("cache.sqlite");
/// assert!(matches!(DiskCache::try_open(&under_a_file), Err(CacheError::CreateDir { .. })));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The folder for the cache file could not be created.
    #[error("could not create the cache folder {}: {source}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The cache file could not be opened or set up (not a database, locked, read-only, ...).
    #[error("could not open the response cache {}: {message}; if the file is corrupt, delete it to start a fresh cache", path.display())]
    Open {
        /// The cache file.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
    /// The Redis URL could not be read (the URL itself is left out: it may hold a password).
    #[error("invalid Redis URL: {message}; expected redis://[:password@]host[:port][/db]")]
    RedisUrl {
        /// What was wrong.
        message: String,
    },
}
