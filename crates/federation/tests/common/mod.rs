//! Nodes in one process, each with its own database (SQLite or
//! PostgreSQL), blob store, ledger and master key, talking over real mutual
//! TLS on 127.0.0.x.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use congso_core::audit::Actor;
use congso_federation::identity::{self, InitOptions, JoinOptions};
use congso_federation::{Federation, InboundMessage, InboxHandler, Settings};
use congso_store::blob::{BlobConfig, BlobStore};
use congso_store::ledger::{Ledger, LedgerOptions};
use congso_store::secrets::{MasterKey, Sealer};
use congso_store::testing::TestDb;
use congso_store::Db;
use futures::future::BoxFuture;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestNode {
    pub test_db: Option<TestDb>,
    pub db: Db,
    pub dir: tempfile::TempDir,
    pub blobs: BlobStore,
    pub ledger: Ledger,
    pub sealer: Sealer,
    pub organ_code: String,
    pub name: String,
    pub address: std::net::SocketAddr,
    pub endpoint: String,
    pub federation: Option<Federation>,
    pub received: Arc<Recorder>,
}

/// Records what the inbox handler was given.
#[derive(Default)]
pub struct Recorder {
    pub messages: Mutex<Vec<(String, String, Vec<u8>)>>,
}

impl InboxHandler for Recorder {
    fn handle<'a>(&'a self, message: &'a InboundMessage) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let bytes = message
                .bytes(64 * 1024 * 1024)
                .await
                .map_err(|error| error.to_string())?;
            self.messages.lock().unwrap().push((
                message.sender.clone(),
                message.message_id.clone(),
                bytes.to_vec(),
            ));
            Ok(())
        })
    }
}

pub fn fast_settings() -> Settings {
    Settings {
        directory_refresh: Duration::from_millis(300),
        max_clock_skew: Duration::from_secs(300),
        retry_base: Duration::from_millis(50),
        retry_max: Duration::from_millis(400),
        peer_concurrency: 8,
        connect_timeout: Duration::from_secs(2),
        io_timeout: Duration::from_secs(3),
        max_payload_bytes: 1024 * 1024 * 1024,
        witness_interval: Duration::from_secs(3600),
        poll_interval: Duration::from_millis(100),
        certificate_validity: Duration::from_secs(86_400),
        ..Settings::default()
    }
}

impl TestNode {
    pub async fn new(backend: Backend, ip: &str, organ_code: &str, name: &str) -> Option<TestNode> {
        let test_db = match backend {
            Backend::Sqlite => TestDb::sqlite().await.unwrap(),
            Backend::Postgres => TestDb::postgres().await.unwrap()?,
        };
        let db = test_db.db.clone();
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::open(
            &BlobConfig::Local {
                root: dir.path().join("blobs"),
            },
            dir.path().join("spool"),
        )
        .unwrap();
        let seed = congso_store::secrets::random_bytes::<32>();
        let origin = format!(
            "congso/{}",
            hex::encode(congso_store::secrets::random_bytes::<8>())
        );
        let ledger = Ledger::open(
            db.clone(),
            seed,
            origin,
            LedgerOptions {
                batch_max: 8192,
                checkpoint_interval: Duration::from_millis(200),
            },
        )
        .await
        .unwrap();
        // Pick a free port on this address; the listener is bound again
        // when the service starts.
        let probe = std::net::TcpListener::bind(format!("{ip}:0")).unwrap();
        let address = probe.local_addr().unwrap();
        drop(probe);
        Some(TestNode {
            test_db: Some(test_db),
            db,
            dir,
            blobs,
            ledger,
            sealer: MasterKey::generate().sealer(),
            organ_code: organ_code.to_owned(),
            name: name.to_owned(),
            address,
            endpoint: format!("https://{address}"),
            federation: None,
            received: Arc::new(Recorder::default()),
        })
    }

