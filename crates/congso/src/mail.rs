//! Delivers queued mail as `.eml` files into a pickup directory, the
//! hand-off format local mail systems (Postfix's and Exchange's pickup
//! folders, or a cron job with `sendmail -t`) accept.

use std::path::Path;

use anyhow::Context;
use base64::Engine;
use congso_store::{mail, Db};

/// Writes every pending message as one `.eml` file and marks it sent.
pub async fn deliver_pending(db: &Db, pickup: &Path) -> anyhow::Result<usize> {
    let pending = mail::pending(db, 100).await?;
    if pending.is_empty() {
        return Ok(0);
    }
    std::fs::create_dir_all(pickup)
        .with_context(|| format!("cannot create {}", pickup.display()))?;
    let mut delivered = 0;
    for message in pending {
        let path = pickup.join(format!("{:08}-{}.eml", message.id, message.created_at));
        let text = format!(
            "To: {}\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\nX-Congso-Message-Id: {}\r\n\r\n{}\r\n",
            message.recipient.replace(['\r', '\n'], ""),
            base64::engine::general_purpose::STANDARD.encode(message.subject.as_bytes()),
            message.id,
            message.body.replace('\n', "\r\n"),
        );
        match congso_store::secrets::write_private_file(&path, text.as_bytes()) {
            Ok(()) => {
                mail::mark_sent(db, message.id).await?;
                delivered += 1;
            }
            Err(error) => mail::mark_failed(db, message.id, &error.to_string()).await?,
        }
    }
    Ok(delivered)
}
