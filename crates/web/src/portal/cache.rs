//! A micro-cache of rendered public pages (Art. 20.2b: pages appear at
//! once, also under load).
//!
//! Anonymous visitors all see the same page for a URL and language, so the
//! rendered response is kept and served again until the portal's content
//! changes. Freshness has two guards:
//!
//! - every change made through this process's [`congso_portal::Portal`]
//!   bumps its generation, and an entry from an older generation is never
//!   served (so a publish is visible on the very next request);
//! - an entry is rendered anew when it is older than [`TTL`], which bounds
//!   how long a replica can serve a page changed by another replica or
//!   process (to `TTL` plus the time of one rendering: while one request
//!   renders it, the others are served the copy in hand).
//!
//! Only `GET` responses with status 200 to visitors without a session are
//! kept, and only when rendering issued no CSRF token and set no cookie.
//! Search pages and the search API are not cached: their key space is
//! unbounded and their cost is measured as it is. The cache holds at most
//! [`MAX_ENTRIES`] pages of at most [`MAX_BODY`] bytes each; when full it
//! starts over, so hostile URLs can only cost renders, never memory.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use axum::body::HttpBody;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;

use crate::session::Visitor;
use crate::AppState;

/// How long a page may be served from the cache at most.
pub const TTL: Duration = Duration::from_secs(2);
/// Pages kept at most.
pub const MAX_ENTRIES: usize = 4096;
/// Largest page kept.
pub const MAX_BODY: usize = 256 * 1024;

struct Entry {
    generation: u64,
    stored: Instant,
    etag: Option<HeaderValue>,
    headers: HeaderMap,
    body: Bytes,
}

/// The cache of one process (held by the application state).
#[derive(Default)]
pub struct PageCache {
    entries: RwLock<HashMap<(String, &'static str), Entry>>,
}

impl Entry {
    fn cached(&self) -> Cached {
        Cached {
            etag: self.etag.clone(),
            headers: self.headers.clone(),
            body: self.body.clone(),
        }
    }
}

impl PageCache {
    /// The page for `key`, unless the content changed since it was kept.
    ///
    /// When a page of the current generation is older than [`TTL`], the
    /// first request to notice renders it anew (it gets `None`) and the
    /// page's age is reset, so the requests arriving meanwhile are served
    /// the copy in hand instead of all rendering the same page at once
    /// (under load, a home page expiring every two seconds made 64
    /// connections render it together: p99 of 300 ms).
    fn get(&self, key: &(String, &'static str), generation: u64) -> Option<Cached> {
        {
            let entries = self.entries.read().ok()?;
            let entry = entries.get(key)?;
            if entry.generation != generation {
                return None;
            }
            if entry.stored.elapsed() <= TTL {
                return Some(entry.cached());
            }
        }
        let mut entries = self.entries.write().ok()?;
        let entry = entries.get_mut(key)?;
        if entry.generation != generation {
            return None;
        }
        if entry.stored.elapsed() <= TTL {
            // Another request has just claimed the refresh.
            return Some(entry.cached());
        }
        entry.stored = Instant::now();
        None
    }

    fn put(&self, key: (String, &'static str), entry: Entry) {
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
                entries.clear();
            }
            entries.insert(key, entry);
        }
    }

    /// Forgets a page whose fresh rendering may not be kept (it is gone,
    /// or failed), so its old copy is never served again.
    fn remove(&self, key: &(String, &'static str)) {
        // Most such pages were never kept (hostile URLs answer 404): the
        // write lock is taken only when there is something to forget.
        let held = self
            .entries
            .read()
            .is_ok_and(|entries| entries.contains_key(key));
        if held {
            if let Ok(mut entries) = self.entries.write() {
                entries.remove(key);
            }
        }
    }

    /// Number of pages held (for tests and metrics).
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .map(|entries| entries.len())
            .unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

struct Cached {
    etag: Option<HeaderValue>,
    headers: HeaderMap,
    body: Bytes,
}

/// Whether responses to this path may be cached.
fn cacheable_path(path: &str) -> bool {
    !(path == "/tim-kiem" || path.starts_with("/api/"))
}

fn matches(request_headers: &HeaderMap, etag: &HeaderValue) -> bool {
    let Ok(etag) = etag.to_str() else {
        return false;
    };
    request_headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|candidate| candidate.trim() == etag || candidate.trim() == "*")
        })
}

/// The middleware: serve from the cache, or render and keep.
pub async fn layer(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let anonymous = request
        .extensions()
        .get::<Visitor>()
        .is_some_and(|visitor| visitor.session.is_none());
    if request.method() != Method::GET || !anonymous || !cacheable_path(request.uri().path()) {
        return next.run(request).await;
    }
    let Ok(portal) = state.portal() else {
        return next.run(request).await;
    };
    let generation = portal.generation();
    let lang = request
        .extensions()
        .get::<Visitor>()
        .map(|visitor| visitor.lang.code())
        .unwrap_or("vi");
    let key = (
        request
            .uri()
            .path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .unwrap_or_default(),
        lang,
    );
    let cache = state.page_cache();
    if let Some(hit) = cache.get(&key, generation) {
        let mut response = match &hit.etag {
            Some(etag) if matches(request.headers(), etag) => {
                StatusCode::NOT_MODIFIED.into_response()
            }
            _ => Body::from(hit.body).into_response(),
        };
        for (name, value) in &hit.headers {
            response.headers_mut().insert(name, value.clone());
        }
        return response;
    }

    let visitor = request.extensions().get::<Visitor>().cloned();
    let response = next.run(request).await;
    let issued_csrf = visitor.is_some_and(|visitor| visitor.issued_csrf());
    let small = response
        .body()
        .size_hint()
        .exact()
        .is_some_and(|size| size <= MAX_BODY as u64);
    if response.status() != StatusCode::OK
        || !small
        || issued_csrf
        || response.headers().contains_key(header::SET_COOKIE)
    {
        cache.remove(&key);
        return response;
    }
    let (parts, body) = response.into_parts();
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) => {
            tracing::error!(%error, "reading a rendered page for the cache failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    cache.put(
        key,
        Entry {
            generation,
            stored: Instant::now(),
            etag: parts.headers.get(header::ETAG).cloned(),
            headers: parts.headers.clone(),
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(generation: u64, age: Duration) -> Entry {
        Entry {
            generation,
            stored: Instant::now() - age,
            etag: None,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"page"),
        }
    }

    #[test]
    fn an_aged_page_is_rendered_by_one_request_while_the_others_get_the_copy() {
        let cache = PageCache::default();
        let key = ("/".to_owned(), "vi");
        cache.put(key.clone(), entry(7, TTL + Duration::from_millis(10)));
        assert!(cache.get(&key, 7).is_none(), "the first renders");
        for _ in 0..3 {
            let copy = cache.get(&key, 7).expect("the others are served");
            assert_eq!(copy.body, Bytes::from_static(b"page"));
        }
        // A change of content is never served from the copy, old or young.
        assert!(cache.get(&key, 8).is_none());
        cache.put(key.clone(), entry(8, Duration::ZERO));
        assert!(cache.get(&key, 8).is_some());
        // A page that may no longer be kept is forgotten.
        cache.remove(&key);
        assert!(cache.get(&key, 8).is_none());
        assert!(cache.is_empty());
    }
}
