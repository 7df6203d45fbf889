//! The running federation service of a node: the mutual-TLS listener, the
//! outbox dispatcher, the inbox dispatcher, directory refresh and
//! witnessing, and the library API other modules use (`send`, `status`,
//! inbox handlers).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use congso_core::audit::{Actor, AuditAction};
use congso_store::blob::BlobStore;
use congso_store::federation::{self as store, FedWriter};
use congso_store::ledger::{Ledger, NewEntry};
use congso_store::secrets::Sealer;
use congso_store::Db;
use tokio::io::AsyncRead;
use tokio::sync::{broadcast, watch, Notify};
use tokio::task::JoinHandle;

use crate::client::{ClientTimeouts, PeerClient};
use crate::directory::DirectoryView;
use crate::error::{FederationError, Result};
use crate::identity::{Authority, NodeIdentity, Role};
use crate::inbox::InboxHandler;
use crate::outbox::{Delivered, DeliveryStatus};

/// How the service behaves; the node fills this from its configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address the mutual-TLS listener binds.
    pub listen: SocketAddr,
    /// How often members fetch the directory (and the coordinator reloads it).
    pub directory_refresh: Duration,
    /// Envelopes signed further than this from the receiver's clock are refused.
    pub max_clock_skew: Duration,
    /// First retry delay; doubles per failed attempt (with jitter).
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_max: Duration,
    /// Deliveries in flight per destination.
    pub peer_concurrency: usize,
    /// TCP connect plus TLS handshake.
    pub connect_timeout: Duration,
    /// Longest silence while reading or writing a request or an answer.
    pub io_timeout: Duration,
    /// Largest payload accepted or sent.
    pub max_payload_bytes: u64,
    /// How often peers' checkpoints are witnessed.
    pub witness_interval: Duration,
    /// How often the outbox and inbox are polled for work queued by other
    /// processes (the command line, other replicas).
    pub poll_interval: Duration,
    /// Validity of node certificates the coordinator issues.
    pub certificate_validity: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 7443)),
            directory_refresh: Duration::from_secs(60),
            max_clock_skew: Duration::from_secs(300),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(600),
            peer_concurrency: 16,
            connect_timeout: Duration::from_secs(10),
            io_timeout: Duration::from_secs(30),
            max_payload_bytes: 4 * 1024 * 1024 * 1024,
            witness_interval: Duration::from_secs(300),
            poll_interval: Duration::from_secs(1),
            certificate_validity: Duration::from_secs(397 * 86_400),
        }
    }
}

/// TLS material derived from the current directory's CRL.
pub(crate) struct Net {
    pub server: Arc<rustls::ServerConfig>,
    pub client: PeerClient,
    crl: Vec<u8>,
}

pub(crate) struct Inner {
    pub db: Db,
    pub blobs: BlobStore,
    pub ledger: Ledger,
    pub writer: FedWriter,
    pub identity: NodeIdentity,
    pub authority: Option<Authority>,
    pub settings: Settings,
    directory: RwLock<Arc<DirectoryView>>,
    net: RwLock<Arc<Net>>,
    pub handlers: RwLock<HashMap<String, Arc<dyn InboxHandler>>>,
    pub queues: Mutex<HashMap<String, Arc<Notify>>>,
    pub inbox_wake: Notify,
    pub deliveries: broadcast::Sender<Delivered>,
    pub stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Serialises directory refreshes (the timer and the API).
    refresh_lock: tokio::sync::Mutex<()>,
}

