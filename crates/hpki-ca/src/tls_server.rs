//! The HTTPS server certificate of card login (`hpki serve --tls-listen`), issued by this
//! installation's root for the demo and for tests: profile `tls-server` (id-kp-serverAuth,
//! the host names in subjectAltName), linted before it is signed, its serial reserved like
//! every serial of the root, its issuance audited. A production server presents a certificate
//! from a public web CA instead (`--tls-cert`, `--tls-key`).

use der::Encode;
use hpki_keys::Signer;
use hpki_profile::lint::LintContext;
use hpki_profile::name::{NameAttribute, build_name};
use hpki_profile::profile::{CertificateProfile, TbsParams};
use serde_json::json;
use x509_cert::Certificate;

use crate::authority::{CaName, serial_hex, sign_certificate, subject_key_id};
use crate::ceremony::ONE_YEAR;
use crate::{CaError, Engine};

impl Engine {
    /// Issues a TLS server certificate for `names` (host names or IP addresses, at least one)
    /// over `key`'s public key, signed by the root, valid one year.
    pub async fn issue_tls_server_certificate(
        &self,
        names: &[String],
        key: &dyn Signer,
    ) -> Result<Certificate, CaError> {
        let first = names
            .first()
            .ok_or_else(|| CaError::Config("a TLS server certificate needs a host name".into()))?;
        let root = &self.authority(CaName::Root)?.ca.cert;
        let root_key = self.ca_signer(CaName::Root)?;
        let root_key_id = subject_key_id(root);
        let now = self.now_unix();
        let validity = ONE_YEAR;
        let serial = self.take_serial(CaName::Root).await?;
        let params = TbsParams {
            profile: CertificateProfile::TlsServer,
            serial: serial.clone(),
            signature: root_key.algorithm().algorithm_identifier(),
            issuer: root.tbs_certificate().subject().clone(),
            issuer_key_id: Some(root_key_id.clone()),
            issuer_ca: CaName::Root.as_str().into(),
            subject: build_name(&[
                NameAttribute::Country("JP".into()),
                NameAttribute::Organization(self.config.ca.auth.organization.clone()),
                NameAttribute::CommonName(first.clone()),
            ])?,
            subject_alt_dir_name: None,
            server_names: names.to_vec(),
            spki: key.public_key().clone(),
            not_before: now,
            not_after: now + validity,
            policies: vec![],
            cps_uri: None,
            hc_roles: vec![],
            urls: self.urls(),
        };
        let ctx = LintContext {
            profile: CertificateProfile::TlsServer,
            issuer_key_id: Some(&root_key_id),
            required_policies: &[],
            max_validity_seconds: validity,
            roles: &self.roles,
        };
        let cert = sign_certificate(
            &params,
            root_key.as_ref(),
            &root.tbs_certificate().subject_public_key_info().to_der()?,
            &ctx,
        )?;
        self.store
            .append_audit(&self.audit(
                "tls_server.certificate_issued",
                &format!("root/{}", serial_hex(&serial)),
                json!({"names": names, "not_after": now + validity}),
            ))
            .await?;
        Ok(cert)
    }
}
