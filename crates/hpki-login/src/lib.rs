//! HPKI login, the pure core: a doctor signs in with the 医師資格証 (its authentication
//! certificate and key, over TLS) and relying parties (regional networks, the portal, cloud
//! signing) learn who signed in through OpenID Connect.
//!
//! | module | what it decides |
//! |---|---|
//! | [`card`] | whether a TLS client certificate chain is a valid HPKI authentication certificate now, and whose |
//! | [`authorize`] | whether an authorization request is valid, and which faults go back to the relying party |
//! | [`client`] | the registered relying party: redirect URIs, public or confidential, pairwise or public `sub` |
//! | [`pkce`] | RFC 7636 S256 |
//! | [`claims`] | `sub`, names, `hc_role`, the licence number by consent, `acr` / `amr`, the ID token's claims |
//! | [`jws`], [`jwk`] | RS256 compact JWS signed by an hpki-keys `Signer`; the public keys as a JWK set |
//! | [`qualification`] | the qualification check: what a card signs, whether it did, the outcomes and their words |
//! | [`oauth_error`] | the standard error codes and bodies |
//!
//! No I/O and no clock: the engine (`hpki-provider`) passes the time, the keys and what the
//! store holds.
#![forbid(unsafe_code)]

pub mod authorize;
pub mod card;
pub mod claims;
pub mod client;
pub mod jwk;
pub mod jws;
pub mod oauth_error;
pub mod pkce;
pub mod qualification;
