//! The workflow of an application, from reception to an active card (審査の大まかな流れ).
//!
//! ```text
//! 下書き Draft ──submit──▶ 受付 Received ──pre_review──▶ 事前審査済 PreReviewed
//!   ──main_review (sent to HQ, papers mailed)──▶ 本審査済 MainReviewed
//!   ──final_review (HQ, papers arrived)──▶ 最終審査済 Approved ──issue──▶ 発行済 Issued
//!   ──ship──▶ 発送済 Shipped ──confirm_delivery──▶ 有効 Active
//! Received … Approved ──return (差戻し)──▶ Returned ──resubmit──▶ Received
//! any state before Issued ──reject (却下)──▶ Rejected
//! ```
//!
//! Who may act is a matter of role ([`Role`]) and office ([`OfficeKind`]): 最終審査 only at the
//! JMA registration authority (HQ), 本審査 at a prefectural office or a hospital office. The
//! same officer may not perform two different review steps (事前審査, 本審査, 最終審査) on one
//! application: [`check_separation`].

use hpki_text::{Localized, Text};
use serde::{Deserialize, Serialize};

use crate::Lang;

/// Where an application stands.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// 下書き: the form is being filled in at reception; kept however incomplete.
    Draft,
    /// 受付: documents complete, awaiting 事前審査.
    Received,
    /// 事前審査済: contents checked, copies taken; awaiting 本審査.
    PreReviewed,
    /// 本審査済: re-checked at the prefectural review room and sent to HQ with the papers by
    /// mail; awaiting 最終審査.
    MainReviewed,
    /// 最終審査済: approved by the JMA registration authority; awaiting issuance.
    Approved,
    /// 発行済: card personalised, certificates issued; awaiting shipment.
    Issued,
    /// 発送済: sent to the delivery address chosen on the form.
    Shipped,
    /// 有効: delivered; the card is in use.
    Active,
    /// 差戻し: returned for correction; reception resubmits it.
    Returned,
    /// 却下: rejected; final.
    Rejected,
}

