//! The harness every HTTP test uses: an in-process node over a fresh
//! database, a browser-like client with a cookie jar, and helpers that
//! create accounts of each role directly through `congso_store::accounts`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Request, StatusCode};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use congso_core::access::{AccountKind, Role, RoleSet};
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{self, Entry, Ledger, LedgerOptions};
use congso_store::secrets::{random_bytes, MasterKey, Sealer};
use congso_store::Db;
use congso_web::{AppState, WebSettings};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

/// The password of every account the harness creates.
pub const PASSWORD: &str = "Hoa sen giữa đầm 2026";
/// The address the node believes it is reached at.
pub const PUBLIC_URL: &str = "https://cong.stttt.example.gov.vn";
/// The `Host` header every request carries unless a test says otherwise.
pub const HOST: &str = "cong.stttt.example.gov.vn";

/// The Vietnamese texts the tests look for, written out here rather than
/// read from the translation files, so a changed message is noticed.
pub mod vi {
    pub const LOGIN_FAILED: &str = "Tên đăng nhập hoặc mật khẩu không đúng.";
    pub const CSRF: &str = "Biểu mẫu đã hết hạn hoặc đã được gửi trước đó.";
    pub const FORBIDDEN: &str = "Bạn không có quyền thực hiện thao tác này.";
    pub const WAIT: &str = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau";
    pub const LOCKED: &str = "Tài khoản tạm thời bị khóa đăng nhập";
    pub const CODE_WRONG: &str = "Mã xác thực không đúng hoặc đã được dùng.";
    pub const TEMP_PASSWORD: &str = "Mật khẩu tạm thời (chỉ hiển thị một lần): ";
    pub const SELF_DEMOTE: &str =
        "Bạn không thể tự bỏ vai trò quản trị hoặc tự khóa tài khoản của mình.";
    pub const RESET_SENT: &str = "Nếu tài khoản tồn tại và có địa chỉ thư điện tử";
    pub const RESET_INVALID: &str =
        "Đường dẫn đặt lại mật khẩu không hợp lệ, đã hết hạn hoặc đã được dùng.";
    pub const NOT_FOUND: &str = "Không tìm thấy trang bạn yêu cầu.";
    pub const INTERNAL: &str = "Hệ thống gặp sự cố. Sự cố đã được ghi lại; vui lòng thử lại sau.";
    pub const ADMIN_CANNOT_DISABLE_2FA: &str =
        "Tài khoản quản trị không được tắt xác thực hai yếu tố.";
}

/// An in-process node: state, router and the database behind them.
pub struct Harness {
    pub db: Db,
    pub ledger: Ledger,
    pub sealer: Sealer,
    pub csrf_key: [u8; 32],
    pub agency_id: i64,
    /// The node PKI and documents service, when built `with_documents`.
    pub pki: Option<congso_archive::NodePki>,
    pub documents: Option<congso_docs::Service>,
    /// The application state (tests attach gateways to it).
    pub state: AppState,
    app: Router,
    hasher: congso_web::password::Hasher,
    _dir: tempfile::TempDir,
}

/// An account created by the harness.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub password: String,
    /// The base32 TOTP secret, when the account has a second factor.
    pub totp: Option<String>,
}

/// Settings for tests: the production defaults with cheap Argon2id.
pub fn test_settings() -> WebSettings {
    WebSettings {
        public_url: PUBLIC_URL.to_owned(),
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        ..WebSettings::default()
    }
}

impl Harness {
    pub async fn new(db: Db) -> Harness {
        Harness::with(db, |_| {}).await
    }

    /// A node whose settings `adjust` changes first.
    pub async fn with(db: Db, adjust: impl FnOnce(&mut WebSettings)) -> Harness {
        Harness::build(db, adjust, false).await
    }

    /// A node with the documents service attached (its archive, node CA
    /// and TSA), as `congso serve` attaches it once the agency exists.
    pub async fn with_documents(db: Db, adjust: impl FnOnce(&mut WebSettings)) -> Harness {
        Harness::build(db, adjust, true).await
    }

