//! Public downloads of what items carry: the files of a published issued
//! document (`/van-ban/{document}/tep/{file}`, only while an item linking
//! them is published and the document is neither secret nor recalled) and
//! item images in their stored widths (`/anh/{image}/{width}.jpg|png`).
//!
//! An image URL names one immutable variant, so it is cacheable for a year
//! with its SHA-256 as a strong ETag. Images of items that are not public
//! are shown only to portal staff, never cached.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use congso_core::access::Action;
use congso_store::portal_media::{Image, Variant};
use maud::{html, Markup};

use crate::error::AppError;
use crate::session::Visitor;
use crate::AppState;

fn hash_of(bytes: &[u8]) -> Result<[u8; 32], AppError> {
    bytes
        .try_into()
        .map_err(|_| AppError::internal("a stored hash is not 32 bytes"))
}

fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|candidate| candidate.trim() == etag || candidate.trim() == "*")
        })
}

/// A published document's file.
pub async fn document_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((document_id, file_id)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let (Ok(document_id), Ok(file_id)) = (document_id.parse::<i64>(), file_id.parse::<i64>())
    else {
        return Err(AppError::not_found());
    };
    let file = congso_store::portal_media::public_file(state.db(), document_id, file_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let hash = hash_of(&file.sha256)?;
    let etag = format!("\"{}\"", hex::encode(hash));
    let mut response = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let stream = state.blobs().get_stream(&hash).await?;
        let mut response = Body::from_stream(stream).into_response();
        if let Ok(value) = HeaderValue::from_str(&file.size.to_string()) {
            response.headers_mut().insert(header::CONTENT_LENGTH, value);
        }
        response
    };
    let out = response.headers_mut();
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&file.mime)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    if let Ok(value) =
        HeaderValue::from_str(&crate::pages::documents::attachment_disposition(&file.name))
    {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    // The bytes never change, but the file stops being public when its item
    // is unpublished: caches must ask again.
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, no-cache"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    Ok(response)
}

/// One stored width of an item image.
pub async fn image(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path((image_id, file)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let image_id: i64 = image_id.parse().map_err(|_| AppError::not_found())?;
    let (width, extension) = file.split_once('.').ok_or_else(AppError::not_found)?;
    let width: i64 = width.parse().map_err(|_| AppError::not_found())?;
    let (variant, status) = congso_store::portal_media::variant(state.db(), image_id, width)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (expected_extension, content_type) = match variant.format.as_str() {
        "png" => ("png", "image/png"),
        _ => ("jpg", "image/jpeg"),
    };
    if extension != expected_extension {
        return Err(AppError::not_found());
    }
    let public = status == congso_portal::status::PUBLISHED;
    if !public && !visitor.can(Action::PortalEdit) && !visitor.can(Action::PortalPublish) {
        return Err(AppError::not_found());
    }
    let hash = hash_of(&variant.sha256)?;
    let etag = format!("\"{}\"", hex::encode(hash));
    let mut response = if matches_etag(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let bytes = state.blobs().get_bytes(&hash).await?;
        bytes.into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    out.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if public {
            "public, max-age=31536000, immutable"
        } else {
            "private, no-store"
        }),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    Ok(response)
}

/// An image as a responsive `<figure>`: every stored width in `srcset`,
/// the intrinsic size in `width`/`height` (no layout shift), and its text
/// alternative.
pub fn figure(image: &Image, variants: &[Variant]) -> Markup {
    let Some(largest) = variants.iter().max_by_key(|variant| variant.width) else {
        return html! {};
    };
    let smallest = variants
        .iter()
        .min_by_key(|variant| variant.width)
        .unwrap_or(largest);
    let srcset = variants
        .iter()
        .map(|variant| {
            format!(
                "{} {}w",
                congso_portal::media::image_url(image.id, variant.width, &variant.format),
                variant.width
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        figure.item-image {
            img src=(congso_portal::media::image_url(image.id, smallest.width, &smallest.format))
                srcset=(srcset)
                sizes={ "(max-width: " (largest.width) "px) 100vw, " (largest.width) "px" }
                width=(largest.width) height=(largest.height)
                alt=(image.alt) loading="lazy" decoding="async";
        }
    }
}
