//! Certificates of this installation's own services that its root signs (the TSA, the HTTPS
//! server of card login): one path, the serial reserved like every serial of the root, the
//! certificate linted before it is signed.

use der::Encode;
use hpki_keys::Signer;
use hpki_profile::lint::LintContext;
use hpki_profile::profile::{CertificateProfile, TbsParams};
use x509_cert::Certificate;

use crate::authority::{CaName, sign_certificate, subject_key_id};
use crate::{CaError, Engine};

/// A certificate of a service of this installation (the TSA, the HTTPS server of card login)
/// that the root signs: profile, subject, key, validity and, for a server, its names.
pub(crate) struct RootIssued<'a> {
    pub(crate) profile: CertificateProfile,
    pub(crate) subject: x509_cert::name::Name,
    pub(crate) key: &'a dyn Signer,
    pub(crate) validity: u64,
    pub(crate) server_names: Vec<String>,
}

impl Engine {
    /// Signs `what` with `root_key`: its serial reserved like every serial of the root (so it
    /// can never be given twice), linted before it is signed. Returns the certificate and its
    /// serial.
    pub(crate) async fn sign_under_root(
        &self,
        root_key: &dyn Signer,
        what: RootIssued<'_>,
    ) -> Result<(Certificate, Vec<u8>), CaError> {
        let root = &self.authority(CaName::Root)?.ca.cert;
        let root_key_id = subject_key_id(root);
        let now = self.now_unix();
        let serial = self.take_serial(CaName::Root).await?;
        let params = TbsParams {
            profile: what.profile,
            serial: serial.clone(),
            signature: root_key.algorithm().algorithm_identifier(),
            issuer: root.tbs_certificate().subject().clone(),
            issuer_key_id: Some(root_key_id.clone()),
            issuer_ca: CaName::Root.as_str().into(),
            subject: what.subject,
            subject_alt_dir_name: None,
            server_names: what.server_names,
            spki: what.key.public_key().clone(),
            not_before: now,
            not_after: now + what.validity,
            policies: vec![],
            cps_uri: None,
            hc_roles: vec![],
            urls: self.urls(),
        };
        let ctx = LintContext {
            profile: what.profile,
            issuer_key_id: Some(&root_key_id),
            required_policies: &[],
            max_validity_seconds: what.validity,
            roles: &self.roles,
        };
        let cert = sign_certificate(
            &params,
            root_key,
            &root.tbs_certificate().subject_public_key_info().to_der()?,
            &ctx,
        )?;
        Ok((cert, serial))
    }
}
