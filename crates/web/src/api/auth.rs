//! Bearer-token authentication of the JSON API.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use congso_core::access::AccountKind;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::session::{SignedIn, Visitor};
use crate::AppState;

/// Every token starts with this, so a leaked one is easy to recognise
/// (and to search for in repositories).
pub const TOKEN_PREFIX: &str = "cgs_";

/// A new random token: the prefix and 32 random bytes in base64url.
pub fn new_token() -> String {
    use base64::Engine;
    let bytes = congso_store::secrets::random_bytes::<32>();
    format!(
        "{TOKEN_PREFIX}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// What is stored of a token: its SHA-256.
pub fn hash_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The staff member a valid bearer token belongs to, as the pages see a
/// signed-in user (so permission checks are the same).
pub struct ApiUser(pub SignedIn);

fn unauthorized() -> Response {
    let mut response =
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", "api-unauthorized").into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer realm=\"congso\""),
    );
    response
}

impl FromRequestParts<AppState> for ApiUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let mut visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // The API never acts on a session cookie.
        visitor.session = None;
        let Some(token) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|token| token.starts_with(TOKEN_PREFIX) && token.len() < 200)
        else {
            return Err(unauthorized());
        };
        let found = congso_store::accounts::use_api_token(
            state.db(),
            &hash_token(token),
            congso_store::now(),
        )
        .await
        .map_err(|error| AppError::from(error).into_response())?;
        let Some(found) = found else {
            tracing::info!("API request with an unknown, revoked or expired token");
            return Err(unauthorized());
        };
        let user = congso_store::accounts::get_user(state.db(), found.user_id)
            .await
            .map_err(|error| AppError::from(error).into_response())?;
        let Some(user) = user.filter(|user| !user.disabled && user.kind == AccountKind::Staff)
        else {
            return Err(unauthorized());
        };
        Ok(ApiUser(SignedIn { visitor, user }))
    }
}
