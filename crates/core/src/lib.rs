//! congso domain types shared by every other crate: roles, the permission
//! matrix, account kinds and audit-event vocabulary.
//!
//! This crate is pure: no IO, no async, no database. Everything here can be
//! tested without setup, and every other crate can depend on it cheaply.

pub mod access;
pub mod audit;
pub mod time;

pub use access::{Action, Role, RoleSet};
