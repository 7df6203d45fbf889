//! Organisations, accounts, roles, sessions, login throttling, CSRF replay
//! protection and password-reset tokens.

use congso_core::access::{AccountKind, RoleSet};
use congso_core::time::Timestamp;
use serde::Serialize;
use sqlx::Row;

use crate::db::Db;
use crate::error::{Result, StoreError};

// ---------------------------------------------------------------- organisations

/// An agency (cơ quan) or one of its units (đơn vị).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub kind: String,
    pub organ_code: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

/// What is needed to create an organisation record.
#[derive(Debug, Clone, Default)]
pub struct NewOrganization {
    pub parent_id: Option<i64>,
    /// `agency` or `unit`.
    pub kind: String,
    pub organ_code: Option<String>,
    pub name: String,
    pub name_en: Option<String>,
    pub short_name: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
}

const ORGANIZATION_COLUMNS: &str =
    "id, parent_id, kind, organ_code, name, name_en, short_name, address, phone, email, website";

fn organization_from_row<R: Row>(row: &R) -> Result<Organization>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(Organization {
        id: row.try_get("id")?,
        parent_id: row.try_get("parent_id")?,
        kind: row.try_get("kind")?,
        organ_code: row.try_get("organ_code")?,
        name: row.try_get("name")?,
        name_en: row.try_get("name_en")?,
        short_name: row.try_get("short_name")?,
        address: row.try_get("address")?,
        phone: row.try_get("phone")?,
        email: row.try_get("email")?,
        website: row.try_get("website")?,
    })
}

pub async fn create_organization(db: &Db, new: &NewOrganization) -> Result<i64> {
    if new.kind != "agency" && new.kind != "unit" {
        return Err(StoreError::Invalid(format!(
            "organisation kind must be agency or unit, not {:?}",
            new.kind
        )));
    }
    if new.name.trim().is_empty() {
        return Err(StoreError::Invalid("organisation name is empty".to_owned()));
    }
    check_text("organisation name", &new.name, 300)?;
    for (field, value) in [
        ("organ code", &new.organ_code),
        ("English name", &new.name_en),
        ("short name", &new.short_name),
        ("address", &new.address),
        ("phone", &new.phone),
        ("email", &new.email),
        ("website", &new.website),
    ] {
        check_text(field, value.as_deref().unwrap_or(""), 300)?;
    }
    let now = crate::now().micros();
    let result = on_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO organizations (parent_id, kind, organ_code, name, name_en, short_name, \
             address, phone, email, website, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
        )
        .bind(new.parent_id)
        .bind(&new.kind)
        .bind(&new.organ_code)
        .bind(&new.name)
        .bind(&new.name_en)
        .bind(&new.short_name)
        .bind(&new.address)
        .bind(&new.phone)
        .bind(&new.email)
        .bind(&new.website)
        .bind(now)
        .fetch_one(pool)
        .await
    });
    result.map_err(|error| {
        let error = StoreError::from(error);
        if error.is_unique_violation() {
            StoreError::Conflict(format!(
                "organ code {} is already registered",
                new.organ_code.as_deref().unwrap_or("")
            ))
        } else {
            error
        }
    })
}

pub async fn list_organizations(db: &Db) -> Result<Vec<Organization>> {
    let sql = format!("SELECT {ORGANIZATION_COLUMNS} FROM organizations ORDER BY id");
    on_db!(db, |pool| {
        let rows = sqlx::query(&sql).fetch_all(pool).await?;
        rows.iter().map(organization_from_row).collect()
    })
}

/// The node's own agency: the first top-level organisation of kind `agency`.
pub async fn home_agency(db: &Db) -> Result<Option<Organization>> {
    let sql = format!(
        "SELECT {ORGANIZATION_COLUMNS} FROM organizations \
         WHERE parent_id IS NULL AND kind = 'agency' ORDER BY id LIMIT 1"
    );
    on_db!(db, |pool| {
        let row = sqlx::query(&sql).fetch_optional(pool).await?;
        row.as_ref().map(organization_from_row).transpose()
    })
}

// ---------------------------------------------------------------- users

/// An account as the rest of the node sees it (no secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    #[serde(serialize_with = "serialize_kind")]
    pub kind: AccountKind,
    pub organization_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position: Option<String>,
    #[serde(serialize_with = "serialize_roles")]
    pub roles: RoleSet,
    pub disabled: bool,
    pub has_totp: bool,
    pub must_change_password: bool,
    pub language: Option<String>,
    pub created_at: i64,
    pub password_changed_at: i64,
}

