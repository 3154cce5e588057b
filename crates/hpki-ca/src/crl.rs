//! Certificate revocation lists (RFC 5280 §5) and revocation.

use const_oid::AssociatedOid;
use der::Encode;
use der::asn1::{BitString, OctetString, Uint};
use serde_json::json;
use x509_cert::certificate::Version;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::crl::CrlNumber;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, CrlReason};
use x509_cert::serial_number::SerialNumber;

use hpki_profile::time::x509_time;
use hpki_store::RevokeOutcome;

use crate::CaError;
use crate::authority::{CaName, Engine, normalize_serial};

/// RFC 5280 §5.3.1 reason codes an operator may give, by name.
pub const REASONS: &[(&str, CrlReason)] = &[
    ("unspecified", CrlReason::Unspecified),
    ("keyCompromise", CrlReason::KeyCompromise),
    ("cACompromise", CrlReason::CaCompromise),
    ("affiliationChanged", CrlReason::AffiliationChanged),
    ("superseded", CrlReason::Superseded),
    ("cessationOfOperation", CrlReason::CessationOfOperation),
    ("privilegeWithdrawn", CrlReason::PrivilegeWithdrawn),
];

/// Parse a reason name (case-insensitive; `key-compromise` and `key_compromise` too).
pub fn parse_reason(name: &str) -> Result<CrlReason, CaError> {
    let norm: String = name
        .chars()
        .filter(|c| *c != '-' && *c != '_')
        .collect::<String>()
        .to_lowercase();
    REASONS
        .iter()
        .find(|(n, _)| n.to_lowercase() == norm)
        .map(|(_, r)| *r)
        .ok_or_else(|| CaError::BadReason(name.to_owned()))
}

/// The RFC 5280 name of a reason code.
pub fn reason_name(code: i32) -> &'static str {
    REASONS
        .iter()
        .find(|(_, r)| *r as i32 == code)
        .map(|(n, _)| *n)
        .unwrap_or("unspecified")
}

/// Reason code from its stored integer.
pub fn reason_from_code(code: i32) -> CrlReason {
    REASONS
        .iter()
        .find(|(_, r)| *r as i32 == code)
        .map(|(_, r)| *r)
        .unwrap_or(CrlReason::Unspecified)
}

/// A CRL just published.
#[derive(Clone, Debug)]
pub struct PublishedCrl {
    /// CRL number.
    pub number: i64,
    /// thisUpdate, Unix seconds.
    pub this_update: u64,
    /// nextUpdate, Unix seconds.
    pub next_update: u64,
    /// DER.
    pub der: Vec<u8>,
}

impl Engine {
    /// Revoke a certificate. The revocation, its audit record and the revocation epoch (which
    /// tells servers to refresh CRL and OCSP answers) change in one transaction. Needs the
    /// operator's credential: an engine opened with the operator passphrase (which opening
    /// checked, by decrypting the OCSP responders' keys).
    pub async fn revoke(
        &self,
        ca: CaName,
        serial: &str,
        reason: CrlReason,
    ) -> Result<String, CaError> {
        self.require_operator()?;
        self.authority(ca)?;
        let serial_hex = normalize_serial(serial)?;
        let now = self.now_unix() as i64;
        let audit = self.audit(
            "certificate.revoked",
            &format!("{ca}/{serial_hex}"),
            json!({"reason": reason_name(reason as i32), "revoked_at": now}),
        );
        match self
            .store
            .revoke(ca.as_str(), &serial_hex, reason as i32, now, &audit)
            .await?
        {
            // `Linked` comes only from `revoke_unlinked`, which recovery uses.
            RevokeOutcome::Revoked | RevokeOutcome::Linked => Ok(serial_hex),
            RevokeOutcome::AlreadyRevoked => Err(CaError::AlreadyRevoked(serial_hex)),
            RevokeOutcome::NotFound => Err(CaError::NoSuchCertificate(serial_hex, ca.to_string())),
        }
    }

