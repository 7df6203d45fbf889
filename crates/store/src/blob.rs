//! Content-addressed blob storage: local disk by default, any S3-compatible
//! service by configuration.
//!
//! A blob's name is the SHA-256 of its bytes (`sha256/ab/cd/abcd…`), so the
//! same content is stored once, a stored blob can always be re-checked
//! against its name, and nothing is ever overwritten with different bytes.
//! Uploads are spooled to a temporary file while hashing (so a 2 GB upload
//! never sits in memory), then moved into the store in one piece or as a
//! multipart upload; a failed or oversized upload leaves nothing behind.
//!
//! On local disk a blob is durable before `put_*` returns: the file is
//! written beside its final name, its data synced, renamed into place and
//! the names synced, the same guarantee the database gives a commit. The
//! syncs are group commits ([`GroupSync`]): on Linux one `syncfs(2)` makes
//! every blob written meanwhile durable, data and directory entries alike
//! (including the fan-out directories), so concurrent uploads share two
//! flushes instead of paying two each; elsewhere each file and its
//! directory are synced one by one. (`object_store`'s local backend does
//! not sync, so local disk has its own small implementation; S3 goes
//! through `object_store`.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::StreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

use crate::error::{Result, StoreError};

/// Blobs up to this size are uploaded in one request.
const SINGLE_PUT_MAX: u64 = 8 * 1024 * 1024;
/// Part size for multipart uploads (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Where blobs live.
#[derive(Clone)]
pub enum BlobConfig {
    Local {
        root: PathBuf,
    },
    S3 {
        endpoint: String,
        bucket: String,
        region: String,
        access_key_id: String,
        secret_access_key: String,
        allow_http: bool,
    },
}

impl std::fmt::Debug for BlobConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlobConfig::Local { root } => f.debug_struct("Local").field("root", root).finish(),
            BlobConfig::S3 {
                endpoint,
                bucket,
                region,
                ..
            } => f
                .debug_struct("S3")
                .field("endpoint", endpoint)
                .field("bucket", bucket)
                .field("region", region)
                .field("secret_access_key", &"***")
                .finish(),
        }
    }
}

/// A stored blob: its SHA-256 and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlobRef {
    pub sha256: [u8; 32],
    pub size: u64,
}

impl BlobRef {
    pub fn hex(&self) -> String {
        hex::encode(self.sha256)
    }
}

/// Parses a lower- or upper-case hex SHA-256.
pub fn parse_hash(text: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text.trim())
        .map_err(|error| StoreError::Invalid(format!("blob hash {text:?} is not hex: {error}")))?;
    bytes
        .try_into()
        .map_err(|_| StoreError::Invalid(format!("blob hash {text:?} is not 32 bytes")))
}

fn key_for(sha256: &[u8; 32]) -> StorePath {
    let hex = hex::encode(sha256);
    StorePath::from(format!("sha256/{}/{}/{}", &hex[0..2], &hex[2..4], hex))
}

/// Handle on the blob store.
#[derive(Clone)]
pub struct BlobStore {
    backend: Backend,
    spool_dir: PathBuf,
    description: String,
}

#[derive(Clone)]
enum Backend {
    Local(PathBuf, Arc<GroupSync>),
    Object(Arc<dyn ObjectStore>),
}

fn local_path(root: &Path, sha256: &[u8; 32]) -> PathBuf {
    let hex = hex::encode(sha256);
    root.join("sha256")
        .join(&hex[0..2])
        .join(&hex[2..4])
        .join(hex)
}

/// Moves a fully written temporary file to its final name durably: its data
/// is made durable, then it is renamed into place (atomic on one
/// filesystem), then the rename is made durable. Data before the name, so
/// that after a crash a blob's name never shows bytes that were not
/// written.
fn install_file(
    sync: &GroupSync,
    file: tempfile::NamedTempFile,
    target: &Path,
) -> std::io::Result<()> {
    let directory = target.parent().unwrap_or(Path::new("."));
    if sync.is_group() {
        sync.sync()?;
        file.persist(target).map_err(|error| error.error)?;
        sync.sync()
    } else {
        file.as_file().sync_all()?;
        file.persist(target).map_err(|error| error.error)?;
        std::fs::File::open(directory)?.sync_all()
    }
}

