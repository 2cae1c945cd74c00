//! The disk cache's bounds: at most `max_entries` answers and `max_bytes` bytes (least recently
//! used first out), files of an older version upgraded, answers without choices never stored,
//! and read-only files and folders still read.

mod layer_support;

use std::sync::Arc;
use std::time::Duration;

use dspy_core::layer::cache::{Cache, CacheError, DiskCache, DiskCacheOptions, ResponseCache};
use dspy_core::lm::{CacheMode, LanguageModel, LmResponse};

use layer_support::{ask, FakeLm, LogCapture};

fn memory_cache() -> ResponseCache {
    ResponseCache::in_memory(1000)
}

fn disk_only(disk: DiskCache) -> ResponseCache {
    ResponseCache::builder().no_memory().disk(disk).build()
}

/// Rows in the file, and the size counters the triggers keep (checked against the rows).
fn file_counts(path: &std::path::Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let actual: (i64, i64) = conn
        .query_row(
            "SELECT count(*), coalesce(sum(length(value)), 0) FROM responses",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let counted: (i64, i64) = conn
        .query_row("SELECT entries, bytes FROM cache_size", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(counted, actual, "the size counters drifted");
    actual
}

fn bounded(max_entries: Option<u64>, max_bytes: Option<u64>) -> DiskCacheOptions {
    DiskCacheOptions {
        max_entries,
        max_bytes,
        ..DiskCacheOptions::default()
    }
}

#[tokio::test]
async fn the_disk_level_keeps_at_most_max_entries_least_recently_used_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let disk = DiskCache::try_open_with(&path, bounded(Some(3), None)).unwrap();
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    for q in ["a", "b", "c"] {
        lm.call(ask(q)).await.unwrap();
        disk.flush();
    }
    // Reading `a` makes `b` the least recently used.
    assert!(lm.call(ask("a")).await.unwrap().cached);
    disk.flush();
    lm.call(ask("d")).await.unwrap();
    disk.flush();
    assert_eq!(file_counts(&path).0, 3);
    for q in ["a", "c", "d"] {
        assert!(lm.call(ask(q)).await.unwrap().cached, "{q} was evicted");
    }
    assert!(!lm.call(ask("b")).await.unwrap().cached, "b was kept");
    assert_eq!(fake.calls(), 5);

    // Many writes in one batch: still bounded.
    for i in 0..50 {
        lm.call(ask(&format!("many {i}"))).await.unwrap();
    }
    disk.flush();
    assert_eq!(file_counts(&path).0, 3);
}

#[tokio::test]
async fn max_bytes_bounds_the_stored_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let disk = DiskCache::try_open(&path).unwrap();
        Cache::new(FakeLm::new().shared(), disk_only(disk.clone()))
            .call(ask("q0"))
            .await
            .unwrap();
        disk.flush();
    }
    let (_, one) = file_counts(&path);
    assert!(one > 0);
    let max = one as u64 * 2 + one as u64 / 2;
    let disk = DiskCache::try_open_with(&path, bounded(None, Some(max))).unwrap();
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    for q in ["q1", "q2", "q3", "q4"] {
        lm.call(ask(q)).await.unwrap();
        disk.flush();
    }
    let (entries, bytes) = file_counts(&path);
    assert_eq!(entries, 2);
    assert!(bytes as u64 <= max, "{bytes} > {max}");
    assert!(lm.call(ask("q4")).await.unwrap().cached);
    assert!(lm.call(ask("q3")).await.unwrap().cached);
    assert!(!lm.call(ask("q0")).await.unwrap().cached);
}

#[tokio::test]
async fn a_file_from_an_older_version_is_upgraded_and_its_size_counted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        // The first layout: no `used_at`, no counters.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             CREATE TABLE responses (
                 key BLOB PRIMARY KEY NOT NULL,
                 value BLOB NOT NULL,
                 created_at INTEGER NOT NULL
             ) WITHOUT ROWID;
             INSERT INTO responses VALUES (x'01', x'aabbcc', 1), (x'02', x'dd', 2);",
        )
        .unwrap();
    }
    let disk = DiskCache::try_open_with(&path, bounded(Some(3), None)).unwrap();
    assert_eq!(file_counts(&path), (2, 4));
    let version: i64 = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);

    // The same answer stored twice (a refresh) is one entry; the old rows go first.
    let lm = Cache::new(FakeLm::new().shared(), disk_only(disk.clone()));
    lm.call(ask("new")).await.unwrap();
    disk.flush();
    lm.call(ask("new").cache(CacheMode::Refresh)).await.unwrap();
    disk.flush();
    assert_eq!(file_counts(&path).0, 3);
    lm.call(ask("newer")).await.unwrap();
    disk.flush();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let oldest_left: i64 = conn
        .query_row(
            "SELECT count(*) FROM responses WHERE key = x'01'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(oldest_left, 0, "the oldest old row was not evicted first");
    assert_eq!(file_counts(&path).0, 3);
    // An outside update of a value is counted too.
    conn.execute("UPDATE responses SET value = x'00' WHERE key = x'02'", [])
        .unwrap();
    file_counts(&path);
}

fn empty_answer() -> LmResponse {
    let mut response = LmResponse::text("fake-model-v1", "");
    response.choices.clear();
    response
}

