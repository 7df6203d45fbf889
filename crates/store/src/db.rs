//! Opening the database and running migrations.

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::{Result, StoreError};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database engine a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// How to open the database.
#[derive(Clone)]
pub struct DbOptions {
    /// `sqlite://PATH`, `sqlite:PATH` or `postgres://...`.
    pub url: String,
    /// Pool size for PostgreSQL and for SQLite's readers (SQLite always has
    /// exactly one writer connection).
    pub max_connections: u32,
    /// How long to wait for a connection before giving up.
    pub acquire_timeout: Duration,
}

impl std::fmt::Debug for DbOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DbOptions")
            .field("url", &redact_url(&self.url))
            .field("max_connections", &self.max_connections)
            .field("acquire_timeout", &self.acquire_timeout)
            .finish()
    }
}

impl DbOptions {
    pub fn new(url: impl Into<String>) -> Self {
        DbOptions {
            url: url.into(),
            max_connections: 8,
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// The SQLite backend: one writer connection and a pool of read-only readers.
///
/// SQLite allows one writer at a time. Funnelling every write through one
/// connection in-process avoids busy errors entirely; `BEGIN IMMEDIATE`
/// still serialises against other processes (the CLI against a running
/// node), which wait on the busy timeout.
#[derive(Clone, Debug)]
pub struct SqliteDb {
    pub(crate) read: SqlitePool,
    pub(crate) write: SqlitePool,
    path: PathBuf,
}

/// The PostgreSQL backend.
#[derive(Clone, Debug)]
pub struct PostgresDb {
    pub(crate) pool: PgPool,
}

/// A handle on the node's database, cheap to clone.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqliteDb),
    Postgres(PostgresDb),
}

/// Replaces the password in a URL with `***`, for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            // Setting a password only fails for URLs that cannot have one,
            // and this one already has one.
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        // Unparseable: never echo what may be credentials; keep the scheme
        // and what follows the last '@' so the operator still sees the host.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                format!("{}://***{}", &url[..scheme_end], &url[at..])
            }
            _ => url.to_owned(),
        },
    }
}

impl Db {
    /// Opens the database named by `options.url` and brings its schema up to
    /// date. Migrations are versioned and only ever added.
    pub async fn open(options: &DbOptions) -> Result<Db> {
        let db = Db::connect(options).await?;
        db.migrate().await?;
        if let Db::Sqlite(sqlite) = &db {
            // Readers are opened after migrating so they see the schema; they
            // are read-only, so a stray write through them fails loudly.
            let read = open_sqlite_pool(&sqlite.path, options, true).await?;
            return Ok(Db::Sqlite(SqliteDb {
                read,
                write: sqlite.write.clone(),
                path: sqlite.path.clone(),
            }));
        }
        Ok(db)
    }

