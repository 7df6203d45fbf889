//! The public portal over HTTP, in-process, on both databases: pages,
//! caching, metadata, search (page and API), feeds, sitemap, robots, the
//! OpenAPI document, and hostile input that must never cause a 500.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use congso_portal::{Acting, NewCategory, Portal};
use congso_search::SearchIndex;
use congso_store::accounts::{self, NewOrganization};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::conformance;
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::portal::Service;
use congso_store::secrets::{random_bytes, MasterKey};
use congso_store::Db;
use congso_web::{AppState, WebSettings};
use tower::ServiceExt;

struct Site {
    app: Router,
    _dir: tempfile::TempDir,
    ledger: Ledger,
    state: AppState,
    portal: Arc<Portal>,
}

struct Reply {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

const ITEMS: &str = concat!(
    r#"{"id":"old-47","title":"Điều 47. Giám đốc công nghệ thông tin","body":"<p>Giám đốc công nghệ thông tin chịu trách nhiệm trước thủ trưởng cơ quan.</p>","category":"van-ban","published":"2024-03-01","metadata":{"number":"64/2007/NĐ-CP","signer":"Nguyễn Tấn Dũng"}}"#,
    "\n",
    r#"{"id":"tin-1","title":"Hội nghị chuyển đổi số <script>alert(1)</script>","summary":"Tóm tắt","body":"<p>Ủy ban nhân dân tỉnh tổ chức hội nghị.</p><script>alert(2)</script>","category":"tin-tuc","published":"2026-11-01"}"#,
    "\n",
);

async fn site(db: Db) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let ledger = Ledger::open(
        db.clone(),
        random_bytes::<32>(),
        "congso/portal-web".into(),
        LedgerOptions::default(),
    )
    .await
    .unwrap();
    let blobs = BlobStore::open(
        &BlobConfig::Local {
            root: dir.path().join("blobs"),
        },
        dir.path().join("spool"),
    )
    .unwrap();
    accounts::create_organization(
        &db,
        &NewOrganization {
            kind: "agency".into(),
            organ_code: Some("000.21.32.H06".into()),
            name: "Sở Thông tin và Truyền thông tỉnh Bắc Ninh".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let settings = WebSettings {
        public_url: "https://cong.example.gov.vn".into(),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..WebSettings::default()
    };
    let state = AppState::new(
        db.clone(),
        ledger.clone(),
        blobs,
        settings,
        MasterKey::generate().sealer(),
        random_bytes::<32>(),
        congso_web::metrics_handle(),
    )
    .unwrap();
    state.refresh_agency().await.unwrap();
    let portal = Arc::new(Portal::new(
        db,
        ledger.clone(),
        Arc::new(SearchIndex::open_in_ram().unwrap()),
    ));
    portal
        .ensure_categories(&[
            NewCategory {
                slug: "tin-tuc".into(),
                kind: "news".into(),
                name: "Tin tức".into(),
                name_en: "News".into(),
                retention_days: Some(3650),
                position: 1,
            },
            NewCategory {
                slug: "van-ban".into(),
                kind: "legal".into(),
                name: "Văn bản".into(),
                name_en: "Legal".into(),
                retention_days: None,
                position: 2,
            },
        ])
        .await
        .unwrap();
    let operator = Acting::operator("test");
    let report = portal
        .import_jsonl(&operator, ITEMS.as_bytes())
        .await
        .unwrap();
    assert_eq!(report.created, 2, "{:?}", report.errors);
    portal
        .save_service(
            &operator,
            &Service {
                id: 0,
                code: "1.004.BN.01".into(),
                name: "Cấp giấy phép xây dựng nhà ở riêng lẻ".into(),
                field: "Xây dựng".into(),
                agency: "Ủy ban nhân dân cấp huyện".into(),
                level: "partial".into(),
                life_events: r#"["Xây nhà"]"#.into(),
                description: "Cấp giấy phép xây dựng".into(),
                steps: r#"["Nộp hồ sơ","Nhận giấy phép"]"#.into(),
                documents: r#"["Đơn đề nghị"]"#.into(),
                fees: "75.000 đồng".into(),
                processing_days: 15,
                legal_basis: "Luật Xây dựng".into(),
                forms: r#"[{"name":"Mẫu 01","url":"javascript:alert(1)"}]"#.into(),
                online_from: Some("2026-12-31".into()),
                updated_at: 0,
            },
        )
        .await
        .unwrap();
    assert!(state.set_portal(portal.clone()));
    Site {
        app: congso_web::app(state.clone()),
        _dir: dir,
        ledger,
        state,
        portal,
    }
}

impl Site {
    async fn get_with(&self, path: &str, headers: &[(header::HeaderName, &str)]) -> Reply {
        let mut request = Request::get(path).header(header::HOST, "cong.example.gov.vn");
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&self, path: &str) -> Reply {
        self.get_with(path, &[]).await
    }

    async fn json(&self, path: &str) -> (StatusCode, serde_json::Value) {
        let reply = self.get(path).await;
        (
            reply.status,
            serde_json::from_str(&reply.body).unwrap_or(serde_json::Value::Null),
        )
    }
}

fn item_path(body: &str, title_start: &str) -> String {
    let at = body.find(title_start).expect("title on the page");
    let href = body[..at].rfind("href=\"/noi-dung/").unwrap();
    let rest = &body[href + 6..];
    rest[..rest.find('"').unwrap()].to_owned()
}

conformance!(pages_metadata_and_caching, |db: Db| async move {
    let site = site(db).await;
    let home = site.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(
        home.body.contains("Hội nghị chuyển đổi số &lt;script&gt;"),
        "titles are escaped"
    );
    assert!(!home.body.contains("<script>alert"));
    assert!(home.body.len() < 50 * 1024);
    assert_eq!(home.headers[header::CACHE_CONTROL], "public, no-cache");
    let etag = home.headers[header::ETAG].to_str().unwrap().to_owned();
    let again = site.get_with("/", &[(header::IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let path = item_path(&home.body, "Hội nghị chuyển đổi số");
    let article = site.get(&path).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(article
        .body
        .contains("<p>Ủy ban nhân dân tỉnh tổ chức hội nghị.</p>"));
    assert!(
        !article.body.contains("alert(2)"),
        "scripts are cleaned from bodies"
    );
    assert!(article.body.contains(r#"<meta name="DC.title""#));
    assert!(article.body.contains(r#""@type":"NewsArticle""#));
    assert!(
        article.body.contains("3650"),
        "the retention period is shown"
    );

    let legal = site.get("/chuyen-muc/van-ban").await;
    assert!(legal.body.contains("không thời hạn"));
    let law_path = item_path(&legal.body, "Điều 47");
    let law = site.get(&law_path).await;
    assert!(law.body.contains(r#""@type":"Legislation""#) && law.body.contains("64/2007/NĐ-CP"));
    assert!(law.body.contains("Nguyễn Tấn Dũng"));

    for missing in [
        "/noi-dung/999999",
        "/noi-dung/abc",
        "/chuyen-muc/khong-co",
        "/dich-vu/khong-co",
        "/feeds/khong-co.atom",
    ] {
        assert_eq!(
            site.get(missing).await.status,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    let service = site.get("/dich-vu/1.004.BN.01").await;
    assert_eq!(service.status, StatusCode::OK);
    assert!(
        service.body.contains("15 ngày làm việc") && service.body.contains("GovernmentService")
    );
    assert!(
        !service.body.contains("javascript:"),
        "form links are checked"
    );
    let catalogue = site.get("/dich-vu?linh-vuc=X%C3%A2y%20d%E1%BB%B1ng").await;
    assert!(catalogue
        .body
        .contains("Cấp giấy phép xây dựng nhà ở riêng lẻ"));
    site.ledger.shutdown().await.unwrap();
});

conformance!(search_page_and_api, |db: Db| async move {
    let site = site(db).await;
    let page = site.get("/tim-kiem?q=giam+doc+cntt").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("<mark>Giám</mark> <mark>đốc</mark>"),
        "{}",
        page.body
    );
    let typo = site.get("/tim-kiem?q=giam+doc+cong+nghe+thong+tinn").await;
    assert!(
        typo.body.contains("Có phải bạn muốn tìm") || typo.body.contains("Giám"),
        "typos still find"
    );

    let (status, json) = site.json("/api/search?q=giam%20doc%20cntt&limit=5").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json["total"], 1);
    assert_eq!(
        json["results"][0]["id"], "old-47",
        "the imported id is returned"
    );
    assert!(json["results"][0]["url"]
        .as_str()
        .unwrap()
        .starts_with("https://cong.example.gov.vn/noi-dung/"));
    assert!(json["results"][0]["snippet"]
        .as_str()
        .unwrap()
        .contains("<mark>"));
    let (_, services) = site
        .json("/api/search?q=thu+tuc+cap+giay+phep+xay+dung")
        .await;
    assert_eq!(services["results"][0]["id"], "service-1.004.BN.01");

    let (status, json) = site.json("/api/search?q=x&limit=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json["error"], "bad_request");
    assert_eq!(
        site.json("/api/search?q=x&limit=1000").await.0,
        StatusCode::BAD_REQUEST
    );

    let (_, items) = site.json("/api/items?category=van-ban").await;
    assert_eq!(items["total"], 1);
    assert_eq!(items["items"][0]["id"], "old-47");
    let (status, item) = site.json("/api/items/old-47").await;
    assert_eq!(status, StatusCode::OK);
    assert!(item["body_html"].as_str().unwrap().contains("Giám đốc"));
    assert_eq!(
        site.json("/api/items/khong-co").await.0,
        StatusCode::NOT_FOUND
    );
    let (_, services) = site.json("/api/services").await;
    assert_eq!(services["total"], 1);
    assert_eq!(services["services"][0]["processing_days"], 15);
    let (_, openapi) = site.json("/api/portal/openapi.json").await;
    assert_eq!(openapi["openapi"], "3.1.0");
    for path in [
        "/api/search",
        "/api/items",
        "/api/items/{id}",
        "/api/services",
        "/api/services/{code}",
    ] {
        assert!(openapi["paths"][path].is_object(), "{path}");
    }
    site.ledger.shutdown().await.unwrap();
});

conformance!(feeds_sitemap_robots, |db: Db| async move {
    let site = site(db).await;
    let feed = site.get("/feeds/news.atom").await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    assert!(feed
        .body
        .contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(feed.body.contains("Hội nghị chuyển đổi số &lt;script&gt;"));
    assert!(
        !feed.body.contains("Điều 47"),
        "legal documents are not news"
    );
    let legal = site.get("/feeds/van-ban.atom").await;
    assert!(legal.body.contains("Điều 47"));
    let sitemap = site.get("/sitemap.xml").await;
    assert!(sitemap
        .body
        .contains("<loc>https://cong.example.gov.vn/dich-vu/1.004.BN.01</loc>"));
    assert_eq!(sitemap.body.matches("/noi-dung/").count(), 2);
    let robots = site.get("/robots.txt").await;
    assert!(robots
        .body
        .contains("Sitemap: https://cong.example.gov.vn/sitemap.xml"));
    assert!(robots.body.contains("Disallow: /admin/"));
    site.ledger.shutdown().await.unwrap();
});

conformance!(hostile_queries_never_fail, |db: Db| async move {
    let site = site(db).await;
    let long = "a".repeat(10 * 1024);
    let control = "%00%01%07%1B%7F";
    let queries = [
        String::new(),
        "%20%20".to_owned(),
        long.clone(),
        "%22%22%22+AND+OR+NOT+*+%3F+~+%5E+%2B+-+(+)+%5B+%5D+%7B+%7D+%3A+%5C+%2F".to_owned(),
        control.to_owned(),
        "%E4%B8%AD%E6%96%87+%D8%A7%D9%84%D8%B9%D8%B1%D8%A8%D9%8A%D8%A9+%F0%9F%98%80".to_owned(),
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E".to_owned(),
        "%22unterminated".to_owned(),
        "%FF%FE".to_owned(),
    ];
    for q in &queries {
        for path in [
            format!("/tim-kiem?q={q}"),
            format!("/api/search?q={q}&limit=10"),
        ] {
            let reply = site.get(&path).await;
            assert!(
                reply.status == StatusCode::OK || reply.status == StatusCode::BAD_REQUEST,
                "{path}: {}",
                reply.status
            );
            if path.starts_with("/api/") {
                // JSON is never rendered as HTML (nosniff, application/json).
                assert!(
                    reply.headers[header::CONTENT_TYPE]
                        .to_str()
                        .unwrap()
                        .starts_with("application/json"),
                    "{path}"
                );
                assert!(
                    serde_json::from_str::<serde_json::Value>(&reply.body).is_ok(),
                    "{path}"
                );
            } else {
                assert!(!reply.body.contains("<script>alert(1)"), "{path}");
            }
        }
    }
    let reflected = site
        .get("/tim-kiem?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    assert!(reflected
        .body
        .contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    for path in [
        "/tim-kiem?q=x&trang=-1",
        "/tim-kiem?q=x&trang=99999999999999999999",
        "/tim-kiem?q=x&nam=abc&loai=%00",
        "/api/search?q=x&offset=-5",
        "/api/search?q=x&year=99999999999",
        "/api/items?limit=0",
        "/api/items?category=%3Cx%3E",
        "/chuyen-muc/tin-tuc?trang=abc",
        "/dich-vu?linh-vuc=%00",
    ] {
        let status = site.get(path).await.status;
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{path}: {status}"
        );
    }
    site.ledger.shutdown().await.unwrap();
});

conformance!(page_cache_follows_every_change, |db: Db| async move {
    let site = site(db).await;
    let home = site.get("/").await;
    let path = item_path(&home.body, "Hội nghị chuyển đổi số");
    let first = site.get(&path).await;
    assert_eq!(first.status, StatusCode::OK);
    let cached = site.state.page_cache().len();
    assert!(
        cached >= 2,
        "the home page and the article are kept ({cached})"
    );
    let second = site.get(&path).await;
    assert_eq!(second.body, first.body);
    assert_eq!(second.headers[header::ETAG], first.headers[header::ETAG]);
    assert_eq!(
        site.state.page_cache().len(),
        cached,
        "served from the cache"
    );
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    let revalidated = site
        .get_with(&path, &[(header::IF_NONE_MATCH, &etag)])
        .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);

    // The language is part of the key.
    let english = site
        .get_with("/", &[(header::COOKIE, "congso_lang=en")])
        .await;
    assert!(english.body.contains("<html lang=\"en\""), "English page");
    let vietnamese = site.get("/").await;
    assert!(
        vietnamese.body.contains("<html lang=\"vi\""),
        "Vietnamese page"
    );

    // A change is visible on the very next request.
    let id: i64 = path.trim_start_matches("/noi-dung/").parse().unwrap();
    site.portal
        .unpublish(&Acting::operator("test"), id)
        .await
        .unwrap();
    assert_eq!(site.get(&path).await.status, StatusCode::NOT_FOUND);
    let home_after = site.get("/").await;
    assert!(!home_after.body.contains("Hội nghị chuyển đổi số"));

    // Searches are never kept.
    let before = site.state.page_cache().len();
    for query in ["ubnd", "giam+doc", "cntt"] {
        site.get(&format!("/tim-kiem?q={query}")).await;
    }
    assert_eq!(site.state.page_cache().len(), before);
    site.ledger.shutdown().await.unwrap();
});