fn serialize_kind<S: serde::Serializer>(
    kind: &AccountKind,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(kind.code())
}

fn serialize_roles<S: serde::Serializer>(
    roles: &RoleSet,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(None)?;
    for role in roles.iter() {
        seq.serialize_element(role.code())?;
    }
    seq.end()
}

/// An account with the credentials needed to authenticate it.
#[derive(Clone)]
pub struct UserCredentials {
    pub user: User,
    pub password_hash: String,
    pub totp_secret_sealed: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
}

impl std::fmt::Debug for UserCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserCredentials")
            .field("user", &self.user)
            .field("password_hash", &"***")
            .field(
                "totp_secret_sealed",
                &self.totp_secret_sealed.as_ref().map(|_| "***"),
            )
            .finish()
    }
}

/// What is needed to create an account.
#[derive(Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    pub kind: AccountKind,
    pub organization_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub position: Option<String>,
    pub roles: RoleSet,
    pub password_hash: String,
    pub must_change_password: bool,
}

/// Checks a login name: 3–64 characters of `a-z 0-9 . _ -`, starting with a
/// letter or digit. Returns the canonical (lower-case) form.
pub fn canonical_username(raw: &str) -> std::result::Result<String, String> {
    let name = raw.trim().to_ascii_lowercase();
    if name.len() < 3 || name.len() > 64 {
        return Err(format!(
            "username must be 3 to 64 characters long, found {}",
            name.chars().count()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "username may contain only a-z, 0-9, '.', '_' and '-'; found {bad:?}"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return Err("username must start with a letter or a digit".to_owned());
    }
    Ok(name)
}

const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.email, u.kind, u.organization_id, \
    u.unit_id, u.position, u.disabled, u.must_change_password, u.language, u.created_at, \
    u.password_changed_at, u.password_hash, u.totp_secret_sealed, u.totp_last_step";

/// Decodes the common user columns; roles are filled in separately.
fn user_from_row<R: Row>(row: &R) -> Result<UserCredentials>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> bool: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let kind_code: String = row.try_get("kind")?;
    let kind = AccountKind::from_code(&kind_code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown account kind {kind_code:?}")))?;
    let totp_secret_sealed: Option<Vec<u8>> = row.try_get("totp_secret_sealed")?;
    Ok(UserCredentials {
        user: User {
            id: row.try_get("id")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
            email: row.try_get("email")?,
            kind,
            organization_id: row.try_get("organization_id")?,
            unit_id: row.try_get("unit_id")?,
            position: row.try_get("position")?,
            roles: RoleSet::EMPTY,
            disabled: row.try_get("disabled")?,
            has_totp: totp_secret_sealed.is_some(),
            must_change_password: row.try_get("must_change_password")?,
            language: row.try_get("language")?,
            created_at: row.try_get("created_at")?,
            password_changed_at: row.try_get("password_changed_at")?,
        },
        password_hash: row.try_get("password_hash")?,
        totp_secret_sealed,
        totp_last_step: row.try_get("totp_last_step")?,
    })
}

fn user_select(filter: &str) -> String {
    format!("SELECT {USER_COLUMNS} FROM users u {filter}")
}

async fn roles_of(db: &Db, user_id: i64) -> Result<RoleSet> {
    let codes: Vec<String> = on_db!(db, |pool| {
        sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1")
            .bind(user_id)
            .fetch_all(pool)
            .await?
    });
    let mut roles = RoleSet::EMPTY;
    for code in codes {
        roles.insert(
            code.parse()
                .map_err(|_| StoreError::Corrupt(format!("unknown role {code:?} stored")))?,
        );
    }
    Ok(roles)
}

/// Checks a free-text field: bounded length, no control characters.
fn check_text(field: &str, value: &str, max_chars: usize) -> Result<()> {
    if value.chars().count() > max_chars {
        return Err(StoreError::Invalid(format!(
            "{field} is longer than {max_chars} characters"
        )));
    }
    if let Some(bad) = value.chars().find(|c| c.is_control()) {
        return Err(StoreError::Invalid(format!(
            "{field} contains the control character {bad:?}"
        )));
    }
    Ok(())
}

pub async fn create_user(db: &Db, new: &NewUser) -> Result<i64> {
    let username = canonical_username(&new.username).map_err(StoreError::Invalid)?;
    check_text("display name", &new.display_name, 200)?;
    check_text("email", new.email.as_deref().unwrap_or(""), 254)?;
    check_text("position", new.position.as_deref().unwrap_or(""), 200)?;
    new.roles
        .validate_for(new.kind)
        .map_err(|error| StoreError::Invalid(error.to_string()))?;
    if new.display_name.trim().is_empty() {
        return Err(StoreError::Invalid("display name is empty".to_owned()));
    }
    let now = crate::now().micros();
    let inserted: std::result::Result<i64, StoreError> = async {
        Ok(in_tx!(db, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO users (username, display_name, email, kind, organization_id, unit_id, \
                 position, password_hash, must_change_password, created_at, updated_at, \
                 password_changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $10) RETURNING id",
            )
            .bind(&username)
            .bind(new.display_name.trim())
            .bind(&new.email)
            .bind(new.kind.code())
            .bind(new.organization_id)
            .bind(new.unit_id)
            .bind(&new.position)
            .bind(&new.password_hash)
            .bind(new.must_change_password)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for role in new.roles.iter() {
                sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                    .bind(id)
                    .bind(role.code())
                    .execute(&mut *tx)
                    .await?;
            }
            id
        }))
    }
    .await;
    inserted.map_err(|error| {
        if error.is_unique_violation() {
            StoreError::Conflict(format!("username {username} is already taken"))
        } else {
            error
        }
    })
}

