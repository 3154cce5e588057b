//! RFC 5280 §6.1 certification path validation, through certval.
//!
//! certval's `validate_path_rfc5280` runs the basic path processing of RFC 5280 §6.1.3–§6.1.5
//! on a built path: validity at the time of interest, name chaining and name constraints,
//! basicConstraints and pathLenConstraint, keyUsage keyCertSign of every CA certificate,
//! certificate policies as the RFC 9618 policy graph (initial-policy-set,
//! initial-explicit-policy, initial-policy-mapping-inhibit, initial-any-policy-inhibit;
//! policyMappings, policyConstraints, inhibitAnyPolicy), critical extensions, and the signature
//! of every certificate — verified here by aws-lc-rs ([`crate::signature`]), the only signature
//! callback registered. This module builds the path ([`crate::build`]), sets certval up, and
//! turns its status into a precise [`PathError`].

use std::borrow::Borrow;
use std::collections::BTreeSet;
use std::time::SystemTime;

use certval::{
    CertificationPath, CertificationPathResults, CertificationPathSettings, PDVCertificate,
    PDVTrustAnchorChoice, PathValidationStatus, PkiEnvironment, TimeOfInterest,
    validate_path_rfc5280,
};
use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ANY_POLICY;
use der::{Decode, Encode};
use x509_cert::Certificate;
use x509_cert::ext::pkix::BasicConstraints;

use crate::build::{Candidate, candidates};
use crate::error::PathError;
use crate::memo;
use crate::signature::{SignatureError, check_supported};
use crate::time::{from_x509, unix_secs};

/// `subjectDirectoryAttributes` (RFC 5280 §4.2.1.8), which carries the ISO 17090 hcRole.
pub const ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.9");

/// The inputs of RFC 5280 §6.1.1 a relying party chooses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathOptions {
    /// The validation time (§6.1.1 (b) "the current date/time"): now, or the time a timestamp
    /// proves a signature existed.
    pub at: SystemTime,
    /// user-initial-policy-set (§6.1.1 (c)); empty means any-policy.
    pub initial_policy_set: Vec<ObjectIdentifier>,
    /// initial-explicit-policy (§6.1.1 (f)): the path must be valid for at least one policy of
    /// the initial policy set.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit (§6.1.1 (e)).
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit (§6.1.1 (g)).
    pub initial_any_policy_inhibit: bool,
    /// Critical extensions the caller processes itself, beyond those of §6.1. By default
    /// `subjectDirectoryAttributes` (2.5.29.9): its hcRole is read by [`crate::hc_roles`], so an
    /// HPKI certificate marking it critical is accepted.
    pub understood_critical_extensions: Vec<ObjectIdentifier>,
    /// At most this many intermediate certificates in a path (HPKI paths have one).
    pub max_intermediates: usize,
}

impl PathOptions {
    /// Validation at `at`, any policy, no initial constraints.
    pub fn at(at: SystemTime) -> Self {
        PathOptions {
            at,
            initial_policy_set: Vec::new(),
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
            understood_critical_extensions: vec![ID_CE_SUBJECT_DIRECTORY_ATTRIBUTES],
            max_intermediates: 8,
        }
    }

    /// Validation at `at` requiring one of `policies` explicitly (initial-explicit-policy set):
    /// what a relying party of HPKI signatures asks, e.g. 1.2.392.100495.1.5.1.1.0.1.
    pub fn requiring_policies(at: SystemTime, policies: &[ObjectIdentifier]) -> Self {
        PathOptions {
            initial_policy_set: policies.to_vec(),
            initial_explicit_policy: true,
            ..PathOptions::at(at)
        }
    }
}

/// A validated certification path (RFC 5280 §6.1.6 outputs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidPath {
    /// The certificates, leaf first, ending with the trust anchor.
    pub certificates: Vec<Certificate>,
    /// Their DER, in the same order: as given to [`validate_path_der`], or as encoded by
    /// [`validate_path`] (for embedding, e.g. as CAdES CertificateValues).
    pub encoded: Vec<Vec<u8>>,
    /// The user-constrained policy set (RFC 5280 §6.1.5 (g)(iii)): the policies of the initial
    /// policy set for which the path is valid, from the valid policy graph; `anyPolicy`
    /// (2.5.29.32.0) when any policy is. Empty when no policy is valid and none was required.
    pub valid_policies: Vec<ObjectIdentifier>,
    /// The validation time.
    pub at: SystemTime,
}

