//! The HTTPS server certificate of card login (`hpki serve --tls-listen`), issued by this
//! installation's root for the demo and for tests: profile `tls-server` (id-kp-serverAuth,
//! the host names in subjectAltName), linted before it is signed, its serial reserved like
//! every serial of the root, its issuance audited. A production server presents a certificate
//! from a public web CA instead (`--tls-cert`, `--tls-key`).

use hpki_keys::Signer;
use hpki_profile::name::{NameAttribute, build_name};
use hpki_profile::profile::CertificateProfile;
use serde_json::json;
use x509_cert::Certificate;

use crate::authority::{CaName, serial_hex};
use crate::ceremony::ONE_YEAR;
use crate::root_issued::RootIssued;
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
        let root_key = self.ca_signer(CaName::Root)?;
        let subject = build_name(&[
            NameAttribute::Country("JP".into()),
            NameAttribute::Organization(self.config.ca.auth.organization.clone()),
            NameAttribute::CommonName(first.clone()),
        ])?;
        let (cert, serial) = self
            .sign_under_root(
                root_key.as_ref(),
                RootIssued {
                    profile: CertificateProfile::TlsServer,
                    subject,
                    key,
                    validity: ONE_YEAR,
                    server_names: names.to_vec(),
                },
            )
            .await?;
        self.store
            .append_audit(&self.audit(
                "tls_server.certificate_issued",
                &format!("root/{}", serial_hex(&serial)),
                json!({"names": names,
                       "not_after": cert.tbs_certificate().validity().not_after.to_unix_duration().as_secs()}),
            ))
            .await?;
        Ok(cert)
    }
}
