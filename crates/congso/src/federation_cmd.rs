//! `congso federation`: create or join a federation, invite and remove
//! agencies, queue messages and look at the outbox, inbox and directory;
//! and starting the federation service when the node serves.

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use congso_core::audit::Actor;
use congso_federation::identity::{self, InitOptions, JoinOptions, NodeIdentity};
use congso_federation::{DeliveryStatus, Federation, Queue};
use congso_store::federation as store;
use congso_store::ledger::Ledger;

use crate::node::Node;

#[derive(Debug, clap::Subcommand)]
pub enum FederationCommand {
    /// Create a federation with this node as its coordinator: a federation
    /// CA (ECDSA P-256) and a directory-signing key. Restart the node to
    /// open the federation listener.
    Init {
        /// The federation's name (default: "congso ORGAN_CODE").
        #[arg(long)]
        name: Option<String>,
        /// This agency's organ code (default: the home agency's).
        #[arg(long)]
        organ_code: Option<String>,
        /// This agency's name (default: the home agency's).
        #[arg(long)]
        agency_name: Option<String>,
        /// This node's federation endpoint (default: the configuration's).
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a one-time, expiring invitation token for an agency (coordinator only).
    Invite {
        /// The invited agency's organ code (NNN.NN.NN.LNN).
        organ_code: String,
        /// Hours the token stays valid.
        #[arg(long, default_value_t = 72)]
        valid_hours: u64,
        #[arg(long)]
        json: bool,
    },
    /// Join a federation: get a node certificate from its CA with an
    /// invitation token. Restart the node to open the federation listener.
    Join {
        /// The coordinator's federation endpoint (https://host:port).
        url: String,
        /// The token `congso federation invite` printed on the coordinator.
        token: String,
        /// This agency's organ code (default: the home agency's).
        #[arg(long)]
        organ_code: Option<String>,
        /// This agency's name (default: the home agency's).
        #[arg(long)]
        agency_name: Option<String>,
        /// This node's federation endpoint (default: the configuration's).
        #[arg(long)]
        endpoint: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Remove an agency: a new directory version marks it removed and its
    /// certificate goes on the federation CRL, so every node refuses it
    /// within one directory refresh (coordinator only).
    Remove {
        organ_code: String,
        /// The agency's key leaked (recorded as the revocation reason).
        #[arg(long)]
        key_compromise: bool,
    },
    /// This node's federation identity, directory and message queues.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Queue a message for an agency; the running node delivers it and
    /// stores the signed receipt.
    Send {
        /// The recipient's organ code.
        to: String,
        /// Message kind (picks the recipient's handler), e.g. document.edxml.
        #[arg(long)]
        kind: String,
        /// The payload, from a file (streamed; any size).
        #[arg(long, conflicts_with = "text")]
        file: Option<PathBuf>,
        /// The payload, as text.
        #[arg(long)]
        text: Option<String>,
        /// Queue this many copies, each a message of its own.
        #[arg(long, default_value_t = 1)]
        count: u32,
        #[arg(long)]
        json: bool,
    },
    /// Dispatch an issued outgoing document as edXML to one or more
    /// agencies of the federation; the running node delivers it. Dispatching
    /// the same document to the same agency again queues nothing.
    Dispatch {
        /// The document's number in this node (as in its URL).
        document_id: i64,
        /// The recipients' organ codes.
        #[arg(required = true)]
        recipients: Vec<String>,
        /// The clerk who dispatches (default: the system clerk).
        #[arg(long)]
        user: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delivery status of sent messages (queued, sent, received with the
    /// receipt, or rejected with the reason).
    Outbox {
        /// Only this message.
        #[arg(long)]
        message: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        /// Start after this outbox position (for paging).
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long)]
        json: bool,
    },
    /// Data services: publish, load, grant, revoke, list, call, log.
    Service {
        #[command(subcommand)]
        command: crate::data_service_cmd::ServiceCommand,
    },
    /// Received messages, with their arrival times.
    Inbox {
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long)]
        json: bool,
    },
}

fn operator() -> Actor {
    crate::pki_cmd::operator()
}

/// The home agency's organ code and name, for defaults.
async fn home_agency(node: &Node) -> anyhow::Result<(Option<String>, Option<String>)> {
    Ok(match congso_store::accounts::home_agency(&node.db).await? {
        Some(agency) => (agency.organ_code, Some(agency.name)),
        None => (None, None),
    })
}

pub(crate) fn time(micros: i64) -> String {
    use congso_vn::time::OffsetDateTime;
    let Ok(at) = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000) else {
        return micros.to_string();
    };
    let at = at.to_offset(
        congso_vn::time::UtcOffset::from_hms(7, 0, 0).unwrap_or(congso_vn::time::UtcOffset::UTC),
    );
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03} +07",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

