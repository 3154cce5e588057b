//! Issuance of end-entity certificates from PKCS#10 requests (RFC 2986).
//!
//! The pipeline, in the order Boulder's CA uses: check the request (signature, key), check the
//! subject, reserve a serial number (taken from a stock reserved ahead, see
//! `Engine::take_serial`), build the certificate from its profile, lint it, sign, verify the
//! signature, store the certificate with its audit record in one transaction.

use der::{Decode, DecodePem, Encode};
use hpki_keys::SignatureAlgorithm;
use hpki_profile::key::check_subject_public_key;
use hpki_profile::lint::LintContext;
use hpki_profile::profile::TbsParams;
use hpki_profile::subject::{SubjectInput, ValidatedSubject};
use hpki_store::NewCertificate;
use serde_json::json;
use x509_cert::request::CertReq;

use crate::CaError;
use crate::authority::{CaName, Engine, serial_hex, sign_certificate_der};

/// A certificate just issued.
#[derive(Clone, Debug)]
pub struct Issued {
    /// Serial, lowercase hex.
    pub serial_hex: String,
    /// The certificate, DER.
    pub der: Vec<u8>,
}

impl Issued {
    /// PEM form.
    pub fn pem(&self) -> String {
        pem_encode("CERTIFICATE", &self.der)
    }
}

/// PEM-encode DER with a label (RFC 7468).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der).unwrap_or_default()
}

/// A PKCS#10 request (RFC 2986) that passed hpki's checks: well-formed, its self-signature
/// valid (proof of possession), its key acceptable under HPKI. [`Engine::issue`] takes only this.
#[derive(Clone, Debug)]
pub struct CheckedCsr(CertReq);

impl CheckedCsr {
    /// Parses and checks a request given as PEM or DER.
    pub fn parse(input: &[u8]) -> Result<CheckedCsr, CaError> {
        check_csr(input).map(CheckedCsr)
    }

    /// The request.
    pub fn request(&self) -> &CertReq {
        &self.0
    }

    /// SHA-256 of the requested key's DER SubjectPublicKeyInfo, hex: how the store knows a key
    /// it certified before.
    pub fn key_hash(&self) -> Result<String, CaError> {
        Ok(key_hash(&self.0.info.public_key.to_der()?))
    }
}

/// SHA-256 of a DER SubjectPublicKeyInfo, hex (the store's `spki_sha256`).
pub fn key_hash(spki_der: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(spki_der))
}

/// Parse and check a PKCS#10 request given as PEM or DER: well-formed, self-signature valid,
/// key acceptable under HPKI.
fn check_csr(input: &[u8]) -> Result<CertReq, CaError> {
    let req = match std::str::from_utf8(input) {
        Ok(text) if text.contains("-----BEGIN") => {
            CertReq::from_pem(text.trim()).map_err(|e| CaError::CsrMalformed(e.to_string()))?
        }
        _ => CertReq::from_der(input).map_err(|e| CaError::CsrMalformed(e.to_string()))?,
    };
    let alg = SignatureAlgorithm::from_oid(&req.algorithm.oid)
        .ok_or_else(|| CaError::CsrUnsupportedAlgorithm(req.algorithm.oid.to_string()))?;
    // The key first: a weak key gets the precise refusal, not a signature failure.
    check_subject_public_key(&req.info.public_key)?;
    let spki_der = req.info.public_key.to_der()?;
    hpki_keys::verify_signature(
        &spki_der,
        alg,
        &req.info.to_der()?,
        req.signature.raw_bytes(),
    )
    .map_err(|_| CaError::CsrBadSignature)?;
    Ok(req)
}

impl Engine {
    /// The subject described by `subject_json` (see `hpki_profile::subject`), validated against
    /// this CA's role table: what [`Engine::issue`] takes.
    pub fn subject(&self, subject_json: &str) -> Result<ValidatedSubject, CaError> {
        Ok(SubjectInput::from_json(subject_json)?.validate(&self.roles)?)
    }

    /// Issue an end-entity certificate under `ca` (sign or auth) for the key of the checked
    /// request `csr` and the validated `subject`, audited as this engine's actor. Nothing is
    /// stored unless every check passes.
    pub async fn issue(
        &self,
        ca: CaName,
        csr: &CheckedCsr,
        subject: &ValidatedSubject,
    ) -> Result<Issued, CaError> {
        self.issue_as(&self.current_actor(), ca, csr, subject).await
    }

    /// Refuses the key of `csr` if any CA of this store certified it before
    /// ([`hpki_store::StoreError::KeyCertified`]); returns its hash.
    pub async fn check_key_unused(&self, csr: &CheckedCsr) -> Result<String, CaError> {
        let spki_sha256 = csr.key_hash()?;
        match self.store.certificate_by_key(&spki_sha256).await? {
            Some(earlier) => Err(hpki_store::StoreError::KeyCertified {
                ca: earlier.ca,
                serial_hex: earlier.serial_hex,
            }
            .into()),
            None => Ok(spki_sha256),
        }
    }

