//! The ledger action codes this crate records.
//!
//! They live here rather than in `congso_core::audit::AuditAction` because
//! that enum is shared with other parts of the node and this crate's events
//! are only ever written here; the codes follow the same dotted style.

use congso_core::audit::Actor;
use congso_store::ledger::NewEntry;

/// What happened, as a stable dotted code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Event {
    /// The node CA was created (on first use).
    CaCreated,
    /// A TSA certificate was issued by the node CA.
    TsaIssued,
    /// A staff signing certificate was issued by the node CA.
    CertificateIssued,
    /// A staff signing identity was imported from PKCS#12.
    CertificateImported,
    /// A certificate was revoked and a new CRL published.
    CertificateRevoked,
    /// A document was signed with a staff identity.
    DocumentSigned,
    /// A document was archived.
    ArchiveRecorded,
}

impl Event {
    pub const ALL: [Event; 7] = [
        Event::CaCreated,
        Event::TsaIssued,
        Event::CertificateIssued,
        Event::CertificateImported,
        Event::CertificateRevoked,
        Event::DocumentSigned,
        Event::ArchiveRecorded,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Event::CaCreated => "pki.ca_created",
            Event::TsaIssued => "pki.tsa_issued",
            Event::CertificateIssued => "pki.certificate_issued",
            Event::CertificateImported => "pki.certificate_imported",
            Event::CertificateRevoked => "pki.certificate_revoked",
            Event::DocumentSigned => "signature.created",
            Event::ArchiveRecorded => "archive.recorded",
        }
    }

    /// A ledger entry for this event. Actor and target go through
    /// [`NewEntry::new`]'s cleaning (bounded, no control characters).
    pub fn entry(self, actor: &Actor, target: impl Into<String>) -> NewEntry {
        // `NewEntry::new` takes the shared action enum; any variant will do
        // because the action is replaced by this event's own code at once.
        let mut entry = NewEntry::new(
            actor,
            congso_core::audit::AuditAction::ConfigChanged,
            target,
        );
        entry.action = self.code().to_owned();
        entry
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_distinct_and_dotted() {
        let mut seen = std::collections::HashSet::new();
        for event in Event::ALL {
            assert!(seen.insert(event.code()), "{event:?}");
            assert!(event.code().contains('.'));
        }
        let entry = Event::ArchiveRecorded.entry(&Actor::System, "archive:1\n");
        assert_eq!(entry.action, "archive.recorded");
        assert_eq!(entry.target, "archive:1\u{FFFD}");
    }
}