    async fn build(db: Db, adjust: impl FnOnce(&mut WebSettings), documents: bool) -> Harness {
        install_log_capture();
        let mut settings = test_settings();
        adjust(&mut settings);
        let metrics = congso_web::metrics_handle();
        let ledger = Ledger::open(
            db.clone(),
            random_bytes::<32>(),
            ledger::origin_for_node("thu-nghiem"),
            LedgerOptions::default(),
        )
        .await
        .expect("ledger opens");
        let dir = tempfile::tempdir().expect("temporary directory");
        let blobs = BlobStore::open(
            &BlobConfig::Local {
                root: dir.path().join("blobs"),
            },
            dir.path().join("spool"),
        )
        .expect("blob store opens");
        let sealer = MasterKey::generate().sealer();
        let csrf_key = random_bytes::<32>();
        let agency_id = seed_agency(&db).await;
        let state = AppState::new(
            db.clone(),
            ledger.clone(),
            blobs.clone(),
            settings,
            sealer.clone(),
            csrf_key,
            metrics,
        )
        .expect("state builds");
        state.refresh_agency().await.expect("agency loads");
        let (pki, service) = if documents {
            let pki =
                congso_archive::NodePki::open(&db, &sealer, congso_archive::PkiSettings::default())
                    .await
                    .expect("pki opens");
            let organization = accounts::home_agency(&db)
                .await
                .expect("agency query")
                .expect("agency exists");
            std::fs::create_dir_all(dir.path().join("spool")).expect("spool dir");
            let service = congso_docs::Service::new(
                db.clone(),
                ledger.clone(),
                blobs.clone(),
                std::sync::Arc::new(congso_vn::calendar::OfficialCalendar::shipped().clone()),
                congso_docs::workflow::Workflows::shipped(),
                congso_docs::types::TypeRegistry::shipped(),
                congso_docs::Agency::from_organization(&organization),
                congso_docs::Settings {
                    max_upload_bytes: state.settings().upload_limit,
                    spool_dir: dir.path().join("spool"),
                },
            )
            .with_archive(congso_archive::Archive::new(pki.clone(), blobs.clone()));
            state.set_pki(pki.clone());
            state.set_documents(service.clone());
            (Some(pki), Some(service))
        } else {
            (None, None)
        };
        let app = congso_web::app(state.clone());
        let hasher = congso_web::password::Hasher::new(64, 1);
        Harness {
            db,
            ledger,
            sealer,
            csrf_key,
            agency_id,
            pki,
            documents: service,
            state,
            app,
            hasher,
            _dir: dir,
        }
    }

    /// A browser with an empty cookie jar.
    pub fn client(&self) -> Client {
        Client {
            app: self.app.clone(),
            jar: BTreeMap::new(),
        }
    }

    /// A browser holding only this session cookie (a stolen or kept one).
    pub fn client_with_session(&self, token: &str) -> Client {
        let mut client = self.client();
        client
            .jar
            .insert("congso_session".to_owned(), token.to_owned());
        client
    }

    /// A staff or citizen account holding one role, without a second factor.
    pub async fn user(&self, username: &str, role: Role) -> TestUser {
        self.user_with(username, RoleSet::single(role), None).await
    }

    /// An account with any roles and optionally an e-mail address.
    pub async fn user_with(&self, username: &str, roles: RoleSet, email: Option<&str>) -> TestUser {
        let kind = if roles.contains(Role::Citizen) {
            AccountKind::Citizen
        } else {
            AccountKind::Staff
        };
        let id = accounts::create_user(
            &self.db,
            &NewUser {
                username: username.to_owned(),
                display_name: format!("Cán bộ {username}"),
                email: email.map(str::to_owned),
                kind,
                organization_id: (kind == AccountKind::Staff).then_some(self.agency_id),
                unit_id: None,
                position: (kind == AccountKind::Staff).then(|| "Chuyên viên".to_owned()),
                roles,
                password_hash: self.hasher.hash_blocking(PASSWORD).expect("hash"),
                must_change_password: false,
            },
        )
        .await
        .expect("account created");
        TestUser {
            id,
            username: username.to_owned(),
            password: PASSWORD.to_owned(),
            totp: None,
        }
    }

