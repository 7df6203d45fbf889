//! The HTTP-level test suite of the web crate.
//!
//! Every test builds the whole router in-process with `congso_web::app`
//! over a fresh database and drives it with `tower::ServiceExt::oneshot`,
//! as a browser would: cookies are kept, forms are fetched before they are
//! submitted and their CSRF tokens sent back. Each test runs twice, on
//! SQLite and on PostgreSQL (when `CONGSO_TEST_DATABASE_URL` names a server),
//! through the store's `conformance!` macro.
//!
//! All tests live in one binary so the crate links one test executable.

#![allow(clippy::unwrap_used, clippy::expect_used)]

/// Defines, for each `async fn(Db)` named, one test on SQLite and one on
/// PostgreSQL, in a module of the same name.
macro_rules! on_both_databases {
    ($($name:ident),+ $(,)?) => {
        $( congso_store::conformance!($name, |db| $name(db)); )+
    };
}

mod harness;

mod admin;
mod api;
mod csrf;
mod data_services;
mod documents;
mod i18n;
mod ledger;
mod limits;
mod login;
mod matrix;
mod portal;
mod reset;
mod sessions;
mod totp;
