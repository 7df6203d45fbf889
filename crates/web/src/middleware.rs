//! Request pipeline: metrics, security headers, limits, the visitor, CSRF
//! and error rendering.

use std::net::SocketAddr;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use congso_core::audit::AuditAction;
use congso_store::accounts;
use congso_store::ledger::NewEntry;
use tower_http::compression::CompressionLayer;

use crate::error::{AppError, ErrorPage};
use crate::i18n::Lang;
use crate::session::{self, ActiveSession, Visitor};
use crate::AppState;

/// Wraps the router in the middleware stack (the last layer added runs
/// first): metrics, security headers, compression, body limit, the visitor
/// middleware, then the timeout closest to the handlers (inside the visitor,
/// so a timeout is rendered as a page like any other error).
///
/// Document uploads (see `upload::is_upload`) have their own body limit and
/// timeout: a 2 GB scan is streamed to the blob store, which takes longer
/// than any ordinary request should.
pub fn apply(router: axum::Router, state: AppState) -> axum::Router {
    let settings = state.settings().clone();
    router
        .layer(from_fn_with_state(state.clone(), timeout))
        .layer(from_fn_with_state(state.clone(), visitor))
        .layer(axum::extract::DefaultBodyLimit::max(
            settings.request_body_limit,
        ))
        .layer(CompressionLayer::new())
        .layer(from_fn_with_state(state, security_headers))
        .layer(from_fn(track_metrics))
}

/// The body limit of a request: uploads have their own.
fn body_limit(state: &AppState, method: &Method, path: &str) -> u64 {
    let settings = state.settings();
    if crate::upload::is_upload(method, path) {
        settings.upload_limit
    } else {
        settings.request_body_limit as u64
    }
}

/// Ends a request that takes longer than its time limit with 408.
async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let settings = state.settings();
    let limit = if crate::upload::is_upload(request.method(), request.uri().path()) {
        settings.upload_timeout
    } else {
        settings.request_timeout
    };
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// Counts requests and their latency per route and status.
async fn track_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|path| path.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("route", route), ("method", method), ("status", status)];
    metrics::counter!("congso_http_requests_total", &labels).increment(1);
    metrics::histogram!("congso_http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Headers every response carries.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
        ),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers
            .entry(name)
            .or_insert(HeaderValue::from_static(value));
    }
    if state.settings().secure_cookies {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}

/// Loads the visitor (language, session), enforces the body limit and CSRF
/// on state-changing requests, and renders error pages.
async fn visitor(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = body_limit(&state, request.method(), request.uri().path());
    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    let (mut parts, body) = request.into_parts();
    // Kept for the error renderer: the request is gone by the time an error
    // response comes back, and JSON clients are told apart by this header.
    let accept = parts.headers.get(header::ACCEPT).cloned();
    let visitor = match load_visitor(&state, &parts).await {
        Ok(visitor) => visitor,
        Err(error) => {
            // The session could not be loaded (the database is unreachable):
            // still answer with the error page, as to an anonymous visitor.
            let anonymous = Visitor::new(
                state.settings().default_language,
                String::new(),
                String::new(),
                parts.uri.path().to_owned(),
                None,
                None,
            );
            let status = error.status();
            let response = error.into_response();
            return match response.extensions().get::<ErrorPage>() {
                Some(page) => crate::pages::render_error(
                    &state,
                    &anonymous,
                    status,
                    page,
                    HeaderMap::new(),
                    accept.as_ref(),
                ),
                None => response,
            };
        }
    };
    let cookie_was_stale = session::read_cookie(&parts.headers, session::SESSION_COOKIE).is_some()
        && visitor.session.is_none();
    parts.extensions.insert(visitor.clone());

    let limit_text = usize::try_from(limit).unwrap_or(usize::MAX);
    let mut response = if declared_length.is_some_and(|length| length > limit) {
        // Refused from the declared length alone: not one byte of the body
        // is read.
        AppError::too_large(limit_text).into_response()
    } else if needs_csrf(&parts.method, parts.uri.path()) {
        // A form body is buffered to find its token, so it keeps the
        // ordinary limit even on an upload route (uploads are multipart and
        // carry their token in the query or a header).
        let form_limit = state.settings().request_body_limit;
        match check_csrf(&state, &visitor, parts, body, form_limit).await {
            Ok(request) => next.run(request).await,
            Err(response) => response,
        }
    } else {
        next.run(Request::from_parts(parts, body)).await
    };

    // Axum's own rejections (a malformed path, query or form, an unsupported
    // media type, a method the route does not take) arrive as plain text or
    // empty: answer them with the error page or JSON error like any other.
    if response.extensions().get::<ErrorPage>().is_none() && is_rejection(&response) {
        response = describe_rejection(response).await;
    }
    // Axum's body-limit rejection arrives as a plain 413: give it a message.
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE
        && response.extensions().get::<ErrorPage>().is_none()
    {
        response = AppError::too_large(limit_text).into_response();
    }
    if response.status() == StatusCode::REQUEST_TIMEOUT
        && response.extensions().get::<ErrorPage>().is_none()
    {
        response =
            AppError::new(StatusCode::REQUEST_TIMEOUT, "timeout", "error-timeout").into_response();
    }
    if let Some(page) = response.extensions().get::<ErrorPage>().cloned() {
        response = crate::pages::render_error(
            &state,
            &visitor,
            response.status(),
            &page,
            response.headers().clone(),
            accept.as_ref(),
        );
    }
    if visitor.needs_pre_cookie() {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::set_cookie(&state, session::PRE_COOKIE, &visitor.pre_token, None),
        );
    }
    // A stale session cookie is cleared unless the response already sets a
    // new session (other cookies, such as the pre-session one, do not count).
    let sets_session = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|value| {
            value
                .as_bytes()
                .strip_prefix(session::SESSION_COOKIE.as_bytes())
                .is_some_and(|rest| rest.starts_with(b"="))
        });
    if cookie_was_stale && !sets_session {
        response.headers_mut().append(
            header::SET_COOKIE,
            session::clear_cookie(&state, session::SESSION_COOKIE),
        );
    }
    response
}

