//! Node configuration: defaults, then a TOML file, then `CONGSO_*`
//! environment variables, then command-line flags, each overriding the one
//! before. Every option is documented in `docs/configuration.md` (a test
//! checks that the document and this struct agree).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{bail, Context};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// The effective configuration of a node.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Address and port the HTTP server listens on.
    pub listen: String,
    /// Directory for the SQLite database, blobs, keys and spool files.
    pub data_dir: PathBuf,
    /// Empty for SQLite in the data directory, or `sqlite://PATH`, or `postgres://...`.
    pub database_url: String,
    /// Connections in the database pool.
    pub database_max_connections: u32,
    /// File holding the base64 node master key (created if absent).
    pub master_key_file: String,
    /// The master key itself (base64), for replicas without a shared disk.
    pub master_key: String,
    /// The public address of the node, used in links sent by mail.
    pub public_url: String,
    /// Default interface language: `vi` or `en`.
    pub language: String,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Log filter, in `tracing` env-filter syntax.
    pub log_level: String,
    /// Largest accepted request body in bytes.
    pub request_body_limit_bytes: u64,
    /// Longest time a request may take, in seconds.
    pub request_timeout_secs: u64,
    /// Largest accepted document upload in bytes (streamed to the blob store).
    pub upload_limit_bytes: u64,
    /// Longest time a document upload may take, in seconds.
    pub upload_timeout_secs: u64,
    /// Minutes of inactivity after which a session ends.
    pub session_idle_minutes: u64,
    /// Hours after login after which a session ends regardless.
    pub session_absolute_hours: u64,
    /// Failed logins before a login name is locked.
    pub login_max_failures: u32,
    /// Minutes a locked login name stays locked.
    pub login_lockout_minutes: u64,
    /// Argon2id memory cost in KiB.
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Most ledger entries written in one group commit.
    pub ledger_batch_max: u32,
    /// Seconds between automatic ledger checkpoints (when the ledger grew).
    pub ledger_checkpoint_interval_secs: u64,
    /// Where blobs are stored: `local` or `s3`.
    pub blob_store: String,
    /// Directory for local blobs (empty: `DATA_DIR/blobs`).
    pub blob_dir: String,
    /// S3 endpoint URL (empty for AWS itself).
    pub s3_endpoint: String,
    /// S3 bucket name.
    pub s3_bucket: String,
    /// S3 region.
    pub s3_region: String,
    /// S3 access key id.
    pub s3_access_key_id: String,
    /// S3 secret access key.
    pub s3_secret_access_key: String,
    /// Allow plain-HTTP S3 endpoints (test servers only).
    pub s3_allow_http: bool,
    /// PEM certificate chain for serving HTTPS (with `tls_key_file`).
    pub tls_cert_file: String,
    /// PEM private key for serving HTTPS.
    pub tls_key_file: String,
    /// `auto` (secure when TLS or an https public_url), `true` or `false`.
    pub cookie_secure: String,
    /// Directory where outgoing mail is written as `.eml` files.
    pub mail_pickup_dir: String,
    /// Operator file overriding or extending the official holiday calendar.
    pub holidays_file: String,
    /// External RFC 3161 timestamp authority for signatures (empty: the node's own TSA).
    pub tsa_url: String,
    /// Seconds to wait for the external timestamp authority.
    pub tsa_timeout_secs: u64,
    /// Validity in days of staff signing certificates issued by the node CA.
    pub pki_staff_cert_days: u32,
    /// Address and port of the federation (mutual TLS) listener.
    pub federation_listen: String,
    /// `https://host:port` other nodes reach the federation listener at (empty: from federation_listen).
    pub federation_endpoint: String,
    /// Seconds between directory refreshes.
    pub federation_directory_refresh_secs: u64,
    /// Envelopes signed further than this from this node's clock are refused.
    pub federation_max_clock_skew_secs: u64,
    /// First retry delay of a failed delivery, in milliseconds.
    pub federation_retry_base_ms: u64,
    /// Longest retry delay, in seconds.
    pub federation_retry_max_secs: u64,
    /// Deliveries in flight per destination agency.
    pub federation_peer_concurrency: u32,
    /// Seconds to connect and finish the TLS handshake with a peer.
    pub federation_connect_timeout_secs: u64,
    /// Longest silence from a peer while sending or receiving, in seconds.
    pub federation_io_timeout_secs: u64,
    /// Largest message payload sent or accepted, in bytes.
    pub federation_max_payload_bytes: u64,
    /// Seconds between witnessing rounds.
    pub federation_witness_interval_secs: u64,
    /// Milliseconds between looks for work queued by other processes.
    pub federation_poll_interval_ms: u64,
    /// Validity in days of the node certificates a coordinator issues.
    pub federation_cert_days: u32,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".to_owned(),
            data_dir: PathBuf::from("./congso-data"),
            database_url: String::new(),
            database_max_connections: 8,
            master_key_file: String::new(),
            master_key: String::new(),
            public_url: String::new(),
            language: "vi".to_owned(),
            log_format: "text".to_owned(),
            log_level: "info".to_owned(),
            request_body_limit_bytes: 10 * 1024 * 1024,
            request_timeout_secs: 30,
            upload_limit_bytes: 2 * 1024 * 1024 * 1024,
            upload_timeout_secs: 3600,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            login_max_failures: 5,
            login_lockout_minutes: 15,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            ledger_batch_max: 8192,
            ledger_checkpoint_interval_secs: 5,
            blob_store: "local".to_owned(),
            blob_dir: String::new(),
            s3_endpoint: String::new(),
            s3_bucket: String::new(),
            s3_region: "us-east-1".to_owned(),
            s3_access_key_id: String::new(),
            s3_secret_access_key: String::new(),
            s3_allow_http: false,
            tls_cert_file: String::new(),
            tls_key_file: String::new(),
            cookie_secure: "auto".to_owned(),
            mail_pickup_dir: String::new(),
            holidays_file: String::new(),
            tsa_url: String::new(),
            tsa_timeout_secs: 10,
            pki_staff_cert_days: 730,
            federation_listen: "127.0.0.1:7443".to_owned(),
            federation_endpoint: String::new(),
            federation_directory_refresh_secs: 60,
            federation_max_clock_skew_secs: 300,
            federation_retry_base_ms: 1000,
            federation_retry_max_secs: 600,
            federation_peer_concurrency: 16,
            federation_connect_timeout_secs: 10,
            federation_io_timeout_secs: 30,
            federation_max_payload_bytes: 4 * 1024 * 1024 * 1024,
            federation_witness_interval_secs: 300,
            federation_poll_interval_ms: 1000,
            federation_cert_days: 397,
        }
    }
}