impl Inner {
    pub fn directory(&self) -> Arc<DirectoryView> {
        match self.directory.read() {
            Ok(directory) => directory.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn net(&self) -> Arc<Net> {
        match self.net.read() {
            Ok(net) => net.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    pub fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Wakes the worker of a destination's queue, starting it on first use.
    pub fn wake(self: &Arc<Self>, recipient: &str) {
        let mut queues = match self.queues.lock() {
            Ok(queues) => queues,
            Err(poisoned) => poisoned.into_inner(),
        };
        let notify = match queues.get(recipient) {
            Some(notify) => notify.clone(),
            None => {
                let notify = Arc::new(Notify::new());
                queues.insert(recipient.to_owned(), notify.clone());
                if !self.stopping() {
                    let worker = tokio::spawn(crate::outbox::worker(
                        self.clone(),
                        recipient.to_owned(),
                        notify.clone(),
                    ));
                    match self.tasks.lock() {
                        Ok(mut tasks) => tasks.push(worker),
                        Err(poisoned) => poisoned.into_inner().push(worker),
                    }
                }
                notify
            }
        };
        notify.notify_one();
    }

    fn build_net(identity: &NodeIdentity, settings: &Settings, crl: &[u8]) -> Result<Net> {
        Ok(Net {
            server: crate::tls::server_config(identity, crl)?,
            client: PeerClient::new(
                identity,
                crl,
                ClientTimeouts {
                    connect: settings.connect_timeout,
                    idle: settings.io_timeout,
                },
            )?,
            crl: crl.to_vec(),
        })
    }

    /// Installs a newer directory (and, if its CRL changed, new TLS
    /// configurations, so revoked certificates fail the handshake).
    fn install(&self, view: Arc<DirectoryView>) -> Result<()> {
        if self.net().crl != view.crl() {
            let net = Inner::build_net(&self.identity, &self.settings, view.crl())?;
            match self.net.write() {
                Ok(mut slot) => *slot = Arc::new(net),
                Err(poisoned) => *poisoned.into_inner() = Arc::new(net),
            }
        }
        match self.directory.write() {
            Ok(mut slot) => *slot = view,
            Err(poisoned) => *poisoned.into_inner() = view,
        }
        Ok(())
    }

    /// Brings the directory up to date: a coordinator reloads the newest
    /// version it signed; a member fetches the coordinator's, checks the
    /// signature and that the version went up, stores it and records it.
    /// When the coordinator cannot be reached the cached copy stays in
    /// force. Returns whether a newer version was installed.
    pub async fn refresh_directory(&self) -> Result<bool> {
        let _guard = self.refresh_lock.lock().await;
        let current = self.directory().version();
        if self.identity.role == Role::Coordinator {
            let view = crate::identity::load_directory(&self.db, &self.identity).await?;
            if view.version() <= current {
                return Ok(false);
            }
            tracing::info!(version = view.version(), "federation directory reloaded");
            self.install(view)?;
            return Ok(true);
        }
        let document = self
            .net()
            .client
            .fetch_directory(&self.identity.coordinator_endpoint)
            .await
            .map_err(|error| FederationError::Unreachable {
                endpoint: self.identity.coordinator_endpoint.clone(),
                reason: error.message,
            })?;
        use base64::Engine;
        let decode = |text: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| FederationError::Directory("the coordinator sent bad base64".into()))
        };
        let body = decode(&document.body)?;
        let crl = decode(&document.crl)?;
        let view = DirectoryView::verify(&self.identity.trust, &document.note, &body, &crl)?;
        if view.version() < current {
            return Err(FederationError::Directory(format!(
                "the coordinator offered version {} but this node holds version {current}: a rollback, refused",
                view.version()
            )));
        }
        if view.version() == current {
            if view.body() != self.directory().body() {
                return Err(FederationError::Directory(format!(
                    "the coordinator offered a different directory under the same version {current}: refused"
                )));
            }
            return Ok(false);
        }
        let row = store::DirectoryRow {
            version: i64::try_from(view.version()).unwrap_or(i64::MAX),
            signed_note: document.note.clone(),
            body,
            crl,
            stored_at: congso_store::now().micros(),
        };
        if !store::store_fetched_directory(&self.db, &row).await? {
            // Another process of this node stored it (or a newer one) first.
            let stored = crate::identity::load_directory(&self.db, &self.identity).await?;
            if stored.version() > current {
                self.install(stored)?;
                return Ok(true);
            }
            return Ok(false);
        }
        self.ledger
            .append(
                NewEntry::new(
                    &Actor::System,
                    AuditAction::FederationDirectoryUpdated,
                    format!("federation:{}", self.identity.federation_name),
                )
                .source("federation")
                .data(view.body())
                .details(serde_json::json!({
                    "version": view.version(),
                    "previous_version": current,
                    "members": view.members().filter(|member| member.is_active()).count(),
                })),
            )
            .await?;
        tracing::info!(
            version = view.version(),
            previous = current,
            "federation directory updated"
        );
        self.install(Arc::new(view))?;
        Ok(true)
    }
}

/// A node's federation service. Cheap to clone.
#[derive(Clone)]
pub struct Federation {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Federation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Federation")
            .field("organ_code", &self.inner.identity.organ_code)
            .field("role", &self.inner.identity.role)
            .finish()
    }
}

impl Federation {
    /// Opens the federation service of a node, or `None` if the node
    /// belongs to no federation. Nothing runs until [`Federation::start`].
    pub async fn open(
        db: Db,
        blobs: BlobStore,
        ledger: Ledger,
        sealer: &Sealer,
        settings: Settings,
    ) -> Result<Option<Federation>> {
        let Some(identity) = NodeIdentity::load(&db, sealer).await? else {
            return Ok(None);
        };
        let authority = Authority::load(&db, sealer).await?;
        let directory = crate::identity::load_directory(&db, &identity).await?;
        let net = Inner::build_net(&identity, &settings, directory.crl())?;
        let (deliveries, _) = broadcast::channel(65_536);
        let (stop, _) = watch::channel(false);
        let writer = FedWriter::start(db.clone());
        Ok(Some(Federation {
            inner: Arc::new(Inner {
                db,
                blobs,
                ledger,
                writer,
                identity,
                authority,
                settings,
                directory: RwLock::new(directory),
                net: RwLock::new(Arc::new(net)),
                handlers: RwLock::new(HashMap::new()),
                queues: Mutex::new(HashMap::new()),
                inbox_wake: Notify::new(),
                deliveries,
                stop,
                tasks: Mutex::new(Vec::new()),
                refresh_lock: tokio::sync::Mutex::new(()),
            }),
        }))
    }