/// Whether `response` is one of axum's extractor or routing rejections
/// rather than a page a handler rendered on purpose.
fn is_rejection(response: &Response) -> bool {
    let rejected_status = matches!(
        response.status(),
        StatusCode::BAD_REQUEST
            | StatusCode::METHOD_NOT_ALLOWED
            | StatusCode::UNSUPPORTED_MEDIA_TYPE
            | StatusCode::UNPROCESSABLE_ENTITY
    );
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    rejected_status && !is_html
}

/// Turns a rejection into an [`AppError`] response carrying its reason (and
/// the `Allow` header of a 405).
async fn describe_rejection(response: Response) -> Response {
    let (parts, body) = response.into_parts();
    let error = if parts.status == StatusCode::METHOD_NOT_ALLOWED {
        AppError::new(
            parts.status,
            "method_not_allowed",
            "error-method-not-allowed",
        )
    } else {
        // Rejection texts are short; a longer one is not worth showing.
        let reason = axum::body::to_bytes(body, 1024)
            .await
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default();
        AppError::new(parts.status, "bad_request", "error-bad-request").arg("reason", reason)
    };
    let mut response = error.into_response();
    if let Some(allow) = parts.headers.get(header::ALLOW) {
        response.headers_mut().insert(header::ALLOW, allow.clone());
    }
    response
}

async fn load_visitor(
    state: &AppState,
    parts: &axum::http::request::Parts,
) -> Result<Visitor, AppError> {
    let headers = &parts.headers;
    let ip = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|| "unknown".to_owned());
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(300)
        .collect();
    let mut session = None;
    if let Some(token) = session::read_cookie(headers, session::SESSION_COOKIE) {
        session = load_session(state, &token).await?;
        if session.is_none() {
            tracing::debug!("unknown, expired or forged session cookie ignored");
        }
    }
    let cookie_lang =
        session::read_cookie(headers, session::LANG_COOKIE).and_then(|code| Lang::from_code(&code));
    let user_lang = session
        .as_ref()
        .and_then(|session: &ActiveSession| session.user.language.as_deref())
        .and_then(Lang::from_code);
    let lang = cookie_lang
        .or(user_lang)
        .unwrap_or(state.settings().default_language);
    Ok(Visitor::new(
        lang,
        ip,
        user_agent,
        parts.uri.path().to_owned(),
        session,
        session::read_cookie(headers, session::PRE_COOKIE),
    ))
}