/// Keys whose values are secrets: masked whenever configuration is shown.
pub const SECRET_KEYS: &[&str] = &["master_key", "s3_secret_access_key"];

/// Command-line overrides, highest precedence.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct NodeArgs {
    /// TOML configuration file.
    #[arg(long, env = "CONGSO_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Data directory (SQLite database, blobs, keys).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
}

/// The names of every configuration key, in declaration order.
pub fn keys() -> Vec<String> {
    match toml::Value::try_from(Config::default()) {
        Ok(toml::Value::Table(table)) => table.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

impl Config {
    /// Loads defaults < file < environment < flags, then validates.
    pub fn load(args: &NodeArgs, listen: Option<&str>) -> anyhow::Result<Config> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = &args.config {
            if !path.exists() {
                bail!("configuration file {} does not exist", path.display());
            }
            figment = figment.merge(Toml::file(path));
        }
        let known = keys();
        figment = figment.merge(Env::prefixed("CONGSO_").filter(move |key| {
            known
                .iter()
                .any(|known| key.as_str().eq_ignore_ascii_case(known))
        }));
        if let Some(data_dir) = &args.data_dir {
            figment = figment.merge(Serialized::default("data_dir", data_dir));
        }
        if let Some(url) = &args.database_url {
            figment = figment.merge(Serialized::default("database_url", url));
        }
        if let Some(listen) = listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        let config: Config = figment.extract().map_err(|error| {
            let mut message = String::from("invalid configuration");
            for problem in error {
                message.push_str(&format!("\n  - {problem}"));
            }
            anyhow::anyhow!(message)
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut problems = Vec::new();
        let mut check = |ok: bool, key: &str, reason: String| {
            if !ok {
                problems.push(format!("key `{key}`: {reason}"));
            }
        };
        check(
            self.listen.parse::<SocketAddr>().is_ok(),
            "listen",
            format!(
                "{:?} is not an IP address and port such as 127.0.0.1:8080",
                self.listen
            ),
        );
        check(
            matches!(self.language.as_str(), "vi" | "en"),
            "language",
            format!("{:?} is not one of vi, en", self.language),
        );
        check(
            matches!(self.log_format.as_str(), "text" | "json"),
            "log_format",
            format!("{:?} is not one of text, json", self.log_format),
        );
        let url = self.database_url.trim();
        check(
            url.is_empty()
                || url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"),
            "database_url",
            "must be empty (SQLite in the data directory), sqlite://PATH or postgres://..."
                .to_owned(),
        );
        check(
            self.database_max_connections >= 1,
            "database_max_connections",
            "must be at least 1".to_owned(),
        );
        check(
            self.request_body_limit_bytes >= 1024,
            "request_body_limit_bytes",
            "must be at least 1024".to_owned(),
        );
        check(
            self.request_timeout_secs >= 1,
            "request_timeout_secs",
            "must be at least 1".to_owned(),
        );
        check(
            self.upload_limit_bytes >= 1024,
            "upload_limit_bytes",
            "must be at least 1024".to_owned(),
        );
        check(
            self.upload_timeout_secs >= 1,
            "upload_timeout_secs",
            "must be at least 1".to_owned(),
        );
        check(
            self.session_idle_minutes >= 1,
            "session_idle_minutes",
            "must be at least 1".to_owned(),
        );
        check(
            self.session_absolute_hours >= 1,
            "session_absolute_hours",
            "must be at least 1".to_owned(),
        );
        check(
            self.login_max_failures >= 1,
            "login_max_failures",
            "must be at least 1".to_owned(),
        );
        check(
            self.argon2_memory_kib >= 8,
            "argon2_memory_kib",
            "must be at least 8".to_owned(),
        );
        check(
            self.argon2_iterations >= 1,
            "argon2_iterations",
            "must be at least 1".to_owned(),
        );
        check(
            self.ledger_batch_max >= 1,
            "ledger_batch_max",
            "must be at least 1".to_owned(),
        );
        check(
            self.ledger_checkpoint_interval_secs >= 1,
            "ledger_checkpoint_interval_secs",
            "must be at least 1".to_owned(),
        );
        check(
            matches!(self.blob_store.as_str(), "local" | "s3"),
            "blob_store",
            format!("{:?} is not one of local, s3", self.blob_store),
        );
        if self.blob_store == "s3" {
            check(
                !self.s3_bucket.is_empty(),
                "s3_bucket",
                "is required when blob_store = \"s3\"".to_owned(),
            );
        }
        check(
            self.tls_cert_file.is_empty() == self.tls_key_file.is_empty(),
            "tls_cert_file",
            "tls_cert_file and tls_key_file must be given together".to_owned(),
        );
        check(
            matches!(self.cookie_secure.as_str(), "auto" | "true" | "false"),
            "cookie_secure",
            format!("{:?} is not one of auto, true, false", self.cookie_secure),
        );
        check(
            self.public_url.is_empty()
                || self.public_url.starts_with("http://")
                || self.public_url.starts_with("https://"),
            "public_url",
            format!("{:?} must start with http:// or https://", self.public_url),
        );
        check(
            self.tsa_url.is_empty()
                || self.tsa_url.starts_with("http://")
                || self.tsa_url.starts_with("https://"),
            "tsa_url",
            format!(
                "{:?} must be empty or start with http:// or https://",
                self.tsa_url
            ),
        );
        check(
            (1..=300).contains(&self.tsa_timeout_secs),
            "tsa_timeout_secs",
            "must be between 1 and 300".to_owned(),
        );
        check(
            (1..=3650).contains(&self.pki_staff_cert_days),
            "pki_staff_cert_days",
            "must be between 1 and 3650".to_owned(),
        );
        check(
            self.federation_listen.parse::<SocketAddr>().is_ok(),
            "federation_listen",
            format!(
                "{:?} is not an IP address and port such as 127.0.0.1:7443",
                self.federation_listen
            ),
        );
        check(
            self.federation_endpoint.is_empty()
                || congso_federation::directory::check_endpoint(&self.federation_endpoint).is_ok(),
            "federation_endpoint",
            format!(
                "{:?} must be empty or https://host:port",
                self.federation_endpoint
            ),
        );
        for (key, value, min, max) in [
            (
                "federation_directory_refresh_secs",
                self.federation_directory_refresh_secs,
                1,
                86_400,
            ),
            (
                "federation_max_clock_skew_secs",
                self.federation_max_clock_skew_secs,
                1,
                86_400,
            ),
            (
                "federation_retry_base_ms",
                self.federation_retry_base_ms,
                1,
                3_600_000,
            ),
            (
                "federation_retry_max_secs",
                self.federation_retry_max_secs,
                1,
                86_400,
            ),
            (
                "federation_peer_concurrency",
                u64::from(self.federation_peer_concurrency),
                1,
                1024,
            ),
            (
                "federation_connect_timeout_secs",
                self.federation_connect_timeout_secs,
                1,
                600,
            ),
            (
                "federation_io_timeout_secs",
                self.federation_io_timeout_secs,
                1,
                3600,
            ),
            (
                "federation_max_payload_bytes",
                self.federation_max_payload_bytes,
                1024,
                1 << 40,
            ),
            (
                "federation_witness_interval_secs",
                self.federation_witness_interval_secs,
                1,
                86_400,
            ),
            (
                "federation_poll_interval_ms",
                self.federation_poll_interval_ms,
                10,
                60_000,
            ),
            (
                "federation_cert_days",
                u64::from(self.federation_cert_days),
                1,
                3650,
            ),
        ] {
            check(
                (min..=max).contains(&value),
                key,
                format!("must be between {min} and {max}"),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            bail!("invalid configuration\n  - {}", problems.join("\n  - "))
        }
    }

    pub fn listen_addr(&self) -> anyhow::Result<SocketAddr> {
        self.listen
            .parse()
            .with_context(|| format!("key `listen`: {:?} is not an address", self.listen))
    }

    pub fn database_url(&self) -> String {
        if self.database_url.trim().is_empty() {
            format!(
                "sqlite://{}",
                self.data_dir.join("congso.sqlite3").display()
            )
        } else {
            self.database_url.trim().to_owned()
        }
    }

    fn in_data_dir(&self, value: &str, default: &str) -> PathBuf {
        if value.is_empty() {
            self.data_dir.join(default)
        } else {
            PathBuf::from(value)
        }
    }

    pub fn master_key_path(&self) -> PathBuf {
        self.in_data_dir(&self.master_key_file, "secrets/master.key")
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.in_data_dir(&self.blob_dir, "blobs")
    }

    pub fn mail_pickup_dir(&self) -> PathBuf {
        self.in_data_dir(&self.mail_pickup_dir, "mail-outbox")
    }

    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir.join("spool")
    }

    /// The federation endpoint this node announces: `federation_endpoint`,
    /// or `https://` + `federation_listen`.
    pub fn federation_endpoint(&self) -> String {
        if self.federation_endpoint.is_empty() {
            format!("https://{}", self.federation_listen)
        } else {
            self.federation_endpoint.trim_end_matches('/').to_owned()
        }
    }

    /// The federation service's settings.
    pub fn federation_settings(&self) -> anyhow::Result<congso_federation::Settings> {
        use std::time::Duration;
        Ok(congso_federation::Settings {
            listen: self.federation_listen.parse().with_context(|| {
                format!(
                    "key `federation_listen`: {:?} is not an address",
                    self.federation_listen
                )
            })?,
            directory_refresh: Duration::from_secs(self.federation_directory_refresh_secs),
            max_clock_skew: Duration::from_secs(self.federation_max_clock_skew_secs),
            retry_base: Duration::from_millis(self.federation_retry_base_ms),
            retry_max: Duration::from_secs(self.federation_retry_max_secs),
            peer_concurrency: self.federation_peer_concurrency as usize,
            connect_timeout: Duration::from_secs(self.federation_connect_timeout_secs),
            io_timeout: Duration::from_secs(self.federation_io_timeout_secs),
            max_payload_bytes: self.federation_max_payload_bytes,
            witness_interval: Duration::from_secs(self.federation_witness_interval_secs),
            poll_interval: Duration::from_millis(self.federation_poll_interval_ms),
            certificate_validity: Duration::from_secs(
                u64::from(self.federation_cert_days) * 86_400,
            ),
        })
    }

    pub fn tls_enabled(&self) -> bool {
        !self.tls_cert_file.is_empty()
    }

    pub fn public_url(&self) -> String {
        if !self.public_url.is_empty() {
            return self.public_url.trim_end_matches('/').to_owned();
        }
        let scheme = if self.tls_enabled() { "https" } else { "http" };
        format!("{scheme}://{}", self.listen)
    }

    pub fn secure_cookies(&self) -> bool {
        match self.cookie_secure.as_str() {
            "true" => true,
            "false" => false,
            _ => self.tls_enabled() || self.public_url.starts_with("https://"),
        }
    }

    /// The configuration as TOML with secrets masked (for `config check`).
    pub fn to_masked_toml(&self) -> String {
        let mut shown = self.clone();
        for key in SECRET_KEYS {
            let value = match *key {
                "master_key" => &mut shown.master_key,
                "s3_secret_access_key" => &mut shown.s3_secret_access_key,
                _ => continue,
            };
            if !value.is_empty() {
                *value = "***".to_owned();
            }
        }
        shown.database_url = congso_store_redact(&shown.database_url);
        toml::to_string(&shown).unwrap_or_default()
    }

    /// A fingerprint of the effective configuration (secrets included, so a
    /// key rotation is noticed), for the "configuration changed" audit entry.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(
            toml::to_string(self).unwrap_or_default().as_bytes(),
        ))
    }
}

fn congso_store_redact(url: &str) -> String {
    congso_store::redact_url(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_documented() {
        let doc = include_str!("../../../docs/configuration.md");
        for key in keys() {
            assert!(
                doc.contains(&format!("`{key}`")),
                "docs/configuration.md lacks `{key}`"
            );
            let env = format!("CONGSO_{}", key.to_uppercase());
            assert!(doc.contains(&env), "docs/configuration.md lacks {env}");
        }
    }

    #[test]
    fn masks_secrets() {
        let config = Config {
            master_key: "c2VjcmV0".into(),
            s3_secret_access_key: "abc".into(),
            database_url: "postgres://u:pw@h/db".into(),
            ..Config::default()
        };
        let shown = config.to_masked_toml();
        assert!(
            !shown.contains("c2VjcmV0") && !shown.contains("\"abc\"") && !shown.contains("pw@")
        );
        assert!(shown.contains("***"));
    }
}
