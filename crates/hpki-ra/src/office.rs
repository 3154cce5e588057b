//! The offices of the registration authority (審査体制).
//!
//! - The JMA registration authority (登録局, HQ) does the final review (最終審査).
//! - Each of the 47 prefectural medical associations runs a local reception & review office
//!   (地域受付審査局, LRA), whose status the dashboard shows on the map of Japan.
//! - A prefecture may delegate face-to-face reception to county medical associations
//!   (郡市区医師会).
//! - Hospitals run reception offices (病院受付審査局) for non-members, under the director.

use serde::{Deserialize, Serialize};

use crate::Lang;

/// Where a prefectural office stands (the seed's map legend).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeStatus {
    /// 未開設: no office yet.
    NotOpened,
    /// 開設済み: registered, not yet accepting applications.
    Registered,
    /// 受付可能: accepting applications.
    Accepting,
}

impl OfficeStatus {
    /// Every status, in the order of the legend.
    pub const ALL: [OfficeStatus; 3] = [
        OfficeStatus::NotOpened,
        OfficeStatus::Registered,
        OfficeStatus::Accepting,
    ];

    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (OfficeStatus::NotOpened, Lang::Ja) => "未開設",
            (OfficeStatus::Registered, Lang::Ja) => "開設済み",
            (OfficeStatus::Accepting, Lang::Ja) => "受付可能",
            (OfficeStatus::NotOpened, Lang::En) => "Not opened",
            (OfficeStatus::Registered, Lang::En) => "Registered",
            (OfficeStatus::Accepting, Lang::En) => "Accepting applications",
        }
    }
}
