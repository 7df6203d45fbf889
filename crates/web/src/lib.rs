//! The congso HTTP server: server-rendered web interface (works without
//! JavaScript), public ledger endpoints, health and metrics.
//!
//! [`app`] builds the whole router from an [`AppState`], so tests drive it
//! in-process with `tower::ServiceExt::oneshot`, and the binary serves the
//! same router over TCP or TLS.

mod api;
mod csrf;
pub mod data_services;
mod error;
pub mod i18n;
mod layout;
mod middleware;
mod pages;
pub mod password;
pub mod portal;
mod session;
pub mod totp;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use congso_store::blob::BlobStore;
use congso_store::ledger::Ledger;
use congso_store::secrets::Sealer;
use congso_store::Db;
use metrics_exporter_prometheus::PrometheusHandle;

pub use error::AppError;
pub use i18n::{I18n, Lang};
pub use pages::portal_admin::document_source as portal_document_source;

/// Settings the HTTP layer needs, derived from the node configuration.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// The address people use to reach the node (`https://portal.example.gov.vn`),
    /// used in links sent by mail.
    pub public_url: String,
    /// Mark cookies `Secure` (when served over TLS or behind an HTTPS proxy).
    pub secure_cookies: bool,
    /// A session ends after this long without activity.
    pub session_idle: Duration,
    /// A session ends this long after login, active or not.
    pub session_absolute: Duration,
    /// Failed logins before a login name is locked.
    pub login_max_failures: i64,
    /// How long a locked login name stays locked.
    pub login_lockout: Duration,
    /// Largest request body accepted, in bytes (document uploads excepted).
    pub request_body_limit: usize,
    /// Longest time a request may take (document uploads excepted).
    pub request_timeout: Duration,
    /// Largest document upload accepted (the upload routes of the pages and
    /// the API), in bytes; uploads are streamed to the blob store, never
    /// held in memory.
    pub upload_limit: u64,
    /// Longest time a document upload may take.
    pub upload_timeout: Duration,
    /// Language for visitors who have not chosen one.
    pub default_language: Lang,
    /// Argon2id memory cost in KiB (OWASP minimum 19 MiB = 19456).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            public_url: "http://127.0.0.1:8080".to_owned(),
            secure_cookies: false,
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            login_max_failures: 5,
            login_lockout: Duration::from_secs(15 * 60),
            request_body_limit: 10 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            upload_limit: 2 * 1024 * 1024 * 1024,
            upload_timeout: Duration::from_secs(3600),
            default_language: Lang::Vi,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
        }
    }
}

/// Everything a request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<StateInner>,
}

struct StateInner {
    db: Db,
    ledger: Ledger,
    blobs: BlobStore,
    settings: WebSettings,
    i18n: I18n,
    sealer: Sealer,
    csrf_key: [u8; 32],
    metrics: PrometheusHandle,
    passwords: password::Hasher,
    agency_name: std::sync::RwLock<Option<String>>,
    /// The documents service (with the node's archive and signing service),
    /// attached once the node has an agency.
    documents: std::sync::OnceLock<congso_docs::Service>,
    /// Other agencies' data services, once the node runs in a federation.
    data_services: std::sync::OnceLock<Arc<dyn data_services::DataServiceGateway>>,
    /// The node PKI built from the configuration; without it the public PKI
    /// endpoints open one with the default settings.
    pki: std::sync::OnceLock<congso_archive::NodePki>,
    portal: std::sync::OnceLock<Arc<congso_portal::Portal>>,
    /// Rendered public pages for anonymous visitors (`portal::cache`).
    page_cache: portal::PageCache,
}

