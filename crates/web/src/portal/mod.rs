//! The public portal (issue 6): home, category lists, item pages with
//! Dublin Core and schema.org metadata, search with highlights, facets and
//! "did you mean", the public-service catalogue, Atom feeds, the sitemap,
//! robots.txt and the public JSON API with its OpenAPI description.
//!
//! Every page is server-rendered and works without JavaScript. Public
//! pages carry a strong ETag (a hash of the body) and are cacheable for
//! anonymous visitors; a signed-in visitor's pages are `no-store`.

mod api;
mod cache;
mod feeds;
mod media;
mod pages;

use std::sync::OnceLock;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::session::Visitor;
use crate::AppState;

pub use api::openapi_paths;
pub use cache::PageCache;
pub(crate) use media::figure;

const CSS: &str = include_str!("portal.css");

/// The portal stylesheet's URL, versioned by content.
fn css_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let digest = hex::encode(Sha256::digest(CSS.as_bytes()));
        format!("/static/portal/portal-{}.css", &digest[..12])
    })
}

/// The portal's routes.
pub fn routes(state: AppState) -> Router {
    Router::new()
        .route("/", get(pages::home))
        .route("/chuyen-muc/{slug}", get(pages::category))
        .route("/noi-dung/{id}", get(pages::item))
        .route("/tim-kiem", get(pages::search))
        .route("/dich-vu", get(pages::services))
        .route("/dich-vu/{code}", get(pages::service))
        .route("/van-ban/{document}/tep/{file}", get(media::document_file))
        .route("/anh/{image}/{file}", get(media::image))
        .route("/static/portal/{file}", get(stylesheet))
        .route("/feeds/{file}", get(feeds::feed))
        .route("/sitemap.xml", get(feeds::sitemap))
        .route("/robots.txt", get(feeds::robots))
        .route("/api/search", get(api::search))
        .route("/api/items", get(api::items))
        .route("/api/items/{id}", get(api::item))
        .route("/api/services", get(api::services))
        .route("/api/services/{code}", get(api::service))
        .route("/api/portal/openapi.json", get(api::openapi))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            cache::layer,
        ))
        .with_state(state)
}

async fn stylesheet(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Result<Response, AppError> {
    if format!("/static/portal/{file}") != css_path() {
        return Err(AppError::not_found());
    }
    let mut response = CSS.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    Ok(response)
}

/// A public response with a strong ETag: `304 Not Modified` when the
/// client already has this body. Anonymous copies may be stored but are
/// revalidated on every use (the language cookie changes the page under
/// the same URL); a signed-in visitor's copy (personal navigation, CSRF
/// token in the logout form) is never stored.
fn cached(
    visitor: &Visitor,
    request_headers: &HeaderMap,
    content_type: &'static str,
    body: String,
) -> Response {
    let digest = Sha256::digest(body.as_bytes());
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let cache_control = if visitor.session.is_some() {
        "private, no-store"
    } else {
        "public, no-cache"
    };
    let not_modified = request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|candidate| candidate.trim() == etag || candidate.trim() == "*")
        });
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(cache_control),
    );
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Encoding"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// Text from a query string: control characters removed, bounded.
fn query_text(text: &str, max_bytes: usize) -> String {
    let mut out = String::new();
    for c in text.chars().filter(|c| !c.is_control()) {
        if out.len() + c.len_utf8() > max_bytes {
            break;
        }
        out.push(c);
    }
    out
}

/// The portal service, as an [`AppError`] when it cannot be reached.
fn portal(state: &AppState) -> Result<&std::sync::Arc<congso_portal::Portal>, AppError> {
    state.portal()
}

fn portal_error(error: congso_portal::PortalError) -> AppError {
    use congso_portal::PortalError;
    match error {
        PortalError::NotFound(_) => AppError::not_found(),
        PortalError::Forbidden => AppError::forbidden(),
        PortalError::Invalid(message) | PortalError::Conflict(message) => {
            AppError::bad_request(message)
        }
        PortalError::Store(error) => AppError::from(error),
        PortalError::Search(error) => AppError::internal(format!("search: {error}")),
    }
}
