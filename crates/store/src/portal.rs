//! The public portal's content: categories with their online retention
//! period, items and their revisions, and the public-service catalogue.
//!
//! Only SQL lives here; the workflow (who may move an item where), HTML
//! sanitising, search indexing and ledger entries are `congso-portal`'s.

use serde::{Deserialize, Serialize};

use crate::db::Db;
use crate::error::{Result, StoreError};

/// A category of portal content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub kind: String,
    pub name: String,
    pub name_en: String,
    /// Days an item stays online after publication; `None`: no limit.
    pub retention_days: Option<i64>,
    pub position: i64,
}

/// A category to create or update (matched by slug).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewCategory {
    pub slug: String,
    pub kind: String,
    pub name: String,
    pub name_en: String,
    pub retention_days: Option<i64>,
    pub position: i64,
}

/// One content item as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub external_id: Option<String>,
    pub category_id: i64,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub metadata: String,
    pub status: String,
    pub revision: i64,
    pub published_at: Option<i64>,
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub author: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The editable content of an item (one revision).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub category_id: i64,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub metadata: String,
}

/// An item's publication state, written in one statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Publication<'a> {
    pub status: &'a str,
    pub published_at: Option<i64>,
    pub publish_at: Option<i64>,
    pub unpublish_at: Option<i64>,
    pub expires_at: Option<i64>,
}

/// A stored revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Revision {
    pub item_id: i64,
    pub revision: i64,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub metadata: String,
    pub author: String,
    pub created_at: i64,
}

/// One public service (Decree 64 Art. 21).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Service {
    #[serde(default)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub field: String,
    pub agency: String,
    pub level: String,
    /// JSON array of strings.
    pub life_events: String,
    pub description: String,
    /// JSON array of strings.
    pub steps: String,
    /// JSON array of strings.
    pub documents: String,
    pub fees: String,
    pub processing_days: i64,
    pub legal_basis: String,
    /// JSON array of `{"name","url"}`.
    pub forms: String,
    pub online_from: Option<String>,
    #[serde(default)]
    pub updated_at: i64,
}

/// Inserts one revision row inside the surrounding transaction `$tx`.
macro_rules! insert_revision {
    ($tx:ident, $item_id:expr, $revision:expr, $content:expr, $author:expr, $now:expr) => {
        sqlx::query(
            "INSERT INTO portal_revisions (item_id, revision, title, summary, body_html, \
             metadata, author, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($item_id)
        .bind($revision)
        .bind(&$content.title)
        .bind(&$content.summary)
        .bind(&$content.body_html)
        .bind(&$content.metadata)
        .bind($author)
        .bind($now)
        .execute(&mut *$tx)
        .await?
    };
}

const ITEM_COLUMNS: &str = "id, external_id, category_id, title, summary, body_html, metadata, \
     status, revision, published_at, publish_at, unpublish_at, expires_at, author, created_at, \
     updated_at";

const SERVICE_COLUMNS: &str = "id, code, name, field, agency, level, life_events, description, \
     steps, documents, fees, processing_days, legal_basis, forms, online_from, updated_at";

/// Creates the category or updates the one with the same slug; returns its id.
pub async fn upsert_category(db: &Db, category: &NewCategory) -> Result<i64> {
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO portal_categories (slug, kind, name, name_en, retention_days, position) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (slug) DO UPDATE SET kind = excluded.kind, name = excluded.name, \
             name_en = excluded.name_en, retention_days = excluded.retention_days, \
             position = excluded.position RETURNING id",
        )
        .bind(&category.slug)
        .bind(&category.kind)
        .bind(&category.name)
        .bind(&category.name_en)
        .bind(category.retention_days)
        .bind(category.position)
        .fetch_one(pool)
        .await?
    }))
}

/// Every category, in display order.
pub async fn categories(db: &Db) -> Result<Vec<Category>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT id, slug, kind, name, name_en, retention_days, position \
             FROM portal_categories ORDER BY position, id",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// Inserts an item with its first revision; returns its id.
