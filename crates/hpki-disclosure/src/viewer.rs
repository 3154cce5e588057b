//! Who is looking, and the one decision: [`may_see`].
//!
//! | viewer | sees |
//! |---|---|
//! | the doctor (本人) | every item |
//! | a member doctor, signed in with their own card | the items set 会員向け |
//! | the public, and the qualification check | the items set 一般向け |
//! | a relying party of HPKI login | what the doctor consented to: `profile` → 氏名, `hpki_license` → 医籍登録番号, `hpki_profile` → the items set 会員向け (relying parties are medical networks whose users are medical staff) |

use crate::{Item, Settings};

/// The scope that gives a relying party 氏名.
pub const SCOPE_NAME: &str = "profile";
/// The scope that gives a relying party 医籍登録番号.
pub const SCOPE_LICENSE: &str = "hpki_license";
/// The scope that gives a relying party the items the doctor shows to members.
pub const SCOPE_PROFILE: &str = "hpki_profile";

/// Who is looking at a doctor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Viewer {
    /// The doctor themself (本人).
    Holder,
    /// Another doctor, signed in with their card (会員).
    Member,
    /// Anyone (一般): the public pages and the qualification check.
    Public,
    /// A relying party with the scopes the doctor consented to.
    RelyingParty {
        /// The consented scopes.
        scopes: Vec<String>,
    },
}

impl Viewer {
    /// The stored and wire name (`holder`, `member`, `public`, `relying_party`).
    pub fn kind(&self) -> &'static str {
        match self {
            Viewer::Holder => "holder",
            Viewer::Member => "member",
            Viewer::Public => "public",
            Viewer::RelyingParty { .. } => "relying_party",
        }
    }
}

/// Whether `viewer` may see `item` of a doctor whose settings are `settings`.
pub fn may_see(viewer: &Viewer, item: Item, settings: &Settings) -> bool {
    match viewer {
        Viewer::Holder => true,
        Viewer::Member => settings.get(item).members,
        Viewer::Public => settings.get(item).public,
        Viewer::RelyingParty { scopes } => {
            let has = |s: &str| scopes.iter().any(|g| g == s);
            (item == Item::Name && has(SCOPE_NAME))
                || (item == Item::LicenseNumber && has(SCOPE_LICENSE))
                || (has(SCOPE_PROFILE) && settings.get(item).members)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Disclosure;

    fn rp(scopes: &[&str]) -> Viewer {
        Viewer::RelyingParty {
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn each_viewer_by_its_column() {
        let mut s = Settings::defaults();
        s.set(
            Item::Career,
            Disclosure {
                members: true,
                public: false,
            },
        );
        assert!(may_see(&Viewer::Holder, Item::Email, &s));
        assert!(may_see(&Viewer::Member, Item::Career, &s));
        assert!(!may_see(&Viewer::Public, Item::Career, &s));
        assert!(may_see(&Viewer::Public, Item::Name, &s));
        assert!(!may_see(&Viewer::Member, Item::Email, &s));
    }

    #[test]
    fn a_relying_party_sees_what_was_consented() {
        let s = Settings::all(false);
        assert!(may_see(&rp(&["openid", "profile"]), Item::Name, &s));
        assert!(!may_see(&rp(&["openid"]), Item::Name, &s));
        assert!(may_see(
            &rp(&["openid", "hpki_license"]),
            Item::LicenseNumber,
            &s
        ));
        assert!(!may_see(&rp(&["openid", "hpki_profile"]), Item::Career, &s));
        let s = Settings::all(true);
        assert!(may_see(&rp(&["openid", "hpki_profile"]), Item::Career, &s));
        assert!(!may_see(&rp(&["openid"]), Item::Career, &s));
    }
}
