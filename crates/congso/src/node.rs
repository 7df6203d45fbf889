//! Opening a node's data (for `serve` and every offline command) and
//! running the HTTP server.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::Context;
use congso_core::audit::{Actor, AuditAction};
use congso_ledger::note::{Ed25519Signer, Ed25519Verifier};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{self, Ledger, LedgerOptions, NewEntry};
use congso_store::secrets::{self, MasterKey, Sealer};
use congso_store::{Db, DbOptions};
use congso_web::{AppState, Lang, WebSettings};
use tokio::sync::watch;

use crate::config::Config;

/// When the process started, for the "ready in N ms" figure.
pub fn process_start() -> Instant {
    static START: OnceLock<Instant> = OnceLock::new();
    *START.get_or_init(Instant::now)
}

/// A node's storage and keys, opened but not serving.
pub struct Node {
    pub config: Config,
    pub db: Db,
    pub sealer: Sealer,
    pub node_id: String,
    ledger_seed: [u8; 32],
    csrf_key: [u8; 32],
}

impl Node {
    /// Opens (and if needed creates and migrates) the node's storage.
    pub async fn open(config: Config) -> anyhow::Result<Node> {
        std::fs::create_dir_all(&config.data_dir).with_context(|| {
            format!("cannot create data directory {}", config.data_dir.display())
        })?;
        let master_key = if config.master_key.is_empty() {
            MasterKey::load_or_create(&config.master_key_path())?
        } else {
            MasterKey::from_base64(&config.master_key).context("key `master_key`")?
        };
        let sealer = master_key.sealer();
        let mut options = DbOptions::new(config.database_url());
        options.max_connections = config.database_max_connections;
        let db = Db::open(&options).await?;
        let node_id =
            secrets::meta_init(&db, "node_id", &hex::encode(secrets::random_bytes::<8>())).await?;
        let ledger_seed = secret32(&db, &sealer, "ledger_signing_key").await?;
        let csrf_key = secret32(&db, &sealer, "csrf_key").await?;
        Ok(Node {
            config,
            db,
            sealer,
            node_id,
            ledger_seed,
            csrf_key,
        })
    }

    pub fn origin(&self) -> String {
        ledger::origin_for_node(&self.node_id)
    }

    pub fn verifier(&self) -> anyhow::Result<Ed25519Verifier> {
        Ok(Ed25519Signer::from_seed(&self.origin(), self.ledger_seed)
            .map_err(|error| anyhow::anyhow!("ledger key: {error}"))?
            .verifier())
    }

    pub async fn ledger(&self) -> anyhow::Result<Ledger> {
        Ok(Ledger::open(
            self.db.clone(),
            self.ledger_seed,
            self.origin(),
            LedgerOptions {
                batch_max: self.config.ledger_batch_max as usize,
                checkpoint_interval: Duration::from_secs(
                    self.config.ledger_checkpoint_interval_secs,
                ),
            },
        )
        .await?)
    }

    pub fn blobs(&self) -> anyhow::Result<BlobStore> {
        let config = &self.config;
        let blob_config = match config.blob_store.as_str() {
            "s3" => BlobConfig::S3 {
                endpoint: config.s3_endpoint.clone(),
                bucket: config.s3_bucket.clone(),
                region: config.s3_region.clone(),
                access_key_id: config.s3_access_key_id.clone(),
                secret_access_key: config.s3_secret_access_key.clone(),
                allow_http: config.s3_allow_http,
            },
            _ => BlobConfig::Local {
                root: config.blob_dir(),
            },
        };
        Ok(BlobStore::open(&blob_config, config.spool_dir())?)
    }

    pub fn web_settings(&self) -> WebSettings {
        let config = &self.config;
        WebSettings {
            public_url: config.public_url(),
            secure_cookies: config.secure_cookies(),
            session_idle: Duration::from_secs(config.session_idle_minutes * 60),
            session_absolute: Duration::from_secs(config.session_absolute_hours * 3600),
            login_max_failures: i64::from(config.login_max_failures),
            login_lockout: Duration::from_secs(config.login_lockout_minutes * 60),
            request_body_limit: config.request_body_limit_bytes as usize,
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            upload_limit: config.upload_limit_bytes,
            upload_timeout: Duration::from_secs(config.upload_timeout_secs),
            default_language: Lang::from_code(&config.language).unwrap_or_default(),
            argon2_memory_kib: config.argon2_memory_kib,
            argon2_iterations: config.argon2_iterations,
        }
    }

    pub async fn app_state(&self, ledger: Ledger) -> anyhow::Result<AppState> {
        let state = AppState::new(
            self.db.clone(),
            ledger,
            self.blobs()?,
            self.web_settings(),
            self.sealer.clone(),
            self.csrf_key,
            congso_web::metrics_handle(),
        )?;
        state.refresh_agency().await?;
        let pki = crate::pki_cmd::node_pki(self).await?;
        state.set_pki(pki.clone());
        if let Some(service) = self.documents_service(state.ledger().clone(), pki).await? {
            state.set_documents(service);
        }
        Ok(state)
    }