    pub async fn init(&self, federation_name: &str) {
        identity::init(
            &self.db,
            &self.sealer,
            &self.ledger,
            &InitOptions {
                federation_name: federation_name.to_owned(),
                organ_code: self.organ_code.clone(),
                agency_name: self.name.clone(),
                endpoint: self.endpoint.clone(),
                certificate_validity: Duration::from_secs(86_400),
            },
            &Actor::Operator("test".into()),
        )
        .await
        .unwrap();
    }

    pub async fn invite(&self, organ_code: &str) -> String {
        identity::invite(
            &self.db,
            &self.ledger,
            organ_code,
            Duration::from_secs(3600),
            &Actor::Operator("test".into()),
        )
        .await
        .unwrap()
        .token
        .encode()
    }

    pub async fn join(
        &self,
        coordinator: &TestNode,
        token: &str,
    ) -> congso_federation::Result<congso_federation::JoinReport> {
        identity::join(
            &self.db,
            &self.sealer,
            &self.ledger,
            &JoinOptions {
                coordinator_endpoint: coordinator.endpoint.clone(),
                token: token.to_owned(),
                organ_code: self.organ_code.clone(),
                agency_name: self.name.clone(),
                endpoint: self.endpoint.clone(),
                connect_timeout: Duration::from_secs(5),
            },
            &Actor::Operator("test".into()),
        )
        .await
    }

    pub async fn start(&mut self, settings: Settings) -> Federation {
        let federation = Federation::open(
            self.db.clone(),
            self.blobs.clone(),
            self.ledger.clone(),
            &self.sealer,
            Settings {
                listen: self.address,
                ..settings
            },
        )
        .await
        .unwrap()
        .expect("federated");
        federation
            .register_handler("test.message", self.received.clone())
            .unwrap();
        let mut attempts = 0;
        loop {
            match tokio::net::TcpListener::bind(self.address).await {
                Ok(listener) => {
                    federation.start_on(listener).await.unwrap();
                    break;
                }
                Err(error) if attempts < 50 => {
                    attempts += 1;
                    let _ = error;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(error) => panic!("cannot bind {}: {error}", self.address),
            }
        }
        self.federation = Some(federation.clone());
        federation
    }

    pub async fn stop(&mut self) {
        if let Some(federation) = self.federation.take() {
            federation.shutdown().await;
        }
    }

    pub fn fed(&self) -> &Federation {
        self.federation.as_ref().expect("started")
    }

    pub async fn cleanup(mut self) {
        self.stop().await;
        let _ = self.ledger.shutdown().await;
        if let Some(test_db) = self.test_db.take() {
            test_db.cleanup().await;
        }
    }
}

/// Waits until `check` holds, failing after `timeout`.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A coordinator on 127.0.0.1 and two members on 127.0.0.2 and 127.0.0.3,
/// all started; `None` when the backend is not available.
pub async fn three_nodes(backend: Backend) -> Option<(TestNode, TestNode, TestNode)> {
    let mut a = TestNode::new(backend, "127.0.0.1", "000.00.00.G01", "Văn phòng Chính phủ").await?;
    let mut b = TestNode::new(backend, "127.0.0.2", "000.00.01.H26", "UBND tỉnh Lào Cai").await?;
    let mut c = TestNode::new(backend, "127.0.0.3", "000.00.02.H27", "UBND tỉnh Yên Bái").await?;
    a.init("Liên thông thử nghiệm").await;
    a.start(fast_settings()).await;
    let token = a.invite(&b.organ_code).await;
    b.join(&a, &token).await.unwrap();
    let token = a.invite(&c.organ_code).await;
    c.join(&a, &token).await.unwrap();
    b.start(fast_settings()).await;
    c.start(fast_settings()).await;
    // B joined before C: its first refresh brings C into its directory.
    eventually("b sees c", Duration::from_secs(10), || async {
        b.fed().directory().active_member(&c.organ_code).is_ok()
    })
    .await;
    Some((a, b, c))
}
