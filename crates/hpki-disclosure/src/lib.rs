//! What a doctor shows to whom: the 医師資格証 会員ポータル's 情報開示・非開示 (disclosure) rules,
//! the pure core. No I/O: the engine (`hpki-provider`) loads a doctor's [`Record`] and
//! [`Settings`] and asks [`view`]; every page, API answer and OpenID Connect claim about a
//! doctor goes through [`may_see`].
//!
//! | module | what |
//! |---|---|
//! | [`item`] | the items of the seed's two tables (from issuance; from the doctor's profile) and their names |
//! | [`settings`] | 会員向け / 一般向け per item, the defaults of the seed's screen, すべて開示 / すべて非開示 |
//! | [`viewer`] | who is looking (the doctor, a member doctor, the public, a relying party with a consent) and [`may_see`] |
//! | [`record`] | a doctor's values, the doctor's edits checked, and [`view`]: what one viewer sees (年齢 derived from 生年月日) |
#![forbid(unsafe_code)]

pub mod item;
pub mod record;
pub mod settings;
pub mod viewer;

pub use item::{Item, Source};
pub use record::{ProfileError, Record, view};
pub use settings::{Disclosure, Settings};
pub use viewer::{Viewer, may_see};
