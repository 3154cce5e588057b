//! Path building: from the leaf up through the given intermediates to a trust anchor.
//!
//! RFC 5280 §6.1 validates a path that is already built; RFC 4158 describes building one. The
//! builder here is the small part of RFC 4158 a relying party with a handful of certificates
//! needs: a candidate issuer of certificate C is a certificate whose subject matches C's issuer
//! name (RFC 5280 §7.1 comparison, certval's `compare_names`) and whose subjectKeyIdentifier
//! equals C's authorityKeyIdentifier keyIdentifier when both are present (RFC 4158 §3.5.12), so
//! two CAs with the same name but different keys (a renewed root, or a stand-in root) are told
//! apart before any signature is checked. Trust anchors are tried before intermediates at each
//! step, and shorter paths first.

use std::borrow::Borrow;

use x509_cert::Certificate;
use x509_cert::ext::pkix::{AuthorityKeyIdentifier, SubjectKeyIdentifier};

/// At most this many candidate paths are returned (a bound on work, not a limit HPKI reaches:
/// its paths have one intermediate).
const MAX_CANDIDATES: usize = 16;

/// One candidate path: the intermediates leaf-side first (indices into the intermediates given),
/// and the trust anchor (index into the anchors given).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    pub intermediates: Vec<usize>,
    pub anchor: usize,
}

/// Where building stopped when no candidate reaches a trust anchor: the highest certificate
/// reached, whose issuer was not found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Dead {
    pub subject: String,
    pub issuer: String,
}

fn key_id(cert: &Certificate) -> Option<Vec<u8>> {
    match cert
        .tbs_certificate()
        .get_extension::<SubjectKeyIdentifier>()
    {
        Ok(Some((_, ski))) => Some(ski.0.as_bytes().to_vec()),
        _ => None,
    }
}

fn authority_key_id(cert: &Certificate) -> Option<Vec<u8>> {
    match cert
        .tbs_certificate()
        .get_extension::<AuthorityKeyIdentifier>()
    {
        Ok(Some((_, aki))) => aki.key_identifier.map(|k| k.as_bytes().to_vec()),
        _ => None,
    }
}

/// Whether `issuer` may have issued `child`: names chain and key identifiers do not contradict.
pub(crate) fn may_have_issued(child: &Certificate, issuer: &Certificate) -> bool {
    if !certval::compare_names(
        child.tbs_certificate().issuer(),
        issuer.tbs_certificate().subject(),
    ) {
        return false;
    }
    match (authority_key_id(child), key_id(issuer)) {
        (Some(aki), Some(ski)) => aki == ski,
        _ => true,
    }
}

/// Every candidate path from `leaf` to one of `anchors`, through at most `max_intermediates` of
/// `intermediates` (each used once), in the order they should be tried; or where building
/// stopped when there is none.
pub(crate) fn candidates<C: Borrow<Certificate>>(
    leaf: &Certificate,
    intermediates: &[C],
    anchors: &[Certificate],
    max_intermediates: usize,
) -> Result<Vec<Candidate>, Dead> {
    let mut found = Vec::new();
    let mut dead = None;
    // Breadth-first, so shorter paths come first.
    let mut frontier: Vec<Vec<usize>> = vec![Vec::new()];
    for _depth in 0..=max_intermediates {
        let mut next = Vec::new();
        for chain in &frontier {
            let top = chain
                .last()
                .map(|&i| intermediates[i].borrow())
                .unwrap_or(leaf);
            let mut extended = false;
            for (a, anchor) in anchors.iter().enumerate() {
                if may_have_issued(top, anchor) && found.len() < MAX_CANDIDATES {
                    found.push(Candidate {
                        intermediates: chain.clone(),
                        anchor: a,
                    });
                    extended = true;
                }
            }
            for (i, ca) in intermediates.iter().map(Borrow::borrow).enumerate() {
                // An intermediate equal to a certificate already in the chain (or to the leaf)
                // would loop.
                if chain.contains(&i)
                    || ca == leaf
                    || chain.iter().any(|&c| intermediates[c].borrow() == ca)
                {
                    continue;
                }
                if may_have_issued(top, ca) {
                    let mut longer = chain.clone();
                    longer.push(i);
                    next.push(longer);
                    extended = true;
                }
            }
            if !extended && dead.is_none() {
                dead = Some(Dead {
                    subject: crate::dn::display(top.tbs_certificate().subject()),
                    issuer: crate::dn::display(top.tbs_certificate().issuer()),
                });
            }
        }
        if next.is_empty() || found.len() >= MAX_CANDIDATES {
            break;
        }
        frontier = next;
    }
    if found.is_empty() {
        Err(dead.unwrap_or_else(|| Dead {
            subject: crate::dn::display(leaf.tbs_certificate().subject()),
            issuer: crate::dn::display(leaf.tbs_certificate().issuer()),
        }))
    } else {
        Ok(found)
    }
}