    /// Binds the listener and starts the background work: serving peers,
    /// delivering the outbox, handing received messages to handlers,
    /// refreshing the directory and witnessing peers. Returns the bound
    /// address.
    pub async fn start(&self) -> Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(self.inner.settings.listen)
            .await
            .map_err(|error| {
                FederationError::Io(std::io::Error::new(
                    error.kind(),
                    format!(
                        "cannot listen on {} (federation_listen): {error}",
                        self.inner.settings.listen
                    ),
                ))
            })?;
        self.start_on(listener).await
    }

    /// [`Federation::start`] on a listener the caller bound.
    pub async fn start_on(&self, listener: tokio::net::TcpListener) -> Result<SocketAddr> {
        let bound = listener.local_addr()?;
        if self.inner.authority.is_some() {
            // The coordinator lists members' data services in the directory.
            self.register_handler(
                crate::data_service::ANNOUNCE_KIND,
                Arc::new(crate::data_service::AnnouncementHandler {
                    inner: Arc::downgrade(&self.inner),
                }),
            )?;
        }
        let inner = self.inner.clone();
        let mut tasks = vec![
            tokio::spawn(crate::server::serve(inner.clone(), listener)),
            tokio::spawn(crate::outbox::supervise(inner.clone())),
            tokio::spawn(crate::inbox::dispatch(inner.clone())),
            tokio::spawn(refresh_loop(inner.clone())),
            tokio::spawn(crate::witness::witness_loop(inner.clone())),
        ];
        match self.inner.tasks.lock() {
            Ok(mut slot) => slot.append(&mut tasks),
            Err(poisoned) => poisoned.into_inner().append(&mut tasks),
        }
        tracing::info!(
            address = %bound,
            organ_code = %self.inner.identity.organ_code,
            role = ?self.inner.identity.role,
            directory_version = self.inner.directory().version(),
            "federation listener ready"
        );
        Ok(bound)
    }

    /// Stops accepting work, lets attempts in flight finish (each is
    /// bounded by its timeouts; anything unfinished stays queued and is
    /// retried, which the receiver deduplicates) and waits for every task.
    pub async fn shutdown(&self) {
        let _ = self.inner.stop.send(true);
        loop {
            let tasks: Vec<JoinHandle<()>> = match self.inner.tasks.lock() {
                Ok(mut slot) => slot.drain(..).collect(),
                Err(poisoned) => poisoned.into_inner().drain(..).collect(),
            };
            if tasks.is_empty() {
                break;
            }
            for task in tasks {
                let _ = task.await;
            }
        }
    }