impl Stage {
    /// Every stage, in workflow order.
    pub const ALL: [Stage; 10] = [
        Stage::Draft,
        Stage::Received,
        Stage::PreReviewed,
        Stage::MainReviewed,
        Stage::Approved,
        Stage::Issued,
        Stage::Shipped,
        Stage::Active,
        Stage::Returned,
        Stage::Rejected,
    ];

    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => match self {
                Stage::Draft => "下書き",
                Stage::Received => "受付済（事前審査待ち）",
                Stage::PreReviewed => "事前審査済（本審査待ち）",
                Stage::MainReviewed => "本審査済（最終審査待ち）",
                Stage::Approved => "最終審査済（発行待ち）",
                Stage::Issued => "発行済（発送待ち）",
                Stage::Shipped => "発送済",
                Stage::Active => "有効",
                Stage::Returned => "差戻し",
                Stage::Rejected => "却下",
            },
            Lang::En => match self {
                Stage::Draft => "Draft",
                Stage::Received => "Received (awaiting pre-review)",
                Stage::PreReviewed => "Pre-reviewed (awaiting main review)",
                Stage::MainReviewed => "Main review done (awaiting final review)",
                Stage::Approved => "Approved (awaiting issuance)",
                Stage::Issued => "Issued (awaiting shipment)",
                Stage::Shipped => "Shipped",
                Stage::Active => "Active",
                Stage::Returned => "Returned for correction",
                Stage::Rejected => "Rejected",
            },
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Draft => "draft",
            Stage::Received => "received",
            Stage::PreReviewed => "pre_reviewed",
            Stage::MainReviewed => "main_reviewed",
            Stage::Approved => "approved",
            Stage::Issued => "issued",
            Stage::Shipped => "shipped",
            Stage::Active => "active",
            Stage::Returned => "returned",
            Stage::Rejected => "rejected",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Stage> {
        Stage::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// No further transition.
    pub fn is_final(self) -> bool {
        matches!(self, Stage::Active | Stage::Rejected)
    }
}

/// What an officer may be allowed to do.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 受付: receives applicants and their documents.
    Reception,
    /// 事前審査: checks contents, takes copies.
    PreReview,
    /// 本審査: re-checks at the prefectural review room, sends to HQ.
    MainReview,
    /// 最終審査: final review at the JMA registration authority (HQ only).
    FinalReview,
    /// 認証局運用者: issuance, shipment, revocation.
    CaOperator,
    /// 監査: reads everything, changes nothing.
    Auditor,
    /// 管理者: offices and officers.
    Administrator,
    /// 研修会担当: the office's seminars (events, readers, ledgers, attendance) and the credits
    /// doctors report.
    Seminar,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 8] = [
        Role::Reception,
        Role::PreReview,
        Role::MainReview,
        Role::FinalReview,
        Role::CaOperator,
        Role::Auditor,
        Role::Administrator,
        Role::Seminar,
    ];

    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Role::Reception, Lang::Ja) => "受付",
            (Role::PreReview, Lang::Ja) => "事前審査",
            (Role::MainReview, Lang::Ja) => "本審査",
            (Role::FinalReview, Lang::Ja) => "最終審査",
            (Role::CaOperator, Lang::Ja) => "認証局運用",
            (Role::Auditor, Lang::Ja) => "監査",
            (Role::Administrator, Lang::Ja) => "管理者",
            (Role::Seminar, Lang::Ja) => "研修会担当",
            (Role::Reception, Lang::En) => "Reception",
            (Role::PreReview, Lang::En) => "Pre-review",
            (Role::MainReview, Lang::En) => "Main review",
            (Role::FinalReview, Lang::En) => "Final review",
            (Role::CaOperator, Lang::En) => "CA operator",
            (Role::Auditor, Lang::En) => "Auditor",
            (Role::Administrator, Lang::En) => "Administrator",
            (Role::Seminar, Lang::En) => "Seminars",
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reception => "reception",
            Role::PreReview => "pre_review",
            Role::MainReview => "main_review",
            Role::FinalReview => "final_review",
            Role::CaOperator => "ca_operator",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
            Role::Seminar => "seminar",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// The kinds of office.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfficeKind {
    /// 日本医師会 登録局 (HQ): final review, issuance; sees every application.
    Headquarters,
    /// 都道府県医師会 地域受付審査局.
    Prefectural,
    /// 郡市区医師会: reception delegated by its prefecture.
    County,
    /// 病院受付審査局: reception and review of non-members at a hospital.
    Hospital,
}

impl OfficeKind {
    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (OfficeKind::Headquarters, Lang::Ja) => "日本医師会 登録局",
            (OfficeKind::Prefectural, Lang::Ja) => "地域受付審査局",
            (OfficeKind::County, Lang::Ja) => "郡市区医師会",
            (OfficeKind::Hospital, Lang::Ja) => "病院受付審査局",
            (OfficeKind::Headquarters, Lang::En) => "JMA registration authority",
            (OfficeKind::Prefectural, Lang::En) => "Prefectural reception and review office",
            (OfficeKind::County, Lang::En) => "County medical association",
            (OfficeKind::Hospital, Lang::En) => "Hospital reception and review office",
        }
    }

    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeKind::Headquarters => "headquarters",
            OfficeKind::Prefectural => "prefectural",
            OfficeKind::County => "county",
            OfficeKind::Hospital => "hospital",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<OfficeKind> {
        [
            OfficeKind::Headquarters,
            OfficeKind::Prefectural,
            OfficeKind::County,
            OfficeKind::Hospital,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// Roles an officer of this kind of office may hold.
    pub fn allows(self, role: Role) -> bool {
        match role {
            Role::FinalReview | Role::CaOperator => self == OfficeKind::Headquarters,
            Role::MainReview => matches!(self, OfficeKind::Prefectural | OfficeKind::Hospital),
            Role::Reception | Role::PreReview => self != OfficeKind::Headquarters,
            Role::Auditor | Role::Administrator | Role::Seminar => true,
        }
    }
}

/// The acts on an application.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 受付: the form is complete and the documents pass their rules.
    Submit,
    /// 事前審査.
    PreReview,
    /// 本審査: sends the application to HQ; the papers go by mail.
    MainReview,
    /// HQ records that the mailed papers arrived.
    PapersArrived,
    /// 最終審査.
    FinalReview,
    /// 発行: card personalised or certificates issued.
    Issue,
    /// 発送.
    Ship,
    /// 受取確認: the card was delivered.
    ConfirmDelivery,
    /// 差戻し (with a reason).
    Return,
    /// 再提出 after a return.
    Resubmit,
    /// 却下 (with a reason).
    Reject,
}

