//! Who is asking: language, address, and the server-side session if any.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use congso_core::access::{Action, Role};
use congso_store::accounts::{SessionStage, User};
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::AppState;

pub const SESSION_COOKIE: &str = "congso_session";
pub const PRE_COOKIE: &str = "congso_pre";
pub const LANG_COOKIE: &str = "congso_lang";

/// A signed-in (possibly half-way) session.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub token_hash: Vec<u8>,
    pub stage: SessionStage,
    pub user: User,
}

/// The person behind a request, loaded once by the visitor middleware.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub lang: Lang,
    pub ip: String,
    pub user_agent: String,
    pub path: String,
    pub session: Option<ActiveSession>,
    /// The pre-session cookie value that binds forms before login.
    pub pre_token: String,
    pre_token_is_new: bool,
    pre_token_used: Arc<AtomicBool>,
}

impl Visitor {
    pub fn new(
        lang: Lang,
        ip: String,
        user_agent: String,
        path: String,
        session: Option<ActiveSession>,
        pre_token: Option<String>,
    ) -> Visitor {
        let (pre_token, pre_token_is_new) = match pre_token {
            Some(token) if token.len() >= 20 && token.len() <= 64 => (token, false),
            _ => (new_token(), true),
        };
        Visitor {
            lang,
            ip,
            user_agent,
            path,
            session,
            pre_token,
            pre_token_is_new,
            pre_token_used: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The bytes CSRF tokens of this visitor are bound to.
    pub fn csrf_binding(&self) -> Vec<u8> {
        match &self.session {
            Some(session) => session.token_hash.clone(),
            None => {
                self.pre_token_used.store(true, Ordering::Relaxed);
                Sha256::digest(self.pre_token.as_bytes()).to_vec()
            }
        }
    }

    /// A fresh CSRF token for a form on the page being rendered.
    pub fn csrf_token(&self, state: &AppState) -> String {
        crate::csrf::issue(state.csrf_key(), &self.csrf_binding(), congso_store::now())
    }

    /// Whether rendering this visitor's page issued a CSRF token (so the
    /// page is theirs alone and must not be cached).
    pub fn issued_csrf(&self) -> bool {
        self.pre_token_used.load(Ordering::Relaxed)
    }

    /// Whether the response must set the pre-session cookie.
    pub fn needs_pre_cookie(&self) -> bool {
        self.pre_token_is_new && self.pre_token_used.load(Ordering::Relaxed)
    }

    /// The fully signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        self.session
            .as_ref()
            .filter(|session| session.stage == SessionStage::Full)
            .map(|session| &session.user)
    }

    pub fn can(&self, action: Action) -> bool {
        self.user().is_some_and(|user| user.roles.permits(action))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Visitor>()
            .cloned()
            .ok_or_else(|| AppError::internal("visitor middleware missing"))
    }
}

/// A random 256-bit token, base64url.
pub fn new_token() -> String {
    URL_SAFE_NO_PAD.encode(congso_store::secrets::random_bytes::<32>())
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// Reads one cookie from the request headers.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| cookie::Cookie::parse(pair.trim().to_owned()).ok())
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// Builds a `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, and
/// Secure when the node is reached over HTTPS.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age_seconds: Option<i64>,
) -> HeaderValue {
    let mut cookie = cookie::Cookie::build((name.to_owned(), value.to_owned()))
        .path("/")
        .http_only(true)
        .same_site(cookie::SameSite::Strict)
        .secure(state.settings().secure_cookies);
    if let Some(seconds) = max_age_seconds {
        cookie = cookie.max_age(cookie::time::Duration::seconds(seconds));
    }
    HeaderValue::from_str(&cookie.build().to_string()).unwrap_or(HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear_cookie(state: &AppState, name: &str) -> HeaderValue {
    set_cookie(state, name, "", Some(0))
}

/// An extractor for handlers that need a fully signed-in user.
///
/// A visitor without a session is sent to the login page; one half-way
/// through login is sent to the step they are at; one who must change their
/// password is sent to do that first.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub visitor: Visitor,
    pub user: User,
}

impl SignedIn {
    /// Fails with 403 unless the user's roles permit `action`.
    pub fn require(&self, action: Action) -> Result<(), AppError> {
        if self.user.roles.permits(action) {
            Ok(())
        } else {
            tracing::info!(user = %self.user.username, action = action.code(), "permission denied");
            Err(AppError::forbidden())
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.roles.contains(Role::Administrator)
    }
}

pub fn login_redirect(path: &str) -> Response {
    let next = serde_urlencoded::to_string([("next", path)]).unwrap_or_default();
    Redirect::to(&format!("/login?{next}")).into_response()
}

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(session) = visitor.session.clone() else {
            return Err(login_redirect(&visitor.path));
        };
        match session.stage {
            SessionStage::SecondFactor => return Err(Redirect::to("/login/2fa").into_response()),
            SessionStage::EnrollSecondFactor => {
                return Err(Redirect::to("/account/2fa").into_response())
            }
            SessionStage::Full => {}
        }
        if session.user.must_change_password && visitor.path != "/account/password" {
            return Err(Redirect::to("/account/password").into_response());
        }
        Ok(SignedIn {
            user: session.user.clone(),
            visitor,
        })
    }
}

/// An extractor for the second-factor enrolment pages, reachable both by
/// signed-in users and by administrators who must enrol before anything else.
#[derive(Debug, Clone)]
pub struct EnrollingOrSignedIn {
    pub visitor: Visitor,
    pub user: User,
    pub token_hash: Vec<u8>,
    pub stage: SessionStage,
}

impl<S: Send + Sync> FromRequestParts<S> for EnrollingOrSignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Some(session) = visitor.session.clone() else {
            return Err(login_redirect(&visitor.path));
        };
        if session.stage == SessionStage::SecondFactor {
            return Err(Redirect::to("/login/2fa").into_response());
        }
        Ok(EnrollingOrSignedIn {
            user: session.user.clone(),
            token_hash: session.token_hash.clone(),
            stage: session.stage,
            visitor,
        })
    }
}
