//! 開示設定: for each item, whether member doctors (会員向け) and the public (一般向け) may see it.

use std::collections::BTreeMap;

use crate::Item;

/// One item's setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Disclosure {
    /// 会員向け: doctors signed in with their card.
    pub members: bool,
    /// 一般向け: anyone, including the qualification check.
    pub public: bool,
}

/// A doctor's settings: the seed screen's defaults for every item the doctor has not set.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Settings {
    set: BTreeMap<Item, Disclosure>,
}

impl Settings {
    /// The defaults only.
    pub fn defaults() -> Settings {
        Settings::default()
    }

    /// The setting of `item`.
    pub fn get(&self, item: Item) -> Disclosure {
        self.set.get(&item).copied().unwrap_or_else(|| {
            let (members, public) = item.default_disclosure();
            Disclosure { members, public }
        })
    }

    /// Sets `item`.
    pub fn set(&mut self, item: Item, disclosure: Disclosure) {
        self.set.insert(item, disclosure);
    }

    /// すべて開示 (`true`) or すべて非開示 (`false`): every item, to members and the public.
    pub fn all(disclose: bool) -> Settings {
        let d = Disclosure {
            members: disclose,
            public: disclose,
        };
        Settings {
            set: Item::ALL.iter().map(|i| (*i, d)).collect(),
        }
    }

    /// Every item with its setting, in the screen's order.
    pub fn iter(&self) -> impl Iterator<Item = (Item, Disclosure)> + '_ {
        Item::ALL.iter().map(|i| (*i, self.get(*i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_items_take_the_default_and_set_ones_keep_theirs() {
        let mut s = Settings::defaults();
        assert!(s.get(Item::Name).public);
        assert!(!s.get(Item::BirthDate).public);
        s.set(
            Item::Name,
            Disclosure {
                members: true,
                public: false,
            },
        );
        assert!(!s.get(Item::Name).public);
        assert!(s.get(Item::Sex).public);
    }

    #[test]
    fn all_and_none() {
        assert!(
            Settings::all(true)
                .iter()
                .all(|(_, d)| d.members && d.public)
        );
        assert!(
            Settings::all(false)
                .iter()
                .all(|(_, d)| !d.members && !d.public)
        );
    }
}