pub async fn run(node: &Node, command: FederationCommand) -> anyhow::Result<()> {
    match command {
        FederationCommand::Init {
            name,
            organ_code,
            agency_name,
            endpoint,
            json,
        } => {
            let (home_code, home_name) = home_agency(node).await?;
            let organ_code = organ_code.or(home_code).context(
                "give --organ-code (the home agency has none; set it with `congso admin` first or pass it here)",
            )?;
            let agency_name = agency_name
                .or(home_name)
                .context("give --agency-name (no home agency is set up)")?;
            let options = InitOptions {
                federation_name: name.unwrap_or_else(|| format!("congso {organ_code}")),
                organ_code,
                agency_name,
                endpoint: endpoint.unwrap_or_else(|| node.config.federation_endpoint()),
                certificate_validity: Duration::from_secs(
                    u64::from(node.config.federation_cert_days) * 86_400,
                ),
            };
            let ledger = node.ledger().await?;
            let report =
                identity::init(&node.db, &node.sealer, &ledger, &options, &operator()).await;
            ledger.shutdown().await?;
            let report = report?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "federation {:?} created; this node ({}) is its coordinator",
                    report.federation_name, report.organ_code
                );
                println!("endpoint:        {}", report.endpoint);
                println!("CA SHA-256:      {}", report.ca_sha256);
                println!("directory key:   {}", report.directory_key);
                println!("next: restart the node (the federation listener opens on {}), then `congso federation invite ORGAN_CODE`", node.config.federation_listen);
            }
        }
        FederationCommand::Invite {
            organ_code,
            valid_hours,
            json,
        } => {
            if valid_hours == 0 || valid_hours > 24 * 90 {
                bail!("--valid-hours must be between 1 and 2160");
            }
            let ledger = node.ledger().await?;
            let invite = identity::invite(
                &node.db,
                &ledger,
                &organ_code,
                Duration::from_secs(valid_hours * 3600),
                &operator(),
            )
            .await;
            ledger.shutdown().await?;
            let invite = invite?;
            let identity = store::identity(&node.db).await?.context("no federation")?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "organ_code": invite.organ_code,
                        "token": invite.token.encode(),
                        "expires_at": invite.expires_at,
                        "coordinator_endpoint": identity.endpoint,
                    })
                );
            } else {
                println!("{}", invite.token.encode());
                eprintln!(
                    "one-time token for {} (valid until {}); on that agency's node run:\n  congso federation join {} TOKEN",
                    invite.organ_code,
                    time(invite.expires_at),
                    identity.endpoint
                );
            }
        }
        FederationCommand::Join {
            url,
            token,
            organ_code,
            agency_name,
            endpoint,
            json,
        } => {
            let (home_code, home_name) = home_agency(node).await?;
            let options = JoinOptions {
                coordinator_endpoint: url,
                token,
                organ_code: organ_code
                    .or(home_code)
                    .context("give --organ-code (no home agency organ code is set)")?,
                agency_name: agency_name
                    .or(home_name)
                    .context("give --agency-name (no home agency is set up)")?,
                endpoint: endpoint.unwrap_or_else(|| node.config.federation_endpoint()),
                connect_timeout: Duration::from_secs(node.config.federation_connect_timeout_secs),
            };
            let ledger = node.ledger().await?;
            let report =
                identity::join(&node.db, &node.sealer, &ledger, &options, &operator()).await;
            ledger.shutdown().await?;
            let report = report?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!(
                    "joined federation {:?} (coordinator {}) as {}; certificate serial {}; directory version {} with {} members",
                    report.federation_name,
                    report.coordinator,
                    report.organ_code,
                    report.certificate_serial,
                    report.directory_version,
                    report.members
                );
                println!(
                    "next: restart the node; the federation listener opens on {}",
                    node.config.federation_listen
                );
            }
        }
        FederationCommand::Remove {
            organ_code,
            key_compromise,
        } => {
            let ledger = node.ledger().await?;
            let result = identity::remove(
                &node.db,
                &node.sealer,
                &ledger,
                &organ_code,
                key_compromise,
                &operator(),
            )
            .await;
            ledger.shutdown().await?;
            let row = result?;
            println!(
                "{organ_code} removed: directory version {}; nodes refuse it from their next refresh (every {} s)",
                row.version, node.config.federation_directory_refresh_secs
            );
        }
        FederationCommand::Status { json } => status(node, json).await?,
        FederationCommand::Send {
            to,
            kind,
            file,
            text,
            count,
            json,
        } => send(node, &to, &kind, file, text, count, json).await?,
        FederationCommand::Dispatch {
            document_id,
            recipients,
            user,
            json,
        } => dispatch(node, document_id, &recipients, user.as_deref(), json).await?,
        FederationCommand::Outbox {
            message,
            limit,
            after,
            json,
        } => {
            let statuses: Vec<DeliveryStatus> = match message {
                Some(id) => {
                    let status = congso_federation::outbox::status(&node.db, &id)
                        .await?
                        .with_context(|| format!("no message {id} in the outbox"))?;
                    vec![status]
                }
                None => store::outbox_page(&node.db, after, limit)
                    .await?
                    .into_iter()
                    .map(DeliveryStatus::from_row)
                    .collect(),
            };
            if json {
                println!("{}", serde_json::to_string_pretty(&statuses)?);
            } else {
                for status in statuses {
                    let detail = match (&status.received_at, &status.last_error) {
                        (Some(received), _) => format!("received {}", time(*received)),
                        (None, Some(error)) => format!("attempt {}: {error}", status.attempts),
                        _ => String::new(),
                    };
                    println!(
                        "{} {:<13} {:<16} {:>9} B  {:?}  {}",
                        status.message_id,
                        status.recipient,
                        status.kind,
                        status.payload_len,
                        status.state,
                        detail
                    );
                }
            }
        }
        FederationCommand::Service { command } => {
            crate::data_service_cmd::run(node, command).await?
        }
        FederationCommand::Inbox { limit, after, json } => {
            let rows = store::inbox_page(&node.db, after, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for row in rows {
                    println!(
                        "{} {} {:<16} {:>9} B  received {}{}",
                        row.sender,
                        row.message_id,
                        row.kind,
                        row.payload_len,
                        time(row.received_at),
                        if row.handled_at.is_some() {
                            "  handled"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
    }
    Ok(())
}

async fn status(node: &Node, json: bool) -> anyhow::Result<()> {
    let Some(identity) = store::identity(&node.db).await? else {
        if json {
            println!("{}", serde_json::json!({ "federated": false }));
        } else {
            println!("this node belongs to no federation (see `congso federation init` and `congso federation join`)");
        }
        return Ok(());
    };
    let loaded = NodeIdentity::load(&node.db, &node.sealer)
        .await?
        .context("the federation identity vanished")?;
    let directory = identity::load_directory(&node.db, &loaded).await?;
    let counts = store::outbox_counts(&node.db).await?;
    let members: Vec<serde_json::Value> = directory
        .members()
        .map(|member| {
            serde_json::json!({
                "organ_code": member.entry.organ_code,
                "name": member.entry.name,
                "endpoint": member.entry.endpoint,
                "status": member.entry.status,
                "certificate_serial": member.certificate.serial_hex(),
            })
        })
        .collect();
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "federated": true,
                "role": identity.role,
                "federation": identity.federation_name,
                "organ_code": identity.organ_code,
                "endpoint": identity.endpoint,
                "coordinator_endpoint": identity.coordinator_endpoint,
                "directory_version": directory.version(),
                "members": members,
                "outbox": counts.iter().map(|(state, count)| (state.clone(), *count)).collect::<std::collections::BTreeMap<_, _>>(),
            }))?
        );
    } else {
        println!(
            "federation:  {} ({} of it)",
            identity.federation_name, identity.role
        );
        println!(
            "this node:   {} at {}",
            identity.organ_code, identity.endpoint
        );
        println!("coordinator: {}", identity.coordinator_endpoint);
        println!("directory:   version {}", directory.version());
        for member in directory.members() {
            println!(
                "  {} {:<8} {} ({})",
                member.entry.organ_code,
                format!("{:?}", member.entry.status).to_lowercase(),
                member.entry.name,
                member.entry.endpoint
            );
        }
        let counts: Vec<String> = counts
            .iter()
            .map(|(state, count)| format!("{count} {state}"))
            .collect();
        println!(
            "outbox:      {}",
            if counts.is_empty() {
                "empty".to_owned()
            } else {
                counts.join(", ")
            }
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn send(
    node: &Node,
    to: &str,
    kind: &str,
    file: Option<PathBuf>,
    text: Option<String>,
    count: u32,
    json: bool,
) -> anyhow::Result<()> {
    if count == 0 || count > 1_000_000 {
        bail!("--count must be between 1 and 1000000");
    }
    let identity = NodeIdentity::load(&node.db, &node.sealer)
        .await?
        .context("this node belongs to no federation")?;
    let directory = identity::load_directory(&node.db, &identity).await?;
    let blobs = node.blobs()?;
    let ledger: Ledger = node.ledger().await?;
    let actor = operator();
    let queue = Queue {
        db: &node.db,
        blobs: &blobs,
        ledger: &ledger,
        writer: None,
        directory: &directory,
        from: &identity.organ_code,
        max_payload_bytes: node.config.federation_max_payload_bytes,
        actor: &actor,
    };
    let result: anyhow::Result<Vec<String>> = async {
        match (file, text) {
            (Some(path), None) => {
                let mut ids = Vec::new();
                for _ in 0..count {
                    let file = tokio::fs::File::open(&path)
                        .await
                        .with_context(|| format!("cannot open {}", path.display()))?;
                    ids.push(congso_federation::outbox::enqueue(&queue, to, kind, file).await?);
                }
                Ok(ids)
            }
            (None, Some(text)) => {
                let payload = text.into_bytes();
                if payload.len() > store::INLINE_PAYLOAD_MAX {
                    let id = congso_federation::outbox::enqueue(
                        &queue,
                        to,
                        kind,
                        std::io::Cursor::new(payload),
                    )
                    .await?;
                    return Ok(vec![id]);
                }
                let mut ids = Vec::with_capacity(count as usize);
                let mut left = count as usize;
                while left > 0 {
                    let chunk = left.min(1000);
                    ids.extend(
                        congso_federation::outbox::enqueue_batch(
                            &queue,
                            to,
                            kind,
                            vec![payload.clone(); chunk],
                        )
                        .await?,
                    );
                    left -= chunk;
                }
                Ok(ids)
            }
            (None, None) => {
                // Standard input, for pipelines.
                let mut payload = Vec::new();
                std::io::stdin()
                    .take(node.config.federation_max_payload_bytes)
                    .read_to_end(&mut payload)?;
                let id = congso_federation::outbox::enqueue(
                    &queue,
                    to,
                    kind,
                    std::io::Cursor::new(payload),
                )
                .await?;
                Ok(vec![id])
            }
            (Some(_), Some(_)) => bail!("give --file or --text, not both"),
        }
    }
    .await;
    ledger.shutdown().await?;
    let ids = result?;
    if json {
        println!("{}", serde_json::json!({ "message_ids": ids }));
    } else {
        for id in &ids {
            println!("{id}");
        }
        eprintln!(
            "{} message(s) queued for {to}; the running node delivers them",
            ids.len()
        );
    }
    Ok(())
}

async fn dispatch(
    node: &Node,
    document_id: i64,
    recipients: &[String],
    user: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let identity = NodeIdentity::load(&node.db, &node.sealer)
        .await?
        .context("this node belongs to no federation")?;
    let directory = identity::load_directory(&node.db, &identity).await?;
    let blobs = node.blobs()?;
    let ledger: Ledger = node.ledger().await?;
    let result: anyhow::Result<Vec<crate::exchange::Dispatched>> = async {
        let pki = crate::pki_cmd::node_pki(node).await?;
        let service = node
            .documents_service(ledger.clone(), pki)
            .await?
            .context("this node has no home agency (congso admin create-agency)")?;
        let acting = match user {
            Some(username) => {
                let credentials = congso_store::accounts::find_credentials(&node.db, username)
                    .await?
                    .with_context(|| format!("no user {username}"))?;
                service.acting(credentials.user.id, "cli").await?
            }
            None => service.system_clerk().await?,
        };
        let actor = Actor::User(acting.username.clone());
        let queue = Queue {
            db: &node.db,
            blobs: &blobs,
            ledger: &ledger,
            writer: None,
            directory: &directory,
            from: &identity.organ_code,
            max_payload_bytes: node.config.federation_max_payload_bytes,
            actor: &actor,
        };
        crate::exchange::dispatch(&service, &acting, &queue, document_id, recipients).await
    }
    .await;
    ledger.shutdown().await?;
    let outcomes = result?;
    if json {
        println!("{}", serde_json::json!({ "dispatched": outcomes }));
    } else {
        for outcome in &outcomes {
            let what = if outcome.queued {
                "queued"
            } else {
                "already queued before"
            };
            println!("{} {} {what}", outcome.recipient, outcome.message_id);
        }
    }
    Ok(())
}

/// Opens and starts the federation service if the node belongs to a
/// federation; `None` otherwise.
pub async fn start_service(node: &Node, ledger: &Ledger) -> anyhow::Result<Option<Federation>> {
    let federation = Federation::open(
        node.db.clone(),
        node.blobs()?,
        ledger.clone(),
        &node.sealer,
        node.config.federation_settings()?,
    )
    .await
    .context("cannot open the federation service")?;
    let Some(federation) = federation else {
        return Ok(None);
    };
    federation.start().await?;
    Ok(Some(federation))
}
