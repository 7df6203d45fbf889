/// Runs `$body` with `$pool` bound to the backend's read pool.
///
/// The body is compiled once per backend, so the same SQL text and the same
/// row decoding are checked against both drivers.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.read;
                $body
            }
            $crate::db::Db::Postgres(postgres) => {
                let $pool = &postgres.pool;
                $body
            }
        }
    };
}

/// Runs `$body` inside a write transaction bound to `$tx` and commits it.
///
/// On SQLite the transaction starts with `BEGIN IMMEDIATE` on the single
/// writer connection, so a read-then-write transaction never fails to
/// upgrade its lock; on PostgreSQL it is a normal `BEGIN` (READ COMMITTED).
/// An early return (`?`) inside the body drops the transaction, which rolls
/// it back: nothing is half-written.
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(sqlite) => {
                let mut $tx = sqlite.write.begin_with("BEGIN IMMEDIATE").await?;
                let result = $body;
                $tx.commit().await?;
                result
            }
            $crate::db::Db::Postgres(postgres) => {
                let mut $tx = postgres.pool.begin().await?;
                let result = $body;
                $tx.commit().await?;
                result
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to a pool that may write (a single
/// statement, auto-committed). Use [`in_tx!`] for several statements.
macro_rules! on_write {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite(sqlite) => {
                let $pool = &sqlite.write;
                $body
            }
            $crate::db::Db::Postgres(postgres) => {
                let $pool = &postgres.pool;
                $body
            }
        }
    };
}