impl ValidPath {
    /// The end-entity certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.certificates[0]
    }

    /// The trust anchor that ends the path.
    pub fn trust_anchor(&self) -> &Certificate {
        &self.certificates[self.certificates.len() - 1]
    }

    /// The issuer of the certificate at `index`, if it is in the path.
    pub fn issuer_of(&self, index: usize) -> Option<&Certificate> {
        self.certificates.get(index + 1)
    }

    /// The subjects, leaf first (RFC 4514 strings).
    pub fn subjects(&self) -> Vec<String> {
        self.certificates
            .iter()
            .map(|c| crate::dn::display(c.tbs_certificate().subject()))
            .collect()
    }
}

fn malformed(what: &str, e: impl std::fmt::Display) -> PathError {
    PathError::Malformed {
        what: what.to_owned(),
        detail: e.to_string(),
    }
}

/// Validate `leaf` to one of `trust_anchors` through some of `intermediates` (in any order) as
/// RFC 5280 §6.1 describes, at `options.at` and with its policy inputs.
///
/// Trust anchors are certificates (usually self-signed roots, such as the MHLW HPKI Root CA);
/// their name and key are the anchor, and their validity period is checked as well (as
/// `openssl verify` does). Revocation is not checked here: see [`crate::check_revocation`].
///
/// When several paths can be built, each is tried (trust anchors first, shorter first) and the
/// first valid one is returned; otherwise the error of the first path tried.
///
/// The certificates are re-encoded to check their signatures. x509-cert's RFC 5280 profile
/// re-encodes a validity date before 2050 given as GeneralizedTime as UTCTime (the encoding
/// RFC 5280 §4.1.2.5 requires), so such a non-conforming certificate would fail its signature
/// here; [`validate_path_der`] checks the bytes as received.
pub fn validate_path(
    leaf: &Certificate,
    intermediates: &[Certificate],
    trust_anchors: &[Certificate],
    options: &PathOptions,
) -> Result<ValidPath, PathError> {
    let encode = |c: &Certificate, what: &str| -> Result<Vec<u8>, PathError> {
        c.to_der().map_err(|e| malformed(what, e))
    };
    let inter_der = intermediates
        .iter()
        .map(|c| encode(c, "intermediate certificate"))
        .collect::<Result<Vec<_>, _>>()?;
    let anchor_der = trust_anchors
        .iter()
        .map(|c| encode(c, "trust anchor"))
        .collect::<Result<Vec<_>, _>>()?;
    validate(
        leaf,
        &encode(leaf, "certificate")?,
        intermediates,
        &inter_der,
        trust_anchors,
        &anchor_der,
        options,
    )
}

/// [`validate_path`] on DER certificates, whose signatures are checked over the bytes exactly
/// as given.
pub fn validate_path_der(
    leaf: &[u8],
    intermediates: &[impl AsRef<[u8]>],
    trust_anchors: &[impl AsRef<[u8]>],
    options: &PathOptions,
) -> Result<ValidPath, PathError> {
    let decode = |der: &[u8], what: &str| -> Result<Certificate, PathError> {
        Certificate::from_der(der).map_err(|e| malformed(what, e))
    };
    let leaf_cert = decode(leaf, "certificate")?;
    let inter_der: Vec<Vec<u8>> = intermediates.iter().map(|d| d.as_ref().to_vec()).collect();
    let anchor_der: Vec<Vec<u8>> = trust_anchors.iter().map(|d| d.as_ref().to_vec()).collect();
    let inters = inter_der
        .iter()
        .map(|d| decode(d, "intermediate certificate"))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = anchor_der
        .iter()
        .map(|d| decode(d, "trust anchor"))
        .collect::<Result<Vec<_>, _>>()?;
    validate(
        &leaf_cert,
        leaf,
        &inters,
        &inter_der,
        &anchors,
        &anchor_der,
        options,
    )
}

/// [`validate_path_der`] on certificates the caller has decoded already, each with its DER
/// (`(decoded, der)` side by side): a verifier validates the same pool several times.
pub(crate) fn validate_decoded<C: Borrow<Certificate>>(
    leaf: (&Certificate, &[u8]),
    intermediates: (&[C], &[Vec<u8>]),
    trust_anchors: (&[Certificate], &[Vec<u8>]),
    options: &PathOptions,
) -> Result<ValidPath, PathError> {
    validate(
        leaf.0,
        leaf.1,
        intermediates.0,
        intermediates.1,
        trust_anchors.0,
        trust_anchors.1,
        options,
    )
}