    /// The documents service of the node's home agency, with the node's
    /// archive and signing service attached; `None` while the node has no
    /// agency yet (`congso admin init` creates it).
    pub async fn documents_service(
        &self,
        ledger: Ledger,
        pki: congso_archive::NodePki,
    ) -> anyhow::Result<Option<congso_docs::Service>> {
        let workflows = self.workflows()?;
        let Some(organization) = congso_store::accounts::home_agency(&self.db).await? else {
            return Ok(None);
        };
        let calendar = if self.config.holidays_file.is_empty() {
            congso_vn::calendar::OfficialCalendar::shipped().clone()
        } else {
            let path = &self.config.holidays_file;
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read holiday file {path}"))?;
            congso_vn::calendar::OfficialCalendar::with_overrides(&text)
                .with_context(|| format!("holiday file {path} is invalid"))?
        };
        let blobs = self.blobs()?;
        let spool_dir = self.config.spool_dir();
        std::fs::create_dir_all(&spool_dir)
            .with_context(|| format!("cannot create {}", spool_dir.display()))?;
        let service = congso_docs::Service::new(
            self.db.clone(),
            ledger,
            blobs.clone(),
            std::sync::Arc::new(calendar),
            workflows,
            congso_docs::types::TypeRegistry::shipped(),
            congso_docs::service::Agency::from_organization(&organization),
            congso_docs::service::Settings {
                max_upload_bytes: self.config.upload_limit_bytes,
                spool_dir,
            },
        )
        .with_archive(congso_archive::Archive::new(pki, blobs));
        Ok(Some(service))
    }

    /// The document workflows: the agency's definition from
    /// `workflows_file`, else the shipped Decree 30 defaults. A bad file is
    /// refused with every problem in it, naming the file.
    pub fn workflows(&self) -> anyhow::Result<congso_docs::workflow::Workflows> {
        let path = &self.config.workflows_file;
        if path.is_empty() {
            return Ok(congso_docs::workflow::Workflows::shipped());
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("workflows_file: cannot read {path}"))?;
        congso_docs::workflow::Workflows::from_toml(&text).map_err(|errors| {
            let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "workflows_file {path} is invalid ({} problem(s)):\n  {}",
                list.len(),
                list.join("\n  ")
            )
        })
    }

    /// A password hasher with the configured cost.
    pub fn password_hasher(&self) -> congso_web::password::Hasher {
        congso_web::password::Hasher::new(
            self.config.argon2_memory_kib,
            self.config.argon2_iterations,
        )
    }
}

async fn secret32(db: &Db, sealer: &Sealer, name: &str) -> anyhow::Result<[u8; 32]> {
    let bytes =
        secrets::node_secret(db, sealer, name, || secrets::random_bytes::<32>().to_vec()).await?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("node secret {name} is not 32 bytes"))
}

/// Records "configuration changed" when the effective configuration differs
/// from the one the node last started with.
async fn record_config_change(node: &Node, ledger: &Ledger) -> anyhow::Result<()> {
    let fingerprint = node.config.fingerprint();
    let previous = secrets::meta_get(&node.db, "config_fingerprint").await?;
    if previous.as_deref() != Some(fingerprint.as_str()) {
        ledger
            .append(
                NewEntry::new(&Actor::System, AuditAction::ConfigChanged, "config")
                    .source("system")
                    .data(fingerprint.as_bytes())
                    .details(serde_json::json!({ "first_start": previous.is_none() })),
            )
            .await?;
        secrets::meta_set(&node.db, "config_fingerprint", &fingerprint).await?;
    }
    Ok(())
}

/// Resolves when the process is asked to stop (SIGTERM or Ctrl-C).
async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown requested: draining requests");
}