pub async fn insert_item(
    db: &Db,
    external_id: Option<&str>,
    content: &Content,
    author: &str,
    now: i64,
) -> Result<i64> {
    Ok(in_tx!(db, |tx| {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO portal_items (external_id, category_id, title, summary, body_html, \
             metadata, status, revision, author, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'draft', 1, $7, $8, $8) RETURNING id",
        )
        .bind(external_id)
        .bind(content.category_id)
        .bind(&content.title)
        .bind(&content.summary)
        .bind(&content.body_html)
        .bind(&content.metadata)
        .bind(author)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        insert_revision!(tx, id, 1_i64, content, author, now);
        id
    }))
}

/// Saves new content as the next revision. `expected_revision` guards
/// against overwriting someone else's edit; returns the new revision.
pub async fn update_content(
    db: &Db,
    id: i64,
    expected_revision: Option<i64>,
    content: &Content,
    author: &str,
    now: i64,
) -> Result<i64> {
    Ok(in_tx!(db, |tx| {
        let current: Option<i64> =
            sqlx::query_scalar("SELECT revision FROM portal_items WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(current) = current else {
            return Err(StoreError::not_found(format!("portal item {id}")));
        };
        if expected_revision.is_some_and(|expected| expected != current) {
            return Err(StoreError::Conflict(format!(
                "portal item {id} was changed by someone else (revision {current})"
            )));
        }
        let next = current + 1;
        sqlx::query(
            "UPDATE portal_items SET category_id = $1, title = $2, summary = $3, body_html = $4, \
             metadata = $5, revision = $6, author = $7, updated_at = $8 WHERE id = $9",
        )
        .bind(content.category_id)
        .bind(&content.title)
        .bind(&content.summary)
        .bind(&content.body_html)
        .bind(&content.metadata)
        .bind(next)
        .bind(author)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        insert_revision!(tx, id, next, content, author, now);
        next
    }))
}

/// Writes an item's publication state.
pub async fn set_publication(
    db: &Db,
    id: i64,
    publication: &Publication<'_>,
    now: i64,
) -> Result<()> {
    let changed = on_write!(db, |pool| {
        sqlx::query(
            "UPDATE portal_items SET status = $1, published_at = $2, publish_at = $3, \
             unpublish_at = $4, expires_at = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(publication.status)
        .bind(publication.published_at)
        .bind(publication.publish_at)
        .bind(publication.unpublish_at)
        .bind(publication.expires_at)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
    });
    if changed == 0 {
        return Err(StoreError::not_found(format!("portal item {id}")));
    }
    Ok(())
}

pub async fn item(db: &Db, id: i64) -> Result<Option<Item>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM portal_items WHERE id = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    }))
}

pub async fn item_by_external_id(db: &Db, external_id: &str) -> Result<Option<Item>> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM portal_items WHERE external_id = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(external_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// Published items, newest first, optionally of one category.
pub async fn published(
    db: &Db,
    category_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM portal_items WHERE status = 'published' \
         AND ($1 IS NULL OR category_id = $1) ORDER BY published_at DESC, id DESC \
         LIMIT $2 OFFSET $3"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(category_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
    }))
}

/// How many published items there are, optionally in one category.
pub async fn count_published(db: &Db, category_id: Option<i64>) -> Result<i64> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM portal_items WHERE status = 'published' \
             AND ($1 IS NULL OR category_id = $1)",
        )
        .bind(category_id)
        .fetch_one(pool)
        .await?
    }))
}

/// Every item in any state, newest change first (the staff archive).
pub async fn all_items(db: &Db, limit: i64, offset: i64) -> Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM portal_items ORDER BY updated_at DESC, id DESC \
         LIMIT $1 OFFSET $2"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
    }))
}

/// Items in any state for the staff list, newest change first, optionally
/// of one status and one category.
pub async fn staff_items(
    db: &Db,
    status: Option<&str>,
    category_id: Option<i64>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM portal_items WHERE ($1 IS NULL OR status = $1) \
         AND ($2 IS NULL OR category_id = $2) ORDER BY updated_at DESC, id DESC \
         LIMIT $3 OFFSET $4"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(status)
            .bind(category_id)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
    }))
}

/// Ids of items whose scheduled publication time has come.
pub async fn due_to_publish(db: &Db, now: i64) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM portal_items WHERE status = 'scheduled' AND publish_at <= $1 \
             ORDER BY id",
        )
        .bind(now)
        .fetch_all(pool)
        .await?
    }))
}

