//! Atom feeds (per category, and all news), the sitemap and robots.txt.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use congso_portal::sanitize::escape;

use super::{cached, portal, portal_error};
use crate::error::AppError;
use crate::session::Visitor;
use crate::AppState;

const FEED_ENTRIES: i64 = 50;
/// The sitemap protocol's limit per file.
const SITEMAP_URLS: i64 = 50_000;

fn rfc3339(micros: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(micros.div_euclid(1_000_000))
        .ok()
        .and_then(|moment| {
            moment
                .format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// `/feeds/news.atom` (every news and announcement category) or
/// `/feeds/{category}.atom`.
pub async fn feed(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> Result<Response, AppError> {
    let slug = file.strip_suffix(".atom").ok_or_else(AppError::not_found)?;
    let portal = portal(&state)?;
    let categories = portal.categories().await.map_err(portal_error)?;
    let base = state.settings().public_url.trim_end_matches('/').to_owned();
    let agency = state.agency_name().unwrap_or_else(|| "congso".to_owned());
    let (title, items) = if slug == "news" {
        let news: Vec<i64> = categories
            .iter()
            .filter(|c| matches!(c.kind.as_str(), "news" | "announcement"))
            .map(|c| c.id)
            .collect();
        let mut items = Vec::new();
        for id in news {
            items.extend(
                congso_store::portal::published(portal.db(), Some(id), FEED_ENTRIES, 0).await?,
            );
        }
        items.sort_by_key(|item| std::cmp::Reverse((item.published_at, item.id)));
        items.truncate(FEED_ENTRIES as usize);
        (format!("{agency}: tin tức"), items)
    } else {
        let category = categories
            .iter()
            .find(|c| c.slug == slug)
            .ok_or_else(AppError::not_found)?;
        let items =
            congso_store::portal::published(portal.db(), Some(category.id), FEED_ENTRIES, 0)
                .await?;
        (format!("{agency}: {}", category.name), items)
    };
    let updated = items.iter().map(|item| item.updated_at).max().unwrap_or(0);
    let mut xml = String::with_capacity(4096);
    xml.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"vi\">\n");
    xml.push_str(&format!(
        "<title>{}</title>\n<id>{base}/feeds/{}.atom</id>\n<link rel=\"self\" href=\"{base}/feeds/{}.atom\"/>\n<link href=\"{base}/\"/>\n<updated>{}</updated>\n<author><name>{}</name></author>\n",
        escape(&title),
        escape(slug),
        escape(slug),
        rfc3339(updated),
        escape(&agency)
    ));
    for item in &items {
        let url = format!("{base}{}", congso_portal::item_url(item.id));
        xml.push_str(&format!(
            "<entry>\n<title>{}</title>\n<id>{url}</id>\n<link href=\"{url}\"/>\n<published>{}</published>\n<updated>{}</updated>\n<summary>{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape(&item.title),
            rfc3339(item.published_at.unwrap_or(item.updated_at)),
            rfc3339(item.updated_at),
            escape(&item.summary),
            escape(&item.body_html),
        ));
    }
    xml.push_str("</feed>\n");
    Ok(cached(
        &visitor,
        &headers,
        "application/atom+xml; charset=utf-8",
        xml,
    ))
}

pub async fn sitemap(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let portal = portal(&state)?;
    let base = state.settings().public_url.trim_end_matches('/').to_owned();
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    let mut url = |path: &str, modified: Option<i64>| {
        xml.push_str(&format!("<url><loc>{}{}</loc>", base, escape(path)));
        if let Some(modified) = modified {
            xml.push_str(&format!("<lastmod>{}</lastmod>", rfc3339(modified)));
        }
        xml.push_str("</url>\n");
    };
    url("/", None);
    url("/dich-vu", None);
    for category in portal.categories().await.map_err(portal_error)? {
        url(&format!("/chuyen-muc/{}", category.slug), None);
    }
    for service in portal.services().await.map_err(portal_error)? {
        url(
            &congso_portal::service_url(&service.code),
            Some(service.updated_at),
        );
    }
    let items = congso_store::portal::published(portal.db(), None, SITEMAP_URLS, 0).await?;
    for item in &items {
        url(&congso_portal::item_url(item.id), Some(item.updated_at));
    }
    xml.push_str("</urlset>\n");
    Ok(cached(
        &visitor,
        &headers,
        "application/xml; charset=utf-8",
        xml,
    ))
}

pub async fn robots(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
) -> Response {
    let base = state.settings().public_url.trim_end_matches('/').to_owned();
    let text = format!(
        "User-agent: *\nAllow: /\nDisallow: /admin/\nDisallow: /staff\nDisallow: /account\nDisallow: /login\nDisallow: /password-reset\nDisallow: /tim-kiem\n\nSitemap: {base}/sitemap.xml\n"
    );
    cached(&visitor, &headers, "text/plain; charset=utf-8", text)
}
