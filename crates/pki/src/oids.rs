//! Object identifiers used by the crate, with readable names for reports.

use der::asn1::ObjectIdentifier as Oid;

macro_rules! oids {
    ($($name:ident = $value:literal, $label:literal;)*) => {
        $(#[doc = $label] pub const $name: Oid = Oid::new_unwrap($value);)*

        /// A readable name for an OID, or its dotted form when unknown.
        pub fn name(oid: &Oid) -> String {
            $(if *oid == $name { return $label.to_string(); })*
            oid.to_string()
        }
    };
}

oids! {
    RSA_ENCRYPTION = "1.2.840.113549.1.1.1", "rsaEncryption";
    SHA256_WITH_RSA = "1.2.840.113549.1.1.11", "sha256WithRSAEncryption";
    SHA384_WITH_RSA = "1.2.840.113549.1.1.12", "sha384WithRSAEncryption";
    SHA512_WITH_RSA = "1.2.840.113549.1.1.13", "sha512WithRSAEncryption";
    SHA1_WITH_RSA = "1.2.840.113549.1.1.5", "sha1WithRSAEncryption";
    RSASSA_PSS = "1.2.840.113549.1.1.10", "RSASSA-PSS";
    EC_PUBLIC_KEY = "1.2.840.10045.2.1", "ecPublicKey";
    SECP256R1 = "1.2.840.10045.3.1.7", "P-256";
    SECP384R1 = "1.3.132.0.34", "P-384";
    ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2", "ecdsa-with-SHA256";
    ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3", "ecdsa-with-SHA384";
    ECDSA_WITH_SHA512 = "1.2.840.10045.4.3.4", "ecdsa-with-SHA512";
    SHA1 = "1.3.14.3.2.26", "SHA-1";
    SHA256 = "2.16.840.1.101.3.4.2.1", "SHA-256";
    SHA384 = "2.16.840.1.101.3.4.2.2", "SHA-384";
    SHA512 = "2.16.840.1.101.3.4.2.3", "SHA-512";
    // CMS and attributes.
    CMS_DATA = "1.2.840.113549.1.7.1", "id-data";
    CMS_SIGNED_DATA = "1.2.840.113549.1.7.2", "id-signedData";
    CT_TST_INFO = "1.2.840.113549.1.9.16.1.4", "id-ct-TSTInfo";
    ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3", "contentType";
    ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4", "messageDigest";
    ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5", "signingTime";
    ATTR_SIGNING_CERTIFICATE = "1.2.840.113549.1.9.16.2.12", "signingCertificate";
    ATTR_SIGNING_CERTIFICATE_V2 = "1.2.840.113549.1.9.16.2.47", "signingCertificateV2";
    ATTR_SIGNATURE_TIMESTAMP = "1.2.840.113549.1.9.16.2.14", "signatureTimeStampToken";
    ATTR_CMS_ALGORITHM_PROTECTION = "1.2.840.113549.1.9.52", "cmsAlgorithmProtection";
    // Certificate extensions and key purposes.
    EXT_SUBJECT_KEY_ID = "2.5.29.14", "subjectKeyIdentifier";
    EXT_KEY_USAGE = "2.5.29.15", "keyUsage";
    EXT_SUBJECT_ALT_NAME = "2.5.29.17", "subjectAltName";
    EXT_BASIC_CONSTRAINTS = "2.5.29.19", "basicConstraints";
    EXT_CRL_NUMBER = "2.5.29.20", "cRLNumber";
    EXT_CRL_REASON = "2.5.29.21", "reasonCode";
    EXT_AUTHORITY_KEY_ID = "2.5.29.35", "authorityKeyIdentifier";
    EXT_EXTENDED_KEY_USAGE = "2.5.29.37", "extKeyUsage";
    EXT_CERTIFICATE_POLICIES = "2.5.29.32", "certificatePolicies";
    EXT_CRL_DISTRIBUTION_POINTS = "2.5.29.31", "cRLDistributionPoints";
    EXT_AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1", "authorityInfoAccess";
    KP_SERVER_AUTH = "1.3.6.1.5.5.7.3.1", "serverAuth";
    KP_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2", "clientAuth";
    KP_EMAIL_PROTECTION = "1.3.6.1.5.5.7.3.4", "emailProtection";
    KP_TIME_STAMPING = "1.3.6.1.5.5.7.3.8", "timeStamping";
    KP_DOCUMENT_SIGNING = "1.3.6.1.5.5.7.3.36", "documentSigning";
    // Names.
    AT_COMMON_NAME = "2.5.4.3", "CN";
    AT_COUNTRY = "2.5.4.6", "C";
    AT_ORGANIZATION = "2.5.4.10", "O";
    AT_ORGANIZATIONAL_UNIT = "2.5.4.11", "OU";
    AT_TITLE = "2.5.4.12", "title";
    AT_EMAIL = "1.2.840.113549.1.9.1", "emailAddress";
    // PKCS#12.
    PKCS12_KEY_BAG = "1.2.840.113549.1.12.10.1.1", "keyBag";
    PKCS12_SHROUDED_KEY_BAG = "1.2.840.113549.1.12.10.1.2", "pkcs8ShroudedKeyBag";
    PKCS12_CERT_BAG = "1.2.840.113549.1.12.10.1.3", "certBag";
    PKCS9_X509_CERTIFICATE = "1.2.840.113549.1.9.22.1", "x509Certificate";
    CMS_ENCRYPTED_DATA = "1.2.840.113549.1.7.6", "id-encryptedData";
    HMAC_SHA256 = "1.2.840.113549.2.9", "hmacWithSHA256";
}
