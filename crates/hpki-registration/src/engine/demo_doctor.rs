//! The demo doctor, 日医 太郎, issued the way every doctor is: an application received in
//! Tokyo, reviewed, approved at HQ and issued from two CSRs by the demo officers
//! (`hpki demo`, and the tests that need a doctor in the subscriber register).

use super::*;
use hpki_ra::application::{ApplicationForm, DocumentChecklist};
use hpki_ra::workflow::Action;
use serde_json::json;

impl Registration {
    /// Walks the demo doctor's application from 受付 to 発行済 with the demo officers of
    /// [`Registration::seed_demo`], issuing the signing and authentication certificates for
    /// `sign_csr` and `auth_csr` (DER or PEM). Returns the application and both certificates.
    pub async fn seed_demo_doctor(
        &self,
        sign_csr: &[u8],
        auth_csr: &[u8],
    ) -> Result<(Application, Issued, Issued), RegistrationError> {
        let today = hpki_clock::jst::date(self.ca.now());
        let form: ApplicationForm = serde_json::from_value(json!({
            "application_date": today.to_string(), "kind": "new",
            "name_kana_family": "ニチイ", "name_kana_given": "タロウ",
            "name_kanji_family": "日医", "name_kanji_given": "太郎",
            "name_romaji_family": "Nichii", "name_romaji_given": "Taro",
            "birth_date": "1955-01-01", "sex": "male",
            "address": {"postal_code": "113-8621", "prefecture_code": 13,
                        "city": "文京区本駒込2-28-16"},
            "license_number": "123456", "license_registration_date": "1980-05-01",
            "membership": "member", "member_id": "9999999999",
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
            ("tokyo-main", Action::MainReview, Some("DEMO-0001")),
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