/// Looks an account up by login name (any case), with its credentials.
pub async fn find_credentials(db: &Db, username: &str) -> Result<Option<UserCredentials>> {
    let sql = user_select("WHERE u.username = $1");
    let name = username.trim().to_ascii_lowercase();
    // No account name holds anything but a-z 0-9 . _ - (see
    // `canonical_username`); anything else names nobody, and must not reach
    // PostgreSQL, which refuses NUL in text.
    if canonical_username(&name).is_err() {
        return Ok(None);
    }
    let found = on_db!(db, |pool| {
        let row = sqlx::query(&sql).bind(&name).fetch_optional(pool).await?;
        row.as_ref().map(user_from_row).transpose()?
    });
    match found {
        Some(mut credentials) => {
            credentials.user.roles = roles_of(db, credentials.user.id).await?;
            Ok(Some(credentials))
        }
        None => Ok(None),
    }
}

pub async fn credentials_by_id(db: &Db, id: i64) -> Result<Option<UserCredentials>> {
    let sql = user_select("WHERE u.id = $1");
    let found = on_db!(db, |pool| {
        let row = sqlx::query(&sql).bind(id).fetch_optional(pool).await?;
        row.as_ref().map(user_from_row).transpose()?
    });
    match found {
        Some(mut credentials) => {
            credentials.user.roles = roles_of(db, credentials.user.id).await?;
            Ok(Some(credentials))
        }
        None => Ok(None),
    }
}

pub async fn get_user(db: &Db, id: i64) -> Result<Option<User>> {
    Ok(credentials_by_id(db, id)
        .await?
        .map(|credentials| credentials.user))
}

pub async fn list_users(db: &Db) -> Result<Vec<User>> {
    let sql = user_select("ORDER BY u.kind DESC, u.username");
    let mut users: Vec<User> = on_db!(db, |pool| {
        let rows = sqlx::query(&sql).fetch_all(pool).await?;
        rows.iter()
            .map(|row| user_from_row(row).map(|credentials| credentials.user))
            .collect::<Result<Vec<_>>>()?
    });
    let pairs: Vec<(i64, String)> = on_db!(db, |pool| {
        sqlx::query_as("SELECT user_id, role FROM user_roles")
            .fetch_all(pool)
            .await?
    });
    for (user_id, code) in pairs {
        if let Some(user) = users.iter_mut().find(|user| user.id == user_id) {
            user.roles.insert(
                code.parse()
                    .map_err(|_| StoreError::Corrupt(format!("unknown role {code:?} stored")))?,
            );
        }
    }
    Ok(users)
}

