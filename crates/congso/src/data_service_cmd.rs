//! `congso federation service`: publish data services, load their datasets,
//! grant and revoke agencies' access, call other agencies' services and
//! read the call log.
//!
//! `service call` exits 0 when the provider answered, and with a distinct
//! code per refusal so scripts can tell them apart: 10 `not_granted`, 11
//! `invalid_input`, 12 `unknown_service`, 13 `service_down`.

use std::path::PathBuf;

use anyhow::{bail, Context};
use congso_core::access::AccountKind;
use congso_core::audit::Actor;
use congso_federation::data_service::{self, CallRequest, Outcome, ServiceSpec};
use congso_federation::{Federation, FederationError};
use congso_store::data_services as store;

use crate::node::Node;

/// Exit code of `service call` for each refusal.
pub fn exit_code(outcome: Outcome) -> i32 {
    match outcome {
        Outcome::Ok => 0,
        Outcome::NotGranted => 10,
        Outcome::InvalidInput => 11,
        Outcome::UnknownService => 12,
        Outcome::ServiceDown => 13,
    }
}

#[derive(Debug, clap::Subcommand)]
pub enum ServiceCommand {
    /// Publish (or republish) a data service of this agency: it is listed
    /// in the federation directory once the coordinator has the
    /// announcement (a member's running node delivers it).
    Publish {
        /// Service code: segments of a-z, 0-9 and '-' separated by '.'
        /// (e.g. ho-tich.tra-cuu-cu-tru).
        #[arg(long)]
        code: String,
        /// Name for people, in Vietnamese.
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// JSON Schema (draft 2020-12) of the input, from a file.
        #[arg(long)]
        input_schema: PathBuf,
        /// JSON Schema of the output (a record of the dataset), from a file.
        #[arg(long)]
        output_schema: PathBuf,
        /// An input field records are looked up by (repeat for several).
        #[arg(long = "key", required = true)]
        key_fields: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Load a service's dataset from JSON lines (one record per line),
    /// replacing the previous one; a file with any bad line loads nothing.
    Load {
        code: String,
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Allow an agency to call a service.
    Grant { code: String, organ_code: String },
    /// Withdraw an agency's access to a service.
    Revoke { code: String, organ_code: String },
    /// This node's services and grants, and the services the directory lists.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Call another agency's data service and print the verified response.
    Call {
        /// The providing agency's organ code.
        organ_code: String,
        /// The service code.
        code: String,
        /// The input, as a JSON object.
        #[arg(long)]
        input: String,
        /// Why the data is needed (required; logged on both sides).
        #[arg(long)]
        purpose: String,
        /// The staff account making the call (login name).
        #[arg(long = "as")]
        user: String,
        /// Repeat an earlier call under its request id.
        #[arg(long)]
        request_id: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// The log of data service calls made and answered by this node.
    Log {
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long)]
        json: bool,
    },
}

fn read_json(path: &PathBuf, what: &str) -> anyhow::Result<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} {}", path.display()))?;
    serde_json::from_str(&text)
        .with_context(|| format!("the {what} {} is not JSON", path.display()))
}