fn validate<C: Borrow<Certificate>>(
    leaf: &Certificate,
    leaf_der: &[u8],
    intermediates: &[C],
    inter_der: &[Vec<u8>],
    trust_anchors: &[Certificate],
    anchor_der: &[Vec<u8>],
    options: &PathOptions,
) -> Result<ValidPath, PathError> {
    let paths = candidates(
        leaf,
        intermediates,
        trust_anchors,
        options.max_intermediates,
    )
    .map_err(|dead| PathError::UntrustedRoot {
        subject: dead.subject,
        issuer: dead.issuer,
    })?;
    let mut first_error = None;
    for candidate in paths {
        let certs = path_certificates(leaf, intermediates, trust_anchors, &candidate);
        let mut ders: Vec<&[u8]> = vec![leaf_der];
        ders.extend(
            candidate
                .intermediates
                .iter()
                .map(|&i| inter_der[i].as_slice()),
        );
        ders.push(&anchor_der[candidate.anchor]);
        match validate_built(&certs, &ders, options) {
            Ok(valid_policies) => {
                return Ok(ValidPath {
                    certificates: certs.into_iter().cloned().collect(),
                    encoded: ders.iter().map(|d| d.to_vec()).collect(),
                    valid_policies,
                    at: options.at,
                });
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    Err(first_error.unwrap_or(PathError::Other {
        index: None,
        detail: "no candidate path".into(),
    }))
}

/// The certificates of a candidate path, leaf first, trust anchor last.
fn path_certificates<'a, C: Borrow<Certificate>>(
    leaf: &'a Certificate,
    intermediates: &'a [C],
    anchors: &'a [Certificate],
    c: &Candidate,
) -> Vec<&'a Certificate> {
    let mut v = vec![leaf];
    v.extend(c.intermediates.iter().map(|&i| intermediates[i].borrow()));
    v.push(&anchors[c.anchor]);
    v
}

/// Validate one built path (`certs` leaf first, anchor last, with their DER); the valid
/// policies, or why not.
fn validate_built(
    certs: &[&Certificate],
    ders: &[&[u8]],
    options: &PathOptions,
) -> Result<Vec<ObjectIdentifier>, PathError> {
    let subject = |i: usize| crate::dn::display(certs[i].tbs_certificate().subject());
    // Report an algorithm hpki does not verify as such, rather than as a bad signature.
    for i in 0..certs.len() - 1 {
        let issuer_key = certs[i + 1].tbs_certificate().subject_public_key_info();
        if let Err(SignatureError::Unsupported { algorithm, key }) =
            check_supported(issuer_key, certs[i].signature_algorithm())
        {
            return Err(PathError::UnsupportedAlgorithm {
                index: i,
                subject: subject(i),
                detail: format!("{algorithm} with a {key} key"),
            });
        }
    }

    // A path validated before, at a time inside every validity period as this one is, is valid
    // again: with revocation left out, the validity periods are the only input of RFC 5280
    // §6.1 that depends on the time (§6.1.3 (a)(2); certval's check_validity), and the rest is
    // a function of the certificates and the policy inputs, which make the key.
    let key = path_key(ders, options);
    let inside_validity = within_validity(certs, options.at);
    if inside_validity && let Some(policies) = memo::PATHS.get(&key) {
        return Ok(policies.as_ref().clone());
    }

    let to_pdv = |der: &[u8]| -> Result<PDVCertificate, PathError> {
        memo::PDV_CERTIFICATES
            .get_or_try(der, || PDVCertificate::try_from(der))
            .map(|c| c.as_ref().clone())
            .map_err(|e| malformed("certificate", e))
    };
    let anchor_der = ders[ders.len() - 1];
    let anchor = memo::TRUST_ANCHORS
        .get_or_try(anchor_der, || PDVTrustAnchorChoice::try_from(anchor_der))
        .map(|a| a.as_ref().clone())
        .map_err(|e| malformed("trust anchor", e))?;
    let target = to_pdv(ders[0])?;
    // certval takes the intermediates trust-anchor side first.
    let mut cas = Vec::new();
    for der in ders[1..ders.len() - 1].iter().rev() {
        cas.push(to_pdv(der)?);
    }
    let path = CertificationPath::new(anchor, cas, target);

    let mut env = PkiEnvironment::new();
    env.add_verify_signature_message_callback(crate::signature::certval_verify);

    let mut settings = CertificationPathSettings::new();
    // 0 means "no time checks" to certval; the epoch itself is never a meaningful time here.
    let toi = TimeOfInterest::from_unix_secs(unix_secs(options.at).max(1))
        .map_err(|e| malformed("validation time", e))?;
    settings.set_time_of_interest(toi);
    let initial: BTreeSet<ObjectIdentifier> = if options.initial_policy_set.is_empty() {
        BTreeSet::from([ANY_POLICY])
    } else {
        options.initial_policy_set.iter().copied().collect()
    };
    settings.set_initial_policy_set_from_oid_set(initial);
    settings.set_initial_explicit_policy_indicator(options.initial_explicit_policy);
    settings.set_initial_policy_mapping_inhibit_indicator(options.initial_policy_mapping_inhibit);
    settings.set_initial_inhibit_any_policy_indicator(options.initial_any_policy_inhibit);
    // The anchor comes from the caller's list by construction; no separate store to consult.
    settings.set_require_ta_store(false);
    // Revocation is hpki-verify's own (crate::revocation), from data the caller passes.
    settings.set_check_revocation_status(false);

    let mut results = CertificationPathResults::new();
    results.set_processed_extensions(
        options
            .understood_critical_extensions
            .iter()
            .copied()
            .collect(),
    );

    match validate_path_rfc5280(&env, &settings, &path, &mut results) {
        Ok(()) => {
            let policies = valid_policies(&results);
            if inside_validity {
                memo::PATHS.insert(&key, policies.clone());
            }
            Ok(policies)
        }
        Err(e) => Err(explain(e, &results, certs, options)),
    }
}

/// The memo key of a built path: the DER of each certificate, leaf first, and the policy
/// inputs of RFC 5280 §6.1.1 (c), (e)–(g) with the critical extensions the caller processes;
/// not the time (see [`within_validity`]), each part length-prefixed.
fn path_key(ders: &[&[u8]], options: &PathOptions) -> Vec<u8> {
    let mut key = Vec::with_capacity(ders.iter().map(|d| d.len() + 4).sum::<usize>() + 64);
    let mut part = |bytes: &[u8]| {
        key.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        key.extend_from_slice(bytes);
    };
    for der in ders {
        part(der);
    }
    for oid in &options.initial_policy_set {
        part(oid.as_bytes());
    }
    part(&[
        u8::from(options.initial_explicit_policy),
        u8::from(options.initial_policy_mapping_inhibit),
        u8::from(options.initial_any_policy_inhibit),
    ]);
    for oid in &options.understood_critical_extensions {
        part(oid.as_bytes());
    }
    key
}

/// Whether `at` (to the second, as certval sees it) is strictly inside the validity period of
/// every certificate of the path: then the outcome of validation does not depend on which such
/// time it is. At the very edges the path is validated afresh.
fn within_validity(certs: &[&Certificate], at: SystemTime) -> bool {
    let at = unix_secs(at).max(1);
    certs.iter().all(|c| {
        let validity = c.tbs_certificate().validity();
        unix_secs(from_x509(&validity.not_before)) < at
            && at < unix_secs(from_x509(&validity.not_after))
    })
}

/// The policies, in the trust anchor's policy domain, for which the path is valid: the
/// user-constrained policy set of RFC 5280 §6.1.5 (g)(iii) (the valid_policy of the nodes of
/// `valid_policy_node_set` — those whose parents are anyPolicy — that lead to a node at depth n),
/// or the authorities-constrained set when the initial policy set is any-policy.
///
/// certval returns the final valid policy graph (RFC 9618) by rows without parent links; a node
/// of row i+1 is a child of the nodes of row i whose expected_policy_set contains its
/// valid_policy, or else of the anyPolicy nodes (RFC 5280 §6.1.3 (d)(1)), which is how the
/// parents are recovered here.
fn valid_policies(results: &CertificationPathResults) -> Vec<ObjectIdentifier> {
    let Some(graph) = results.get_final_valid_policy_graph() else {
        return Vec::new();
    };
    // Row 0 is the root anyPolicy node; a graph of only that row is the null graph.
    if graph.len() < 2 {
        return Vec::new();
    }
    let parents = |row: usize, policy: &ObjectIdentifier| -> Vec<usize> {
        let prev = &graph[row - 1];
        let by_expected: Vec<usize> = (0..prev.len())
            .filter(|&k| prev[k].expected_policy_set.contains(policy))
            .collect();
        if by_expected.is_empty() {
            (0..prev.len())
                .filter(|&k| prev[k].valid_policy == ANY_POLICY)
                .collect()
        } else {
            by_expected
        }
    };
    // domain[row][k]: the trust-anchor-domain policies node k of `row` stands for.
    let mut domain: Vec<Vec<BTreeSet<ObjectIdentifier>>> = vec![vec![BTreeSet::from([ANY_POLICY])]];
    for row in 1..graph.len() {
        let mut this_row = Vec::new();
        for node in &graph[row] {
            let ps = parents(row, &node.valid_policy);
            let all_any = ps
                .iter()
                .all(|&k| graph[row - 1][k].valid_policy == ANY_POLICY);
            let d: BTreeSet<ObjectIdentifier> = if all_any {
                BTreeSet::from([node.valid_policy])
            } else {
                ps.iter()
                    .flat_map(|&k| domain[row - 1][k].iter().copied())
                    .collect()
            };
            this_row.push(d);
        }
        domain.push(this_row);
    }
    let last: BTreeSet<ObjectIdentifier> = domain[graph.len() - 1]
        .iter()
        .flat_map(|d| d.iter().copied())
        .collect();
    last.into_iter().collect()
}

/// Turn certval's status into a [`PathError`] naming the certificate (leaf-first index).
fn explain(
    e: certval::Error,
    results: &CertificationPathResults,
    certs: &[&Certificate],
    options: &PathOptions,
) -> PathError {
    let n = certs.len() - 1;
    // certval counts from the trust anchor (0) to the target (n); ours from the leaf.
    let index = results
        .get_failure_index()
        .map(|f| n.saturating_sub(f as usize))
        .unwrap_or(0)
        .min(n);
    let cert = certs[index];
    let subject = crate::dn::display(cert.tbs_certificate().subject());
    let status = match e {
        certval::Error::PathValidation(s) => s,
        other => {
            return PathError::Other {
                index: Some(index),
                detail: other.to_string(),
            };
        }
    };
    use PathValidationStatus as S;
    // certval checks max_path_length (§6.1.4 (l)) before cA (§6.1.4 (k)) for each intermediate;
    // an end-entity certificate used as a CA fails both, and "not a CA" is the real fault.
    let is_ca = matches!(
        cert.tbs_certificate().get_extension::<BasicConstraints>(),
        Ok(Some((_, bc))) if bc.ca
    );
    if status == S::InvalidPathLength && index > 0 && index < n && !is_ca {
        return PathError::NotACa { index, subject };
    }
    match status {
        S::InvalidNotAfterDate => PathError::Expired {
            index,
            subject,
            not_after: from_x509(&cert.tbs_certificate().validity().not_after),
        },
        S::InvalidNotBeforeDate => PathError::NotYetValid {
            index,
            subject,
            not_before: from_x509(&cert.tbs_certificate().validity().not_before),
        },
        S::NameChainingFailure => PathError::IssuerMismatch { index, subject },
        S::SignatureVerificationFailure => PathError::BadSignature { index, subject },
        S::MissingBasicConstraints | S::InvalidBasicConstraints => {
            PathError::NotACa { index, subject }
        }
        S::InvalidPathLength => PathError::PathLenExceeded { index, subject },
        S::InvalidKeyUsage => PathError::KeyUsage { index, subject },
        S::InsufficientKeySize => PathError::WeakKey { index, subject },
        S::NullPolicySet if options.initial_explicit_policy => PathError::NoValidPolicy {
            index,
            acceptable: options.initial_policy_set.clone(),
        },
        S::NullPolicySet => PathError::ExplicitPolicyRequired { index, subject },
        S::InvalidPolicyMapping => PathError::InvalidPolicyMapping { index, subject },
        S::NameConstraintsViolation => PathError::NameConstraints { index, subject },
        S::UnprocessedCriticalExtension => {
            let processed = results.get_processed_extensions();
            let unprocessed = cert.tbs_certificate().extensions().and_then(|exts| {
                exts.iter()
                    .filter(|x| x.critical)
                    .find(|x| {
                        !processed.contains(&x.extn_id)
                            || exts.iter().filter(|y| y.extn_id == x.extn_id).count() > 1
                    })
                    .map(|x| x.extn_id)
            });
            match unprocessed {
                Some(oid) => PathError::UnknownCriticalExtension {
                    index,
                    subject,
                    oid,
                },
                None => PathError::Other {
                    index: Some(index),
                    detail: status.to_string(),
                },
            }
        }
        other => PathError::Other {
            index: Some(index),
            detail: other.to_string(),
        },
    }
}
