//! The hash chain of the audit log: canonical details, record hashes and chain verification.
//!
//! Kept apart from the database code so the rules that make the log tamper-evident can be read
//! (and tested) in one place.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{AuditProblem, AuditRecord, AuditVerification};

/// The `prev_hash` of the first record: 64 zeros, i.e. the hex of 32 zero bytes.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Serialises `value` as compact JSON with object keys sorted, so the same details always give
/// the same bytes to hash whatever order the caller built them in (and whatever serde_json
/// features another crate of the build enables).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(val, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The hash of one record: hex(sha256(prev_hash \n seq \n at \n actor \n action \n object \n
/// details)). Every field is covered, so changing any of them, or the record's place in the
/// chain, changes the hash.
pub fn record_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    object: &str,
    details: &str,
) -> String {
    let mut hasher = Sha256::new();
    let seq = seq.to_string();
    let at = at.to_string();
    let parts: [&str; 7] = [prev_hash, &seq, &at, actor, action, object, details];
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b"\n");
        }
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Recomputes the hash of a stored record.
pub fn recompute(record: &AuditRecord) -> String {
    record_hash(
        &record.prev_hash,
        record.seq,
        record.at,
        &record.actor,
        &record.action,
        &record.object,
        &record.details,
    )
}

/// Checks `records` (in `seq` order) against the chain rules and the head marker
/// (`head_seq`, `head_hash`), returning the first bad record.
///
/// The checks, in order for each record: its `seq` follows the previous one (else
/// [`AuditProblem::Missing`] at the first absent `seq`); its `prev_hash` is the stored hash of the
/// previous record (else [`AuditProblem::ChainBroken`]); its hash recomputes (else
/// [`AuditProblem::HashMismatch`]). After the last record, a head marker that says more records
/// existed gives [`AuditProblem::TruncatedTail`]; one that disagrees otherwise gives
/// [`AuditProblem::HeadMismatch`].
pub fn verify_chain(records: &[AuditRecord], head_seq: i64, head_hash: &str) -> AuditVerification {
    let mut expected_seq: i64 = 1;
    let mut prev_hash = GENESIS_HASH.to_owned();
    for record in records {
        if record.seq != expected_seq {
            return AuditVerification::Broken {
                seq: expected_seq,
                problem: AuditProblem::Missing,
            };
        }
        if record.prev_hash != prev_hash {
            return AuditVerification::Broken {
                seq: record.seq,
                problem: AuditProblem::ChainBroken,
            };
        }
        if recompute(record) != record.hash {
            return AuditVerification::Broken {
                seq: record.seq,
                problem: AuditProblem::HashMismatch,
            };
        }
        prev_hash.clone_from(&record.hash);
        expected_seq = expected_seq.saturating_add(1);
    }
    let last_seq = expected_seq - 1;
    if head_seq > last_seq {
        return AuditVerification::Broken {
            seq: expected_seq,
            problem: AuditProblem::TruncatedTail,
        };
    }
    if head_seq < last_seq || head_hash != prev_hash {
        return AuditVerification::Broken {
            seq: last_seq,
            problem: AuditProblem::HeadMismatch,
        };
    }
    AuditVerification::Intact { records: last_seq }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let details = canonical_json(&serde_json::json!({"n": seq}));
                let hash = record_hash(&prev, seq, 1000 + seq, "a", "act", "obj", &details);
                let record = AuditRecord {
                    seq,
                    at: 1000 + seq,
                    actor: "a".into(),
                    action: "act".into(),
                    object: "obj".into(),
                    details,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                record
            })
            .collect()
    }

    #[test]
    fn canonical_json_sorts_keys_and_is_compact() {
        let value = serde_json::json!({"b": [1, {"z": true, "a": null}], "a": "x\"y"});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":"x\"y","b":[1,{"a":null,"z":true}]}"#
        );
    }

    #[test]
    fn hash_matches_the_documented_formula() {
        let expected = hex::encode(Sha256::digest(
            format!("{GENESIS_HASH}\n1\n2\nactor\naction\nobject\n{{}}").as_bytes(),
        ));
        assert_eq!(
            record_hash(GENESIS_HASH, 1, 2, "actor", "action", "object", "{}"),
            expected
        );
    }

    #[test]
    fn empty_log_is_intact() {
        assert_eq!(
            verify_chain(&[], 0, GENESIS_HASH),
            AuditVerification::Intact { records: 0 }
        );
    }

    #[test]
    fn detects_each_problem() {
        let records = chain(4);
        let head = records[3].hash.clone();
        assert_eq!(
            verify_chain(&records, 4, &head),
            AuditVerification::Intact { records: 4 }
        );

        let mut tampered = records.clone();
        tampered[1].details = "{\"n\":99}".into();
        assert_eq!(
            verify_chain(&tampered, 4, &head),
            AuditVerification::Broken {
                seq: 2,
                problem: AuditProblem::HashMismatch
            }
        );

        let mut gap = records.clone();
        gap.remove(1);
        assert_eq!(
            verify_chain(&gap, 4, &head),
            AuditVerification::Broken {
                seq: 2,
                problem: AuditProblem::Missing
            }
        );

        let mut relinked = records.clone();
        relinked[2].prev_hash = GENESIS_HASH.into();
        assert_eq!(
            verify_chain(&relinked, 4, &head),
            AuditVerification::Broken {
                seq: 3,
                problem: AuditProblem::ChainBroken
            }
        );

        assert_eq!(
            verify_chain(&records[..3], 4, &head),
            AuditVerification::Broken {
                seq: 4,
                problem: AuditProblem::TruncatedTail
            }
        );

        assert_eq!(
            verify_chain(&records, 3, &records[2].hash),
            AuditVerification::Broken {
                seq: 4,
                problem: AuditProblem::HeadMismatch
            }
        );
    }
}
