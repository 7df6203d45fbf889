//! Public pages: language switch, static files (the home page is the
//! portal's, `crate::portal`).

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};

use crate::error::AppError;
use crate::i18n::Lang;
use crate::layout::{css_path, CSS};
use crate::session::{self, Visitor};
use crate::AppState;

/// Sets the language cookie and goes back where the visitor was.
pub async fn switch_language(
    State(state): State<AppState>,
    visitor: Visitor,
    Path(code): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let lang = Lang::from_code(&code).ok_or_else(AppError::not_found)?;
    if let Some(session) = &visitor.session {
        congso_store::accounts::set_language(state.db(), session.user.id, lang.code()).await?;
    }
    let next = query
        .get("next")
        .and_then(|next| super::local_path(next))
        .unwrap_or("/");
    let mut response = Redirect::to(next).into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        session::set_cookie(
            &state,
            session::LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
        ),
    );
    Ok(response)
}

pub async fn static_file(Path(file): Path<String>) -> Result<Response, AppError> {
    if format!("/static/{file}") != css_path() {
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