    /// Connects without migrating (used by `open` and by `congso migrate`).
    pub async fn connect(options: &DbOptions) -> Result<Db> {
        let url = options.url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let connect_options =
                PgConnectOptions::from_str(url).map_err(|error| StoreError::InvalidUrl {
                    url: redact_url(url),
                    reason: error.to_string(),
                })?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections.max(2))
                .acquire_timeout(options.acquire_timeout)
                .connect_with(connect_options)
                .await
                .map_err(|error| StoreError::Open {
                    location: redact_url(url),
                    reason: describe_connect_error(&error),
                })?;
            return Ok(Db::Postgres(PostgresDb { pool }));
        }
        let path = sqlite_path(url)?;
        if let Some(parent) = path
            .parent()
            .filter(|parent| !parent.as_os_str().is_empty())
        {
            std::fs::create_dir_all(parent).map_err(|error| StoreError::Open {
                location: parent.display().to_string(),
                reason: format!("cannot create the directory: {error}"),
            })?;
        }
        let write = open_sqlite_pool(&path, options, false).await?;
        Ok(Db::Sqlite(SqliteDb {
            read: write.clone(),
            write,
            path,
        }))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies every migration not yet applied.
    pub async fn migrate(&self) -> Result<()> {
        match self {
            Db::Sqlite(sqlite) => SQLITE_MIGRATIONS.run(&sqlite.write).await?,
            Db::Postgres(postgres) => POSTGRES_MIGRATIONS.run(&postgres.pool).await?,
        }
        Ok(())
    }

    /// The newest migration version this binary knows.
    pub fn latest_known_migration() -> i64 {
        SQLITE_MIGRATIONS
            .iter()
            .map(|migration| migration.version)
            .max()
            .unwrap_or(0)
    }

    /// The newest migration applied to the database, if any.
    pub async fn applied_migration(&self) -> Result<Option<i64>> {
        let version: Option<i64> = on_db!(self, |pool| {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        Ok(version)
    }

    /// Whether the database answers and its schema is current (`/readyz`).
    pub async fn is_ready(&self) -> bool {
        matches!(self.applied_migration().await, Ok(Some(version)) if version >= Self::latest_known_migration())
    }

    /// Connection-pool figures for `/metrics`: (open connections, idle connections).
    pub fn pool_stats(&self) -> (u32, usize) {
        match self {
            Db::Sqlite(sqlite) => (
                sqlite.read.size() + sqlite.write.size(),
                sqlite.read.num_idle() + sqlite.write.num_idle(),
            ),
            Db::Postgres(postgres) => (postgres.pool.size(), postgres.pool.num_idle()),
        }
    }

    /// Closes every pooled connection, waiting for in-flight queries.
    pub async fn close(&self) {
        match self {
            Db::Sqlite(sqlite) => {
                sqlite.read.close().await;
                sqlite.write.close().await;
            }
            Db::Postgres(postgres) => postgres.pool.close().await,
        }
    }

    /// A short description for logs: backend and location, password masked.
    pub fn describe(&self) -> String {
        match self {
            Db::Sqlite(sqlite) => format!("sqlite {}", sqlite.path.display()),
            Db::Postgres(postgres) => {
                let options = postgres.pool.connect_options();
                format!(
                    "postgres {}:{}/{}",
                    options.get_host(),
                    options.get_port(),
                    options.get_database().unwrap_or("")
                )
            }
        }
    }
}

fn sqlite_path(url: &str) -> Result<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() {
        return Err(StoreError::InvalidUrl {
            url: url.to_owned(),
            reason: "no file path; use sqlite://PATH or postgres://USER@HOST/DB".to_owned(),
        });
    }
    if path == ":memory:" {
        return Err(StoreError::InvalidUrl {
            url: url.to_owned(),
            reason: "in-memory databases lose everything on exit; give a file path".to_owned(),
        });
    }
    Ok(PathBuf::from(path))
}

async fn open_sqlite_pool(
    path: &std::path::Path,
    options: &DbOptions,
    read_only: bool,
) -> Result<SqlitePool> {
    let connect_options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(!read_only)
        .read_only(read_only)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL makes every commit durable (the WAL is synced at commit), which
        // the ledger's group commit relies on when it says "recorded".
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(15))
        .pragma("temp_store", "memory")
        .pragma("cache_size", "-16000");
    let pool_options = SqlitePoolOptions::new()
        .max_connections(if read_only {
            options.max_connections.max(1)
        } else {
            1
        })
        .acquire_timeout(options.acquire_timeout);
    let pool = pool_options
        .connect_with(connect_options)
        .await
        .map_err(|error| StoreError::Open {
            location: path.display().to_string(),
            reason: describe_connect_error(&error),
        })?;
    // Touch the schema so a file that is not a SQLite database (or is
    // corrupt) is reported here, at start, with its path.
    sqlx::query("SELECT count(*) FROM sqlite_master")
        .execute(&pool)
        .await
        .map_err(|error| StoreError::Open {
            location: path.display().to_string(),
            reason: describe_connect_error(&error),
        })?;
    Ok(pool)
}

fn describe_connect_error(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Database(db_error) => {
            let message = db_error.message();
            if message.contains("not a database") || message.contains("malformed") {
                format!("{message} (the file is not a SQLite database or is corrupt; restore it from a backup)")
            } else {
                message.to_owned()
            }
        }
        sqlx::Error::Io(io_error) => format!("cannot reach the server: {io_error}"),
        sqlx::Error::PoolTimedOut => {
            "timed out waiting for a connection (is the server running and reachable?)".to_owned()
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redaction_hides_passwords_even_in_unparseable_urls() {
        assert_eq!(
            redact_url("postgres://u:pw@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(
            redact_url("sqlite://data/congso.db"),
            "sqlite://data/congso.db"
        );
        let broken = redact_url("smtp://user:secretpw@[::1");
        assert!(!broken.contains("secretpw"), "{broken}");
        assert_eq!(broken, "smtp://***@[::1");
    }
}
