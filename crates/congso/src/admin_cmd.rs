//! `congso admin`: account management from the command line, for the first
//! administrator and for operators working on a stopped node. Every change
//! is recorded in the audit ledger as done by the operator (`cli:$USER`).

use std::io::Read;

use anyhow::{bail, Context};
use congso_core::access::{AccountKind, Role, RoleSet};
use congso_core::audit::{Actor, AuditAction};
use congso_store::accounts::{self, NewOrganization, NewUser};
use congso_store::ledger::{Ledger, NewEntry};

use crate::node::Node;

#[derive(Debug, clap::Subcommand)]
pub enum AdminCommand {
    /// Create an account; prints a temporary password unless --password-stdin is given.
    CreateUser {
        /// Login name (a-z, 0-9, '.', '_', '-').
        username: String,
        /// Full name as shown to people.
        #[arg(long)]
        name: String,
        /// Role to grant (repeat for several): administrator, it_officer, clerk,
        /// specialist, leader, security_officer, privacy_officer, citizen.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        email: Option<String>,
        /// Account kind.
        #[arg(long, default_value = "staff", value_parser = ["staff", "citizen"])]
        kind: String,
        /// Unit short name or organ code.
        #[arg(long)]
        unit: Option<String>,
        #[arg(long)]
        position: Option<String>,
        /// Read the initial password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Replace an account's roles (comma-separated).
    SetRole { username: String, roles: String },
    /// Set a new password (temporary, or from standard input); ends all sessions.
    ResetPassword {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Disable an account and end its sessions.
    Disable { username: String },
    /// Re-enable a disabled account.
    Enable { username: String },
    /// Clear the failed-login counter of a login name.
    Unlock { username: String },
    /// Remove an account's second factor (it must enrol again; mandatory for administrators).
    Remove2fa { username: String },
    /// List accounts.
    ListUsers {
        #[arg(long)]
        json: bool,
    },
    /// Create the node's agency record (once), e.g. when setting up without the demo.
    CreateAgency {
        /// Organ code in the form NNN.NN.NN.LNN.
        #[arg(long)]
        organ_code: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        short_name: Option<String>,
    },
    /// Add a unit under the agency.
    CreateUnit {
        #[arg(long)]
        name: String,
        /// Short name used in document notations (e.g. VP, KHTC).
        #[arg(long)]
        short_name: String,
        #[arg(long)]
        organ_code: Option<String>,
    },
}

fn operator() -> Actor {
    let name = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "operator".to_owned());
    Actor::Operator(name)
}

fn read_password_stdin() -> anyhow::Result<String> {
    let mut text = String::new();
    std::io::stdin()
        .take(4096)
        .read_to_string(&mut text)
        .context("cannot read the password from standard input")?;
    let password = text.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

async fn find(node: &Node, username: &str) -> anyhow::Result<accounts::User> {
    Ok(accounts::find_credentials(&node.db, username)
        .await?
        .with_context(|| format!("no account named {username:?}"))?
        .user)
}

async fn record(
    ledger: &Ledger,
    action: AuditAction,
    target: String,
    details: serde_json::Value,
) -> anyhow::Result<()> {
    // Changes to an account carry the hash of the account's resulting record.
    let digest = match target
        .strip_prefix("user:")
        .and_then(|id| id.parse::<i64>().ok())
    {
        Some(id) => Some(accounts::user_digest(ledger.db(), id).await?),
        None => None,
    };
    let mut entry = NewEntry::new(&operator(), action, target);
    if let Some(digest) = &digest {
        entry = entry.data_hash(digest);
    }
    ledger.append(entry.source("cli").details(details)).await?;
    Ok(())
}

pub async fn run(node: &Node, command: AdminCommand) -> anyhow::Result<()> {
    let ledger = node.ledger().await?;
    let result = execute(node, &ledger, command).await;
    // Sign a checkpoint covering what this command recorded.
    ledger.shutdown().await?;
    result
}

async fn execute(node: &Node, ledger: &Ledger, command: AdminCommand) -> anyhow::Result<()> {
    let hasher = node.password_hasher();
    match command {
        AdminCommand::CreateUser {
            username,
            name,
            roles,
            email,
            kind,
            unit,
            position,
            password_stdin,
        } => {
            let kind = if kind == "citizen" {
                AccountKind::Citizen
            } else {
                AccountKind::Staff
            };
            let roles: RoleSet = roles
                .iter()
                .flat_map(|value| value.split(','))
                .filter(|value| !value.trim().is_empty())
                .map(|value| value.parse::<Role>())
                .collect::<Result<_, _>>()?;
            let (password, temporary) = if password_stdin {
                let password = read_password_stdin()?;
                if let Err(violation) = congso_web::password::check_policy(&password, &username) {
                    bail!("password refused: {}", violation.message_id);
                }
                (password, false)
            } else {
                (congso_web::password::generate_temporary_password(), true)
            };
            let agency = accounts::home_agency(&node.db).await?;
            let units = accounts::list_organizations(&node.db).await?;
            let unit_id = match &unit {
                Some(wanted) => Some(
                    units
                        .iter()
                        .find(|org| {
                            org.kind == "unit"
                                && (org.short_name.as_deref() == Some(wanted)
                                    || org.organ_code.as_deref() == Some(wanted))
                        })
                        .with_context(|| format!("no unit {wanted:?}"))?
                        .id,
                ),
                None => None,
            };
            let id = accounts::create_user(
                &node.db,
                &NewUser {
                    username: username.clone(),
                    display_name: name,
                    email,
                    kind,
                    organization_id: agency
                        .map(|agency| agency.id)
                        .filter(|_| kind == AccountKind::Staff),
                    unit_id,
                    position,
                    roles,
                    password_hash: hasher
                        .hash_blocking(&password)
                        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?,
                    must_change_password: temporary,
                },
            )
            .await?;
            record(
                ledger,
                AuditAction::UserCreated,
                format!("user:{id}"),
                serde_json::json!({ "username": username, "roles": roles.to_codes() }),
            )
            .await?;
            println!("created account {username} (id {id})");
            if temporary {
                println!("temporary password (must be changed at first login): {password}");
            }
            if roles.contains(Role::Administrator) {
                println!("administrators must enrol a TOTP second factor at their first login");
            }
        }
        AdminCommand::SetRole { username, roles } => {
            let user = find(node, &username).await?;
            let roles = RoleSet::parse_codes(&roles)?;
            accounts::set_roles(&node.db, user.id, roles).await?;
            record(ledger, AuditAction::UserRolesChanged, format!("user:{}", user.id), serde_json::json!({ "username": username, "from": user.roles.to_codes(), "to": roles.to_codes() })).await?;
            println!("{username}: roles set to {}", roles.to_codes());
        }
        AdminCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let user = find(node, &username).await?;
            let (password, temporary) = if password_stdin {
                let password = read_password_stdin()?;
                if let Err(violation) = congso_web::password::check_policy(&password, &username) {
                    bail!("password refused: {}", violation.message_id);
                }
                (password, false)
            } else {
                (congso_web::password::generate_temporary_password(), true)
            };
            let hash = hasher
                .hash_blocking(&password)
                .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
            accounts::set_password(&node.db, user.id, &hash, temporary).await?;
            accounts::clear_login_failures(&node.db, &user.username).await?;
            record(
                ledger,
                AuditAction::UserPasswordSetByAdmin,
                format!("user:{}", user.id),
                serde_json::json!({ "username": username, "temporary": temporary }),
            )
            .await?;
            println!("{username}: password reset; all sessions ended");
            if temporary {
                println!("temporary password (must be changed at next login): {password}");
            }
        }
        AdminCommand::Disable { username } => {
            let user = find(node, &username).await?;
            accounts::set_disabled(&node.db, user.id, true).await?;
            record(
                ledger,
                AuditAction::UserDisabled,
                format!("user:{}", user.id),
                serde_json::json!({ "username": username }),
            )
            .await?;
            println!("{username}: disabled; all sessions ended");
        }
        AdminCommand::Enable { username } => {
            let user = find(node, &username).await?;
            accounts::set_disabled(&node.db, user.id, false).await?;
            record(
                ledger,
                AuditAction::UserEnabled,
                format!("user:{}", user.id),
                serde_json::json!({ "username": username }),
            )
            .await?;
            println!("{username}: enabled");
        }
        AdminCommand::Unlock { username } => {
            let subject = username.trim().to_lowercase();
            accounts::clear_login_failures(&node.db, &subject).await?;
            record(
                ledger,
                AuditAction::UserUnlocked,
                format!("login:{subject}"),
                serde_json::json!({}),
            )
            .await?;
            println!("{subject}: failed-login counter cleared");
        }
        AdminCommand::Remove2fa { username } => {
            let user = find(node, &username).await?;
            accounts::set_totp_secret(&node.db, user.id, None).await?;
            accounts::delete_user_sessions(&node.db, user.id, None).await?;
            record(
                ledger,
                AuditAction::TwoFactorDisabled,
                format!("user:{}", user.id),
                serde_json::json!({ "username": username, "by_operator": true }),
            )
            .await?;
            println!("{username}: second factor removed; all sessions ended");
        }
        AdminCommand::ListUsers { json } => {
            let users = accounts::list_users(&node.db).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&users)?);
            } else {
                for user in users {
                    println!(
                        "{:<20} {:<8} {:<30} {}{}{}",
                        user.username,
                        user.kind.code(),
                        user.roles.to_codes(),
                        user.display_name,
                        if user.disabled { " [disabled]" } else { "" },
                        if user.has_totp { " [2fa]" } else { "" }
                    );
                }
            }
        }
        AdminCommand::CreateAgency {
            organ_code,
            name,
            short_name,
        } => {
            let code: congso_vn::id::OrganCode = organ_code
                .parse()
                .map_err(|error| anyhow::anyhow!("organ code {organ_code:?}: {error}"))?;
            if accounts::home_agency(&node.db).await?.is_some() {
                bail!("this node already has an agency");
            }
            let id = accounts::create_organization(
                &node.db,
                &NewOrganization {
                    kind: "agency".into(),
                    organ_code: Some(code.to_string()),
                    name: name.clone(),
                    short_name,
                    ..Default::default()
                },
            )
            .await?;
            record(
                ledger,
                AuditAction::OrganizationCreated,
                format!("organization:{id}"),
                serde_json::json!({ "organ_code": code.to_string(), "name": name }),
            )
            .await?;
            println!("agency created: {code} {name}");
        }
        AdminCommand::CreateUnit {
            name,
            short_name,
            organ_code,
        } => {
            let agency = accounts::home_agency(&node.db)
                .await?
                .context("create the agency first (congso admin create-agency)")?;
            if let Some(code) = &organ_code {
                let _: congso_vn::id::OrganCode = code
                    .parse()
                    .map_err(|error| anyhow::anyhow!("organ code {code:?}: {error}"))?;
            }
            let id = accounts::create_organization(
                &node.db,
                &NewOrganization {
                    parent_id: Some(agency.id),
                    kind: "unit".into(),
                    organ_code,
                    name: name.clone(),
                    short_name: Some(short_name),
                    ..Default::default()
                },
            )
            .await?;
            record(
                ledger,
                AuditAction::OrganizationCreated,
                format!("organization:{id}"),
                serde_json::json!({ "unit": name }),
            )
            .await?;
            println!("unit created: {name}");
        }
    }
    Ok(())
}
