//! 突合: the organiser's ledger against the attendance recorded by the readers, in four lists —
//! matched (registered and present), registered but absent, present but not registered, and
//! incomplete (an entry without an exit, registered or not).
//!
//! A ledger row and an attendee are the same doctor when their 日医会員ID or their 医籍登録番号
//! agree; names are shown, never matched on (two doctors may share one).

use crate::ledger::LedgerRow;

/// A doctor seen by the readers at the event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Attendee {
    /// The subscriber ID in the register.
    pub subscriber_id: String,
    /// 日医会員ID, if a member.
    pub member_id: Option<String>,
    /// 医籍登録番号.
    pub license_no: Option<String>,
    /// 氏名.
    pub name: String,
    /// At least one stay with entry and exit.
    pub complete: bool,
    /// A last entry without an exit.
    pub open_entry: bool,
}

/// The four lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Reconciliation {
    /// Registered and present (entry and exit).
    pub matched: Vec<(LedgerRow, Attendee)>,
    /// Registered, never tapped.
    pub absent: Vec<LedgerRow>,
    /// Present (entry and exit), not in the ledger.
    pub unregistered: Vec<Attendee>,
    /// Tapped in and never out (the ledger row, if registered).
    pub incomplete: Vec<(Option<LedgerRow>, Attendee)>,
}

fn same_doctor(row: &LedgerRow, a: &Attendee) -> bool {
    let eq =
        |x: &Option<String>, y: &Option<String>| matches!((x, y), (Some(x), Some(y)) if x == y);
    eq(&row.member_id, &a.member_id) || eq(&row.license_no, &a.license_no)
}

/// The ledger against the attendees.
pub fn reconcile(ledger: &[LedgerRow], attendees: &[Attendee]) -> Reconciliation {
    let mut out = Reconciliation::default();
    let mut seen = vec![false; ledger.len()];
    for a in attendees {
        let row = ledger.iter().position(|r| same_doctor(r, a));
        if let Some(i) = row {
            seen[i] = true;
        }
        let row = row.map(|i| ledger[i].clone());
        match (row, a.complete && !a.open_entry) {
            (row, false) => out.incomplete.push((row, a.clone())),
            (Some(row), true) => out.matched.push((row, a.clone())),
            (None, true) => out.unregistered.push(a.clone()),
        }
    }
    out.absent = ledger
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|(r, _)| r.clone())
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, member: Option<&str>, license: Option<&str>, name: &str) -> LedgerRow {
        LedgerRow {
            line,
            member_id: member.map(Into::into),
            license_no: license.map(Into::into),
            name: name.into(),
        }
    }

    fn attendee(
        id: &str,
        member: Option<&str>,
        license: Option<&str>,
        complete: bool,
        open: bool,
    ) -> Attendee {
        Attendee {
            subscriber_id: id.into(),
            member_id: member.map(Into::into),
            license_no: license.map(Into::into),
            name: id.into(),
            complete,
            open_entry: open,
        }
    }

    #[test]
    fn a_prepared_ledger_gives_the_four_lists() {
        let ledger = vec![
            row(2, Some("1000000001"), None, "甲"), // present by member ID
            row(3, None, Some("200002"), "乙"),     // present by licence number (non-member)
            row(4, Some("1000000003"), None, "丙"), // never came
            row(5, Some("1000000004"), None, "丁"), // tapped in only
        ];
        let attendees = vec![
            attendee("a", Some("1000000001"), Some("100001"), true, false),
            attendee("b", None, Some("200002"), true, false),
            attendee("d", Some("1000000004"), None, false, true),
            attendee("e", Some("1000000005"), None, true, false), // walked in, not registered
            attendee("f", None, Some("600006"), true, true),      // left, came back, never out
        ];
        let r = reconcile(&ledger, &attendees);
        let ids = |v: &[(LedgerRow, Attendee)]| {
            v.iter()
                .map(|(r, a)| (r.line, a.subscriber_id.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(&r.matched),
            vec![(2, "a".to_string()), (3, "b".to_string())]
        );
        assert_eq!(r.absent.iter().map(|r| r.line).collect::<Vec<_>>(), vec![4]);
        assert_eq!(
            r.unregistered
                .iter()
                .map(|a| a.subscriber_id.as_str())
                .collect::<Vec<_>>(),
            vec!["e"]
        );
        assert_eq!(
            r.incomplete
                .iter()
                .map(|(r, a)| (r.as_ref().map(|r| r.line), a.subscriber_id.as_str()))
                .collect::<Vec<_>>(),
            vec![(Some(5), "d"), (None, "f")]
        );
    }

    #[test]
    fn names_alone_never_match() {
        let ledger = vec![row(2, Some("1000000001"), None, "日医 太郎")];
        let a = Attendee {
            name: "日医 太郎".into(),
            ..attendee("x", Some("1999999999"), None, true, false)
        };
        let r = reconcile(&ledger, &[a]);
        assert_eq!(
            (r.matched.len(), r.absent.len(), r.unregistered.len()),
            (0, 1, 1)
        );
    }
}
