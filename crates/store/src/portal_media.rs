//! Files and images of portal items (migration 0009): the files of an
//! issued document published to the portal, and the images staff upload
//! for an item with their re-encoded variants.
//!
//! Only SQL lives here; who may link or upload what, image decoding and
//! ledger entries are `congso-portal`'s.

use serde::Serialize;

use crate::db::Db;
use crate::error::{Result, StoreError};

/// A document file as the public may download it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct PublicFile {
    pub item_id: i64,
    pub document_id: i64,
    pub file_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    #[serde(skip)]
    pub sha256: Vec<u8>,
}

/// An image of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Image {
    pub id: i64,
    pub item_id: i64,
    pub alt: String,
    pub width: i64,
    pub height: i64,
    pub position: i64,
    pub created_by: String,
    pub created_at: i64,
}

/// One stored size of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Variant {
    pub image_id: i64,
    pub width: i64,
    pub height: i64,
    pub format: String,
    #[serde(skip)]
    pub sha256: Vec<u8>,
    pub size: i64,
}

/// A variant to store (its blob already written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVariant {
    pub width: i64,
    pub height: i64,
    pub format: &'static str,
    pub sha256: [u8; 32],
    pub size: i64,
}

/// Replaces the document files linked to an item, in one transaction.
pub async fn set_item_files(
    db: &Db,
    item_id: i64,
    document_id: i64,
    file_ids: &[i64],
) -> Result<()> {
    in_tx!(db, |tx| {
        sqlx::query("DELETE FROM portal_item_files WHERE item_id = $1")
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        for (position, file_id) in file_ids.iter().enumerate() {
            sqlx::query(
                "INSERT INTO portal_item_files (item_id, document_id, file_id, position) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(item_id)
            .bind(document_id)
            .bind(*file_id)
            .bind(position as i64)
            .execute(&mut *tx)
            .await?;
        }
    });
    Ok(())
}

const PUBLIC_FILE_COLUMNS: &str =
    "l.item_id, l.document_id, l.file_id, f.name, f.mime, f.size, f.sha256";

/// The files linked to an item, in order (staff view: any item state).
pub async fn item_files(db: &Db, item_id: i64) -> Result<Vec<PublicFile>> {
    let sql = format!(
        "SELECT {PUBLIC_FILE_COLUMNS} FROM portal_item_files l \
         JOIN document_files f ON f.id = l.file_id \
         WHERE l.item_id = $1 ORDER BY l.position"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(item_id).fetch_all(pool).await?
    }))
}

/// A document file the public may download now: linked to a published
/// item, of a document that is neither secret nor recalled.
pub async fn public_file(db: &Db, document_id: i64, file_id: i64) -> Result<Option<PublicFile>> {
    let sql = format!(
        "SELECT {PUBLIC_FILE_COLUMNS} FROM portal_item_files l \
         JOIN document_files f ON f.id = l.file_id AND f.document_id = l.document_id \
         JOIN portal_items i ON i.id = l.item_id \
         JOIN documents d ON d.id = l.document_id \
         WHERE l.document_id = $1 AND l.file_id = $2 AND i.status = 'published' \
         AND d.secrecy = 0 AND d.recalled_at IS NULL \
         ORDER BY l.item_id LIMIT 1"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql)
            .bind(document_id)
            .bind(file_id)
            .fetch_optional(pool)
            .await?
    }))
}

/// Stores an image and its variants in one transaction; returns its id.
#[allow(clippy::too_many_arguments)]
pub async fn insert_image(
    db: &Db,
    item_id: i64,
    alt: &str,
    width: i64,
    height: i64,
    variants: &[NewVariant],
    created_by: &str,
    now: i64,
) -> Result<i64> {
    Ok(in_tx!(db, |tx| {
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM portal_items WHERE id = $1")
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::not_found(format!("portal item {item_id}")));
        }
        let position: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) + 1 FROM portal_images WHERE item_id = $1",
        )
        .bind(item_id)
        .fetch_one(&mut *tx)
        .await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO portal_images (item_id, alt, width, height, position, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        )
        .bind(item_id)
        .bind(alt)
        .bind(width)
        .bind(height)
        .bind(position)
        .bind(created_by)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?;
        for variant in variants {
            sqlx::query(
                "INSERT INTO portal_image_variants (image_id, width, height, format, sha256, \
                 size) VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id)
            .bind(variant.width)
            .bind(variant.height)
            .bind(variant.format)
            .bind(&variant.sha256[..])
            .bind(variant.size)
            .execute(&mut *tx)
            .await?;
        }
        id
    }))
}

const IMAGE_COLUMNS: &str = "id, item_id, alt, width, height, position, created_by, created_at";

/// An item's images, in order.
pub async fn images(db: &Db, item_id: i64) -> Result<Vec<Image>> {
    let sql = format!(
        "SELECT {IMAGE_COLUMNS} FROM portal_images WHERE item_id = $1 ORDER BY position, id"
    );
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(item_id).fetch_all(pool).await?
    }))
}

pub async fn image(db: &Db, id: i64) -> Result<Option<Image>> {
    let sql = format!("SELECT {IMAGE_COLUMNS} FROM portal_images WHERE id = $1");
    Ok(on_db!(db, |pool| {
        sqlx::query_as(&sql).bind(id).fetch_optional(pool).await?
    }))
}

/// The variants of every image of an item, narrowest first.
pub async fn item_variants(db: &Db, item_id: i64) -> Result<Vec<Variant>> {
    Ok(on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT v.image_id, v.width, v.height, v.format, v.sha256, v.size \
             FROM portal_image_variants v JOIN portal_images i ON i.id = v.image_id \
             WHERE i.item_id = $1 ORDER BY v.image_id, v.width",
        )
        .bind(item_id)
        .fetch_all(pool)
        .await?
    }))
}

/// One variant of an image, with the status of the item it belongs to.
pub async fn variant(db: &Db, image_id: i64, width: i64) -> Result<Option<(Variant, String)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        image_id: i64,
        width: i64,
        height: i64,
        format: String,
        sha256: Vec<u8>,
        size: i64,
        status: String,
    }
    let row: Option<Row> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT v.image_id, v.width, v.height, v.format, v.sha256, v.size, it.status \
             FROM portal_image_variants v JOIN portal_images i ON i.id = v.image_id \
             JOIN portal_items it ON it.id = i.item_id \
             WHERE v.image_id = $1 AND v.width = $2",
        )
        .bind(image_id)
        .bind(width)
        .fetch_optional(pool)
        .await?
    });
    Ok(row.map(|row| {
        (
            Variant {
                image_id: row.image_id,
                width: row.width,
                height: row.height,
                format: row.format,
                sha256: row.sha256,
                size: row.size,
            },
            row.status,
        )
    }))
}