/// Group commit of the local store's writes to disk. A caller that needs
/// what it wrote so far to be durable takes a ticket; one caller at a time
/// runs `syncfs(2)` on the store's filesystem for every ticket issued
/// before it started, and the others wait for it (a flush that started
/// after a caller's ticket covers that caller's writes). Under load many
/// blobs share one flush; alone, a caller pays one flush.
pub(crate) struct GroupSync {
    /// An open directory on the store's filesystem (`None`: no `syncfs`
    /// here, callers sync their own files).
    root: Option<std::fs::File>,
    state: std::sync::Mutex<SyncState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Tickets issued.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    /// A flush is running.
    flushing: bool,
}

impl GroupSync {
    fn open(root: &Path) -> std::io::Result<GroupSync> {
        let root = if cfg!(target_os = "linux") {
            Some(std::fs::File::open(root)?)
        } else {
            None
        };
        Ok(GroupSync {
            root,
            state: std::sync::Mutex::new(SyncState::default()),
            done: std::sync::Condvar::new(),
        })
    }

    fn is_group(&self) -> bool {
        self.root.is_some()
    }

    /// Returns once everything this thread wrote before the call is on
    /// disk. Blocks: call from a blocking thread.
    fn sync(&self) -> std::io::Result<()> {
        let lock = || {
            self.state
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let mut state = lock();
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self
                    .done
                    .wait(state)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                continue;
            }
            state.flushing = true;
            let covered = state.issued;
            drop(state);
            let flushed = self.flush();
            state = lock();
            state.flushing = false;
            if flushed.is_ok() {
                state.durable = state.durable.max(covered);
            }
            self.done.notify_all();
            // A failed flush fails its runner; waiters retry with their own.
            flushed?;
        }
    }

    #[cfg(target_os = "linux")]
    fn flush(&self) -> std::io::Result<()> {
        match &self.root {
            Some(root) => Ok(rustix::fs::syncfs(root)?),
            None => Ok(()),
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    job: impl FnOnce() -> std::io::Result<T> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(job)
        .await
        .map_err(|error| std::io::Error::other(error.to_string()))??)
}

