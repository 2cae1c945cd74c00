//! Cache layer: hits, keys, per-call modes, single-flight, cancellation, the SQLite file.

mod layer_support;

use std::sync::Arc;
use std::time::Duration;

use dspy_core::layer::cache::{Cache, CacheError, DiskCache, DiskCacheOptions, ResponseCache};
use dspy_core::lm::{CacheMode, LanguageModel, LmResponse, Usage};
use tokio::task::JoinSet;

use layer_support::{ask, ask_slow, server_error, FakeLm, LogCapture};

fn memory_cache() -> ResponseCache {
    ResponseCache::in_memory(1000)
}

#[tokio::test]
async fn a_hit_makes_no_upstream_call_and_reports_no_usage() {
    let fake = FakeLm::new().shared();
    let cache = memory_cache();
    let lm = Cache::new(fake.clone(), cache.clone());

    let first = lm.call(ask("2+2?")).await.unwrap();
    assert!(!first.cached);
    assert_eq!(first.usage.total_tokens, 15);

    let second = lm.call(ask("2+2?")).await.unwrap();
    assert_eq!(fake.calls(), 1);
    assert!(second.cached);
    assert_eq!(second.usage, Usage::default());
    assert_eq!(second.choices, first.choices);
    assert_eq!(second.model, first.model);

    let stats = cache.stats();
    assert_eq!((stats.misses, stats.memory_hits), (1, 1));
}

#[tokio::test]
async fn every_part_of_the_request_is_in_the_key() {
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), memory_cache());
    let mut other_model = ask("q");
    other_model.model = Some("fake/other".into());
    for request in [
        ask("q"),
        ask("q").temperature(0.7),
        ask("q").rollout_id(1),
        ask("q").rollout_id(2),
        ask("q").max_tokens(5),
        ask("q").n(3),
        other_model,
        ask("another question"),
    ] {
        assert!(
            !lm.call(request.clone()).await.unwrap().cached,
            "{request:?}"
        );
        assert!(lm.call(request).await.unwrap().cached);
    }
    assert_eq!(fake.calls(), 8);
}

#[tokio::test]
async fn bypass_and_refresh_per_call() {
    let fake = FakeLm::new().shared();
    let cache = memory_cache();
    let lm = Cache::new(fake.clone(), cache.clone());

    // Bypass: neither read nor written.
    assert!(
        !lm.call(ask("q").cache(CacheMode::Bypass))
            .await
            .unwrap()
            .cached
    );
    assert!(
        !lm.call(ask("q").cache(CacheMode::Bypass))
            .await
            .unwrap()
            .cached
    );
    assert_eq!(fake.calls(), 2);
    assert_eq!(cache.memory_len(), 0);

    // Refresh: always calls, and what it stores serves later calls.
    assert!(
        !lm.call(ask("q").cache(CacheMode::Refresh))
            .await
            .unwrap()
            .cached
    );
    assert_eq!(fake.calls(), 3);
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert!(
        !lm.call(ask("q").cache(CacheMode::Refresh))
            .await
            .unwrap()
            .cached
    );
    assert_eq!(fake.calls(), 4);
}

#[tokio::test]
async fn errors_are_not_cached() {
    let fake = FakeLm::new().script(vec![Err(server_error())]).shared();
    let lm = Cache::new(fake.clone(), memory_cache());
    assert_eq!(lm.call(ask("q")).await.unwrap_err(), server_error());
    assert!(!lm.call(ask("q")).await.unwrap().cached);
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 2);
}