    /// Build, sign and record a new CRL for `ca` with every revoked certificate.
    pub async fn publish_crl(&self, ca: CaName) -> Result<PublishedCrl, CaError> {
        let authority = self.authority(ca)?;
        let signer = self.ca_signer(ca)?;
        let revoked = self.store.revoked(ca.as_str()).await?;
        let number = self.store.next_crl_number(ca.as_str()).await?;
        let this_update = self.now_unix();
        let next_update = this_update + self.config.policy.crl_validity_hours * 3600;
        let mut entries: Vec<RevokedCert> = Vec::with_capacity(revoked.len());
        for r in &revoked {
            let bytes =
                hex::decode(&r.serial_hex).map_err(|_| CaError::BadSerial(r.serial_hex.clone()))?;
            let reason = reason_from_code(r.reason);
            // RFC 5280 §5.3.1: reasonCode unspecified SHOULD be absent.
            let exts = if reason == CrlReason::Unspecified {
                None
            } else {
                Some(vec![Extension {
                    extn_id: CrlReason::OID,
                    critical: false,
                    extn_value: OctetString::new(reason.to_der()?)?,
                }])
            };
            entries.push(RevokedCert {
                serial_number: SerialNumber::new(&bytes)?,
                revocation_date: x509_time(r.revoked_at.max(0) as u64)?,
                crl_entry_extensions: exts,
            });
        }
        let aki = AuthorityKeyIdentifier {
            key_identifier: Some(OctetString::new(authority.ca.key_id())?),
            authority_cert_issuer: None,
            authority_cert_serial_number: None,
        };
        let crl_number = CrlNumber(Uint::new(&number.to_be_bytes())?);
        let tbs = TbsCertList {
            version: Version::V2,
            signature: signer.algorithm().algorithm_identifier(),
            issuer: authority.ca.cert.tbs_certificate().subject().clone(),
            this_update: x509_time(this_update)?,
            next_update: Some(x509_time(next_update)?),
            revoked_certificates: if entries.is_empty() {
                None
            } else {
                Some(entries)
            },
            crl_extensions: Some(vec![
                Extension {
                    extn_id: AuthorityKeyIdentifier::OID,
                    critical: false,
                    extn_value: OctetString::new(aki.to_der()?)?,
                },
                Extension {
                    extn_id: CrlNumber::OID,
                    critical: false,
                    extn_value: OctetString::new(crl_number.to_der()?)?,
                },
            ]),
        };
        let tbs_der = tbs.to_der()?;
        let sig = signer.sign(&tbs_der)?;
        hpki_keys::verify_signature(
            &authority
                .ca
                .cert
                .tbs_certificate()
                .subject_public_key_info()
                .to_der()?,
            signer.algorithm(),
            &tbs_der,
            &sig,
        )?;
        let crl = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: signer.algorithm().algorithm_identifier(),
            signature: BitString::from_bytes(&sig)?,
        };
        let der = crl.to_der()?;
        let audit = self.audit("crl.published", &format!("{ca}/crl/{number}"), json!({"number": number, "revoked": revoked.len(), "this_update": this_update, "next_update": next_update}));
        self.store
            .record_crl(ca.as_str(), number, this_update as i64, &der, &audit)
            .await?;
        Ok(PublishedCrl {
            number,
            this_update,
            next_update,
            der,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_parse_in_several_spellings() {
        assert_eq!(
            parse_reason("keyCompromise").unwrap(),
            CrlReason::KeyCompromise
        );
        assert_eq!(
            parse_reason("key-compromise").unwrap(),
            CrlReason::KeyCompromise
        );
        assert_eq!(
            parse_reason("CESSATION_OF_OPERATION").unwrap(),
            CrlReason::CessationOfOperation
        );
        assert!(parse_reason("whim").is_err());
    }
}