/// Ids of published items whose scheduled unpublication time has come.
pub async fn due_to_unpublish(db: &Db, now: i64) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM portal_items WHERE status = 'published' AND unpublish_at <= $1 \
             ORDER BY id",
        )
        .bind(now)
        .fetch_all(pool)
        .await?
    }))
}

/// Ids of published items whose category's retention period has ended.
pub async fn due_to_expire(db: &Db, now: i64) -> Result<Vec<i64>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_scalar(
            "SELECT id FROM portal_items WHERE status = 'published' AND expires_at <= $1 \
             ORDER BY id",
        )
        .bind(now)
        .fetch_all(pool)
        .await?
    }))
}

/// Every revision of an item, oldest first.
pub async fn revisions(db: &Db, item_id: i64) -> Result<Vec<Revision>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT item_id, revision, title, summary, body_html, metadata, author, created_at \
             FROM portal_revisions WHERE item_id = $1 ORDER BY revision",
        )
        .bind(item_id)
        .fetch_all(pool)
        .await?
    }))
}

/// Creates the service or replaces the one with the same code; returns its id.
pub async fn upsert_service(db: &Db, service: &Service, now: i64) -> Result<i64> {
    Ok(on_write!(db, |pool| {
        sqlx::query_scalar(
            "INSERT INTO portal_services (code, name, field, agency, level, life_events, \
             description, steps, documents, fees, processing_days, legal_basis, forms, \
             online_from, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, field = excluded.field, \
             agency = excluded.agency, level = excluded.level, \
             life_events = excluded.life_events, description = excluded.description, \
             steps = excluded.steps, documents = excluded.documents, fees = excluded.fees, \
             processing_days = excluded.processing_days, legal_basis = excluded.legal_basis, \
             forms = excluded.forms, online_from = excluded.online_from, \
             updated_at = excluded.updated_at RETURNING id",
        )
        .bind(&service.code)
        .bind(&service.name)
        .bind(&service.field)
        .bind(&service.agency)
        .bind(&service.level)
        .bind(&service.life_events)
        .bind(&service.description)
        .bind(&service.steps)
        .bind(&service.documents)
        .bind(&service.fees)
        .bind(service.processing_days)
        .bind(&service.legal_basis)
        .bind(&service.forms)
        .bind(&service.online_from)
        .bind(now)
        .fetch_one(pool)
        .await?
    }))
}

/// Every service, by field then name.
pub async fn services(db: &Db) -> Result<Vec<Service>> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM portal_services ORDER BY field, name, id");
    Ok(on_db!(db, |pool| sqlx::query_as(&sql)
        .fetch_all(pool)
        .await?))
}

pub async fn service_by_code(db: &Db, code: &str) -> Result<Option<Service>> {
    let sql = format!("SELECT {SERVICE_COLUMNS} FROM portal_services WHERE code = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(code).fetch_optional(pool).await?
    }))
}

/// Items changed after `since` (microseconds), oldest change first.
pub async fn items_changed_since(db: &Db, since: i64, limit: i64) -> Result<Vec<Item>> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM portal_items WHERE updated_at > $1 \
         ORDER BY updated_at, id LIMIT $2"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(since)
            .bind(limit)
            .fetch_all(pool)
            .await?
    }))
}

/// Services changed after `since` (microseconds).
pub async fn services_changed_since(db: &Db, since: i64) -> Result<Vec<Service>> {
    let sql = format!(
        "SELECT {SERVICE_COLUMNS} FROM portal_services WHERE updated_at > $1 ORDER BY updated_at"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(since).fetch_all(pool).await?
    }))
}

/// A search list staff edit (migration 0010): its text, when and by whom
/// it was last saved.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SearchList {
    pub name: String,
    pub body: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// The saved search lists (none until staff save one).
pub async fn search_lists(db: &Db) -> Result<Vec<SearchList>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT name, body, updated_at, updated_by FROM portal_search_lists ORDER BY name",
        )
        .fetch_all(pool)
        .await?
    }))
}

/// Saves a search list, replacing its previous text.
pub async fn save_search_list(db: &Db, list: &SearchList) -> Result<()> {
    on_write!(db, |pool| {
        sqlx::query(
            "INSERT INTO portal_search_lists (name, body, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET body = excluded.body, \
             updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(&list.name)
        .bind(&list.body)
        .bind(list.updated_at)
        .bind(&list.updated_by)
        .execute(pool)
        .await?
        .rows_affected()
    });
    Ok(())
}