    /// This node's organ code.
    pub fn organ_code(&self) -> &str {
        &self.inner.identity.organ_code
    }

    /// The directory in force.
    pub fn directory(&self) -> Arc<DirectoryView> {
        self.inner.directory()
    }

    /// Refreshes the directory now (the service also does so periodically).
    pub async fn refresh_directory(&self) -> Result<bool> {
        self.inner.refresh_directory().await
    }

    /// Registers the handler for received messages of `kind`; messages of
    /// that kind already waiting are handed to it too.
    pub fn register_handler(&self, kind: &str, handler: Arc<dyn InboxHandler>) -> Result<()> {
        crate::envelope::check_kind(kind)?;
        match self.inner.handlers.write() {
            Ok(mut handlers) => handlers.insert(kind.to_owned(), handler),
            Err(poisoned) => poisoned.into_inner().insert(kind.to_owned(), handler),
        };
        self.inner.inbox_wake.notify_one();
        Ok(())
    }

    /// Queues a message for `to` and returns its id once it is durably
    /// queued and recorded in the ledger. Delivery happens in the
    /// background, with retries until a signed receipt comes back.
    pub async fn send<R: AsyncRead + Unpin + Send>(
        &self,
        to: &str,
        kind: &str,
        payload: R,
    ) -> Result<String> {
        let directory = self.inner.directory();
        let queued = crate::outbox::enqueue(
            &crate::outbox::Queue {
                db: &self.inner.db,
                blobs: &self.inner.blobs,
                ledger: &self.inner.ledger,
                writer: Some(&self.inner.writer),
                directory: &directory,
                from: &self.inner.identity.organ_code,
                max_payload_bytes: self.inner.settings.max_payload_bytes,
                actor: &Actor::System,
            },
            to,
            kind,
            payload,
        )
        .await?;
        self.inner.wake(to);
        Ok(queued)
    }

    /// Queues a message under an id the caller derived from what it carries,
    /// so that sending the same thing twice is one delivery: `Ok(None)` when
    /// the outbox already holds a message with this id (32 lower-case hex
    /// digits).
    pub async fn send_once<R: AsyncRead + Unpin + Send>(
        &self,
        message_id: &str,
        to: &str,
        kind: &str,
        payload: R,
    ) -> Result<Option<String>> {
        let directory = self.inner.directory();
        let queued = crate::outbox::enqueue_once(
            &crate::outbox::Queue {
                db: &self.inner.db,
                blobs: &self.inner.blobs,
                ledger: &self.inner.ledger,
                writer: Some(&self.inner.writer),
                directory: &directory,
                from: &self.inner.identity.organ_code,
                max_payload_bytes: self.inner.settings.max_payload_bytes,
                actor: &Actor::System,
            },
            message_id,
            to,
            kind,
            payload,
        )
        .await?;
        if queued.is_some() {
            self.inner.wake(to);
        }
        Ok(queued)
    }

    /// Where a message stands, with its receipt once it has one.
    pub async fn status(&self, message_id: &str) -> Result<Option<DeliveryStatus>> {
        crate::outbox::status(&self.inner.db, message_id).await
    }

    /// A stream of delivery events (a receipt came back). Events are only
    /// for deliveries made by this process; the outbox holds the full record.
    pub fn deliveries(&self) -> broadcast::Receiver<Delivered> {
        self.inner.deliveries.subscribe()
    }

    /// Runs one witnessing round now (the service also runs them periodically).
    pub async fn witness_now(&self) -> Result<crate::witness::RoundSummary> {
        crate::witness::round(&self.inner).await
    }
}

async fn refresh_loop(inner: Arc<Inner>) {
    let mut stop = inner.stop.subscribe();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(inner.settings.directory_refresh) => {}
            _ = stop.changed() => break,
        }
        if let Err(error) = inner.refresh_directory().await {
            tracing::warn!(%error, version = inner.directory().version(), "federation directory refresh failed; working on the cached copy");
        }
    }
}
