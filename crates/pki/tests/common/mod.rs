//! Shared fixtures for the integration tests: a node CA, signers and a TSA
//! at fixed times, so that expiry and revocation can be placed exactly.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod peers;

use std::time::{Duration, SystemTime};

use congso_pki::{
    CertificateAuthority, CertificateProfile, KeyAlgorithm, SignerIdentity, SubjectName,
    TimestampAuthority, DEFAULT_TSA_POLICY,
};

pub const DAY: Duration = Duration::from_secs(86_400);

/// 2026-01-01T00:00:00Z, the day the test CA starts.
pub fn t0() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

pub struct Pki {
    pub ca: CertificateAuthority,
    pub tsa: TimestampAuthority,
    pub start: SystemTime,
}

pub fn subject(cn: &str) -> SubjectName {
    SubjectName {
        common_name: cn.into(),
        organization: Some("UBND xã Thử Nghiệm".into()),
        country: Some("VN".into()),
        ..SubjectName::default()
    }
}

impl Pki {
    /// A PKI whose certificates start at [`t0`].
    pub fn new(algorithm: KeyAlgorithm) -> Self {
        Self::starting(algorithm, t0())
    }

    /// A PKI whose certificates start a day before now, for tests that run
    /// outside tools which check validity against the real clock.
    pub fn current(algorithm: KeyAlgorithm) -> Self {
        Self::starting(algorithm, SystemTime::now() - DAY)
    }

    pub fn starting(algorithm: KeyAlgorithm, start: SystemTime) -> Self {
        let ca = CertificateAuthority::create_root(
            &subject("Congso Test Root CA"),
            algorithm,
            start,
            3650 * DAY,
        )
        .unwrap();
        let tsa_identity = ca
            .issue_identity(
                &subject("Congso Test TSA"),
                CertificateProfile::TimeStamping,
                algorithm,
                start,
                3000 * DAY,
            )
            .unwrap();
        let tsa = TimestampAuthority::new(tsa_identity, DEFAULT_TSA_POLICY).unwrap();
        Self { ca, tsa, start }
    }

    /// A document signer valid from the PKI start for `days`.
    pub fn signer(&self, algorithm: KeyAlgorithm, days: u32) -> SignerIdentity {
        self.ca
            .issue_identity(
                &subject("Nguyễn Văn An"),
                CertificateProfile::DocumentSigning,
                algorithm,
                self.start,
                DAY * days,
            )
            .unwrap()
    }
}
