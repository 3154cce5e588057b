//! `hpki-reader`: the card reader program of a seminar's reception (出欠管理).
//!
//! Each card held to a PC/SC contactless reader is read (its UID / IDm with `FF CA 00 00 00`),
//! written to a local SQLite queue first (so a tap survives the network, the server and the
//! program itself going down), then posted to the server's attendance API with the reader's
//! token, oldest first; the answer (受付しました / 退出を記録しました / 登録されていないカード …)
//! is shown and, if asked, spoken. Taps the server did not answer stay queued and are sent
//! again, in order, once it answers; each carries its own nonce, so the server records it once
//! however often it arrives, and its own time.
//!
//! | module | what |
//! |---|---|
//! | [`queue`] | the local queue (SQLite, WAL, synchronous FULL): queued, delivered, refused |
//! | [`server`] | the attendance API client (HTTP or HTTPS with the CA certificates given) |
//! | [`contactless`] | PC/SC: readers, waiting for a card, reading its UID |
//! | [`announce`] | what the reception sees and hears |
#![forbid(unsafe_code)]

pub mod announce;
pub mod contactless;
pub mod queue;
pub mod server;