pub async fn run(node: &Node, command: ServiceCommand) -> anyhow::Result<()> {
    let actor = crate::pki_cmd::operator();
    match command {
        ServiceCommand::Publish {
            code,
            name,
            description,
            input_schema,
            output_schema,
            key_fields,
            json,
        } => {
            let spec = ServiceSpec {
                code,
                name,
                description,
                input_schema: read_json(&input_schema, "input schema")?,
                output_schema: read_json(&output_schema, "output schema")?,
                key_fields,
            };
            let ledger = node.ledger().await?;
            let blobs = node.blobs()?;
            let result =
                data_service::publish(&node.db, &node.sealer, &blobs, &ledger, &spec, &actor).await;
            ledger.shutdown().await?;
            let published = result?;
            if json {
                println!("{}", serde_json::to_string_pretty(&published)?);
            } else {
                match (&published.directory_version, &published.announcement_message) {
                    (Some(version), _) => println!(
                        "{} published (revision {}); listed in directory version {version}",
                        published.code, published.revision
                    ),
                    (None, Some(message)) => println!(
                        "{} published (revision {}); announcement {message} queued for the coordinator",
                        published.code, published.revision
                    ),
                    (None, None) => println!("{} published", published.code),
                }
            }
        }
        ServiceCommand::Load { code, file, json } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ledger = node.ledger().await?;
            let result = data_service::load_dataset(&node.db, &ledger, &code, &text, &actor).await;
            ledger.shutdown().await?;
            let records = result?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "code": code, "records": records })
                );
            } else {
                println!("{records} record(s) loaded into {code}");
            }
        }
        ServiceCommand::Grant { code, organ_code } => {
            grant(node, &code, &organ_code, true, &actor).await?;
        }
        ServiceCommand::Revoke { code, organ_code } => {
            grant(node, &code, &organ_code, false, &actor).await?;
        }
        ServiceCommand::List { json } => list(node, json).await?,
        ServiceCommand::Call {
            organ_code,
            code,
            input,
            purpose,
            user,
            request_id,
            json,
        } => {
            let outcome = call(
                node,
                &organ_code,
                &code,
                &input,
                &purpose,
                &user,
                request_id,
                json,
            )
            .await?;
            let code = exit_code(outcome);
            if code != 0 {
                std::process::exit(code);
            }
        }
        ServiceCommand::Log { limit, after, json } => {
            let rows = store::calls_page(&node.db, after, limit).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for row in rows {
                    let other = if row.side == "caller" {
                        format!("→ {}", row.provider)
                    } else {
                        format!("← {}", row.caller_org)
                    };
                    println!(
                        "{:>6} {} {:<8} {other} {} {} {} ({}): {}",
                        row.seq,
                        crate::federation_cmd::time(row.requested_at),
                        row.side,
                        row.service_code,
                        row.outcome,
                        row.caller_user_name,
                        row.request_id,
                        row.purpose
                    );
                }
            }
        }
    }
    Ok(())
}

async fn grant(
    node: &Node,
    code: &str,
    organ_code: &str,
    granted: bool,
    actor: &Actor,
) -> anyhow::Result<()> {
    let ledger = node.ledger().await?;
    let result = data_service::set_grant(&node.db, &ledger, code, organ_code, granted, actor).await;
    ledger.shutdown().await?;
    let changed = result?;
    match (granted, changed) {
        (true, true) => println!("{organ_code} may now call {code}"),
        (true, false) => println!("{organ_code} already had access to {code}"),
        (false, true) => println!("{organ_code} may no longer call {code}"),
        (false, false) => println!("{organ_code} had no access to {code}"),
    }
    Ok(())
}