    /// [`Engine::issue`] for `actor` (an officer, an operator of the operator interface): the
    /// audit record names who asked. The certificate is handed to the requester: complete when
    /// stored.
    pub async fn issue_as(
        &self,
        actor: &str,
        ca: CaName,
        csr: &CheckedCsr,
        subject: &ValidatedSubject,
    ) -> Result<Issued, CaError> {
        self.issue_inner(actor, ca, csr, subject, None, None).await
    }

    /// [`Engine::issue_as`] for the record `issued_for` (`application/ID`, `card/ID`), which
    /// must take the certificate in the transaction that records it; until then recovery
    /// ([`Engine::recover`]) counts it as abandoned (see `hpki_store`'s `issuance.rs`).
    pub async fn issue_for_record(
        &self,
        actor: &str,
        ca: CaName,
        csr: &CheckedCsr,
        subject: &ValidatedSubject,
        issued_for: &str,
    ) -> Result<Issued, CaError> {
        self.issue_inner(actor, ca, csr, subject, Some(issued_for.to_owned()), None)
            .await
    }

    /// [`Engine::issue_for_record`] for a card: the certificate is valid no longer than the card
    /// (`card_expires_at`, Unix seconds), so a renewal late in a card's life does not outlive it.
    pub async fn issue_for_card(
        &self,
        actor: &str,
        ca: CaName,
        csr: &CheckedCsr,
        subject: &ValidatedSubject,
        issued_for: &str,
        card_expires_at: i64,
    ) -> Result<Issued, CaError> {
        let cap = u64::try_from(card_expires_at).unwrap_or(0);
        self.issue_inner(
            actor,
            ca,
            csr,
            subject,
            Some(issued_for.to_owned()),
            Some(cap),
        )
        .await
    }

    async fn issue_inner(
        &self,
        actor: &str,
        ca: CaName,
        csr: &CheckedCsr,
        subject: &ValidatedSubject,
        issued_for: Option<String>,
        not_after_cap: Option<u64>,
    ) -> Result<Issued, CaError> {
        let profile = ca
            .end_entity_profile()
            .ok_or_else(|| CaError::UnknownCa(ca.to_string()))?;
        let req = csr.request();
        let authority = self.authority(ca)?;
        let signer = self.ca_signer(ca)?;
        let issuer_cert = &authority.ca.cert;
        let issuer_key_id = authority.ca.key_id();
        let policies = self.end_entity_policies(ca)?;
        let now = self.now_unix();
        let mut validity = self.config.policy.end_entity_validity_days * 86_400;
        if let Some(cap) = not_after_cap {
            if cap <= now {
                return Err(CaError::holder(
                    "カードの有効期限が過ぎているため証明書を発行できません",
                    "the card has expired: no certificate is issued for it",
                ));
            }
            validity = validity.min(cap - now);
        }

        // A key is certified once, ever: refused before a serial is taken or anything signed
        // (the store checks again when it records, for two requests of one key at once).
        let spki_sha256 = self.check_key_unused(csr).await?;
        let serial = self.take_serial(ca).await?;

        let params = TbsParams {
            profile,
            serial: serial.clone(),
            signature: signer.algorithm().algorithm_identifier(),
            issuer: issuer_cert.tbs_certificate().subject().clone(),
            issuer_key_id: Some(issuer_key_id.clone()),
            issuer_ca: ca.as_str().into(),
            subject: subject.subject_name()?,
            subject_alt_dir_name: Some(subject.kanji_name()?),
            server_names: Vec::new(),
            spki: req.info.public_key.clone(),
            not_before: now,
            not_after: now + validity,
            policies: policies.clone(),
            cps_uri: self.config.policy.cps_uri.clone(),
            hc_roles: subject.roles_en.clone(),
            urls: self.urls(),
        };
        let ctx = LintContext {
            profile,
            issuer_key_id: Some(&issuer_key_id),
            required_policies: &policies,
            max_validity_seconds: validity,
            roles: &self.roles,
        };
        let issuer_spki = issuer_cert
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()?;
        let der = sign_certificate_der(&params, signer.as_ref(), &issuer_spki, &ctx)?;
        let serial_hex = serial_hex(&serial);
        // The certificate's subject is `params.subject`, as built into the TBSCertificate.
        let subject_dn = params.subject.to_string();
        let record = NewCertificate {
            ca: ca.as_str().into(),
            serial_hex: serial_hex.clone(),
            subject: subject_dn.clone(),
            profile: profile.name().into(),
            not_before: now as i64,
            not_after: (now + validity) as i64,
            der: der.clone(),
            issued_at: now as i64,
            spki_sha256: Some(spki_sha256),
            issued_for,
        };
        let mut audit = self.audit(
            "certificate.issued",
            &format!("{ca}/{serial_hex}"),
            json!({"subject": subject_dn, "subject_kanji": subject.input.name_kanji, "roles": subject.roles_en, "profile": profile.name()}),
        );
        actor.clone_into(&mut audit.actor);
        self.store.insert_certificate(&record, &audit).await?;
        Ok(Issued { serial_hex, der })
    }
}