#[tokio::test]
async fn the_memory_level_evicts_the_least_recently_used() {
    let fake = FakeLm::new().shared();
    let cache = ResponseCache::in_memory(2);
    let lm = Cache::new(fake.clone(), cache.clone());
    lm.call(ask("a")).await.unwrap();
    lm.call(ask("b")).await.unwrap();
    lm.call(ask("a")).await.unwrap(); // a is now the most recent
    lm.call(ask("c")).await.unwrap(); // evicts b
    assert_eq!(cache.memory_len(), 2);
    assert!(lm.call(ask("a")).await.unwrap().cached);
    assert!(!lm.call(ask("b")).await.unwrap().cached);
    assert_eq!(fake.calls(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_identical_calls_make_one_upstream_call() {
    let fake = FakeLm::new().delay(Duration::from_millis(50)).shared();
    let cache = memory_cache();
    let lm = Arc::new(Cache::new(fake.clone(), cache.clone()));
    let mut tasks = JoinSet::new();
    for _ in 0..50 {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask("same")).await });
    }
    let mut fresh = 0;
    while let Some(result) = tasks.join_next().await {
        let response = result.unwrap().unwrap();
        assert_eq!(response.first_text(), Some("answer: same"));
        if !response.cached {
            fresh += 1;
            assert_eq!(response.usage.total_tokens, 15);
        } else {
            assert_eq!(response.usage, Usage::default());
        }
    }
    assert_eq!(fake.calls(), 1);
    assert_eq!(
        fresh, 1,
        "exactly one caller gets the upstream answer and its usage"
    );
    assert_eq!(cache.stats().hits(), 49);
    assert_eq!(cache.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn waiters_share_the_leaders_error_and_nothing_is_stored() {
    let fake = FakeLm::new()
        .delay(Duration::from_millis(100))
        .script(vec![Err(server_error())])
        .shared();
    let lm = Arc::new(Cache::new(fake.clone(), memory_cache()));
    let mut tasks = JoinSet::new();
    for _ in 0..10 {
        let lm = lm.clone();
        tasks.spawn(async move { lm.call(ask("q")).await });
    }
    while let Some(result) = tasks.join_next().await {
        assert_eq!(result.unwrap().unwrap_err(), server_error());
    }
    assert_eq!(fake.calls(), 1);
    assert!(!lm.call(ask("q")).await.unwrap().cached);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_leader_hands_over_to_a_waiter() {
    let fake = FakeLm::new().delay(Duration::from_secs(1)).shared();
    let cache = memory_cache();
    let lm = Arc::new(Cache::new(fake.clone(), cache.clone()));

    let leader = tokio::spawn({
        let lm = lm.clone();
        async move { lm.call(ask("q")).await }
    });
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(fake.in_flight(), 1);

    let mut waiters = JoinSet::new();
    for _ in 0..5 {
        let lm = lm.clone();
        waiters.spawn(async move { lm.call(ask("q")).await });
    }
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(fake.calls(), 1, "waiters are waiting, not calling");

    leader.abort();
    assert!(leader.await.unwrap_err().is_cancelled());

    let mut fresh = 0;
    let all = async {
        while let Some(result) = waiters.join_next().await {
            let response = result.unwrap().unwrap();
            fresh += usize::from(!response.cached);
        }
    };
    tokio::time::timeout(Duration::from_secs(60), all)
        .await
        .expect("waiters are stuck behind the cancelled leader");
    assert_eq!(fresh, 1);
    assert_eq!(fake.calls(), 2);
    assert_eq!(cache.in_flight(), 0);
    assert_eq!(fake.in_flight(), 0);
}

#[tokio::test(start_paused = true)]
async fn dropping_every_call_mid_flight_leaves_nothing_stuck() {
    let fake = FakeLm::new().delay(Duration::from_secs(5)).shared();
    let cache = memory_cache();
    let lm = Arc::new(Cache::new(fake.clone(), cache.clone()));
    let mut tasks = JoinSet::new();
    for i in 0..20 {
        let lm = lm.clone();
        // Two distinct requests, ten callers each.
        tasks.spawn(async move { lm.call(ask(if i % 2 == 0 { "a" } else { "b" })).await });
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(cache.in_flight(), 2);
    assert_eq!(fake.in_flight(), 2);
    tasks.abort_all();
    while tasks.join_next().await.is_some() {}

    assert_eq!(cache.in_flight(), 0);
    assert_eq!(fake.in_flight(), 0);
    assert_eq!(cache.memory_len(), 0);
    // A new call is not stuck behind a dead flight.
    let response = tokio::time::timeout(Duration::from_secs(10), lm.call(ask("a")))
        .await
        .expect("not stuck")
        .unwrap();
    assert!(!response.cached);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test]
async fn two_layers_on_one_response_cache_share_hits() {
    let fake = FakeLm::new().shared();
    let cache = memory_cache();
    let a = Cache::new(fake.clone(), cache.clone());
    let b = Cache::new(fake.clone(), cache.clone());
    a.call(ask("q")).await.unwrap();
    assert!(b.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 1);
}

// ---- the SQLite file ----

fn disk_only(disk: DiskCache) -> ResponseCache {
    ResponseCache::builder().no_memory().disk(disk).build()
}

#[tokio::test]
async fn two_caches_on_one_file_share_answers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/folder/cache.sqlite");

    let first = FakeLm::new().shared();
    {
        let cache = ResponseCache::builder()
            .disk(DiskCache::try_open(&path).unwrap())
            .build();
        let lm = Cache::new(first.clone(), cache.clone());
        for q in ["a", "b", "c"] {
            lm.call(ask(q).n(1)).await.unwrap();
        }
        cache.flush();
    }
    assert_eq!(first.calls(), 3);

    // A second, separate cache on the same file (empty memory): all hits, from disk.
    let second = FakeLm::new().shared();
    let cache = ResponseCache::builder()
        .disk(DiskCache::try_open(&path).unwrap())
        .build();
    let lm = Cache::new(second.clone(), cache.clone());
    for q in ["a", "b", "c"] {
        let response = lm.call(ask(q).n(1)).await.unwrap();
        assert!(response.cached);
        assert_eq!(response.first_text(), Some(format!("answer: {q}").as_str()));
    }
    assert_eq!(second.calls(), 0);
    assert_eq!(cache.stats().disk_hits, 3);
    // Promoted to memory: the next lookup does not touch the disk.
    lm.call(ask("a").n(1)).await.unwrap();
    assert_eq!(cache.stats().memory_hits, 1);
}

const CHILD_ENV: &str = "DSPY_LAYER_CACHE_CHILD";

#[tokio::test]
async fn another_process_reuses_the_file() {
    let questions = ["x", "y", "z", "w"];
    if let Ok(path) = std::env::var(CHILD_ENV) {
        // The child: a fresh process with a fresh cache on the parent's file.
        let fake = FakeLm::new().shared();
        let lm = Cache::new(fake.clone(), disk_only(DiskCache::try_open(&path).unwrap()));
        for q in questions {
            assert!(lm.call(ask(q)).await.unwrap().cached);
        }
        assert_eq!(fake.calls(), 0, "the child made upstream calls");
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    let fake = FakeLm::new().shared();
    {
        let lm = Cache::new(fake.clone(), disk_only(DiskCache::open(&path)));
        for q in questions {
            lm.call(ask(q)).await.unwrap();
        }
        // Dropping the last handle commits pending writes.
    }
    assert_eq!(fake.calls(), 4);

    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "another_process_reuses_the_file",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, &path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("1 passed"),
        "the child ran no test:\n{stdout}"
    );
}

#[tokio::test]
async fn a_corrupt_file_degrades_to_misses_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 13) as u8).collect();
    std::fs::write(&path, &garbage).unwrap();

    assert!(matches!(
        DiskCache::try_open(&path),
        Err(CacheError::Open { .. })
    ));

    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::WARN);
    let disk = DiskCache::open(&path);
    let cache = disk_only(disk.clone());
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), cache.clone());
    for _ in 0..3 {
        let response = lm.call(ask("q")).await.unwrap();
        assert!(!response.cached);
    }
    assert_eq!(fake.calls(), 3);
    disk.flush();
    assert!(cache.stats().disk_errors >= 1);
    let text = logs.text();
    assert!(text.contains("WARN"), "{text}");
    assert!(text.contains("response cache"), "{text}");
    // The file is left as it was: never overwritten.
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[tokio::test]
async fn an_unreadable_row_is_a_miss_and_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let fake = FakeLm::new().shared();
    let disk = DiskCache::try_open(&path).unwrap();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    lm.call(ask("q")).await.unwrap();
    disk.flush();

    let conn = rusqlite::Connection::open(&path).unwrap();
    assert_eq!(
        conn.execute("UPDATE responses SET value = x'00ff'", [])
            .unwrap(),
        1
    );
    drop(conn);

    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::WARN);
    assert!(!lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 2);
    assert!(logs.text().contains("unreadable"), "{}", logs.text());
    disk.flush();
    assert!(lm.call(ask("q")).await.unwrap().cached);
    assert_eq!(fake.calls(), 2);
}