impl Action {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::PreReview => "pre_review",
            Action::MainReview => "main_review",
            Action::PapersArrived => "papers_arrived",
            Action::FinalReview => "final_review",
            Action::Issue => "issue",
            Action::Ship => "ship",
            Action::ConfirmDelivery => "confirm_delivery",
            Action::Return => "return",
            Action::Resubmit => "resubmit",
            Action::Reject => "reject",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Action> {
        [
            Action::Submit,
            Action::PreReview,
            Action::MainReview,
            Action::PapersArrived,
            Action::FinalReview,
            Action::Issue,
            Action::Ship,
            Action::ConfirmDelivery,
            Action::Return,
            Action::Resubmit,
            Action::Reject,
        ]
        .into_iter()
        .find(|a| a.as_str() == s)
    }

    /// The label in `lang`.
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Action::Submit, Lang::Ja) => "受付",
            (Action::PreReview, Lang::Ja) => "事前審査",
            (Action::MainReview, Lang::Ja) => "本審査（登録局へ送付）",
            (Action::PapersArrived, Lang::Ja) => "書類到着",
            (Action::FinalReview, Lang::Ja) => "最終審査",
            (Action::Issue, Lang::Ja) => "発行",
            (Action::Ship, Lang::Ja) => "発送",
            (Action::ConfirmDelivery, Lang::Ja) => "受取確認",
            (Action::Return, Lang::Ja) => "差戻し",
            (Action::Resubmit, Lang::Ja) => "再提出",
            (Action::Reject, Lang::Ja) => "却下",
            (Action::Submit, Lang::En) => "Receive",
            (Action::PreReview, Lang::En) => "Pre-review",
            (Action::MainReview, Lang::En) => "Main review (send to HQ)",
            (Action::PapersArrived, Lang::En) => "Papers arrived",
            (Action::FinalReview, Lang::En) => "Final review",
            (Action::Issue, Lang::En) => "Issue",
            (Action::Ship, Lang::En) => "Ship",
            (Action::ConfirmDelivery, Lang::En) => "Confirm delivery",
            (Action::Return, Lang::En) => "Return",
            (Action::Resubmit, Lang::En) => "Resubmit",
            (Action::Reject, Lang::En) => "Reject",
        }
    }

    /// The role the act needs. Returning and rejecting need the role of the reviewer of the
    /// step pending at the application's stage instead ([`reviewer_of`], used by
    /// [`check_role`]).
    pub fn role(self) -> Role {
        match self {
            Action::Submit | Action::Resubmit => Role::Reception,
            Action::PreReview => Role::PreReview,
            Action::MainReview => Role::MainReview,
            Action::PapersArrived | Action::FinalReview => Role::FinalReview,
            Action::Issue | Action::Ship | Action::ConfirmDelivery => Role::CaOperator,
            // Returning or rejecting is done by the reviewer of the current step.
            Action::Return | Action::Reject => Role::Reception,
        }
    }

    /// Whether this act is one of the three review steps the separation-of-duties rule covers.
    pub fn is_review(self) -> bool {
        matches!(
            self,
            Action::PreReview | Action::MainReview | Action::FinalReview
        )
    }

    /// Whether the act needs a reason (差戻し, 却下).
    pub fn needs_reason(self) -> bool {
        matches!(self, Action::Return | Action::Reject)
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The act is not possible at this stage.
    #[error("{action} is not possible while the application is {stage}", action = .action.label(Lang::En), stage = .stage.label(Lang::En))]
    NotAllowed {
        /// The act.
        action: Action,
        /// The stage.
        stage: Stage,
    },
    /// The officer lacks the role.
    #[error("this needs the role {role}", role = .role.label(Lang::En))]
    MissingRole {
        /// The role needed.
        role: Role,
    },
    /// The same officer already performed another review step on this application.
    #[error(
        "separation of duties: you already performed the {done} of this application, so you may not also perform its {wanted}",
        done = .done.label(Lang::En),
        wanted = .wanted.label(Lang::En)
    )]
    SeparationOfDuties {
        /// The step the officer did.
        done: Action,
        /// The step refused.
        wanted: Action,
    },
    /// Final review before the mailed papers arrived at HQ.
    #[error("the papers mailed by the prefectural office have not arrived at HQ yet")]
    PapersNotArrived,
    /// 差戻し and 却下 need a reason.
    #[error("a reason is required")]
    ReasonRequired,
}

