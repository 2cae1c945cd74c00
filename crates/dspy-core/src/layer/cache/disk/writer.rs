//! The background writer: batches of stores and touches, one transaction each, and eviction
//! down to the size bound.

use super::*;

/// Now, in nanoseconds since 1970 (0 if the clock is before it): when an answer was used.
pub(super) fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(super) fn write_loop(
    path: &Path,
    options: &DiskCacheOptions,
    rx: &Receiver<WriteOp>,
    errors: &AtomicU64,
) {
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
            // Marking answers used only orders evictions: when that alone fails (the file is
            // busy), nothing was lost and nothing is reported.
            let advisory = batch.iter().all(|op| matches!(op, WriteOp::Touch(..)));
            if conn.is_none() {
                match open_writer(path, options) {
                    Ok(c) => conn = Some(c),
                    Err(error) if advisory => {
                        tracing::debug!(%error, "response cache busy; answers not marked as used");
                    }
                    Err(error) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        if warnings.allow() {
                            tracing::warn!(path = %path.display(), %error, dropped = batch.len(), "could not open the response cache for writing; answers not stored");
                        }
                    }
                }
            }
            if let Some(c) = conn.as_mut() {
                match write_batch(c, &batch, options) {
                    Ok(()) => warnings.reset(),
                    Err(error) if advisory => {
                        tracing::debug!(%error, "response cache busy; answers not marked as used");
                    }
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
pub(super) struct WarnEvery {
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

pub(super) fn write_batch(
    conn: &mut Connection,
    batch: &[WriteOp],
    options: &DiskCacheOptions,
) -> Result<(), rusqlite::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut stored = false;
    {
        let mut put = tx.prepare_cached(
            "INSERT OR REPLACE INTO responses (key, value, created_at, used_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?;
        let mut touch =
            tx.prepare_cached("UPDATE responses SET used_at = max(used_at, ?2) WHERE key = ?1")?;
        let mut remove = tx.prepare_cached("DELETE FROM responses WHERE key = ?1")?;
        for op in batch {
            match op {
                WriteOp::Put(key, response, used_at) => {
                    // An answer that does not serialize is skipped, never half-written.
                    if let Ok(bytes) = serde_json::to_vec(&**response) {
                        put.execute(params![&key.as_bytes()[..], bytes, now, used_at])?;
                        stored = true;
                    }
                }
                WriteOp::Touch(key, used_at) => {
                    touch.execute(params![&key.as_bytes()[..], used_at])?;
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
    if stored && options.bounded() {
        let evicted = evict(&tx, options)?;
        if evicted > 0 {
            tracing::debug!(
                evicted,
                "response cache over its size limit; least recently used answers deleted"
            );
        }
    }
    tx.commit()
}

/// Deletes the least recently used answers until the file is within the options' limits;
/// returns how many.
pub(super) fn evict(
    tx: &Transaction<'_>,
    options: &DiskCacheOptions,
) -> Result<usize, rusqlite::Error> {
    let Some((entries, bytes)) = tx
        .query_row(
            "SELECT entries, bytes FROM cache_size WHERE id = 1",
            [],
            |row| Ok((row.get::<_, i64>(0)?, row.get::<_, i64>(1)?)),
        )
        .optional()?
    else {
        return Ok(0);
    };
    let limit = |max: Option<u64>| max.map_or(i64::MAX, |m| i64::try_from(m).unwrap_or(i64::MAX));
    let excess_entries = entries.saturating_sub(limit(options.max_entries)).max(0);
    let excess_bytes = bytes.saturating_sub(limit(options.max_bytes)).max(0);
    if excess_entries == 0 && excess_bytes == 0 {
        return Ok(0);
    }
    let mut victims: Vec<Vec<u8>> = Vec::new();
    {
        let mut oldest =
            tx.prepare_cached("SELECT key, length(value) FROM responses ORDER BY used_at, key")?;
        let mut rows = oldest.query([])?;
        let (mut freed_entries, mut freed_bytes) = (0i64, 0i64);
        while freed_entries < excess_entries || freed_bytes < excess_bytes {
            let Some(row) = rows.next()? else {
                break;
            };
            victims.push(row.get(0)?);
            freed_entries += 1;
            freed_bytes = freed_bytes.saturating_add(row.get(1)?);
        }
    }
    let mut remove = tx.prepare_cached("DELETE FROM responses WHERE key = ?1")?;
    for key in &victims {
        remove.execute([key])?;
    }
    Ok(victims.len())
}
