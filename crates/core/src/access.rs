//! Roles and the permission matrix.
//!
//! Every action a user can take through the web interface, the JSON API or
//! the CLI is named by an [`Action`]; the server asks [`RoleSet::permits`]
//! before doing it. The matrix lives in one `match` so that a reviewer can
//! read the whole access policy on one screen, and a test walks every
//! role × action pair against an independently written table.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role a person holds in the agency (or `Citizen` for the public).
///
/// The staff roles follow Decree 64 Art. 44–47 and Decree 30/2020: the IT
/// unit administers the node, clerks (văn thư) keep the registers,
/// specialists (chuyên viên) draft and process, leaders (lãnh đạo) assign,
/// approve and sign, and the security and privacy officers oversee.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    ItOfficer,
    Clerk,
    Specialist,
    Leader,
    SecurityOfficer,
    PrivacyOfficer,
    Citizen,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Administrator,
        Role::ItOfficer,
        Role::Clerk,
        Role::Specialist,
        Role::Leader,
        Role::SecurityOfficer,
        Role::PrivacyOfficer,
        Role::Citizen,
    ];

    /// The stable machine name used in the database, the CLI and the API.
    pub fn code(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::ItOfficer => "it_officer",
            Role::Clerk => "clerk",
            Role::Specialist => "specialist",
            Role::Leader => "leader",
            Role::SecurityOfficer => "security_officer",
            Role::PrivacyOfficer => "privacy_officer",
            Role::Citizen => "citizen",
        }
    }

    /// Whether the role belongs to agency staff (as opposed to the public).
    pub fn is_staff(self) -> bool {
        self != Role::Citizen
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A role name that is not one of [`Role::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}; known roles: administrator, it_officer, clerk, specialist, leader, security_officer, privacy_officer, citizen")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('-', "_");
        Role::ALL
            .into_iter()
            .find(|role| role.code() == wanted)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

/// The set of roles one account holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u16);

/// Why a set of roles cannot be given to an account.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleSetError {
    #[error("a citizen account cannot hold staff roles")]
    CitizenWithStaffRole,
    #[error("a staff account cannot hold the citizen role")]
    StaffWithCitizenRole,
    #[error("an account needs at least one role")]
    Empty,
}

/// The two kinds of account: agency staff and members of the public.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Staff,
    Citizen,
}

impl AccountKind {
    pub fn code(self) -> &'static str {
        match self {
            AccountKind::Staff => "staff",
            AccountKind::Citizen => "citizen",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "staff" => Some(AccountKind::Staff),
            "citizen" => Some(AccountKind::Citizen),
            _ => None,
        }
    }
}

impl RoleSet {
    pub const EMPTY: RoleSet = RoleSet(0);

    pub fn single(role: Role) -> Self {
        RoleSet(role.bit())
    }

    pub fn contains(self, role: Role) -> bool {
        self.0 & role.bit() != 0
    }

    pub fn insert(&mut self, role: Role) {
        self.0 |= role.bit();
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL
            .into_iter()
            .filter(move |role| self.contains(*role))
    }

    /// Whether any role in the set permits `action`.
    pub fn permits(self, action: Action) -> bool {
        self.iter().any(|role| role_permits(role, action))
    }

    /// Checks that these roles fit an account of `kind`.
    pub fn validate_for(self, kind: AccountKind) -> Result<(), RoleSetError> {
        if self.is_empty() {
            return Err(RoleSetError::Empty);
        }
        let has_staff_role = self.iter().any(Role::is_staff);
        match kind {
            AccountKind::Citizen if has_staff_role => Err(RoleSetError::CitizenWithStaffRole),
            AccountKind::Staff if self.contains(Role::Citizen) => {
                Err(RoleSetError::StaffWithCitizenRole)
            }
            _ => Ok(()),
        }
    }

    /// Roles as their codes joined by commas, for storage and display.
    pub fn to_codes(self) -> String {
        self.iter().map(Role::code).collect::<Vec<_>>().join(",")
    }

    /// Parses a comma-separated list of role codes.
    pub fn parse_codes(codes: &str) -> Result<Self, UnknownRole> {
        let mut set = RoleSet::EMPTY;
        for code in codes
            .split(',')
            .map(str::trim)
            .filter(|code| !code.is_empty())
        {
            set.insert(code.parse()?);
        }
        Ok(set)
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(iter: I) -> Self {
        let mut set = RoleSet::EMPTY;
        for role in iter {
            set.insert(role);
        }
        set
    }
}

/// Everything a signed-in user can ask the node to do.
///
/// Public, anonymous actions (reading the portal, logging in) are not listed:
/// they need no permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// See one's own account page.
    AccountView,
    /// Change one's own password.
    AccountChangePassword,
    /// Enrol or remove one's own TOTP second factor.
    AccountManageTwoFactor,
    /// Enter the staff work area.
    StaffAreaView,
    /// List and view staff and citizen accounts.
    UserList,
    /// Create accounts.
    UserCreate,
    /// Change the roles of an account.
    UserSetRoles,
    /// Set a new password for someone else's account.
    UserResetPassword,
    /// Disable or re-enable an account, or unlock it after failed logins.
    UserDisable,
    /// Manage the agency's organisation record and its units.
    OrganizationManage,
    /// Read the audit ledger's entries (who did what), not just its hashes.
    LedgerViewEntries,
    /// Sign a new ledger checkpoint on demand.
    LedgerCheckpoint,
    /// See the node's effective configuration (secrets masked).
    ConfigView,
    /// Read documents, their files and timelines, and search them (secret
    /// documents additionally need clearance or to be one of their handlers).
    DocumentView,
    /// Register an incoming document (upload or edXML package) and give it
    /// the next arrival number (Decree 30 Art. 22: the clerk, văn thư).
    DocumentRegisterIncoming,
    /// Create and edit a draft outgoing document and attach its files.
    DocumentDraft,
    /// Take up and finish an incoming document one is assigned to.
    DocumentProcess,
    /// Assign an incoming document to a unit or specialist with a due date.
    DocumentAssign,
    /// Review and approve an outgoing draft.
    DocumentApprove,
    /// Sign an approved outgoing document.
    DocumentSign,
    /// Number, date and issue a signed outgoing document (the clerk).
    DocumentIssue,
    /// Dispatch an issued document to its recipients (the clerk).
    DocumentDispatch,
    /// Recall (thu hồi) a document: it is frozen and marked, never deleted.
    DocumentRecall,
    /// Add a rendition (PDF, OCR text, converted encoding) beside an original.
    DocumentAddRendition,
    /// Read the incoming and outgoing registers and export them.
    DocumentRegisterView,
    /// Export documents as edXML and produce edXML status messages.
    DocumentExport,
    /// See what is overdue in every unit and for every person (one's own
    /// overdue list needs only [`Action::DocumentView`]).
    DocumentOverdueView,
    /// Set a user's secrecy clearance.
    DocumentSetClearance,
    /// Install the agency's own workflow definition.
    DocumentWorkflowManage,
    /// Issue signing certificates to staff from the node CA, list the
    /// certificates the node holds and revoke them.
    PkiManage,
    /// Create and revoke one's own personal API tokens (staff only: the
    /// JSON API serves the agency's own systems and scripts).
    ApiTokenManage,
    /// Write portal content and send it for review.
    PortalEdit,
    /// Publish, schedule and unpublish portal content; edit the service
    /// catalogue, categories, synonyms and best bets.
    PortalPublish,
    /// Call another agency's data service through the federation, with a
    /// stated purpose (Decree 64 Art. 7; both sides log the call).
    DataServiceCall,
    /// Read the whole log of data service calls made and answered by this
    /// node (staff who call see their own calls).
    DataServiceLogView,
}

impl Action {
    pub const ALL: [Action; 35] = [
        Action::AccountView,
        Action::AccountChangePassword,
        Action::AccountManageTwoFactor,
        Action::StaffAreaView,
        Action::UserList,
        Action::UserCreate,
        Action::UserSetRoles,
        Action::UserResetPassword,
        Action::UserDisable,
        Action::OrganizationManage,
        Action::LedgerViewEntries,
        Action::LedgerCheckpoint,
        Action::ConfigView,
        Action::DocumentView,
        Action::DocumentRegisterIncoming,
        Action::DocumentDraft,
        Action::DocumentProcess,
        Action::DocumentAssign,
        Action::DocumentApprove,
        Action::DocumentSign,
        Action::DocumentIssue,
        Action::DocumentDispatch,
        Action::DocumentRecall,
        Action::DocumentAddRendition,
        Action::DocumentRegisterView,
        Action::DocumentExport,
        Action::DocumentOverdueView,
        Action::DocumentSetClearance,
        Action::DocumentWorkflowManage,
        Action::PkiManage,
        Action::ApiTokenManage,
        Action::PortalEdit,
        Action::PortalPublish,
        Action::DataServiceCall,
        Action::DataServiceLogView,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Action::AccountView => "account_view",
            Action::AccountChangePassword => "account_change_password",
            Action::AccountManageTwoFactor => "account_manage_two_factor",
            Action::StaffAreaView => "staff_area_view",
            Action::UserList => "user_list",
            Action::UserCreate => "user_create",
            Action::UserSetRoles => "user_set_roles",
            Action::UserResetPassword => "user_reset_password",
            Action::UserDisable => "user_disable",
            Action::OrganizationManage => "organization_manage",
            Action::LedgerViewEntries => "ledger_view_entries",
            Action::LedgerCheckpoint => "ledger_checkpoint",
            Action::ConfigView => "config_view",
            Action::DocumentView => "document_view",
            Action::DocumentRegisterIncoming => "document_register_incoming",
            Action::DocumentDraft => "document_draft",
            Action::DocumentProcess => "document_process",
            Action::DocumentAssign => "document_assign",
            Action::DocumentApprove => "document_approve",
            Action::DocumentSign => "document_sign",
            Action::DocumentIssue => "document_issue",
            Action::DocumentDispatch => "document_dispatch",
            Action::DocumentRecall => "document_recall",
            Action::DocumentAddRendition => "document_add_rendition",
            Action::DocumentRegisterView => "document_register_view",
            Action::DocumentExport => "document_export",
            Action::DocumentOverdueView => "document_overdue_view",
            Action::DocumentSetClearance => "document_set_clearance",
            Action::DocumentWorkflowManage => "document_workflow_manage",
            Action::PkiManage => "pki_manage",
            Action::ApiTokenManage => "api_token_manage",
            Action::PortalEdit => "portal_edit",
            Action::PortalPublish => "portal_publish",
            Action::DataServiceCall => "data_service_call",
            Action::DataServiceLogView => "data_service_log_view",
        }
    }
}

/// The access policy: which single role permits which action.
///
/// Least privilege: only administrators manage accounts; the IT officer runs
/// the node (configuration, checkpoints, audit reading) but cannot grant
/// roles; the security officer reads the audit ledger; business roles see
/// only their own account and the staff area.
///
/// Documents follow Decree 30/2020's allocation of duties: the clerk (văn
/// thư) registers incoming documents, numbers, issues and dispatches
/// outgoing ones and keeps the registers; the specialist (chuyên viên)
/// drafts and processes; the leader (lãnh đạo) assigns, approves, signs and
/// recalls. Administrators and IT officers run the node but do not read
/// documents. Clearance for secret documents is granted by the
/// administrator or the security officer and kept as data per user.
fn role_permits(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        AccountView | AccountChangePassword | AccountManageTwoFactor => true,
        StaffAreaView => role.is_staff(),
        UserList | UserCreate | UserSetRoles | UserResetPassword | UserDisable
        | OrganizationManage => role == Role::Administrator,
        LedgerViewEntries => matches!(
            role,
            Role::Administrator | Role::ItOfficer | Role::SecurityOfficer
        ),
        LedgerCheckpoint | ConfigView => matches!(role, Role::Administrator | Role::ItOfficer),
        DocumentView => matches!(role, Role::Clerk | Role::Specialist | Role::Leader),
        DocumentRegisterIncoming | DocumentIssue | DocumentDispatch | DocumentExport => {
            role == Role::Clerk
        }
        DocumentDraft | DocumentProcess => role == Role::Specialist,
        DocumentAssign | DocumentApprove | DocumentSign | DocumentRecall => role == Role::Leader,
        DocumentAddRendition => matches!(role, Role::Clerk | Role::Specialist),
        DocumentRegisterView | DocumentOverdueView => matches!(role, Role::Clerk | Role::Leader),
        DocumentSetClearance => matches!(role, Role::Administrator | Role::SecurityOfficer),
        DocumentWorkflowManage | PkiManage => role == Role::Administrator,
        ApiTokenManage => role.is_staff(),
        // The portal editor writes (specialist, clerk); the leader approves
        // and publishes (Decree 64 Art. 18: the head of the agency answers
        // for what the portal publishes).
        PortalEdit => matches!(role, Role::Clerk | Role::Specialist),
        PortalPublish => role == Role::Leader,
        // Those who handle citizens' files look data up; the officers who
        // answer for personal data and security read the whole log.
        DataServiceCall => matches!(role, Role::Clerk | Role::Specialist | Role::Leader),
        DataServiceLogView => matches!(
            role,
            Role::Administrator | Role::SecurityOfficer | Role::PrivacyOfficer
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_codes_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        assert_eq!("IT-Officer".parse::<Role>(), Ok(Role::ItOfficer));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn role_sets_parse_and_validate() {
        let set = RoleSet::parse_codes("clerk, leader").unwrap();
        assert!(set.contains(Role::Clerk) && set.contains(Role::Leader));
        assert_eq!(set.to_codes(), "clerk,leader");
        assert_eq!(set.validate_for(AccountKind::Staff), Ok(()));
        assert_eq!(
            set.validate_for(AccountKind::Citizen),
            Err(RoleSetError::CitizenWithStaffRole)
        );
        assert_eq!(
            RoleSet::single(Role::Citizen).validate_for(AccountKind::Staff),
            Err(RoleSetError::StaffWithCitizenRole)
        );
        assert_eq!(
            RoleSet::EMPTY.validate_for(AccountKind::Staff),
            Err(RoleSetError::Empty)
        );
    }

    /// The policy written out a second time, as a table a reviewer can
    /// compare with the decree's allocation of duties. The test walks every
    /// role × action pair, so a change to either side is caught.
    #[test]
    fn permission_matrix_matches_the_written_policy() {
        use Action::*;
        let own = [AccountView, AccountChangePassword, AccountManageTwoFactor];
        let table: [(Role, Vec<Action>); 8] = [
            (
                Role::Administrator,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        UserList,
                        UserCreate,
                        UserSetRoles,
                        UserResetPassword,
                        UserDisable,
                        OrganizationManage,
                        LedgerViewEntries,
                        LedgerCheckpoint,
                        ConfigView,
                        DocumentSetClearance,
                        DocumentWorkflowManage,
                        PkiManage,
                        ApiTokenManage,
                        DataServiceLogView,
                    ],
                ]
                .concat(),
            ),
            (
                Role::ItOfficer,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        LedgerViewEntries,
                        LedgerCheckpoint,
                        ConfigView,
                        ApiTokenManage,
                    ],
                ]
                .concat(),
            ),
            (
                Role::Clerk,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        DocumentView,
                        DocumentRegisterIncoming,
                        DocumentIssue,
                        DocumentDispatch,
                        DocumentAddRendition,
                        DocumentRegisterView,
                        DocumentExport,
                        DocumentOverdueView,
                        ApiTokenManage,
                        PortalEdit,
                        DataServiceCall,
                    ],
                ]
                .concat(),
            ),
            (
                Role::Specialist,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        DocumentView,
                        DocumentDraft,
                        DocumentProcess,
                        DocumentAddRendition,
                        ApiTokenManage,
                        PortalEdit,
                        DataServiceCall,
                    ],
                ]
                .concat(),
            ),
            (
                Role::Leader,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        DocumentView,
                        DocumentAssign,
                        DocumentApprove,
                        DocumentSign,
                        DocumentRecall,
                        DocumentRegisterView,
                        DocumentOverdueView,
                        ApiTokenManage,
                        PortalPublish,
                        DataServiceCall,
                    ],
                ]
                .concat(),
            ),
            (
                Role::SecurityOfficer,
                [
                    &own[..],
                    &[
                        StaffAreaView,
                        LedgerViewEntries,
                        DocumentSetClearance,
                        ApiTokenManage,
                        DataServiceLogView,
                    ],
                ]
                .concat(),
            ),
            (
                Role::PrivacyOfficer,
                [
                    &own[..],
                    &[StaffAreaView, ApiTokenManage, DataServiceLogView],
                ]
                .concat(),
            ),
            (Role::Citizen, own.to_vec()),
        ];
        for (role, allowed) in &table {
            for action in Action::ALL {
                assert_eq!(
                    RoleSet::single(*role).permits(action),
                    allowed.contains(&action),
                    "{role} × {action:?}"
                );
            }
        }
    }
}
