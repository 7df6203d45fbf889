//! Operations endpoints: liveness, readiness, Prometheus metrics.

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Alive: the process answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// Ready: the database answers and its schema is current.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.db().is_ready().await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "database unreachable or not migrated",
        )
            .into_response()
    }
}

/// Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let (open, idle) = state.db().pool_stats();
    metrics::gauge!("congso_db_pool_connections").set(f64::from(open));
    metrics::gauge!("congso_db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("congso_ledger_entries").set(state.ledger().size() as f64);
    let mut response = state.metrics().render().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}
