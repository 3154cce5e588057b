//! The relying party's policy on who may sign what: the qualifications (hcRole, ISO 17090-3)
//! a signature must show for the document it is on.
//!
//! An HPKI signature says who signed and with which national qualification; whether that
//! qualification is the one the document needs is the relying party's rule. For the
//! e-prescription flow the rules are the law's: a prescription is signed by a doctor or a
//! dentist (医師法 §22, 歯科医師法 §21), the dispensing result by the pharmacist who dispensed
//! (薬剤師法 §26). Other documents need an hcRole (any healthcare qualification) unless the
//! caller asks for particular ones.

use hpki_sign::xades::Signatory;
use hpki_text::Text;

use super::Role;

/// The hcRoles accepted, as the English strings certificates carry ("Medical Doctor").
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RolePolicy {
    /// Of the prescriber's signature (`PrescriptionSign`); default 医師, 歯科医師.
    pub prescriber: Vec<String>,
    /// Of the pharmacist's signature on a dispensing result (`DispensingSign`); default 薬剤師.
    pub dispenser: Vec<String>,
    /// Of every other signature; empty: any hcRole.
    pub other: Vec<String>,
}

impl Default for RolePolicy {
    fn default() -> Self {
        RolePolicy {
            prescriber: vec!["Medical Doctor".into(), "Dentist".into()],
            dispenser: vec!["Pharmacist".into()],
            other: Vec::new(),
        }
    }
}

/// The roles a signature at a place must show, and the place in words; `None`: any hcRole.
pub(crate) struct Requirement {
    /// What the signature is, for people ("処方箋の署名").
    pub what: Text,
    /// The accepted hcRoles.
    pub accepted: Vec<String>,
}

impl RolePolicy {
    /// The requirement on a signature at `place` (`None`: not at a place of a medical layout).
    pub(crate) fn requirement(&self, place: Option<Signatory>) -> Option<Requirement> {
        let (what, accepted) = match place {
            Some(Signatory::Prescriber) => (
                Text::new("処方箋の署名", "the prescription's signature"),
                &self.prescriber,
            ),
            Some(Signatory::Dispenser) => (
                Text::new("調剤結果の署名", "the dispensing result's signature"),
                &self.dispenser,
            ),
            None => (
                Text::new("この文書の署名", "this document's signature"),
                &self.other,
            ),
        };
        (!accepted.is_empty()).then(|| Requirement {
            what,
            accepted: accepted.clone(),
        })
    }
}

impl Requirement {
    /// Whether one of `roles` is accepted.
    pub(crate) fn met_by(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.accepted.contains(&r.role))
    }
}

/// A role for people: its Japanese name from the HPKI role table in Japanese, the hcRole
/// string in English.
pub(crate) fn role_text(role: &str) -> Text {
    let ja = hpki_profile::roles::RoleTable::shipped()
        .find(role)
        .map(|r| r.ja.clone())
        .unwrap_or_else(|| role.to_owned());
    Text::new(ja, role)
}

/// Roles joined for people: 「医師または歯科医師」, "Medical Doctor or Dentist".
pub(crate) fn roles_text(roles: &[String], or: bool) -> Text {
    let texts: Vec<Text> = roles.iter().map(|r| role_text(r)).collect();
    let (sep_ja, sep_en) = if or {
        ("または", " or ")
    } else {
        ("、", ", ")
    };
    Text::new(
        texts
            .iter()
            .map(|t| t.ja.clone())
            .collect::<Vec<_>>()
            .join(sep_ja),
        texts
            .iter()
            .map(|t| t.en.clone())
            .collect::<Vec<_>>()
            .join(sep_en),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(r: &str) -> Role {
        Role {
            role: r.into(),
            role_ja: None,
        }
    }

    #[test]
    fn a_prescription_needs_a_doctor_or_a_dentist() {
        let policy = RolePolicy::default();
        let r = policy.requirement(Some(Signatory::Prescriber)).unwrap();
        assert!(r.met_by(&[role("Medical Doctor")]));
        assert!(r.met_by(&[role("Dentist")]));
        assert!(!r.met_by(&[role("Nurse")]));
        assert!(!r.met_by(&[]));
        assert_eq!(roles_text(&r.accepted, true).ja, "医師または歯科医師");
    }

    #[test]
    fn a_dispensing_result_needs_a_pharmacist_and_other_documents_any_role() {
        let policy = RolePolicy::default();
        let r = policy.requirement(Some(Signatory::Dispenser)).unwrap();
        assert!(r.met_by(&[role("Pharmacist")]));
        assert!(!r.met_by(&[role("Medical Doctor")]));
        assert!(policy.requirement(None).is_none());
    }
}