impl std::fmt::Debug for BlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl BlobStore {
    /// Opens the store; `spool_dir` holds uploads in progress.
    pub fn open(config: &BlobConfig, spool_dir: PathBuf) -> Result<Self> {
        std::fs::create_dir_all(&spool_dir)?;
        let (backend, description) = match config {
            BlobConfig::Local { root } => {
                std::fs::create_dir_all(root.join("sha256"))?;
                std::fs::create_dir_all(root.join("incoming"))?;
                (
                    Backend::Local(root.clone(), Arc::new(GroupSync::open(root)?)),
                    format!("local {}", root.display()),
                )
            }
            BlobConfig::S3 {
                endpoint,
                bucket,
                region,
                access_key_id,
                secret_access_key,
                allow_http,
            } => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(region)
                    .with_access_key_id(access_key_id)
                    .with_secret_access_key(secret_access_key)
                    .with_allow_http(*allow_http);
                if !endpoint.is_empty() {
                    builder = builder
                        .with_endpoint(endpoint)
                        .with_virtual_hosted_style_request(false);
                }
                (
                    Backend::Object(Arc::new(builder.build()?)),
                    format!("s3 {endpoint}/{bucket}"),
                )
            }
        };
        // Local uploads spool inside the store, so finishing one is a
        // rename on the same filesystem rather than a copy.
        let spool_dir = match &backend {
            Backend::Local(root, _) => root.join("incoming"),
            Backend::Object(_) => spool_dir,
        };
        std::fs::create_dir_all(&spool_dir)?;
        Ok(BlobStore {
            backend,
            spool_dir,
            description,
        })
    }

    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Stores bytes already in memory.
    pub async fn put_bytes(&self, data: Bytes) -> Result<BlobRef> {
        let sha256: [u8; 32] = Sha256::digest(&data).into();
        let blob = BlobRef {
            sha256,
            size: data.len() as u64,
        };
        if self.exists(&sha256).await? {
            self.settle().await?;
            return Ok(blob);
        }
        match &self.backend {
            Backend::Local(root, sync) => {
                let target = local_path(root, &sha256);
                let sync = sync.clone();
                blocking(move || {
                    use std::io::Write;
                    let directory = target.parent().unwrap_or(Path::new("."));
                    std::fs::create_dir_all(directory)?;
                    let mut file = tempfile::NamedTempFile::new_in(directory)?;
                    file.write_all(&data)?;
                    install_file(&sync, file, &target)
                })
                .await?;
            }
            Backend::Object(store) => {
                store.put(&key_for(&sha256), PutPayload::from(data)).await?;
            }
        }
        Ok(blob)
    }

    /// Stores whatever `reader` yields, hashing as it goes, refusing more
    /// than `max_size` bytes. Memory use stays at one buffer whatever the size.
    pub async fn put_reader<R: AsyncRead + Unpin>(
        &self,
        mut reader: R,
        max_size: Option<u64>,
    ) -> Result<BlobRef> {
        let spool = tempfile::NamedTempFile::new_in(&self.spool_dir)?;
        let mut file = tokio::fs::File::from_std(spool.reopen()?);
        let mut hasher = Sha256::new();
        let mut size: u64 = 0;
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let read = reader.read(&mut buffer).await?;
            if read == 0 {
                break;
            }
            size += read as u64;
            if let Some(limit) = max_size {
                if size > limit {
                    return Err(StoreError::Invalid(format!(
                        "upload is larger than the limit of {limit} bytes"
                    )));
                }
            }
            hasher.update(&buffer[..read]);
            file.write_all(&buffer[..read]).await?;
        }
        file.flush().await?;
        drop(file);
        let sha256: [u8; 32] = hasher.finalize().into();
        let blob = BlobRef { sha256, size };
        if self.exists(&sha256).await? {
            self.settle().await?;
            return Ok(blob);
        }
        let store = match &self.backend {
            Backend::Local(root, sync) => {
                let target = local_path(root, &sha256);
                let sync = sync.clone();
                blocking(move || {
                    if let Some(directory) = target.parent() {
                        std::fs::create_dir_all(directory)?;
                    }
                    install_file(&sync, spool, &target)
                })
                .await?;
                return Ok(blob);
            }
            Backend::Object(store) => store.clone(),
        };
        let key = key_for(&sha256);
        let mut source = tokio::fs::File::open(spool.path()).await?;
        if size <= SINGLE_PUT_MAX {
            let mut data = Vec::with_capacity(size as usize);
            source.read_to_end(&mut data).await?;
            store.put(&key, PutPayload::from(data)).await?;
        } else {
            let upload = store.put_multipart(&key).await?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_SIZE);
            let mut chunk = vec![0u8; PART_SIZE];
            loop {
                let read = read_full(&mut source, &mut chunk).await?;
                if read == 0 {
                    break;
                }
                writer.wait_for_capacity(2).await?;
                writer.write(&chunk[..read]);
            }
            writer.finish().await?;
        }
        Ok(blob)
    }

    /// A blob already stored may have been put by a caller still waiting
    /// for its flush: one more flush makes sure it is durable before a
    /// second caller relies on it.
    async fn settle(&self) -> Result<()> {
        if let Backend::Local(_, sync) = &self.backend {
            if sync.is_group() {
                let sync = sync.clone();
                blocking(move || sync.sync()).await?;
            }
        }
        Ok(())
    }

    pub async fn exists(&self, sha256: &[u8; 32]) -> Result<bool> {
        match &self.backend {
            Backend::Local(root, _) => Ok(tokio::fs::try_exists(local_path(root, sha256)).await?),
            Backend::Object(store) => match store.head(&key_for(sha256)).await {
                Ok(_) => Ok(true),
                Err(object_store::Error::NotFound { .. }) => Ok(false),
                Err(error) => Err(error.into()),
            },
        }
    }

    fn missing(sha256: &[u8; 32]) -> StoreError {
        StoreError::not_found(format!("blob {}", hex::encode(sha256)))
    }

    /// Reads a whole blob into memory (for small blobs).
    pub async fn get_bytes(&self, sha256: &[u8; 32]) -> Result<Bytes> {
        match &self.backend {
            Backend::Local(root, _) => match tokio::fs::read(local_path(root, sha256)).await {
                Ok(bytes) => Ok(Bytes::from(bytes)),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    Err(Self::missing(sha256))
                }
                Err(error) => Err(error.into()),
            },
            Backend::Object(store) => match store.get(&key_for(sha256)).await {
                Ok(result) => Ok(result.bytes().await?),
                Err(object_store::Error::NotFound { .. }) => Err(Self::missing(sha256)),
                Err(error) => Err(error.into()),
            },
        }
    }

    /// Streams a blob.
    pub async fn get_stream(&self, sha256: &[u8; 32]) -> Result<BoxStream<'static, Result<Bytes>>> {
        match &self.backend {
            Backend::Local(root, _) => {
                match tokio::fs::File::open(local_path(root, sha256)).await {
                    Ok(file) => Ok(
                        tokio_util::io::ReaderStream::with_capacity(file, 256 * 1024)
                            .map(|chunk| chunk.map_err(StoreError::from))
                            .boxed(),
                    ),
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        Err(Self::missing(sha256))
                    }
                    Err(error) => Err(error.into()),
                }
            }
            Backend::Object(store) => match store.get(&key_for(sha256)).await {
                Ok(result) => Ok(result
                    .into_stream()
                    .map(|chunk| chunk.map_err(StoreError::from))
                    .boxed()),
                Err(object_store::Error::NotFound { .. }) => Err(Self::missing(sha256)),
                Err(error) => Err(error.into()),
            },
        }
    }

    /// Up to `len` first bytes of a blob (to recognise its format), without
    /// reading the rest of it from local disk; `NotFound` when it is not
    /// stored.
    pub async fn read_head(&self, sha256: &[u8; 32], len: usize) -> Result<Bytes> {
        match &self.backend {
            Backend::Local(root, _) => {
                let file = match tokio::fs::File::open(local_path(root, sha256)).await {
                    Ok(file) => file,
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        return Err(Self::missing(sha256))
                    }
                    Err(error) => return Err(error.into()),
                };
                let mut head = Vec::with_capacity(len);
                file.take(len as u64).read_to_end(&mut head).await?;
                Ok(Bytes::from(head))
            }
            Backend::Object(_) => {
                let mut stream = self.get_stream(sha256).await?;
                let mut head = Vec::with_capacity(len);
                while head.len() < len {
                    match stream.next().await {
                        Some(chunk) => {
                            let chunk = chunk?;
                            let wanted = (len - head.len()).min(chunk.len());
                            head.extend_from_slice(&chunk[..wanted]);
                        }
                        None => break,
                    }
                }
                Ok(Bytes::from(head))
            }
        }
    }

    /// Re-reads a blob and checks that its bytes still hash to its name.
    pub async fn verify(&self, sha256: &[u8; 32]) -> Result<bool> {
        let mut stream = self.get_stream(sha256).await?;
        let mut hasher = Sha256::new();
        while let Some(chunk) = stream.next().await {
            hasher.update(&chunk?);
        }
        let actual: [u8; 32] = hasher.finalize().into();
        Ok(&actual == sha256)
    }

    /// Removes a blob (used only by tests and retention jobs).
    pub async fn delete(&self, sha256: &[u8; 32]) -> Result<()> {
        match &self.backend {
            Backend::Local(root, _) => match tokio::fs::remove_file(local_path(root, sha256)).await
            {
                Ok(()) => Ok(()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(error) => Err(error.into()),
            },
            Backend::Object(store) => {
                store.delete(&key_for(sha256)).await?;
                Ok(())
            }
        }
    }

    /// Overwrites a blob's stored bytes without renaming it. Only for tests
    /// that prove corruption is detected.
    #[doc(hidden)]
    pub async fn corrupt_for_test(&self, sha256: &[u8; 32], bytes: Bytes) -> Result<()> {
        match &self.backend {
            Backend::Local(root, _) => tokio::fs::write(local_path(root, sha256), &bytes).await?,
            Backend::Object(store) => {
                store.put(&key_for(sha256), PutPayload::from(bytes)).await?;
            }
        }
        Ok(())
    }
}

async fn read_full(source: &mut tokio::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        let read = source.read(&mut buffer[filled..]).await?;
        if read == 0 {
            break;
        }
        filled += read;
    }
    Ok(filled)
}