impl Localized for TransitionError {
    fn text(&self) -> Text {
        match self {
            TransitionError::NotAllowed { action, stage } => Text::new(
                format!(
                    "「{}」の申請に「{}」はできません",
                    stage.label(Lang::Ja),
                    action.label(Lang::Ja)
                ),
                self.to_string(),
            ),
            TransitionError::MissingRole { role } => Text::new(
                format!("この操作には「{}」の権限が必要です", role.label(Lang::Ja)),
                self.to_string(),
            ),
            TransitionError::SeparationOfDuties { done, wanted } => Text::new(
                format!(
                    "職務分掌: この申請の「{}」を行った担当者は「{}」を行えません",
                    done.label(Lang::Ja),
                    wanted.label(Lang::Ja)
                ),
                self.to_string(),
            ),
            TransitionError::PapersNotArrived => Text::new(
                "本審査後に郵送された書類がまだ登録局に届いていません",
                self.to_string(),
            ),
            TransitionError::ReasonRequired => {
                Text::new("理由を入力してください", self.to_string())
            }
        }
    }
}

/// The stage an act leads to from `stage`, or why it cannot. Only the state machine: roles,
/// offices and separation of duties are checked by [`check_role`] and [`check_separation`].
pub fn next_stage(
    stage: Stage,
    action: Action,
    papers_arrived: bool,
) -> Result<Stage, TransitionError> {
    use Action as A;
    use Stage as S;
    let refused = || TransitionError::NotAllowed { action, stage };
    Ok(match (stage, action) {
        (S::Draft, A::Submit) => S::Received,
        (S::Received, A::PreReview) => S::PreReviewed,
        (S::PreReviewed, A::MainReview) => S::MainReviewed,
        (S::MainReviewed, A::PapersArrived) if !papers_arrived => S::MainReviewed,
        (S::MainReviewed, A::FinalReview) => {
            if !papers_arrived {
                return Err(TransitionError::PapersNotArrived);
            }
            S::Approved
        }
        (S::Approved, A::Issue) => S::Issued,
        (S::Issued, A::Ship) => S::Shipped,
        (S::Shipped, A::ConfirmDelivery) => S::Active,
        (S::Received | S::PreReviewed | S::MainReviewed | S::Approved, A::Return) => S::Returned,
        (S::Returned, A::Resubmit) => S::Received,
        (
            S::Draft | S::Received | S::PreReviewed | S::MainReviewed | S::Approved | S::Returned,
            A::Reject,
        ) => S::Rejected,
        _ => return Err(refused()),
    })
}

/// The role needed to return or reject at `stage`: the reviewer of the step pending there.
pub fn reviewer_of(stage: Stage) -> Role {
    match stage {
        Stage::Draft | Stage::Returned => Role::Reception,
        Stage::Received => Role::PreReview,
        Stage::PreReviewed => Role::MainReview,
        Stage::MainReviewed => Role::FinalReview,
        Stage::Approved | Stage::Issued | Stage::Shipped | Stage::Active | Stage::Rejected => {
            Role::FinalReview
        }
    }
}

/// Whether an officer holding `roles` may perform `action` at `stage`.
pub fn check_role(roles: &[Role], action: Action, stage: Stage) -> Result<(), TransitionError> {
    let role = match action {
        Action::Return | Action::Reject => reviewer_of(stage),
        other => other.role(),
    };
    if roles.contains(&role) {
        Ok(())
    } else {
        Err(TransitionError::MissingRole { role })
    }
}