impl AppState {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        ledger: Ledger,
        blobs: BlobStore,
        settings: WebSettings,
        sealer: Sealer,
        csrf_key: [u8; 32],
        metrics: PrometheusHandle,
    ) -> Result<AppState, i18n::I18nError> {
        let passwords =
            password::Hasher::new(settings.argon2_memory_kib, settings.argon2_iterations);
        Ok(AppState {
            inner: Arc::new(StateInner {
                db,
                ledger,
                blobs,
                i18n: I18n::new()?,
                settings,
                sealer,
                csrf_key,
                metrics,
                passwords,
                agency_name: std::sync::RwLock::new(None),
                documents: std::sync::OnceLock::new(),
                data_services: std::sync::OnceLock::new(),
                pki: std::sync::OnceLock::new(),
                portal: std::sync::OnceLock::new(),
                page_cache: portal::PageCache::default(),
            }),
        })
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The cache of rendered public pages.
    pub fn page_cache(&self) -> &portal::PageCache {
        &self.inner.page_cache
    }

    pub fn ledger(&self) -> &Ledger {
        &self.inner.ledger
    }

    pub fn blobs(&self) -> &BlobStore {
        &self.inner.blobs
    }

    pub fn settings(&self) -> &WebSettings {
        &self.inner.settings
    }

    pub fn i18n(&self) -> &I18n {
        &self.inner.i18n
    }

    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    pub fn passwords(&self) -> &password::Hasher {
        &self.inner.passwords
    }

    /// Attaches the documents service (built by the node with its archive
    /// and PKI, see `congso_docs::archiving`). Only the first call counts;
    /// returns whether this one did.
    pub fn set_documents(&self, service: congso_docs::Service) -> bool {
        self.inner.documents.set(service).is_ok()
    }

    /// Attaches the gateway to other agencies' data services (the node does
    /// when it runs in a federation). Only the first call counts.
    pub fn set_data_services(&self, gateway: Arc<dyn data_services::DataServiceGateway>) -> bool {
        self.inner.data_services.set(gateway).is_ok()
    }

    /// The data service gateway, if the node is in a federation.
    pub fn data_services(&self) -> Option<&Arc<dyn data_services::DataServiceGateway>> {
        self.inner.data_services.get()
    }

    /// Attaches the node PKI built from the configuration (CRL address,
    /// staff certificate validity, external TSA). Only the first call counts.
    pub fn set_pki(&self, pki: congso_archive::NodePki) -> bool {
        self.inner.pki.set(pki).is_ok()
    }

    /// The documents service, or 503 when the node has none yet (no agency).
    pub fn documents(&self) -> Result<&congso_docs::Service, AppError> {
        self.inner.documents.get().ok_or_else(|| {
            AppError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "documents_unavailable",
                "error-documents-unavailable",
            )
        })
    }

    /// Whether the documents service is attached.
    pub fn has_documents(&self) -> bool {
        self.inner.documents.get().is_some()
    }

    /// The node PKI: the configured one, else one opened with defaults.
    pub async fn pki(&self) -> Result<congso_archive::NodePki, AppError> {
        if let Some(pki) = self.inner.pki.get() {
            return Ok(pki.clone());
        }
        congso_archive::NodePki::open(
            &self.inner.db,
            &self.inner.sealer,
            congso_archive::PkiSettings::default(),
        )
        .await
        .map_err(|error| match error {
            congso_archive::ArchiveError::Store(store) => AppError::from(store),
            other => AppError::internal(other.to_string()),
        })
    }

    /// The home agency's name, shown in every page header.
    pub fn agency_name(&self) -> Option<String> {
        self.inner
            .agency_name
            .read()
            .ok()
            .and_then(|name| name.clone())
    }

    /// Reloads the home agency's name from the database (after setup).
    pub async fn refresh_agency(&self) -> Result<(), congso_store::StoreError> {
        let agency = congso_store::accounts::home_agency(&self.inner.db).await?;
        if let Ok(mut name) = self.inner.agency_name.write() {
            *name = agency.map(|agency| agency.name);
        }
        Ok(())
    }

    /// Records an audit entry durably, as an [`AppError`] on failure.
    pub async fn record(
        &self,
        entry: congso_store::ledger::NewEntry,
    ) -> Result<congso_store::ledger::Receipt, AppError> {
        self.inner
            .ledger
            .append(entry)
            .await
            .map_err(AppError::from)
    }

    /// Installs the portal service (the node does this once, with its
    /// on-disk search index); returns false if one was already installed.
    pub fn set_portal(&self, portal: Arc<congso_portal::Portal>) -> bool {
        self.inner.portal.set(portal).is_ok()
    }

    /// The portal service; without [`AppState::set_portal`], one over this
    /// database with an in-memory search index.
    pub fn portal(&self) -> Result<&Arc<congso_portal::Portal>, AppError> {
        if let Some(portal) = self.inner.portal.get() {
            return Ok(portal);
        }
        let index = congso_search::SearchIndex::open_in_ram()
            .map_err(|error| AppError::internal(format!("search index: {error}")))?;
        let portal = congso_portal::Portal::new(
            self.inner.db.clone(),
            self.inner.ledger.clone(),
            Arc::new(index),
        );
        let _ = self.inner.portal.set(Arc::new(portal));
        self.inner
            .portal
            .get()
            .ok_or_else(|| AppError::internal("portal service not installed"))
    }

    fn csrf_key(&self) -> &[u8; 32] {
        &self.inner.csrf_key
    }

    fn metrics(&self) -> &PrometheusHandle {
        &self.inner.metrics
    }
}

/// Installs the Prometheus recorder for this process (once) and returns its
/// handle. Later calls return a handle to the same recorder.
pub fn metrics_handle() -> PrometheusHandle {
    use std::sync::OnceLock;
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[
                    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                    10.0,
                ])
                .unwrap_or_else(|_| metrics_exporter_prometheus::PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be installed (tests in one
            // process); ours still renders what it recorded.
            let _ = metrics::set_global_recorder(recorder);
            handle
        })
        .clone()
}

/// Builds the whole HTTP application.
pub fn app(state: AppState) -> Router {
    middleware::apply(
        pages::routes(state.clone())
            .merge(api::routes(state.clone()))
            .merge(portal::routes(state.clone())),
        state,
    )
}

/// Every route of the JSON API as (method, path), in the router's path
/// syntax; the OpenAPI description names each one (checked by a test).
pub fn api_routes() -> Vec<(&'static str, &'static str)> {
    api::route_table()
}

/// The OpenAPI 3.1 description of the JSON API (`GET /api/openapi.json`).
pub fn openapi() -> serde_json::Value {
    api::openapi::document(api::all_fragments())
}