async fn load_session(state: &AppState, token: &str) -> Result<Option<ActiveSession>, AppError> {
    if token.len() > 64 {
        return Ok(None);
    }
    let token_hash = session::token_hash(token);
    let now = congso_store::now();
    let Some(stored) = accounts::get_session(state.db(), &token_hash, now).await? else {
        return Ok(None);
    };
    let settings = state.settings();
    let absolute_limit = congso_core::time::Timestamp(stored.created_at)
        .plus_seconds(settings.session_absolute.as_secs() as i64);
    // The stored expiry already respects the absolute limit once the session
    // has been touched; checking here also covers a session not yet touched
    // and an idle allowance configured longer than the absolute one.
    if absolute_limit <= now {
        accounts::delete_session(state.db(), &token_hash).await?;
        return Ok(None);
    }
    let Some(user) = accounts::get_user(state.db(), stored.user_id).await? else {
        return Ok(None);
    };
    if user.disabled {
        accounts::delete_session(state.db(), &token_hash).await?;
        return Ok(None);
    }
    // Slide the idle expiry, at most once a minute to spare the database.
    if now.micros() - stored.last_seen_at > 60_000_000 {
        let idle_limit = now.plus_seconds(settings.session_idle.as_secs() as i64);
        accounts::touch_session(state.db(), &token_hash, now, idle_limit.min(absolute_limit))
            .await?;
    }
    Ok(Some(ActiveSession {
        token_hash,
        stage: stored.stage,
        user,
    }))
}

fn needs_csrf(method: &Method, path: &str) -> bool {
    let changes_state = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    // The JSON API authenticates with tokens, never cookies, so a forged
    // cross-site request carries no credentials there. The RFC 3161
    // timestamp endpoint is public and stateless: it reads no session and
    // changes nothing a forged request could abuse.
    changes_state && !path.starts_with("/api/") && path != "/tsa"
}

async fn check_csrf(
    state: &AppState,
    visitor: &Visitor,
    parts: axum::http::request::Parts,
    body: Body,
    limit: usize,
) -> Result<Request, Response> {
    let (verdict, body) = if let Some(origin) = foreign_origin(&parts, &state.settings().public_url)
    {
        tracing::warn!(origin, "cross-origin form post refused");
        (Err(crate::csrf::Refusal::CrossOrigin), body)
    } else {
        let (token, body) = read_token(&parts, body, limit).await?;
        let binding = visitor.csrf_binding();
        let verdict =
            crate::csrf::check(state, &binding, token.as_deref(), congso_store::now()).await;
        (verdict, body)
    };
    match verdict {
        Ok(()) => Ok(Request::from_parts(parts, body)),
        Err(refusal) => {
            tracing::warn!(?refusal, path = %parts.uri.path(), "csrf check failed");
            if let Some(session) = &visitor.session {
                let entry = NewEntry::new(
                    &congso_core::audit::Actor::User(session.user.username.clone()),
                    AuditAction::CsrfRejected,
                    parts.uri.path().to_owned(),
                )
                .source(visitor.ip.clone())
                .details(serde_json::json!({ "reason": format!("{refusal:?}") }));
                if let Err(error) = state.ledger().append(entry).await {
                    tracing::error!(%error, "cannot record csrf refusal");
                }
            }
            Err(AppError::csrf().into_response())
        }
    }
}

/// The `Origin` of a request that names another site, if it does.
///
/// A browser always sends `Origin` on cross-site POSTs; when present it must
/// name this site. HTTP/1.1 names the site in the `Host` header, HTTP/2 in
/// the request target's authority (browsers send no `Host` there); a request
/// naming neither cannot be matched and is refused.
fn foreign_origin<'a>(parts: &'a axum::http::request::Parts, public_url: &str) -> Option<&'a str> {
    let origin = parts
        .headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())?;
    if origin == "null" {
        return None;
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| parts.uri.authority().map(|authority| authority.as_str()));
    let origin_host = origin.split("://").nth(1).unwrap_or(origin);
    // Behind a reverse proxy that rewrites Host, the public address is what
    // browsers send as Origin.
    let public_origin = public_url.trim_end_matches('/');
    let matches_public = !public_origin.is_empty() && origin == public_origin;
    (host != Some(origin_host) && !matches_public).then_some(origin)
}

/// Reads the CSRF token from the form body (which is buffered and handed
/// back), the `X-CSRF-Token` header or the query string.
async fn read_token(
    parts: &axum::http::request::Parts,
    body: Body,
    limit: usize,
) -> Result<(Option<String>, Body), Response> {
    let header_token = parts
        .headers
        .get("x-csrf-token")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if is_form {
        let bytes = match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => bytes,
            Err(_) => return Err(AppError::too_large(limit).into_response()),
        };
        let token = form_urlencoded_value(&bytes, "csrf").or(header_token);
        Ok((token, Body::from(bytes)))
    } else {
        let query_token = parts
            .uri
            .query()
            .and_then(|query| form_urlencoded_value(query.as_bytes(), "csrf"));
        Ok((header_token.or(query_token), body))
    }
}

fn form_urlencoded_value(bytes: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes)
        .ok()?
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}
