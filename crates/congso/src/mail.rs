//! Delivers queued mail: through an SMTP server when `smtp_url` is set
//! (lettre, STARTTLS or implicit TLS with rustls), otherwise as `.eml` files
//! into a pickup directory, the hand-off format local mail systems
//! (Postfix's and Exchange's pickup folders, or a cron job with
//! `sendmail -t`) accept.

use std::path::{Path, PathBuf};

use anyhow::Context;
use base64::Engine;
use congso_store::{mail, Db};
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// Where queued mail goes.
pub enum Delivery {
    /// `.eml` files in a directory.
    Pickup(PathBuf),
    /// An SMTP server.
    Smtp {
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

impl Delivery {
    /// SMTP when `smtp_url` is set, else the pickup directory.
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Delivery> {
        if config.smtp_url.is_empty() {
            return Ok(Delivery::Pickup(config.mail_pickup_dir()));
        }
        Delivery::smtp(&config.smtp_url, &config.smtp_from)
    }

    /// An SMTP delivery to the server named by `url`.
    pub fn smtp(url: &str, from: &str) -> anyhow::Result<Delivery> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .with_context(|| {
                format!(
                    "smtp_url {} is not a usable SMTP address",
                    congso_store::redact_url(url)
                )
            })?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .parse::<Mailbox>()
            .with_context(|| format!("smtp_from {from:?} is not a mail address"))?;
        Ok(Delivery::Smtp {
            transport: Box::new(transport),
            from,
        })
    }
}

/// Delivers every pending message and marks it sent; a message that fails
/// is marked failed with the reason and retried later (up to the store's
/// attempt limit). Returns how many were delivered.
pub async fn deliver_pending(db: &Db, delivery: &Delivery) -> anyhow::Result<usize> {
    let pending = mail::pending(db, 100).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    let mut delivered = 0;
    for message in pending {
        let outcome = match delivery {
            Delivery::Pickup(dir) => write_eml(dir, &message),
            Delivery::Smtp { transport, from } => send_smtp(transport, from, &message).await,
        };
        match outcome {
            Ok(()) => {
                mail::mark_sent(db, message.id).await?;
                delivered += 1;
            }
            Err(error) => {
                tracing::warn!(id = message.id, error = %format!("{error:#}"), "mail not delivered; will retry");
                mail::mark_failed(db, message.id, &format!("{error:#}")).await?;
            }
        }
    }
    Ok(delivered)
}

fn write_eml(pickup: &Path, message: &mail::QueuedMail) -> anyhow::Result<()> {
    std::fs::create_dir_all(pickup)
        .with_context(|| format!("cannot create {}", pickup.display()))?;
    let path = pickup.join(format!("{:08}-{}.eml", message.id, message.created_at));
    let text = format!(
        "To: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nX-Congso-Message-Id: {}\r\n\r\n{}\r\n",
        message.recipient.replace(['\r', '\n'], ""),
        base64::engine::general_purpose::STANDARD.encode(message.subject.as_bytes()),
        message.id,
        message.body.replace('\n', "\r\n"),
    );
    congso_store::secrets::write_private_file(&path, text.as_bytes())?;
    Ok(())
}

async fn send_smtp(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    from: &Mailbox,
    message: &mail::QueuedMail,
) -> anyhow::Result<()> {
    let to = message
        .recipient
        .parse::<Mailbox>()
        .with_context(|| format!("recipient {:?} is not a mail address", message.recipient))?;
    let email = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(message.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .context("cannot build the message")?;
    transport
        .send(email)
        .await
        .context("the SMTP server did not accept the message")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Stdio};
    use std::time::Duration;

    use super::*;

    /// The peers venv with aiosmtpd (installed by scripts/install-test-deps.sh).
    fn aiosmtpd_python() -> Option<PathBuf> {
        let venv = PathBuf::from(
            std::env::var("CONGSO_PEERS_VENV").unwrap_or_else(|_| "/tmp/peers/venv".into()),
        );
        let python = venv.join("bin/python");
        let found = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status()
            .is_ok_and(|status| status.success());
        if !found {
            assert!(
                std::env::var("CONGSO_REQUIRE_PEERS").as_deref() != Ok("1"),
                "aiosmtpd not found in {} but CONGSO_REQUIRE_PEERS=1",
                venv.display()
            );
            eprintln!("NOTICE: skipping, aiosmtpd not found; set CONGSO_REQUIRE_PEERS=1 to make this an error");
            return None;
        }
        Some(python)
    }

    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    async fn open_db(dir: &Path) -> Db {
        let url = format!("sqlite://{}", dir.join("mail.db").display());
        Db::open(&congso_store::DbOptions::new(url)).await.unwrap()
    }

    #[tokio::test]
    async fn smtp_delivery_reaches_a_real_server_and_failures_stay_queued() {
        let Some(python) = aiosmtpd_python() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("maildir");
        let port = free_port();
        let _server = Server(
            Command::new(&python)
                .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
                .args(["-c", "aiosmtpd.handlers.Mailbox"])
                .arg(&maildir)
                .stdout(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let mut ready = false;
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "aiosmtpd did not start on port {port}");

        let db = open_db(dir.path()).await;
        let id = mail::enqueue(
            &db,
            "chuyen.vien@stttt.example.vn",
            "Văn bản đến số 12 đã quá hạn xử lý",
            "Kính gửi đồng chí,\nVăn bản số 12/UBND-VP cần được xử lý trước ngày 05/12/2026.",
        )
        .await
        .unwrap();

        // A server that is not there: the message stays queued with the reason.
        let dead = Delivery::smtp(
            &format!("smtp://127.0.0.1:{}", free_port()),
            "congso@localhost",
        )
        .unwrap();
        assert_eq!(deliver_pending(&db, &dead).await.unwrap(), 0);
        let pending = mail::pending(&db, 10).await.unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].id, id);

        let live = Delivery::smtp(
            &format!("smtp://127.0.0.1:{port}"),
            "Sở Thông tin và Truyền thông <noreply@stttt.example.vn>",
        )
        .unwrap();
        assert_eq!(deliver_pending(&db, &live).await.unwrap(), 1);
        assert!(mail::pending(&db, 10).await.unwrap().is_empty());

        // Python's own e-mail parser reads what the server stored.
        let new = maildir.join("new");
        let files: Vec<_> = std::fs::read_dir(&new).unwrap().flatten().collect();
        assert_eq!(files.len(), 1, "one message in {}", new.display());
        let parsed = Command::new(&python)
            .args([
                "-c",
                "import email, email.policy, sys\n\
                 m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)\n\
                 print(m['from']); print(m['to']); print(m['subject']); print(m.get_content().strip())",
            ])
            .arg(files[0].path())
            .output()
            .unwrap();
        assert!(parsed.status.success(), "{parsed:?}");
        let text = String::from_utf8(parsed.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "Sở Thông tin và Truyền thông <noreply@stttt.example.vn>"
        );
        assert_eq!(lines[1], "chuyen.vien@stttt.example.vn");
        assert_eq!(lines[2], "Văn bản đến số 12 đã quá hạn xử lý");
        assert_eq!(lines[3], "Kính gửi đồng chí,");
        assert!(lines[4].contains("12/UBND-VP"));
    }

    #[test]
    fn bad_smtp_settings_are_refused_with_the_key() {
        let error = Delivery::smtp("smtp://127.0.0.1:25", "not an address")
            .err()
            .unwrap();
        assert!(format!("{error:#}").contains("smtp_from"));
        let error = Delivery::smtp("smtp://user:secretpw@[::1", "a@b.vn")
            .err()
            .unwrap();
        let message = format!("{error:#}");
        assert!(
            message.contains("smtp_url") && !message.contains("secretpw"),
            "{message}"
        );
    }
}