/// Replaces an account's roles.
pub async fn set_roles(db: &Db, user_id: i64, roles: RoleSet) -> Result<()> {
    let user = get_user(db, user_id)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("user {user_id}")))?;
    roles
        .validate_for(user.kind)
        .map_err(|error| StoreError::Invalid(error.to_string()))?;
    let now = crate::now().micros();
    in_tx!(db, |tx| {
        sqlx::query("DELETE FROM user_roles WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        for role in roles.iter() {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                .bind(user_id)
                .bind(role.code())
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("UPDATE users SET updated_at = $1 WHERE id = $2")
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}

/// Sets a new password hash and ends every session of the account.
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &str,
    must_change_password: bool,
) -> Result<()> {
    let now = crate::now().micros();
    in_tx!(db, |tx| {
        let updated = sqlx::query(
            "UPDATE users SET password_hash = $1, must_change_password = $2, \
             password_changed_at = $3, updated_at = $3 WHERE id = $4",
        )
        .bind(password_hash)
        .bind(must_change_password)
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    });
    Ok(())
}

/// Disables or re-enables an account; disabling ends its sessions.
pub async fn set_disabled(db: &Db, user_id: i64, disabled: bool) -> Result<()> {
    let now = crate::now().micros();
    in_tx!(db, |tx| {
        let updated = sqlx::query("UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3")
            .bind(disabled)
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::not_found(format!("user {user_id}")));
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
    });
    Ok(())
}

/// Stores (or with `None` removes) an account's sealed TOTP secret.
pub async fn set_totp_secret(db: &Db, user_id: i64, sealed: Option<&[u8]>) -> Result<()> {
    let now = crate::now().micros();
    on_write!(db, |pool| {
        sqlx::query(
            "UPDATE users SET totp_secret_sealed = $1, totp_last_step = NULL, updated_at = $2 \
             WHERE id = $3",
        )
        .bind(sealed)
        .bind(now)
        .bind(user_id)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Records that a TOTP time step was used. Returns false if this step (or a
/// later one) was already used, so a code can never be replayed.
pub async fn claim_totp_step(db: &Db, user_id: i64, step: i64) -> Result<bool> {
    let updated = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE users SET totp_last_step = $1 \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)",
        )
        .bind(step)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(updated == 1)
}

pub async fn set_language(db: &Db, user_id: i64, language: &str) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(user_id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

// ---------------------------------------------------------------- sessions

/// How far a session has come through login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// Password accepted; the TOTP code is still to be given.
    SecondFactor,
    /// Password accepted; the account must enrol a second factor before
    /// anything else (administrators).
    EnrollSecondFactor,
    /// Fully signed in.
    Full,
}

impl SessionStage {
    pub fn code(self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::EnrollSecondFactor => "enroll_second_factor",
            SessionStage::Full => "full",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "second_factor" => Some(SessionStage::SecondFactor),
            "enroll_second_factor" => Some(SessionStage::EnrollSecondFactor),
            "full" => Some(SessionStage::Full),
            _ => None,
        }
    }
}

/// A server-side session. The cookie holds a random token; only its SHA-256
/// is stored, so a database reader cannot hijack sessions.
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: Vec<u8>,
    pub user_id: i64,
    pub stage: SessionStage,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

pub struct NewSession<'a> {
    pub id_hash: &'a [u8],
    pub user_id: i64,
    pub stage: SessionStage,
    pub expires_at: Timestamp,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn create_session(db: &Db, new: &NewSession<'_>) -> Result<()> {
    let now = crate::now().micros();
    let user_agent: String = new.user_agent.chars().take(300).collect();
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at, expires_at, \
             ip, user_agent) VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
        )
        .bind(new.id_hash)
        .bind(new.user_id)
        .bind(new.stage.code())
        .bind(now)
        .bind(new.expires_at.micros())
        .bind(new.ip)
        .bind(&user_agent)
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Returns the live session with this token hash, if any.
pub async fn get_session(db: &Db, id_hash: &[u8], now: Timestamp) -> Result<Option<Session>> {
    let row: Option<(Vec<u8>, i64, String, i64, i64, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id_hash, user_id, stage, created_at, last_seen_at, expires_at FROM sessions \
             WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now.micros())
        .fetch_optional(pool)
        .await?
    });
    row.map(
        |(id_hash, user_id, stage, created_at, last_seen_at, expires_at)| {
            Ok(Session {
                id_hash,
                user_id,
                stage: SessionStage::from_code(&stage).ok_or_else(|| {
                    StoreError::Corrupt(format!("unknown session stage {stage:?}"))
                })?,
                created_at,
                last_seen_at,
                expires_at,
            })
        },
    )
    .transpose()
}