/// Serves the node until SIGTERM, then drains requests, flushes the ledger
/// and closes the database. `on_ready` runs once the port is open.
pub async fn serve(node: Node, on_ready: impl FnOnce(SocketAddr)) -> anyhow::Result<()> {
    let ledger = node.ledger().await?;
    record_config_change(&node, &ledger).await?;
    ledger
        .append(
            NewEntry::new(&Actor::System, AuditAction::NodeStarted, format!("node:{}", node.node_id))
                .source("system")
                .details(serde_json::json!({ "version": env!("CARGO_PKG_VERSION"), "database": node.db.backend().name() })),
        )
        .await?;
    let state = node.app_state(ledger.clone()).await?;
    // The federation listener and workers run when the node belongs to a
    // federation; they stop after the HTTP server, before the ledger.
    let federation = crate::federation_cmd::start_service(&node, &ledger).await?;
    if let Some(federation) = &federation {
        // Staff call other agencies' data services through it.
        state.set_data_services(std::sync::Arc::new(crate::data_service_cmd::Gateway {
            federation: federation.clone(),
        }));
    }
    let (stop_tasks, stopped) = watch::channel(false);
    let delivery = crate::mail::Delivery::from_config(&node.config)?;
    let mut tasks = spawn_background_tasks(&node, delivery, stopped.clone());
    if let Ok(service) = state.documents() {
        // Documents travel over the federation when the node belongs to one.
        if let Some(federation) = &federation {
            tasks.push(crate::exchange::start(federation, service.clone(), stopped.clone()).await?);
        }
        tasks.push(spawn_documents_upkeep(service.clone(), stopped));
    }
    tasks.push(crate::portal_cmd::start(&node, &state, &ledger, stop_tasks.subscribe()).await?);
    let app = congso_web::app(state).into_make_service_with_connect_info::<SocketAddr>();
    let addr = node.config.listen_addr()?;

    if node.config.tls_enabled() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(
            &node.config.tls_cert_file,
            &node.config.tls_key_file,
        )
        .await
        .with_context(|| {
            format!(
                "cannot load TLS certificate {} / key {}",
                node.config.tls_cert_file, node.config.tls_key_file
            )
        })?;
        let handle = axum_server::Handle::new();
        let shutdown_handle = handle.clone();
        // In-flight requests get at most the request timeout to finish; idle
        // keep-alive connections are not waited for beyond that.
        let grace = Duration::from_secs(node.config.request_timeout_secs);
        tokio::spawn(async move {
            shutdown_signal().await;
            shutdown_handle.graceful_shutdown(Some(grace));
        });
        let server = axum_server::bind_rustls(addr, tls)
            .handle(handle.clone())
            .serve(app);
        let ready_handle = handle.clone();
        let ready = async move {
            if let Some(bound) = ready_handle.listening().await {
                announce_ready(bound);
                on_ready(bound);
            }
        };
        let (result, ()) = tokio::join!(server, ready);
        result.with_context(|| format!("cannot serve HTTPS on {addr}"))?;
    } else {
        let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| {
            format!("cannot listen on {addr}: is another process using the port?")
        })?;
        let bound = listener.local_addr()?;
        announce_ready(bound);
        on_ready(bound);
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("HTTP server failed")?;
    }

    let _ = stop_tasks.send(true);
    for task in tasks {
        let _ = task.await;
    }
    if let Some(federation) = federation {
        federation.shutdown().await;
    }
    ledger
        .append(
            NewEntry::new(
                &Actor::System,
                AuditAction::NodeStopped,
                format!("node:{}", node.node_id),
            )
            .source("system"),
        )
        .await?;
    ledger.shutdown().await?;
    node.db.close().await;
    tracing::info!("stopped cleanly: ledger flushed and checkpointed");
    Ok(())
}

fn announce_ready(bound: SocketAddr) {
    tracing::info!(
        address = %bound,
        ready_ms = process_start().elapsed().as_millis() as u64,
        "congso ready"
    );
}

/// The documents service's upkeep: at start-up and then every minute, it
/// appends ledger entries for changes whose append failed or was
/// interrupted, archives documents whose archiving is due but missing, and
/// notifies assignees whose assignments have become overdue (once each).
fn spawn_documents_upkeep(
    service: congso_docs::Service,
    mut stop: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut min_age = Duration::ZERO;
        loop {
            match service.reconcile_ledger(min_age).await {
                Ok(0) => {}
                Ok(appended) => tracing::info!(appended, "document changes ledgered late"),
                Err(error) => tracing::warn!(%error, "document ledger reconciliation failed"),
            }
            match service.reconcile_archive(1000).await {
                Ok(0) => {}
                Ok(archived) => tracing::info!(archived, "documents archived late"),
                Err(error) => tracing::warn!(%error, "archive reconciliation failed"),
            }
            let today = congso_docs::service::vn_date(congso_store::now());
            match service.remind_overdue(today).await {
                Ok(0) => {}
                Ok(reminded) => tracing::info!(reminded, "overdue reminders sent"),
                Err(error) => tracing::warn!(%error, "overdue reminders failed"),
            }
            min_age = Duration::from_secs(60);
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(60)) => {}
                _ = stop.changed() => break,
            }
        }
    })
}

fn spawn_background_tasks(
    node: &Node,
    delivery: crate::mail::Delivery,
    stopped: watch::Receiver<bool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut tasks = Vec::new();
    let db = node.db.clone();
    let mut stop = stopped.clone();
    tasks.push(tokio::spawn(async move {
        loop {
            match congso_store::accounts::purge_expired(&db, congso_store::now()).await {
                Ok(removed) if removed > 0 => {
                    tracing::debug!(removed, "expired sessions and tokens purged")
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "purge of expired sessions failed"),
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(600)) => {}
                _ = stop.changed() => break,
            }
        }
    }));
    let db = node.db.clone();
    let mut stop = stopped;
    tasks.push(tokio::spawn(async move {
        loop {
            if let Err(error) = crate::mail::deliver_pending(&db, &delivery).await {
                tracing::warn!(%error, "mail delivery failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                _ = stop.changed() => break,
            }
        }
    }));
    tasks
}