fn short_waits() -> DiskCacheOptions {
    DiskCacheOptions {
        read_timeout: Duration::from_millis(50),
        write_timeout: Duration::from_millis(50),
        cooldown: Duration::ZERO,
        ..DiskCacheOptions::default()
    }
}

#[tokio::test]
async fn a_file_locked_by_another_connection_degrades_to_misses_and_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    {
        let disk = DiskCache::try_open(&path).unwrap();
        Cache::new(FakeLm::new().shared(), disk_only(disk))
            .call(ask("stored"))
            .await
            .unwrap();
    }

    // Another connection takes the whole file for itself and keeps it.
    let locker = rusqlite::Connection::open(&path).unwrap();
    locker
        .execute_batch("PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;")
        .unwrap();

    assert!(matches!(
        DiskCache::try_open_with(&path, short_waits()),
        Err(CacheError::Open { .. })
    ));
    let logs = LogCapture::default();
    let guard = logs.install(tracing::Level::WARN);
    let disk = DiskCache::open_with(&path, short_waits());
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    let response = lm.call(ask("stored")).await.unwrap();
    assert!(!response.cached, "a locked file cannot answer");
    assert_eq!(fake.calls(), 1);
    let text = logs.text();
    assert!(text.contains("response cache unavailable"), "{text}");
    assert!(text.contains("response cache lookup failed"), "{text}");
    drop(guard);
    disk.flush(); // the write of the fresh answer fails too, quietly for the caller
    assert!(disk.errors() >= 2);

    drop(locker);
    assert!(lm.call(ask("stored")).await.unwrap().cached);
    assert_eq!(fake.calls(), 1);
}

