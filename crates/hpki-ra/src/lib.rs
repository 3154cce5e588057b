//! The registration authority (登録局) of the 医師資格証.
//!
//! A certificate is only worth the vetting behind it. This crate holds the rules of that vetting
//! as the JMA runs it (the seed's 医師資格証の発行スキーム, 審査体制 and 発行申請書; see
//! `shared/docs/hpki-reference.md`, "Registration"):
//!
//! - [`prefecture`]: the 47 prefectures (JIS X 0401), where the local offices are.
//! - [`office`]: the offices that receive and review applications and their status.
//! - [`application`]: every field of the 発行申請書, its validation, and the rules for the
//!   documents an applicant brings (licence, photo ID, 住民票).
//! - [`workflow`]: the stages of an application, who may move it on, and the
//!   separation-of-duties rule.
//! - [`stats`]: the pictures of the seed, drawn as SVG: the map of Japan coloured by office
//!   status and the line chart of cards issued.
//!
//! Pure rules and types: no I/O. The store keeps them, the engine runs the workflow, the server
//! shows them.
#![forbid(unsafe_code)]

pub mod application;
pub mod office;
pub mod prefecture;
pub mod stats;
pub mod workflow;

pub use hpki_text::Lang;
