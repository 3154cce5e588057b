//! Seminar attendance (出欠管理) and lifelong-education credits (日医生涯教育制度), the pure core.
//! No I/O: the engine (`hpki-provider::attendance`) loads an event's talks and taps and a
//! doctor's credit entries from the store, and asks the functions here. Times are Unix seconds;
//! dates and fiscal years are those of Japan ([`hpki_clock::jst`]).
//!
//! | module | what |
//! |---|---|
//! | [`curriculum`] | the 84 curriculum codes of カリキュラム〈2016〉 and their names (a data file) |
//! | [`units`] | [`Units`]: credits in steps of 0.5 |
//! | [`rules`] | [`Rules`]: the tap window, duplicate taps, partial credit; the defaults |
//! | [`presence`] | a doctor's taps at an event → stays (entry, exit), duplicates merged, an entry without exit kept as incomplete |
//! | [`talk`] | a talk (講演) and the credit one doctor earns for it from the stays |
//! | [`credits`] | credit entries of every source, per fiscal year: units and distinct codes |
//! | [`certificate`] | the 日医生涯教育認定証 rule (three consecutive years, units + distinct codes ≥ 60) |
//! | [`occupational`] | 日医認定産業医 renewal (≥ 20 units in 5 years, at least one each of 更新・実地・専門) |
//! | [`ledger`] | the organiser's ledger (帳簿) CSV, UTF-8 or Shift_JIS, checked row by row |
//! | [`reconcile`] | 突合: the ledger against the attendance, four lists |
#![forbid(unsafe_code)]

pub mod certificate;
pub mod credits;
pub mod curriculum;
pub mod ledger;
pub mod occupational;
pub mod presence;
pub mod reconcile;
pub mod rules;
pub mod talk;
pub mod units;

pub use curriculum::CurriculumCode;
pub use rules::Rules;
pub use units::Units;