async fn list(node: &Node, json: bool) -> anyhow::Result<()> {
    let services = store::services(&node.db).await?;
    let grants = store::grants(&node.db).await?;
    let identity = congso_federation::identity::NodeIdentity::load(&node.db, &node.sealer).await?;
    let mut listed = Vec::new();
    if let Some(identity) = &identity {
        let directory = congso_federation::identity::load_directory(&node.db, identity).await?;
        for member in directory.members().filter(|member| member.is_active()) {
            for service in &member.entry.services {
                listed.push(serde_json::json!({
                    "provider": member.entry.organ_code,
                    "provider_name": member.entry.name,
                    "code": service.code,
                    "name": service.name,
                    "description": service.description,
                    "input_schema": service.input_schema,
                    "output_schema": service.output_schema,
                }));
            }
        }
    }
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "provided": services,
                "grants": grants,
                "directory": listed,
            }))?
        );
        return Ok(());
    }
    println!("provided by this node:");
    if services.is_empty() {
        println!("  none");
    }
    for service in &services {
        let granted: Vec<&str> = grants
            .iter()
            .filter(|grant| grant.service_code == service.code && grant.is_active())
            .map(|grant| grant.organ_code.as_str())
            .collect();
        println!(
            "  {} [{}] {} — {} record(s); granted to: {}",
            service.code,
            service.status,
            service.name,
            service.records,
            if granted.is_empty() {
                "nobody".to_owned()
            } else {
                granted.join(", ")
            }
        );
    }
    println!("in the directory:");
    if listed.is_empty() {
        println!("  none");
    }
    for entry in &listed {
        println!(
            "  {} {} — {}",
            entry["provider"].as_str().unwrap_or_default(),
            entry["code"].as_str().unwrap_or_default(),
            entry["name"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn call(
    node: &Node,
    provider: &str,
    code: &str,
    input: &str,
    purpose: &str,
    username: &str,
    request_id: Option<String>,
    json: bool,
) -> anyhow::Result<Outcome> {
    let input: serde_json::Value = match serde_json::from_str(input) {
        Ok(input) => input,
        Err(error) => {
            eprintln!("error: --input is not JSON: {error}");
            return Ok(Outcome::InvalidInput);
        }
    };
    let credentials = congso_store::accounts::find_credentials(&node.db, username)
        .await?
        .with_context(|| format!("no account {username:?} on this node (--as)"))?;
    let user = credentials.user;
    if user.disabled || user.kind != AccountKind::Staff {
        bail!("{username} is not an active staff account (--as)");
    }
    let ledger = node.ledger().await?;
    let result: anyhow::Result<congso_federation::CallAnswer> = async {
        let federation = Federation::open(
            node.db.clone(),
            node.blobs()?,
            ledger.clone(),
            &node.sealer,
            node.config.federation_settings()?,
        )
        .await?
        .context("this node belongs to no federation")?;
        let request = CallRequest {
            provider: provider.to_owned(),
            service: code.to_owned(),
            input,
            purpose: purpose.trim().to_owned(),
            user_id: user.id.to_string(),
            user_name: user.display_name.clone(),
            request_id,
        };
        Ok(federation
            .call_service(&request, &Actor::User(user.username.clone()))
            .await?)
    }
    .await;
    ledger.shutdown().await?;
    let answer = match result {
        Ok(answer) => answer,
        Err(error) => {
            // An input too large to send is the caller's invalid input.
            if let Some(FederationError::Invalid { what: "input", .. }) =
                error.downcast_ref::<FederationError>()
            {
                eprintln!("error: {error:#}");
                return Ok(Outcome::InvalidInput);
            }
            return Err(error);
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&answer)?);
    } else {
        println!(
            "request:  {} ({})",
            answer.request_id,
            answer.outcome.code()
        );
        match &answer.response {
            Some(response) => {
                println!(
                    "response: signed by {} at {}, verified{}",
                    response.from,
                    crate::federation_cmd::time(response.answered_at),
                    if answer.duplicate {
                        " (the answer to an earlier request with this id)"
                    } else {
                        ""
                    }
                );
                println!("message:  {}", response.message);
                for error in &response.errors {
                    println!("  {error}");
                }
                if let Some(result) = &response.result {
                    println!("{}", serde_json::to_string_pretty(result)?);
                }
            }
            None => println!("error:    {}", answer.detail),
        }
    }
    Ok(answer.outcome)
}

/// The web layer's way to other agencies' data services: the services in
/// the directory in force, and calls made through this node's federation
/// (logged and ledgered on both sides by `Federation::call_service`).
pub struct Gateway {
    pub federation: Federation,
}

impl congso_web::data_services::DataServiceGateway for Gateway {
    fn services(&self) -> Vec<congso_web::data_services::OfferedService> {
        let directory = self.federation.directory();
        let own = self.federation.organ_code();
        directory
            .members()
            .filter(|member| member.is_active() && member.entry.organ_code != own)
            .flat_map(|member| {
                member.entry.services.iter().map(|service| {
                    congso_web::data_services::OfferedService {
                        provider: member.entry.organ_code.clone(),
                        provider_name: member.entry.name.clone(),
                        code: service.code.clone(),
                        name: service.name.clone(),
                        description: service.description.clone(),
                        input_schema: service.input_schema.clone(),
                        output_schema: service.output_schema.clone(),
                    }
                })
            })
            .collect()
    }

    fn call<'a>(
        &'a self,
        call: congso_web::data_services::ServiceCall,
        username: &'a str,
    ) -> congso_web::data_services::BoxFuture<
        'a,
        Result<congso_web::data_services::CallResult, String>,
    > {
        Box::pin(async move {
            let request = CallRequest {
                provider: call.provider,
                service: call.service,
                input: call.input,
                purpose: call.purpose,
                user_id: call.user_id,
                user_name: call.user_name,
                request_id: None,
            };
            let answer = self
                .federation
                .call_service(&request, &Actor::User(username.to_owned()))
                .await
                .map_err(|error| error.to_string())?;
            let (message, errors, result, answered_at) = match &answer.response {
                Some(response) => (
                    response.message.clone(),
                    response.errors.iter().map(ToString::to_string).collect(),
                    response.result.clone(),
                    Some(response.answered_at),
                ),
                None => (answer.detail.clone(), Vec::new(), None, None),
            };
            Ok(congso_web::data_services::CallResult {
                request_id: answer.request_id,
                outcome: answer.outcome.code().to_owned(),
                message,
                errors,
                result,
                answered_at,
                request_sha256: answer.request_sha256,
                response_sha256: answer.response_sha256,
            })
        })
    }
}
