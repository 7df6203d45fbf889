//! The vocabulary of the audit ledger.
//!
//! Every security-relevant action becomes one ledger entry. An entry names
//! who acted, what they did, on what, when and from where, plus a SHA-256 of
//! the affected data. It never holds a secret: no password, no token, no
//! TOTP seed, no private key, ever.

use serde::{Deserialize, Serialize};

/// What happened, as a stable dotted code (`auth.login.success`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditAction {
    LoginSuccess,
    LoginFailure,
    LoginLockedOut,
    Logout,
    TwoFactorEnabled,
    TwoFactorDisabled,
    TwoFactorFailure,
    PasswordChanged,
    PasswordResetRequested,
    PasswordResetCompleted,
    UserCreated,
    UserRolesChanged,
    UserDisabled,
    UserEnabled,
    UserPasswordSetByAdmin,
    UserUnlocked,
    OrganizationCreated,
    ConfigChanged,
    NodeStarted,
    NodeStopped,
    LedgerCheckpointRequested,
    CsrfRejected,
    DocumentRegistered,
    DocumentDrafted,
    DocumentEdited,
    DocumentFileAdded,
    DocumentRenditionAdded,
    DocumentTransition,
    DocumentAssigned,
    DocumentSigned,
    DocumentIssued,
    DocumentDispatched,
    DocumentRecalled,
    DocumentStatusReceived,
    DocumentExported,
    DocumentClearanceChanged,
    DocumentWorkflowChanged,
    FederationCreated,
    FederationInviteIssued,
    FederationJoinRequested,
    FederationJoined,
    FederationMemberAdmitted,
    FederationMemberRemoved,
    FederationDirectoryUpdated,
    FederationMessageQueued,
    FederationMessageDelivered,
    FederationMessageReceived,
    FederationMessageRefused,
    FederationCheckpointWitnessed,
    FederationWitnessAlarm,
    DataServicePublished,
    DataServiceLoaded,
    DataServiceGranted,
    DataServiceRevoked,
    DataServicesListed,
    DataServiceCalled,
    DataServiceAnswered,
    ApiTokenCreated,
    ApiTokenRevoked,
    PortalItemSaved,
    PortalItemSubmitted,
    PortalItemPublished,
    PortalItemScheduled,
    PortalItemUnpublished,
    PortalItemExpired,
    PortalImported,
    PortalServiceSaved,
    PortalReindexed,
    PortalImageAdded,
    PortalDocumentPublished,
    PortalSearchListSaved,
}

