//! Opening the cache file: read-write or read-only, readers, the writer, schema upgrades.

use super::*;

/// Creates the folder and file, switches to WAL and creates (or upgrades) the tables. A file
/// that exists but cannot be written is opened read-only instead.
pub(super) fn prepare(path: &Path, options: &DiskCacheOptions) -> Result<Access, CacheError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| CacheError::CreateDir {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let open_error = |e: rusqlite::Error| CacheError::Open {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let refused = match open_writer(path, options) {
        // SQLite opens a file it may not write read-only without saying so.
        Ok(conn) if conn.is_readonly(rusqlite::MAIN_DB).unwrap_or(false) => None,
        Ok(_) => return Ok(Access::ReadWrite),
        Err(e) if is_read_only_error(&e) && path.is_file() => Some(e),
        Err(e) => return Err(open_error(e)),
    };
    match open_read_only(path, options) {
        Ok(access) => {
            tracing::warn!(
                path = %path.display(),
                "response cache file is read-only; serving hits from it, not storing new answers"
            );
            Ok(access)
        }
        Err(e) => Err(open_error(refused.unwrap_or(e))),
    }
}

/// Errors that mean "this file cannot be written" rather than "this file is broken or busy".
pub(super) fn is_read_only_error(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::ReadOnly | ErrorCode::CannotOpen | ErrorCode::PermissionDenied)
    )
}

/// Opens `path` for reading only and checks the table can be read: as a normal read-only
/// connection, or, when SQLite cannot create the WAL's shared-memory file next to it (a
/// read-only folder), as an unchanging file.
pub(super) fn open_read_only(
    path: &Path,
    options: &DiskCacheOptions,
) -> Result<Access, rusqlite::Error> {
    let check = |access| -> Result<Access, rusqlite::Error> {
        let conn = open_reader(path, options, access)?;
        conn.query_row(
            "SELECT count(*) FROM responses WHERE key = x''",
            [],
            |row| row.get::<_, i64>(0),
        )?;
        Ok(access)
    };
    check(Access::ReadOnly).or_else(|error| match check(Access::Immutable) {
        Ok(access) => Ok(access),
        Err(_) => Err(error),
    })
}

/// A connection for lookups.
pub(super) fn open_reader(
    path: &Path,
    options: &DiskCacheOptions,
    access: Access,
) -> Result<Connection, rusqlite::Error> {
    let conn = match access {
        Access::ReadWrite => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
        Access::ReadOnly => Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?,
        Access::Immutable => Connection::open_with_flags(
            format!("{}?immutable=1", file_uri(path)),
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI,
        )?,
    };
    conn.busy_timeout(options.read_timeout)?;
    Ok(conn)
}

/// `path` as an SQLite `file:` URI, every byte that could be read as URI syntax escaped.
pub(super) fn file_uri(path: &Path) -> String {
    use std::fmt::Write;
    let mut uri = String::from("file:");
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_' | b'~') {
            uri.push(char::from(b));
        } else {
            let _ = write!(uri, "%{b:02X}");
        }
    }
    uri
}

pub(super) fn open_writer(
    path: &Path,
    options: &DiskCacheOptions,
) -> Result<Connection, rusqlite::Error> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(options.write_timeout)?;
    // `journal_mode` answers with the mode in force; the file keeps WAL once set.
    let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
    conn.execute_batch("PRAGMA synchronous=NORMAL;")?;
    if schema_version(&conn)? < SCHEMA_VERSION && !conn.is_readonly(rusqlite::MAIN_DB)? {
        upgrade(&mut conn)?;
    }
    Ok(conn)
}

pub(super) fn schema_version(conn: &Connection) -> Result<i64, rusqlite::Error> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Creates the table, or upgrades one written by an earlier version: adds `used_at` (when an
/// answer was last stored or read, in nanoseconds since 1970; old rows get their `created_at`)
/// and the size counters with the triggers that keep them exact. One transaction, so
/// processes opening the file together do it once.
pub(super) fn upgrade(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if schema_version(&tx)? >= SCHEMA_VERSION {
        return tx.commit();
    }
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS responses (
             key BLOB PRIMARY KEY NOT NULL,
             value BLOB NOT NULL,
             created_at INTEGER NOT NULL,
             used_at INTEGER NOT NULL DEFAULT 0
         ) WITHOUT ROWID;",
    )?;
    let has_used_at: i64 = tx.query_row(
        "SELECT count(*) FROM pragma_table_info('responses') WHERE name = 'used_at'",
        [],
        |row| row.get(0),
    )?;
    if has_used_at == 0 {
        tx.execute_batch(
            "ALTER TABLE responses ADD COLUMN used_at INTEGER NOT NULL DEFAULT 0;
             UPDATE responses SET used_at = created_at * 1000000000;",
        )?;
    }
    // An insert replacing a row does not fire delete triggers (recursive triggers are off),
    // so the insert trigger takes the replaced row off first.
    tx.execute_batch(
        "CREATE INDEX IF NOT EXISTS responses_by_use ON responses (used_at);
         CREATE TABLE IF NOT EXISTS cache_size (
             id INTEGER PRIMARY KEY CHECK (id = 1),
             entries INTEGER NOT NULL,
             bytes INTEGER NOT NULL
         );
         CREATE TRIGGER IF NOT EXISTS cache_size_replace BEFORE INSERT ON responses
         WHEN EXISTS (SELECT 1 FROM responses WHERE key = NEW.key) BEGIN
             UPDATE cache_size SET entries = entries - 1,
                 bytes = bytes - (SELECT length(value) FROM responses WHERE key = NEW.key)
             WHERE id = 1;
         END;
         CREATE TRIGGER IF NOT EXISTS cache_size_insert AFTER INSERT ON responses BEGIN
             UPDATE cache_size SET entries = entries + 1, bytes = bytes + length(NEW.value)
             WHERE id = 1;
         END;
         CREATE TRIGGER IF NOT EXISTS cache_size_delete AFTER DELETE ON responses BEGIN
             UPDATE cache_size SET entries = entries - 1, bytes = bytes - length(OLD.value)
             WHERE id = 1;
         END;
         CREATE TRIGGER IF NOT EXISTS cache_size_update AFTER UPDATE OF value ON responses BEGIN
             UPDATE cache_size SET bytes = bytes - length(OLD.value) + length(NEW.value)
             WHERE id = 1;
         END;
         DELETE FROM cache_size;
         INSERT INTO cache_size (id, entries, bytes)
             SELECT 1, count(*), coalesce(sum(length(value)), 0) FROM responses;",
    )?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()
}
