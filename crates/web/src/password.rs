//! Password hashing (Argon2id) and the password policy.

use argon2::password_hash::PasswordHash;
use argon2::{Algorithm, Argon2, Params, Version};
use rand::Rng;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 256;

/// Hashes and verifies passwords with Argon2id. Hashing is deliberately
/// slow, so it always runs on the blocking pool, never on the async workers.
#[derive(Clone)]
pub struct Hasher {
    params: Params,
    /// A small fixed pool of threads that do all hashing. Each hash holds
    /// `m` KiB of memory; on tokio's growing blocking pool every new thread
    /// got its own allocator arena that kept those megabytes after use (RSS
    /// reached 450 MiB under a login burst). A fixed pool bounds memory to
    /// a few hashes' worth and queues the rest (the CPU cannot run more at
    /// once anyway).
    workers: std::sync::Arc<WorkerPool>,
    /// A real hash of a random password, verified against when an account
    /// does not exist so both paths take the same time.
    dummy_hash: String,
}

impl std::fmt::Debug for Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hasher")
            .field("params", &self.params)
            .finish()
    }
}

impl Hasher {
    pub fn new(memory_kib: u32, iterations: u32) -> Hasher {
        let params = Params::new(memory_kib.max(8), iterations.max(1), 1, None)
            .unwrap_or_else(|_| Params::default());
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2);
        let mut hasher = Hasher {
            params,
            workers: std::sync::Arc::new(WorkerPool::new(cores.min(8))),
            dummy_hash: String::new(),
        };
        hasher.dummy_hash = hasher
            .hash_blocking(&generate_temporary_password())
            .unwrap_or_default();
        hasher
    }

    /// Hashes on the current thread (for the CLI and start-up). Returns a
    /// standard PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`).
    pub fn hash_blocking(&self, password: &str) -> Result<String, argon2::password_hash::Error> {
        use base64::Engine;
        let salt = congso_store::secrets::random_bytes::<16>();
        let mut output = [0u8; 32];
        compute(&self.params, password.as_bytes(), &salt, &mut output)
            .map_err(argon2::password_hash::Error::from)?;
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD;
        Ok(format!(
            "$argon2id$v=19$m={},t={},p={}${}${}",
            self.params.m_cost(),
            self.params.t_cost(),
            self.params.p_cost(),
            b64.encode(salt),
            b64.encode(output)
        ))
    }

    /// Hashes on the password worker pool.
    pub async fn hash(&self, password: String) -> Result<String, crate::AppError> {
        let hasher = self.clone();
        self.workers
            .run(move || hasher.hash_blocking(&password))
            .await
            .ok_or_else(|| crate::AppError::internal("password worker pool stopped"))?
            .map_err(|error| crate::AppError::internal(format!("argon2: {error}")))
    }

    /// Verifies on the password worker pool. With `hash == None` (no such
    /// account) it verifies against a dummy hash and returns false, taking
    /// as long as a real check.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let hasher = self.clone();
        self.workers
            .run(move || {
                let known = hash.is_some();
                let hash = hash.unwrap_or_else(|| hasher.dummy_hash.clone());
                let matches = verify_hash(&password, &hash);
                known && matches
            })
            .await
            .unwrap_or(false)
    }

    /// Verifies on the current thread.
    pub fn verify_blocking(&self, password: &str, hash: &str) -> bool {
        verify_hash(password, hash)
    }
}

type Job = Box<dyn FnOnce() + Send>;

/// Fixed threads running CPU-heavy jobs off the async workers.
struct WorkerPool {
    sender: std::sync::Mutex<std::sync::mpsc::Sender<Job>>,
}

impl WorkerPool {
    fn new(threads: usize) -> WorkerPool {
        let (sender, receiver) = std::sync::mpsc::channel::<Job>();
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        for index in 0..threads.max(1) {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("congso-argon2-{index}"))
                .spawn(move || loop {
                    let job = match receiver.lock() {
                        Ok(receiver) => receiver.recv(),
                        Err(_) => return,
                    };
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                });
            if let Err(error) = spawned {
                tracing::error!(%error, "cannot start a password worker thread");
            }
        }
        WorkerPool {
            sender: std::sync::Mutex::new(sender),
        }
    }

    /// Runs `job` on a worker and waits for its result without blocking
    /// the async runtime. `None` if the pool is gone.
    async fn run<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (reply, result) = tokio::sync::oneshot::channel();
        let boxed: Job = Box::new(move || {
            let _ = reply.send(job());
        });
        self.sender.lock().ok()?.send(boxed).ok()?;
        result.await.ok()
    }
}