    /// An administrator with a second factor already enrolled (as every
    /// administrator must have before reaching anything).
    pub async fn admin(&self, username: &str) -> TestUser {
        let mut admin = self.user(username, Role::Administrator).await;
        self.give_totp(&mut admin).await;
        admin
    }

    /// Stores a TOTP secret for `user`, sealed the way the node seals it.
    pub async fn give_totp(&self, user: &mut TestUser) -> String {
        let secret = congso_web::totp::generate_secret();
        let sealed = self
            .sealer
            .seal(secret.as_bytes(), &format!("users/{}/totp", user.id))
            .expect("seal");
        accounts::set_totp_secret(&self.db, user.id, Some(&sealed))
            .await
            .expect("secret stored");
        user.totp = Some(secret.clone());
        secret
    }

    pub async fn stored_user(&self, id: i64) -> accounts::User {
        accounts::get_user(&self.db, id)
            .await
            .expect("user query")
            .expect("user exists")
    }

    /// Every ledger entry, oldest first.
    pub async fn entries(&self) -> Vec<Entry> {
        ledger::entries_from(&self.db, 0, 1_000_000)
            .await
            .expect("ledger entries")
    }

    /// The ledger entries with this action code, oldest first.
    pub async fn entries_with(&self, action: &str) -> Vec<Entry> {
        self.entries()
            .await
            .into_iter()
            .filter(|entry| entry.action == action)
            .collect()
    }

    /// Whether the session behind this cookie value still exists in the
    /// database (not merely whether the node accepts it).
    pub async fn session_stored(&self, token: &str) -> bool {
        accounts::get_session(
            &self.db,
            &Sha256::digest(token.as_bytes()),
            congso_store::now(),
        )
        .await
        .expect("session query")
        .is_some()
    }

    /// A CSRF token made outside the node, by the format `csrf.rs`
    /// documents, for a visitor whose binding is `binding` and with any
    /// expiry: lets a test present an expired token without waiting hours.
    pub fn forge_csrf(&self, binding: &[u8], expires_at_micros: i64) -> String {
        let nonce = random_bytes::<16>();
        let expiry = expires_at_micros.to_be_bytes();
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.csrf_key).expect("any key length");
        mac.update(b"congso-csrf-v1");
        mac.update(&(binding.len() as u32).to_be_bytes());
        mac.update(binding);
        mac.update(&nonce);
        mac.update(&expiry);
        let tag = mac.finalize().into_bytes();
        let mut token = nonce.to_vec();
        token.extend_from_slice(&expiry);
        token.extend_from_slice(&tag[..16]);
        URL_SAFE_NO_PAD.encode(token)
    }
}

async fn seed_agency(db: &Db) -> i64 {
    let agency_id = accounts::create_organization(
        db,
        &NewOrganization {
            kind: "agency".into(),
            organ_code: Some("000.21.32.H06".into()),
            name: "Sở Thông tin và Truyền thông tỉnh Bắc Ninh".into(),
            name_en: Some("Bac Ninh Department of Information and Communications".into()),
            short_name: Some("STTTT".into()),
            ..Default::default()
        },
    )
    .await
    .expect("agency created");
    accounts::create_organization(
        db,
        &NewOrganization {
            parent_id: Some(agency_id),
            kind: "unit".into(),
            organ_code: Some("003.21.32.H06".into()),
            name: "Phòng Công nghệ thông tin".into(),
            short_name: Some("CNTT".into()),
            ..Default::default()
        },
    )
    .await
    .expect("unit created");
    agency_id
}

/// The current TOTP code of `secret`.
pub fn totp_now(secret: &str) -> String {
    congso_web::totp::code_at(secret, unix_now()).expect("valid secret")
}