/// The separation-of-duties rule: `done` lists the review steps `officer` already performed on
/// this application (since its last resubmission or ever: the caller decides; hpki counts every
/// step ever taken, the stricter reading).
pub fn check_separation(done: &[Action], wanted: Action) -> Result<(), TransitionError> {
    if !wanted.is_review() {
        return Ok(());
    }
    match done.iter().find(|d| d.is_review() && **d != wanted) {
        Some(d) => Err(TransitionError::SeparationOfDuties { done: *d, wanted }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_happy_path_runs_from_draft_to_active() {
        let mut s = Stage::Draft;
        for a in [Action::Submit, Action::PreReview, Action::MainReview] {
            s = next_stage(s, a, false).unwrap();
        }
        assert_eq!(s, Stage::MainReviewed);
        assert_eq!(
            next_stage(s, Action::FinalReview, false),
            Err(TransitionError::PapersNotArrived)
        );
        assert_eq!(
            next_stage(s, Action::PapersArrived, false),
            Ok(Stage::MainReviewed)
        );
        for a in [
            Action::FinalReview,
            Action::Issue,
            Action::Ship,
            Action::ConfirmDelivery,
        ] {
            s = next_stage(s, a, true).unwrap();
        }
        assert_eq!(s, Stage::Active);
        assert!(s.is_final());
    }

    #[test]
    fn steps_cannot_be_skipped_or_repeated() {
        assert!(next_stage(Stage::Received, Action::FinalReview, true).is_err());
        assert!(next_stage(Stage::Draft, Action::PreReview, true).is_err());
        assert!(next_stage(Stage::PreReviewed, Action::PreReview, true).is_err());
        assert!(next_stage(Stage::Issued, Action::Return, true).is_err());
        assert!(next_stage(Stage::Active, Action::Reject, true).is_err());
        assert!(next_stage(Stage::Rejected, Action::Resubmit, true).is_err());
        assert!(next_stage(Stage::MainReviewed, Action::PapersArrived, true).is_err());
    }

    #[test]
    fn returned_applications_come_back_to_reception() {
        let s = next_stage(Stage::MainReviewed, Action::Return, false).unwrap();
        assert_eq!(s, Stage::Returned);
        assert_eq!(next_stage(s, Action::Resubmit, false), Ok(Stage::Received));
        assert_eq!(next_stage(s, Action::Reject, false), Ok(Stage::Rejected));
    }

    #[test]
    fn roles_and_offices() {
        assert!(check_role(&[Role::PreReview], Action::PreReview, Stage::Received).is_ok());
        assert_eq!(
            check_role(&[Role::Reception], Action::PreReview, Stage::Received),
            Err(TransitionError::MissingRole {
                role: Role::PreReview
            })
        );
        // Returning at a stage is the reviewer of that stage's pending step.
        assert!(check_role(&[Role::MainReview], Action::Return, Stage::PreReviewed).is_ok());
        assert!(check_role(&[Role::PreReview], Action::Return, Stage::PreReviewed).is_err());
        assert!(OfficeKind::Headquarters.allows(Role::FinalReview));
        assert!(!OfficeKind::Prefectural.allows(Role::FinalReview));
        assert!(!OfficeKind::County.allows(Role::MainReview));
        assert!(OfficeKind::Hospital.allows(Role::MainReview));
    }

    #[test]
    fn one_officer_never_does_two_review_steps() {
        assert!(check_separation(&[Action::Submit], Action::PreReview).is_ok());
        assert_eq!(
            check_separation(&[Action::Submit, Action::PreReview], Action::MainReview),
            Err(TransitionError::SeparationOfDuties {
                done: Action::PreReview,
                wanted: Action::MainReview
            })
        );
        assert!(check_separation(&[Action::MainReview], Action::FinalReview).is_err());
        // The same step again (after a return and resubmission) is not a second step.
        assert!(check_separation(&[Action::PreReview], Action::PreReview).is_ok());
        // Non-review acts are not covered.
        assert!(check_separation(&[Action::FinalReview], Action::Issue).is_ok());
    }

    #[test]
    fn stored_forms_round_trip() {
        for s in Stage::ALL {
            assert_eq!(Stage::parse(s.as_str()), Some(s));
        }
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