/// Extends a session's idle expiry (never beyond its absolute limit, which
/// the caller computes).
pub async fn touch_session(
    db: &Db,
    id_hash: &[u8],
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
            .bind(now.micros())
            .bind(expires_at.micros())
            .bind(id_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Moves a session to a new stage under a new token (the old token stops
/// working, which defeats session fixation across the login steps).
pub async fn promote_session(
    db: &Db,
    old_id_hash: &[u8],
    new_id_hash: &[u8],
    stage: SessionStage,
) -> Result<bool> {
    let updated = on_write!(db, |pool| {
        sqlx::query("UPDATE sessions SET id_hash = $1, stage = $2 WHERE id_hash = $3")
            .bind(new_id_hash)
            .bind(stage.code())
            .bind(old_id_hash)
            .execute(pool)
            .await?
            .rows_affected()
    });
    Ok(updated == 1)
}

pub async fn delete_session(db: &Db, id_hash: &[u8]) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Ends every session of an account except, optionally, one.
pub async fn delete_user_sessions(db: &Db, user_id: i64, keep: Option<&[u8]>) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
            .bind(user_id)
            .bind(keep.unwrap_or(&[]))
            .execute(pool)
            .await?;
    });
    Ok(())
}

/// Deletes expired sessions, used CSRF nonces and reset tokens.
pub async fn purge_expired(db: &Db, now: Timestamp) -> Result<u64> {
    let removed = in_tx!(db, |tx| {
        let mut removed = 0;
        for sql in [
            "DELETE FROM sessions WHERE expires_at <= $1",
            "DELETE FROM csrf_used WHERE expires_at <= $1",
            "DELETE FROM password_resets WHERE expires_at <= $1",
        ] {
            removed += sqlx::query(sql)
                .bind(now.micros())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        removed
    });
    Ok(removed)
}

// ---------------------------------------------------------------- login throttling

/// Failed-login state for one login name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub last_failure_at: i64,
    pub locked_until: Option<i64>,
}

pub async fn throttle(db: &Db, subject: &str) -> Result<Option<Throttle>> {
    let row: Option<(i64, i64, Option<i64>)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT failures, last_failure_at, locked_until FROM login_throttle WHERE subject = $1",
        )
        .bind(subject)
        .fetch_optional(pool)
        .await?
    });
    Ok(
        row.map(|(failures, last_failure_at, locked_until)| Throttle {
            failures,
            last_failure_at,
            locked_until,
        }),
    )
}

/// Counts one failed login; at `max_failures` the subject is locked until
/// `now + lockout_seconds`. Returns the new state.
pub async fn record_login_failure(
    db: &Db,
    subject: &str,
    now: Timestamp,
    max_failures: i64,
    lockout_seconds: i64,
) -> Result<Throttle> {
    let lock_until = now.plus_seconds(lockout_seconds).micros();
    let row: (i64, i64, Option<i64>) = on_write!(db, |pool| {
        sqlx::query_as(
            "INSERT INTO login_throttle (subject, failures, last_failure_at, locked_until) \
             VALUES ($1, 1, $2, CASE WHEN 1 >= $3 THEN $4 ELSE NULL END) \
             ON CONFLICT (subject) DO UPDATE SET \
               failures = login_throttle.failures + 1, \
               last_failure_at = excluded.last_failure_at, \
               locked_until = CASE WHEN login_throttle.failures + 1 >= $3 THEN $4 \
                                   ELSE login_throttle.locked_until END \
             RETURNING failures, last_failure_at, locked_until",
        )
        .bind(subject)
        .bind(now.micros())
        .bind(max_failures)
        .bind(lock_until)
        .fetch_one(pool)
        .await?
    });
    Ok(Throttle {
        failures: row.0,
        last_failure_at: row.1,
        locked_until: row.2,
    })
}

pub async fn clear_login_failures(db: &Db, subject: &str) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query("DELETE FROM login_throttle WHERE subject = $1")
            .bind(subject)
            .execute(pool)
            .await?;
    });
    Ok(())
}

// ---------------------------------------------------------------- CSRF and reset tokens

/// Marks a CSRF nonce as used. Returns false if it was used before (a replay).
pub async fn consume_csrf_nonce(db: &Db, nonce: &[u8], expires_at: Timestamp) -> Result<bool> {
    let inserted = on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO csrf_used (nonce, expires_at) VALUES ($1, $2) ON CONFLICT (nonce) DO NOTHING",
        )
        .bind(nonce)
        .bind(expires_at.micros())
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(inserted == 1)
}

pub async fn create_password_reset(
    db: &Db,
    token_hash: &[u8],
    user_id: i64,
    expires_at: Timestamp,
) -> Result<()> {
    let now = crate::now().micros();
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO password_resets (token_hash, user_id, created_at, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at.micros())
        .execute(pool)
        .await?;
    });
    Ok(())
}

