//! The outgoing-mail queue.
//!
//! Mail (password-reset links, later notifications) is queued in the
//! database in the same transaction as the action that causes it, then
//! delivered by a background job: SMTP when configured, otherwise written as
//! `.eml` files to a pickup directory an operator's mail system can collect.

use crate::db::Db;
use crate::error::Result;

/// One queued message.
#[derive(Debug, Clone)]
pub struct QueuedMail {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: i64,
}

pub async fn enqueue(db: &Db, recipient: &str, subject: &str, body: &str) -> Result<i64> {
    let now = crate::now().micros();
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO mail_outbox (recipient, subject, body, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id",
        )
        .bind(recipient)
        .bind(subject)
        .bind(body)
        .bind(now)
        .fetch_one(pool)
        .await?
    }))
}

/// Messages not yet delivered, oldest first.
pub async fn pending(db: &Db, limit: u32) -> Result<Vec<QueuedMail>> {
    let rows: Vec<(i64, String, String, String, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, recipient, subject, body, created_at FROM mail_outbox \
             WHERE sent_at IS NULL AND attempts < 10 ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await?
    });
    Ok(rows
        .into_iter()
        .map(|(id, recipient, subject, body, created_at)| QueuedMail {
            id,
            recipient,
            subject,
            body,
            created_at,
        })
        .collect())
}

pub async fn mark_sent(db: &Db, id: i64) -> Result<()> {
    let now = crate::now().micros();
    on_write!(db, |pool| {
        sqlx::query("UPDATE mail_outbox SET sent_at = $1, attempts = attempts + 1 WHERE id = $2")
            .bind(now)
            .bind(id)
            .execute(pool)
            .await?;
    });
    Ok(())
}

pub async fn mark_failed(db: &Db, id: i64, error: &str) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
        )
        .bind(error)
        .bind(id)
        .execute(pool)
        .await?;
    });
    Ok(())
}