std::thread_local! {
    /// Argon2's working memory, kept per thread and reused: allocating and
    /// freeing `m` KiB per hash fragments the allocator, and resident memory
    /// grew by several hashes' worth per thread under load.
    static BLOCKS: std::cell::RefCell<Vec<argon2::Block>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Argon2id into `output`, using this thread's reusable working memory.
fn compute(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    output: &mut [u8],
) -> Result<(), argon2::Error> {
    let params = argon2::ParamsBuilder::new()
        .m_cost(params.m_cost())
        .t_cost(params.t_cost())
        .p_cost(params.p_cost())
        .output_len(output.len())
        .build()?;
    let needed = params.block_count();
    BLOCKS.with(|blocks| {
        let mut blocks = blocks.borrow_mut();
        if blocks.len() < needed {
            blocks.resize(needed, argon2::Block::default());
        }
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into_with_memory(
            password,
            salt,
            output,
            &mut blocks[..needed],
        )
    })
}

fn verify_hash(password: &str, hash: &str) -> bool {
    use subtle::ConstantTimeEq;
    // The parameters stored in the hash win, so old hashes stay valid when
    // the configured cost changes.
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    if parsed.algorithm.as_str() != "argon2id" || parsed.version.is_some_and(|v| v != 0x13) {
        return false;
    }
    let (Ok(params), Some(salt), Some(expected)) =
        (Params::try_from(&parsed), parsed.salt, parsed.hash)
    else {
        return false;
    };
    let mut salt_buffer = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buffer) else {
        return false;
    };
    let mut output = vec![0u8; expected.len()];
    if compute(&params, password.as_bytes(), salt, &mut output).is_err() {
        return false;
    }
    bool::from(output.as_slice().ct_eq(expected.as_bytes()))
}

/// Why a password is refused: an i18n message id and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyViolation {
    pub message_id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

/// A short list of the most common passwords, checked case-insensitively.
const COMMON: &[&str] = &[
    "1234567890",
    "12345678910",
    "123456789a",
    "password123",
    "password1234",
    "matkhau123",
    "matkhau1234",
    "qwertyuiop",
    "1234567890a",
    "abc1234567",
    "iloveyou123",
    "admin12345",
    "administrator",
    "congso2026",
    "vietnam123",
    "0123456789",
    "1111111111",
    "aaaaaaaaaa",
    "passw0rd123",
    "welcome123",
];

/// Checks a new password against the policy: length and a few obvious
/// weaknesses. It does not demand character classes (NIST SP 800-63B).
pub fn check_policy(password: &str, username: &str) -> Result<(), PolicyViolation> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err(PolicyViolation {
            message_id: "password-too-short",
            args: vec![("min", MIN_LENGTH.to_string())],
        });
    }
    if length > MAX_LENGTH {
        return Err(PolicyViolation {
            message_id: "password-too-long",
            args: vec![("max", MAX_LENGTH.to_string())],
        });
    }
    let lower = password.to_lowercase();
    if !username.is_empty() && lower.contains(&username.to_lowercase()) {
        return Err(PolicyViolation {
            message_id: "password-contains-username",
            args: Vec::new(),
        });
    }
    let distinct: std::collections::HashSet<char> = lower.chars().collect();
    if COMMON.contains(&lower.as_str()) || distinct.len() < 4 {
        return Err(PolicyViolation {
            message_id: "password-too-common",
            args: Vec::new(),
        });
    }
    Ok(())
}

/// A random 16-character password without look-alike characters.
pub fn generate_temporary_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..16)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_and_verify() {
        let hasher = Hasher::new(1024, 1);
        let hash = hasher.hash_blocking("mật khẩu rất dài 2026").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$"));
        assert!(hasher.verify_blocking("mật khẩu rất dài 2026", &hash));
        assert!(!hasher.verify_blocking("mật khẩu rất dài 2027", &hash));
        assert!(!hasher.verify_blocking("x", "not a hash"));
    }

    /// Our hashes are standard PHC strings: the argon2 crate's own verifier
    /// accepts them, and we accept hashes it makes.
    #[test]
    fn interoperates_with_the_reference_implementation() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
        let hasher = Hasher::new(2048, 2);
        let ours = hasher.hash_blocking("Hà Nội mùa thu 2026").unwrap();
        let reference = Argon2::default();
        assert!(reference
            .verify_password(
                "Hà Nội mùa thu 2026".as_bytes(),
                &PasswordHash::new(&ours).unwrap()
            )
            .is_ok());
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let params = Params::new(1024, 3, 1, None).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password(b"mat khau cu", &salt)
            .unwrap()
            .to_string();
        assert!(hasher.verify_blocking("mat khau cu", &theirs));
        assert!(!hasher.verify_blocking("mat khau moi", &theirs));
        // Other algorithms and versions are refused rather than guessed at.
        assert!(!hasher.verify_blocking("x", &theirs.replace("argon2id", "argon2i")));
    }

    #[test]
    fn policy() {
        let check = |password: &str| check_policy(password, "lan.nt").err().map(|v| v.message_id);
        assert_eq!(check("ngắn"), Some("password-too-short"));
        assert_eq!(check("lan.nt-2026-ok"), Some("password-contains-username"));
        assert_eq!(check("Password123"), Some("password-too-common"));
        assert_eq!(check("aaaaabbbbbbb"), Some("password-too-common"));
        assert_eq!(check("ca dao tục ngữ 2026"), None);
        assert_eq!(check(&"x1y2".repeat(70)), Some("password-too-long"));
        assert!(check_policy(&generate_temporary_password(), "lan.nt").is_ok());
    }
}