#[tokio::test]
async fn a_long_write_transaction_elsewhere_blocks_only_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let disk = DiskCache::try_open_with(&path, short_waits()).unwrap();
    let fake = FakeLm::new().shared();
    let lm = Cache::new(fake.clone(), disk_only(disk.clone()));
    lm.call(ask("old")).await.unwrap();
    disk.flush();

    let writer = rusqlite::Connection::open(&path).unwrap();
    writer.execute_batch("BEGIN IMMEDIATE;").unwrap();
    // Readers are not blocked (WAL): stored answers still hit.
    assert!(lm.call(ask("old")).await.unwrap().cached);
    // New answers cannot be stored while the lock is held; the call still succeeds.
    let errors_before = disk.errors();
    assert!(!lm.call(ask("new")).await.unwrap().cached);
    disk.flush();
    assert_eq!(disk.errors(), errors_before + 1);
    writer.execute_batch("COMMIT;").unwrap();

    assert!(!lm.call(ask("new")).await.unwrap().cached);
    disk.flush();
    assert!(lm.call(ask("new")).await.unwrap().cached);
    assert_eq!(fake.calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_call_cancelled_before_its_answer_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cache.sqlite");
    let disk = DiskCache::try_open(&path).unwrap();
    let fake = FakeLm::new().shared();
    let lm = Arc::new(Cache::new(fake.clone(), disk_only(disk.clone())));
    let task = tokio::spawn({
        let lm = lm.clone();
        async move { lm.call(ask_slow("q", 1000)).await }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    task.abort();
    let _ = task.await;
    disk.flush();
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM responses", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
    assert_eq!(lm.cache().in_flight(), 0);
}

#[tokio::test]
async fn n_completions_are_one_entry() {
    let fake = FakeLm::new()
        .script(vec![Ok({
            let mut r = LmResponse::text("m", "one");
            r.choices.push(dspy_core::lm::Choice::text("two"));
            r
        })])
        .shared();
    let lm = Cache::new(fake.clone(), memory_cache());
    assert_eq!(lm.call(ask("q").n(2)).await.unwrap().choices.len(), 2);
    let hit = lm.call(ask("q").n(2)).await.unwrap();
    assert!(hit.cached);
    assert_eq!(hit.choices.len(), 2);
    assert_eq!(fake.calls(), 1);
}

// ---- size bound, read-only files, answers without completions (hardening item 8) ----