impl AuditAction {
    pub fn code(self) -> &'static str {
        match self {
            AuditAction::LoginSuccess => "auth.login.success",
            AuditAction::LoginFailure => "auth.login.failure",
            AuditAction::LoginLockedOut => "auth.login.locked_out",
            AuditAction::Logout => "auth.logout",
            AuditAction::TwoFactorEnabled => "auth.2fa.enabled",
            AuditAction::TwoFactorDisabled => "auth.2fa.disabled",
            AuditAction::TwoFactorFailure => "auth.2fa.failure",
            AuditAction::PasswordChanged => "auth.password.changed",
            AuditAction::PasswordResetRequested => "auth.password.reset_requested",
            AuditAction::PasswordResetCompleted => "auth.password.reset_completed",
            AuditAction::UserCreated => "user.created",
            AuditAction::UserRolesChanged => "user.roles_changed",
            AuditAction::UserDisabled => "user.disabled",
            AuditAction::UserEnabled => "user.enabled",
            AuditAction::UserPasswordSetByAdmin => "user.password_set_by_admin",
            AuditAction::UserUnlocked => "user.unlocked",
            AuditAction::OrganizationCreated => "organization.created",
            AuditAction::ConfigChanged => "config.changed",
            AuditAction::NodeStarted => "node.started",
            AuditAction::NodeStopped => "node.stopped",
            AuditAction::LedgerCheckpointRequested => "ledger.checkpoint_requested",
            AuditAction::CsrfRejected => "security.csrf_rejected",
            AuditAction::DocumentRegistered => "document.registered",
            AuditAction::DocumentDrafted => "document.drafted",
            AuditAction::DocumentEdited => "document.edited",
            AuditAction::DocumentFileAdded => "document.file_added",
            AuditAction::DocumentRenditionAdded => "document.rendition_added",
            AuditAction::DocumentTransition => "document.transition",
            AuditAction::DocumentAssigned => "document.assigned",
            AuditAction::DocumentSigned => "document.signed",
            AuditAction::DocumentIssued => "document.issued",
            AuditAction::DocumentDispatched => "document.dispatched",
            AuditAction::DocumentRecalled => "document.recalled",
            AuditAction::DocumentStatusReceived => "document.status_received",
            AuditAction::DocumentExported => "document.exported",
            AuditAction::DocumentClearanceChanged => "document.clearance_changed",
            AuditAction::DocumentWorkflowChanged => "document.workflow_changed",
            AuditAction::FederationCreated => "federation.created",
            AuditAction::FederationInviteIssued => "federation.invite_issued",
            AuditAction::FederationJoinRequested => "federation.join_requested",
            AuditAction::FederationJoined => "federation.joined",
            AuditAction::FederationMemberAdmitted => "federation.member_admitted",
            AuditAction::FederationMemberRemoved => "federation.member_removed",
            AuditAction::FederationDirectoryUpdated => "federation.directory_updated",
            AuditAction::FederationMessageQueued => "federation.message_queued",
            AuditAction::FederationMessageDelivered => "federation.message_delivered",
            AuditAction::FederationMessageReceived => "federation.message_received",
            AuditAction::FederationMessageRefused => "federation.message_refused",
            AuditAction::FederationCheckpointWitnessed => "federation.checkpoint_witnessed",
            AuditAction::FederationWitnessAlarm => "federation.witness_alarm",
            AuditAction::DataServicePublished => "data_service.published",
            AuditAction::DataServiceLoaded => "data_service.loaded",
            AuditAction::DataServiceGranted => "data_service.granted",
            AuditAction::DataServiceRevoked => "data_service.revoked",
            AuditAction::DataServicesListed => "data_service.listed",
            AuditAction::DataServiceCalled => "data_service.called",
            AuditAction::DataServiceAnswered => "data_service.answered",
            AuditAction::ApiTokenCreated => "auth.api_token.created",
            AuditAction::ApiTokenRevoked => "auth.api_token.revoked",
            AuditAction::PortalItemSaved => "portal.item_saved",
            AuditAction::PortalItemSubmitted => "portal.item_submitted",
            AuditAction::PortalItemPublished => "portal.item_published",
            AuditAction::PortalItemScheduled => "portal.item_scheduled",
            AuditAction::PortalItemUnpublished => "portal.item_unpublished",
            AuditAction::PortalItemExpired => "portal.item_expired",
            AuditAction::PortalImported => "portal.imported",
            AuditAction::PortalServiceSaved => "portal.service_saved",
            AuditAction::PortalReindexed => "portal.reindexed",
            AuditAction::PortalImageAdded => "portal.image_added",
            AuditAction::PortalDocumentPublished => "portal.document_published",
            AuditAction::PortalSearchListSaved => "portal.search_list_saved",
        }
    }
}

impl AuditAction {
    /// The document actions, in the order they were added.
    pub const DOCUMENT: [AuditAction; 15] = [
        AuditAction::DocumentRegistered,
        AuditAction::DocumentDrafted,
        AuditAction::DocumentEdited,
        AuditAction::DocumentFileAdded,
        AuditAction::DocumentRenditionAdded,
        AuditAction::DocumentTransition,
        AuditAction::DocumentAssigned,
        AuditAction::DocumentSigned,
        AuditAction::DocumentIssued,
        AuditAction::DocumentDispatched,
        AuditAction::DocumentRecalled,
        AuditAction::DocumentStatusReceived,
        AuditAction::DocumentExported,
        AuditAction::DocumentClearanceChanged,
        AuditAction::DocumentWorkflowChanged,
    ];
}

/// Who performed an action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    /// A signed-in account, by username.
    User(String),
    /// Someone not (yet) signed in; for a failed login, the name they typed.
    Anonymous(Option<String>),
    /// An operator at the node's command line.
    Operator(String),
    /// The node itself (background jobs, start-up).
    System,
}

impl Actor {
    /// The compact textual form stored in the ledger (`user:lan.nt`).
    pub fn to_code(&self) -> String {
        match self {
            Actor::User(name) => format!("user:{name}"),
            Actor::Anonymous(Some(name)) => format!("anonymous:{name}"),
            Actor::Anonymous(None) => "anonymous".to_owned(),
            Actor::Operator(name) => format!("cli:{name}"),
            Actor::System => "system".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Document codes are stable, dotted, under `document.`, and distinct.
    #[test]
    fn document_codes_are_distinct_and_dotted() {
        let codes: Vec<&str> = AuditAction::DOCUMENT
            .iter()
            .map(|action| action.code())
            .collect();
        let mut unique = codes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        for code in codes {
            assert!(code.starts_with("document."), "{code}");
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_'),
                "{code}"
            );
        }
    }
}
