//! The demo doctor, 日医 太郎, issued the way every doctor is: an application received in
//! Tokyo, reviewed, approved at HQ and issued from two CSRs by the demo officers
//! (`hpki demo`, and the tests that need a doctor in the subscriber register).

use super::*;
use hpki_ra::application::{ApplicationForm, DocumentChecklist};
use hpki_ra::workflow::Action;
use serde_json::json;

/// A demo doctor's particulars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoDoctor {
    /// 氏名 (family, given) in kanji.
    pub kanji: (&'static str, &'static str),
    /// In katakana.
    pub kana: (&'static str, &'static str),
    /// In romaji.
    pub romaji: (&'static str, &'static str),
    /// `YYYY-MM-DD`.
    pub birth_date: &'static str,
    /// `male` or `female`.
    pub sex: &'static str,
    /// 医籍登録番号.
    pub license_number: &'static str,
    /// 医籍登録日, `YYYY-MM-DD`.
    pub license_registration_date: &'static str,
    /// 日医会員ID.
    pub member_id: &'static str,
    /// The tracking number of the papers mailed to HQ.
    pub tracking: &'static str,
}

impl DemoDoctor {
    /// 日医 太郎, the demo doctor of `hpki demo`.
    pub const TARO: DemoDoctor = DemoDoctor {
        kanji: ("日医", "太郎"),
        kana: ("ニチイ", "タロウ"),
        romaji: ("Nichii", "Taro"),
        birth_date: "1955-01-01",
        sex: "male",
        license_number: "123456",
        license_registration_date: "1980-05-01",
        member_id: "9999999999",
        tracking: "DEMO-0001",
    };
    /// 日医 花子, a second doctor (a colleague who looks at 太郎 as a member).
    pub const HANAKO: DemoDoctor = DemoDoctor {
        kanji: ("日医", "花子"),
        kana: ("ニチイ", "ハナコ"),
        romaji: ("Nichii", "Hanako"),
        birth_date: "1980-10-10",
        sex: "female",
        license_number: "234567",
        license_registration_date: "2005-05-01",
        member_id: "9999999998",
        tracking: "DEMO-0002",
    };
}

impl Registration {
    /// Walks the demo doctor's application from 受付 to 発行済 with the demo officers of
    /// [`Registration::seed_demo`], issuing the signing and authentication certificates for
    /// `sign_csr` and `auth_csr` (DER or PEM). Returns the application and both certificates.
    pub async fn seed_demo_doctor(
        &self,
        sign_csr: &[u8],
        auth_csr: &[u8],
    ) -> Result<(Application, Issued, Issued), RegistrationError> {
        self.seed_doctor(&DemoDoctor::TARO, sign_csr, auth_csr)
            .await
    }

    /// [`Registration::seed_demo_doctor`] for `doctor`.
    pub async fn seed_doctor(
        &self,
        doctor: &DemoDoctor,
        sign_csr: &[u8],
        auth_csr: &[u8],
    ) -> Result<(Application, Issued, Issued), RegistrationError> {
        let d = doctor;
        let today = hpki_clock::jst::date(self.ca.now());
        let form: ApplicationForm = serde_json::from_value(json!({
            "application_date": today.to_string(), "kind": "new",
            "name_kana_family": d.kana.0, "name_kana_given": d.kana.1,
            "name_kanji_family": d.kanji.0, "name_kanji_given": d.kanji.1,
            "name_romaji_family": d.romaji.0, "name_romaji_given": d.romaji.1,
            "birth_date": d.birth_date, "sex": d.sex,
            "address": {"postal_code": "113-8621", "prefecture_code": 13,
                        "city": "文京区本駒込2-28-16"},
            "license_number": d.license_number, "license_registration_date": d.license_registration_date,
            "membership": "member", "member_id": d.member_id,
            "workplace_name": "日医病院", "workplace_name_romaji": "Nichii Hospital",
            "phone": "03-3946-2121", "delivery": "home"
        }))
        .map_err(|e| RegistrationError::Internal(format!("demo form: {e}")))?;
        let documents: DocumentChecklist = serde_json::from_value(json!({
            "license": "original", "photo_id": "passport",
            "residence_certificate_issued": today.to_string(),
            "photo_received": true
        }))
        .map_err(|e| RegistrationError::Internal(format!("demo documents: {e}")))?;
        let app = self
            .create_draft(
                &self.officer("tokyo-reception").await?,
                &form,
                &documents,
                None,
            )
            .await?;
        let (id, mut version) = (app.record.id, app.record.version);
        for (login, action, tracking) in [
            ("tokyo-reception", Action::Submit, None),
            ("tokyo-pre", Action::PreReview, None),
            ("tokyo-main", Action::MainReview, Some(d.tracking)),
            ("hq-final", Action::PapersArrived, None),
            ("hq-final", Action::FinalReview, None),
        ] {
            let input = ActInput {
                tracking: tracking.map(str::to_owned),
                ..ActInput::default()
            };
            version = self
                .act(&self.officer(login).await?, id, version, action, &input)
                .await?
                .record
                .version;
        }
        self.issue_with_csrs(
            &self.officer("hq-operator").await?,
            id,
            version,
            sign_csr,
            auth_csr,
        )
        .await
    }
}