/// Returns the account a live, unused reset token belongs to, without using it.
pub async fn peek_password_reset(
    db: &Db,
    token_hash: &[u8],
    now: Timestamp,
) -> Result<Option<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT user_id FROM password_resets \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.micros())
        .fetch_optional(pool)
        .await?
    }))
}

/// Uses a reset token once. Returns the account it belongs to, or `None` if
/// it is unknown, expired or already used.
pub async fn consume_password_reset(
    db: &Db,
    token_hash: &[u8],
    now: Timestamp,
) -> Result<Option<i64>> {
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar(
            "UPDATE password_resets SET used_at = $2 \
             WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now.micros())
        .fetch_optional(pool)
        .await?
    }))
}

/// SHA-256 of an account's current record (no secrets: the `User` view),
/// recorded in the ledger with every change to the account so an auditor
/// can tell which state an entry produced.
pub async fn user_digest(db: &Db, user_id: i64) -> Result<[u8; 32]> {
    use sha2::{Digest, Sha256};
    let user = get_user(db, user_id)
        .await?
        .ok_or_else(|| StoreError::not_found(format!("user {user_id}")))?;
    let bytes =
        serde_json::to_vec(&user).map_err(|error| StoreError::Corrupt(error.to_string()))?;
    Ok(Sha256::digest(&bytes).into())
}

// ---------------------------------------------------------------- personal API tokens

/// A personal API token as its owner sees it (never the token itself: only
/// its SHA-256 is stored, and the token is shown once when created).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

type ApiTokenTuple = (
    i64,
    i64,
    String,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);

fn api_token_of(row: ApiTokenTuple) -> ApiToken {
    let (id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at) = row;
    ApiToken {
        id,
        user_id,
        name,
        prefix,
        created_at,
        expires_at,
        last_used_at,
        revoked_at,
    }
}

/// Most live tokens one account may hold.
pub const MAX_API_TOKENS_PER_USER: i64 = 20;

/// Stores a new token (its hash) for `user_id`; refused when the account
/// already holds [`MAX_API_TOKENS_PER_USER`] live tokens.
pub async fn create_api_token(
    db: &Db,
    user_id: i64,
    name: &str,
    token_hash: &[u8],
    prefix: &str,
    expires_at: Timestamp,
) -> Result<i64> {
    let name: String = name
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if name.is_empty() {
        return Err(StoreError::Invalid("a token needs a name".to_owned()));
    }
    let now = crate::now().micros();
    let id = in_tx!(db, |tx| {
        let live: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
             AND expires_at > $2",
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        if live >= MAX_API_TOKENS_PER_USER {
            return Err(StoreError::Invalid(format!(
                "an account holds at most {MAX_API_TOKENS_PER_USER} live API tokens; revoke one first"
            )));
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(user_id)
        .bind(&name)
        .bind(token_hash)
        .bind(prefix)
        .bind(now)
        .bind(expires_at.micros())
        .fetch_one(&mut *tx)
        .await?;
        id
    });
    Ok(id)
}

/// The live token with this hash (not revoked, not expired), marking it
/// used now (at most once a minute, to spare the writer).
pub async fn use_api_token(db: &Db, token_hash: &[u8], now: Timestamp) -> Result<Option<ApiToken>> {
    let row: Option<ApiTokenTuple> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at \
             FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now.micros())
        .fetch_optional(pool)
        .await?
    });
    let Some(token) = row.map(api_token_of) else {
        return Ok(None);
    };
    if token
        .last_used_at
        .is_none_or(|used| now.micros() - used > 60_000_000)
    {
        on_write!(db, |pool| {
            sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                .bind(now.micros())
                .bind(token.id)
                .execute(pool)
                .await?;
        });
    }
    Ok(Some(token))
}

/// An account's tokens, newest first (revoked and expired ones included).
pub async fn list_api_tokens(db: &Db, user_id: i64) -> Result<Vec<ApiToken>> {
    let rows: Vec<ApiTokenTuple> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at \
             FROM api_tokens WHERE user_id = $1 ORDER BY id DESC",
        )
        .bind(user_id)
        .fetch_all(pool)
        .await?
    });
    Ok(rows.into_iter().map(api_token_of).collect())
}

/// Revokes one of `user_id`'s tokens; `false` when it is not theirs or was
/// already revoked.
pub async fn revoke_api_token(db: &Db, user_id: i64, id: i64) -> Result<bool> {
    let now = crate::now().micros();
    let updated = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 \
             AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(updated == 1)
}
