//! congso persistence: one API over SQLite (the embedded default) and
//! PostgreSQL (for scale-out), selected at run time from the database URL.
//!
//! Both backends are driven through sqlx's native drivers, never its `Any`
//! driver. SQL text is written once with `$N` placeholders, which SQLite and
//! PostgreSQL both understand; the [`on_db!`] and [`in_tx!`] macros
//! instantiate each query for both drivers, so every query is type-checked
//! against both and cannot drift. Where the dialects differ (DDL, advisory
//! locks) the code matches on [`Db`] explicitly.

#[macro_use]
mod macros;

pub mod accounts;
pub mod archive;
pub mod blob;
pub mod data_services;
mod db;
pub mod documents;
mod error;
pub mod federation;
pub mod ledger;
pub mod mail;
pub mod pki;
pub mod portal;
pub mod portal_media;
pub mod secrets;
#[doc(hidden)]
pub mod testing;

pub use db::{redact_url, Backend, Db, DbOptions};
pub use error::StoreError;

/// The current time as a [`congso_core::time::Timestamp`].
pub fn now() -> congso_core::time::Timestamp {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    congso_core::time::Timestamp(micros)
}

/// Executes raw SQL against the database, bypassing every invariant. Only
/// for tests that tamper with storage to prove tampering is detected.
#[doc(hidden)]
pub async fn testing_raw_execute(db: &Db, sql: &str) -> Result<(), StoreError> {
    on_write!(db, |pool| {
        sqlx::query(sql).execute(pool).await?;
    });
    Ok(())
}

/// Runs one administrative statement (CREATE/DROP DATABASE) on the
/// PostgreSQL server named by `url`. Used by benchmarks for scratch databases.
#[doc(hidden)]
pub async fn testing_admin_execute(url: &str, statement: &str) -> Result<(), StoreError> {
    let pool = sqlx::PgPool::connect(url).await?;
    sqlx::query(statement).execute(&pool).await?;
    pool.close().await;
    Ok(())
}
