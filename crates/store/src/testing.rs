//! Test support shared by every crate's tests: a fresh, isolated database
//! on SQLite (always) or PostgreSQL (when `CONGSO_TEST_DATABASE_URL` names a
//! server).
//!
//! Each PostgreSQL test gets its own database, created from the server in
//! the URL and dropped afterwards, so tests run in parallel without seeing
//! each other's rows.

use std::time::Duration;

use crate::db::{Db, DbOptions};
use crate::error::Result;

/// Environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_ENV: &str = "CONGSO_TEST_DATABASE_URL";
/// When set to 1, a missing [`POSTGRES_ENV`] fails the tests instead of
/// skipping the PostgreSQL half (CI sets it).
pub const REQUIRE_POSTGRES_ENV: &str = "CONGSO_REQUIRE_POSTGRES";

/// A database that lives as long as this value.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_database: Option<(String, String)>,
}

impl TestDb {
    /// A new SQLite database in a temporary directory.
    pub async fn sqlite() -> Result<TestDb> {
        let dir = tempfile::tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("test.sqlite3").display());
        let db = Db::open(&DbOptions::new(&url)).await?;
        Ok(TestDb {
            db,
            url,
            _dir: Some(dir),
            drop_database: None,
        })
    }

    /// A new PostgreSQL database, or `None` when no server is configured
    /// (panics instead if CI requires PostgreSQL).
    pub async fn postgres() -> Result<Option<TestDb>> {
        let Some(base_url) = postgres_url() else {
            return Ok(None);
        };
        let name = format!(
            "congso_test_{}",
            hex::encode(crate::secrets::random_bytes::<8>())
        );
        let admin = sqlx::PgPool::connect(&base_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let url = replace_database(&base_url, &name);
        let mut options = DbOptions::new(&url);
        options.max_connections = 4;
        options.acquire_timeout = Duration::from_secs(30);
        let db = Db::open(&options).await?;
        Ok(Some(TestDb {
            db,
            url,
            _dir: None,
            drop_database: Some((base_url, name)),
        }))
    }

    /// Closes the pools and drops a PostgreSQL test database.
    pub async fn cleanup(self) {
        self.db.close().await;
        if let Some((base_url, name)) = &self.drop_database {
            if let Ok(admin) = sqlx::PgPool::connect(base_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await;
                admin.close().await;
            }
        }
    }
}

/// The PostgreSQL URL for tests, if any.
///
/// # Panics
/// When CI requires PostgreSQL (`CONGSO_REQUIRE_POSTGRES=1`) but no URL is set.
#[allow(clippy::panic)]
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            if std::env::var(REQUIRE_POSTGRES_ENV).as_deref() == Ok("1") {
                panic!("{REQUIRE_POSTGRES_ENV}=1 but {POSTGRES_ENV} is not set");
            }
            eprintln!("note: {POSTGRES_ENV} is not set; skipping the PostgreSQL half of this test");
            None
        }
    }
}

fn replace_database(url: &str, database: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_path(&format!("/{database}"));
            parsed.to_string()
        }
        Err(_) => format!("{}/{database}", url.trim_end_matches('/')),
    }
}

/// Defines one test per backend from an async test body taking a `Db`.
///
/// ```text
/// conformance!(creates_users, |db| async move { ... });
/// ```
#[macro_export]
macro_rules! conformance {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test_db = $crate::testing::TestDb::sqlite()
                    .await
                    .expect("sqlite test db");
                let body = $body;
                body(test_db.db.clone()).await;
                test_db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(test_db) = $crate::testing::TestDb::postgres()
                    .await
                    .expect("postgres test db")
                else {
                    return;
                };
                let body = $body;
                body(test_db.db.clone()).await;
                test_db.cleanup().await;
            }
        }
    };
}