/// A six-digit code that is wrong for `secret` at any time step the node
/// would accept now.
pub fn totp_wrong(secret: &str) -> String {
    let now = unix_now();
    let near: Vec<String> = (0..5)
        .map(|step| congso_web::totp::code_at(secret, now + step * 30 - 60).expect("code"))
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|code| !near.contains(code))
        .expect("some code is wrong")
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

pub fn now_micros() -> i64 {
    congso_store::now().micros()
}

// ---------------------------------------------------------------- client

/// A browser: sends requests through the router in-process and keeps the
/// cookies the node sets, as a browser would.
pub struct Client {
    app: Router,
    pub jar: BTreeMap<String, String>,
}

/// A response with its body read.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Client {
    /// Sends `request` with this browser's cookies and a `Host` header
    /// unless the request already has them.
    pub async fn send(&mut self, mut request: Request<Body>) -> Reply {
        let headers = request.headers_mut();
        if !headers.contains_key(header::HOST) && request.uri().authority().is_none() {
            request
                .headers_mut()
                .insert(header::HOST, HeaderValue::from_static(HOST));
        }
        if !request.headers().contains_key(header::COOKIE) && !self.jar.is_empty() {
            let cookies = self
                .jar
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ");
            request.headers_mut().insert(
                header::COOKIE,
                HeaderValue::from_str(&cookies).expect("cookie header"),
            );
        }
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("the router is infallible");
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("body reads");
        let reply = Reply {
            status: parts.status,
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        };
        for cookie in reply.cookies() {
            let expired = cookie
                .max_age()
                .is_some_and(|age| age <= cookie::time::Duration::ZERO);
            if expired || cookie.value().is_empty() {
                self.jar.remove(cookie.name());
            } else {
                self.jar
                    .insert(cookie.name().to_owned(), cookie.value().to_owned());
            }
        }
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(request(Method::GET, path).body(Body::empty()).unwrap())
            .await
    }

    /// A GET from a client that wants JSON.
    pub async fn get_json(&mut self, path: &str) -> Reply {
        self.send(
            request(Method::GET, path)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Posts a URL-encoded form exactly as given (no token added).
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).expect("form encodes");
        self.post_raw(path, body).await
    }

    /// Posts a raw body labelled as a URL-encoded form.
    pub async fn post_raw(&mut self, path: &str, body: impl Into<Body>) -> Reply {
        self.send(
            request(Method::POST, path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body.into())
                .unwrap(),
        )
        .await
    }

    /// Posts a `multipart/form-data` body: text fields, then files as
    /// (field name, file name, media type, bytes).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &str, &[u8])],
    ) -> Reply {
        let boundary = "----congso-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        for (name, file_name, mime, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: {mime}\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        self.send(
            request(Method::POST, path)
                .header(
                    header::CONTENT_TYPE,
                    format!("multipart/form-data; boundary={boundary}"),
                )
                .body(Body::from(body))
                .unwrap(),
        )
        .await
    }

    /// A fresh CSRF token for this browser, taken from a rendered form as a
    /// browser would have it: the logout form on the home page when signed
    /// in, the login form otherwise.
    pub async fn token(&mut self) -> String {
        let home = self.get("/").await;
        if let Some(token) = home.csrf() {
            return token;
        }
        let login = self.get("/login").await;
        login.csrf().expect("the login page carries a csrf token")
    }

    /// Posts a form with a fresh token, as submitting a rendered form does.
    pub async fn submit(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.token().await;
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_form(path, &all).await
    }

    /// Sends the login form (password step only).
    pub async fn login(&mut self, username: &str, password: &str) -> Reply {
        let page = self.get("/login").await;
        let token = page.csrf().expect("login form token");
        self.post_form(
            "/login",
            &[
                ("csrf", &token),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Signs `user` in completely (password, then the TOTP code if the
    /// account has one) and returns the last response.
    pub async fn sign_in(&mut self, user: &TestUser) -> Reply {
        let reply = self.login(&user.username, &user.password).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "login: {}", reply.body);
        let Some(secret) = &user.totp else {
            return reply;
        };
        assert!(
            reply.location().starts_with("/login/2fa"),
            "{}",
            reply.location()
        );
        let form = self.get(reply.location()).await;
        let token = form.csrf().expect("2fa form token");
        let reply = self
            .post_form(
                "/login/2fa",
                &[("csrf", &token), ("code", &totp_now(secret))],
            )
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "2fa: {}", reply.body);
        reply
    }

    /// The session cookie's value, if the browser holds one.
    pub fn session(&self) -> Option<String> {
        self.jar.get("congso_session").cloned()
    }

    /// The CSRF binding of this browser's session (the token's SHA-256).
    pub fn session_binding(&self) -> Vec<u8> {
        Sha256::digest(self.session().expect("signed in").as_bytes()).to_vec()
    }
}

/// A request builder for `path` with the method given.
pub fn request(method: Method, path: &str) -> axum::http::request::Builder {
    Request::builder().method(method).uri(path)
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }

    /// The first CSRF token in the page, if it has a form.
    pub fn csrf(&self) -> Option<String> {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }

    /// Every cookie the response sets.
    pub fn cookies(&self) -> Vec<cookie::Cookie<'static>> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| cookie::Cookie::parse(value.to_owned()).ok())
            .collect()
    }

    pub fn cookie(&self, name: &str) -> Option<cookie::Cookie<'static>> {
        self.cookies()
            .into_iter()
            .find(|cookie| cookie.name() == name)
    }

    /// The raw `Set-Cookie` header for `name`.
    pub fn set_cookie_header(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find(|value| value.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The text of the page's alert box (`role="alert"`), tags removed.
    pub fn alert(&self) -> Option<String> {
        let start = self.body.find("role=\"alert\"")?;
        let open_end = self.body[start..].find('>')? + start + 1;
        let close = self.body[open_end..].find("</div>")? + open_end;
        Some(html_text(&self.body[open_end..close]))
    }

    /// The text of the page's status notice (`class="notice"`), if any.
    pub fn notice(&self) -> Option<String> {
        let start = self.body.find("class=\"notice\"")?;
        let open_end = self.body[start..].find('>')? + start + 1;
        let close = self.body[open_end..].find("</div>")? + open_end;
        Some(html_text(&self.body[open_end..close]))
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }

    /// The page with every CSRF token replaced by a placeholder, for
    /// comparing two renderings of the same page.
    pub fn body_without_tokens(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let mut out = String::new();
        let mut rest = self.body.as_str();
        while let Some(position) = rest.find(marker) {
            let value_start = position + marker.len();
            out.push_str(&rest[..value_start]);
            out.push_str("TOKEN");
            let value_end = rest[value_start..]
                .find('"')
                .map_or(rest.len(), |end| value_start + end);
            rest = &rest[value_end..];
        }
        out.push_str(rest);
        out
    }
}

/// Strips tags and decodes the entities maud writes.
pub fn html_text(html: &str) -> String {
    let mut text = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------- log capture

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogSink;

impl Write for LogSink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut logs) = LOGS.lock() {
            logs.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Sends every log line of this test process (debug and above) to a buffer,
/// so tests can prove a secret never reaches the log.
fn install_log_capture() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_writer(|| LogSink)
            .try_init();
    });
}

/// Everything logged so far by every test in this process.
pub fn logs() -> String {
    String::from_utf8_lossy(&LOGS.lock().expect("log buffer")).into_owned()
}

/// The "never logged" assertions mean something only if logging reaches
/// the buffer.
#[test]
fn log_capture_sees_what_is_logged() {
    install_log_capture();
    let marker = format!("marker-{}", hex::encode(random_bytes::<8>()));
    tracing::debug!(%marker, "log capture check");
    assert!(logs().contains(&marker));
}