#[tokio::test]
async fn answers_without_choices_are_never_cached() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let disk = DiskCache::try_open(&path).unwrap();
    let cache = ResponseCache::builder().disk(disk.clone()).build();
    let fake = FakeLm::new()
        .script(vec![Ok(empty_answer()), Ok(empty_answer())])
        .shared();
    let lm = Cache::new(fake.clone(), cache.clone());
    let first = lm.call(ask("q")).await.unwrap();
    assert!(first.choices.is_empty() && !first.cached);
    let refreshed = lm.call(ask("q").cache(CacheMode::Refresh)).await.unwrap();
    assert!(refreshed.choices.is_empty());
    disk.flush();
    assert_eq!(cache.memory_len(), 0);
    assert_eq!(file_counts(&path).0, 0);
    // The next call goes to the LM, which answers this time, and that answer is kept.
    assert!(!lm.call(ask("q")).await.unwrap().cached);
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn callers_waiting_on_an_answer_without_choices_call_the_lm_themselves() {
    let fake = FakeLm::new()
        .delay(Duration::from_millis(50))
        .script(vec![Ok(empty_answer())])
        .shared();
    let lm = Arc::new(Cache::new(fake.clone(), memory_cache()));
    let (a, b) = tokio::join!(lm.call(ask("q")), lm.call(ask("q")));
    let (a, b) = (a.unwrap(), b.unwrap());
    // One got the empty answer; the other did not take it from the cache.
    assert_eq!(a.choices.is_empty() as u8 + b.choices.is_empty() as u8, 1);
    assert!(!a.cached && !b.cached);
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn a_stored_entry_without_choices_is_a_miss_and_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let disk = DiskCache::try_open(&path).unwrap();
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    lm.call(ask("q")).await.unwrap();
    disk.flush();
    let empty = serde_json::to_vec(&empty_answer()).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute("UPDATE responses SET value = ?1", [&empty])
        .unwrap();
    let hit = lm.call(ask("q")).await.unwrap();
    assert!(!hit.cached && !hit.choices.is_empty(), "{hit:?}");
    disk.flush();
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 2);
}

// Read-only files. Root writes read-only files all the same, so as root these tests run
// themselves again as the unprivileged user `nobody`.

#[cfg(unix)]
const UNPRIVILEGED_ENV: &str = "DSPY_LAYER_CACHE_UNPRIVILEGED";

/// True when the caller should run its test here; as root, runs `test` again as `nobody` and
/// checks it passed (or says it was skipped when that is not possible) and returns false.
#[cfg(unix)]
fn here_or_as_nobody(test: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;

    if std::env::var_os(UNPRIVILEGED_ENV).is_some() {
        return true;
    }
    let probe_dir = tempfile::tempdir().unwrap();
    let probe = probe_dir.path().join("probe");
    std::fs::write(&probe, b"x").unwrap();
    std::fs::set_permissions(&probe, std::fs::Permissions::from_mode(0o444)).unwrap();
    if std::fs::OpenOptions::new()
        .write(true)
        .open(&probe)
        .is_err()
    {
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads=1"])
        .env(UNPRIVILEGED_ENV, "1")
        .env("TMPDIR", "/tmp")
        .uid(65534)
        .gid(65534)
        .output();
    match output {
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success() && stdout.contains("1 passed"),
                "{test} as nobody failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Err(error) => eprintln!("SKIPPED: {test}: cannot run as an unprivileged user: {error}"),
    }
    false
}

#[cfg(unix)]
fn set_mode(path: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A cache file holding the answers to `questions`, closed.
#[cfg(unix)]
async fn filled_cache(path: &std::path::Path, questions: &[&str]) {
    let disk = DiskCache::try_open(path).unwrap();
    let lm = Cache::new(FakeLm::new().shared(), disk_only(disk));
    for q in questions {
        lm.call(ask(q)).await.unwrap();
    }
    // Dropping the last handle commits and closes the file (SQLite removes its -wal and -shm).
}

/// Checks that a read-only cache at `path` answers `stored` from the file and stores nothing.
#[cfg(unix)]
async fn check_read_only(path: &std::path::Path, stored: &str) {
    let before = std::fs::read(path).unwrap();
    let logs = LogCapture::default();
    let guard = logs.install(tracing::Level::WARN);
    let disk = DiskCache::try_open(path).expect("a read-only cache opens");
    assert!(disk.is_read_only());
    assert!(logs.text().contains("read-only"), "{}", logs.text());
    drop(guard);
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    let hit = lm.call(ask(stored)).await.unwrap();
    assert!(hit.cached, "a stored answer was not read");
    assert_eq!(hit.first_text(), Some(format!("answer: {stored}").as_str()));
    assert!(!lm.call(ask("fresh")).await.unwrap().cached);
    disk.flush();
    assert!(
        !lm.call(ask("fresh")).await.unwrap().cached,
        "stored anyway"
    );
    assert_eq!(fake.calls(), 2);
    assert_eq!(disk.errors(), 0, "skipped writes are not failures");
    // `open` (never fails) reads it too.
    let lm = Cache::new(fake.clone(), disk_only(DiskCache::open(path)));
    assert!(lm.call(ask(stored)).await.unwrap().cached);
    assert_eq!(std::fs::read(path).unwrap(), before, "the file changed");
}

#[cfg(unix)]
#[tokio::test]
async fn a_read_only_cache_file_is_still_read() {
    if !here_or_as_nobody("a_read_only_cache_file_is_still_read") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    filled_cache(&path, &["a", "b"]).await;
    set_mode(&path, 0o444);
    check_read_only(&path, "a").await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_cache_in_a_read_only_folder_is_still_read() {
    if !here_or_as_nobody("a_cache_in_a_read_only_folder_is_still_read") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("ro");
    let path = folder.join("cache.sqlite");
    filled_cache(&path, &["a", "b"]).await;
    set_mode(&folder, 0o555);
    check_read_only(&path, "b").await;
    set_mode(&path, 0o444);
    check_read_only(&path, "a").await;
    // A missing file in a read-only folder cannot be created: an error, not a read-only cache.
    assert!(matches!(
        DiskCache::try_open(folder.join("missing.sqlite")),
        Err(CacheError::Open { .. })
    ));
    set_mode(&folder, 0o755);
}
