//! The dashboard's figures: offices by prefecture, cards issued over time, pending work.

use super::*;

impl Registration {
    /// What the dashboard shows: each prefecture's office status, the cumulative number of
    /// cards issued by month (cards personalised, and issuances from applicants' CSRs), and
    /// the applications pending per office (at the office whose step is next).
    pub async fn dashboard(&self) -> Result<Dashboard, RegistrationError> {
        let offices = self.store().offices().await?;
        let statuses = offices
            .iter()
            .filter(|o| o.kind == OfficeKind::Prefectural.as_str())
            .filter_map(|o| {
                let code = u8::try_from(o.prefecture_code?).ok()?;
                Some((code, parse_status(&o.status)?))
            })
            .collect();
        // Issued: every card, plus every issuance on CSRs (no card).
        let mut issued_at: Vec<i64> = self
            .store()
            .cards(None)
            .await?
            .iter()
            .filter(|c| c.status != hpki_store::CardStatus::Personalizing)
            .map(|c| c.issued_at)
            .collect();
        let all = self
            .store()
            .applications(&ApplicationFilter::default())
            .await?;
        for a in &all {
            if a.card_id.is_none() && a.subscriber_id.is_some() {
                for e in self.store().application_events(a.id).await? {
                    if e.action == Action::Issue.as_str() {
                        issued_at.push(e.at);
                    }
                }
            }
        }
        issued_at.sort_unstable();
        let mut issued: Vec<(time::Date, u64)> = Vec::new();
        for (n, at) in issued_at.iter().enumerate() {
            let day = OffsetDateTime::from_unix_timestamp(*at)
                .map(|t| t.to_offset(hpki_clock::jst::OFFSET).date())
                .map_err(|e| RegistrationError::Internal(e.to_string()))?;
            let month = day.replace_day(1).unwrap_or(day);
            match issued.last_mut() {
                Some((m, total)) if *m == month => *total = n as u64 + 1,
                _ => issued.push((month, n as u64 + 1)),
            }
        }
        let mut pending: Vec<(String, u64)> = Vec::new();
        for a in &all {
            let Some(stage) = Stage::parse(&a.stage) else {
                continue;
            };
            let office = match stage {
                Stage::Active | Stage::Rejected => continue,
                Stage::Draft | Stage::Returned | Stage::Received => a.office_id.clone(),
                Stage::PreReviewed => a.review_office_id.clone(),
                _ => HQ.to_owned(),
            };
            match pending.iter_mut().find(|(o, _)| *o == office) {
                Some((_, n)) => *n += 1,
                None => pending.push((office, 1)),
            }
        }
        let name_of = |id: &str| {
            offices
                .iter()
                .find(|o| o.id == id)
                .map(|o| o.name_ja.clone())
                .unwrap_or_else(|| id.to_owned())
        };
        pending.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let pending = pending.into_iter().map(|(o, n)| (name_of(&o), n)).collect();
        Ok(Dashboard {
            statuses,
            issued,
            pending,
        })
    }
}
