//! The archive of signed medical documents (電子署名文書の保管).
//!
//! Medical documents must be kept for the period their law sets (the e-document-law table of
//! the seed: 診断書 5 years, 調剤録 3 years, …; see [`types`]), and a signature must stay
//! verifiable all that time, long after the signer's and the TSA's certificates have expired.
//! [`Archive`] keeps each document as a B-LTA signature and keeps it alive:
//!
//! - **add** ([`Archive::add`]): the format is recognised (CAdES, PAdES, XAdES), the signature
//!   checked over its content (the detached content is required, and kept, for a detached
//!   signature) and every time-stamp over its input; a document below B-LTA is raised to
//!   B-LTA at once with the TSA and validation source given (CAdES: signature time-stamp,
//!   validation data, archive-time-stamp-v3; PAdES: DSS and a document time-stamp; XAdES:
//!   signature time-stamp, certificate and revocation values, archive time-stamp), so every
//!   archived document has an archive time-stamp from its first day. Its retention period
//!   counts from the signature's proven time (its earliest time-stamp on arrival; without
//!   one, the archiving time), or from a later date the operator gives (a 診療録's completion),
//!   as the civil code counts years ([`retention::retain_until`]).
//! - **renew** ([`Archive::renew_due`]): the job. A document's next archive time-stamp is due
//!   at the earliest `notAfter` of the latest archive time-stamp's TSA certificate and of the
//!   issuers of it the document carries, minus a safety margin (90 days by default,
//!   `renewal_margin_days`). Every document due gets one more archive time-stamp (after the
//!   validation data of the time-stamps already there), checked, and its bytes replaced in the
//!   transaction that writes the audit record; the next due date is computed from the new
//!   token. One document failing does not stop the others.
//! - **delete** ([`Archive::delete`]): only at or after the end of the retention period; the
//!   bytes are removed and the row stays as a tombstone (SHA-256 of the last bytes, who, why,
//!   when). A refused deletion is audited too (`archive.deletion_refused`): destroying a
//!   medical record early is an event the auditors must see, even when it fails.
//!
//! Audit actions: `archive.added`, `archive.renewed`, `archive.deleted`,
//! `archive.deletion_refused`, each on object `archive/<id>`.
//!
//! The network is reached only through the `hpki-sign` traits ([`TimeStamper`],
//! [`ValidationSource`]); `hpki-fetch` implements them over HTTP. Their calls block, so they
//! run on tokio's blocking pool.
#![forbid(unsafe_code)]

pub mod formats;
pub mod retention;
pub mod types;

use std::sync::Arc;

use hpki_sign::ltv::{TimeStamper, ValidationSource};
use hpki_sign::{Level, SignError};
use hpki_store::{
    ArchiveDocument, ArchiveDocumentRecord, ArchiveFilter, ArchiveRenewal, AuditEvent,
    NewArchiveDocument, Store, StoreError,
};
use hpki_text::{Localized, Text};
use serde_json::json;
use sha2::{Digest, Sha256};

pub use formats::{Examined, Format, TokenInfo};
pub use retention::{format_jst, parse_time, retain_until};
pub use types::{ArchiveConfig, DocumentType, DocumentTypes, Source};

/// Seconds in a day.
const DAY: i64 = 86_400;

/// What can go wrong in the archive; each with its [`Text`] in Japanese and English (`Display`
/// is English).
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// No document type of that name.
    #[error("unknown document type {0:?} (see `hpki archive types`)")]
    UnknownType(String),
    /// The bytes are none of the three formats.
    #[error("not a CAdES (DER CMS), PAdES (PDF) or XAdES (XML) signature")]
    UnknownFormat,
    /// A detached signature came without its content.
    #[error("the signature is detached: give the signed document as well (--detached FILE)")]
    DetachedContentNeeded,
    /// Content came with a signature that holds its own.
    #[error("the signature holds the document itself: no detached content is taken")]
    DetachedContentUnexpected,
    /// The signature cannot be read, does not verify, or cannot be extended.
    #[error("the signature cannot be archived: {0}")]
    Signature(#[from] SignError),
    /// A required text is empty.
    #[error("{0} must not be empty")]
    Empty(Text),
    /// No archived document with that number.
    #[error("no archived document {0}")]
    NotFound(i64),
    /// The document's bytes were deleted.
    #[error("document {id} was deleted at {at}")]
    Deleted {
        /// Its number.
        id: i64,
        /// When, JST.
        at: String,
    },
    /// A deletion before the end of the retention period.
    #[error(
        "deletion refused: document {id} ({document_type}, kept {years} years) must be kept until {until}"
    )]
    RetentionNotOver {
        /// Its number.
        id: i64,
        /// Its type, as `id name` in each language.
        document_type: Text,
        /// Its period.
        years: i64,
        /// The first moment it may be deleted, JST.
        until: String,
    },
    /// A retention start that would shorten the period.
    #[error(
        "the retention period cannot start at {given}, before the signature's time {earliest}: it may only be lengthened"
    )]
    RetainFromTooEarly {
        /// What was given, JST.
        given: String,
        /// The default start, JST.
        earliest: String,
    },
    /// A renewal produced no newer archive time-stamp.
    #[error("the renewal added no newer archive time-stamp")]
    RenewalNotAdded,
    /// The archive configuration (`archive.toml`) cannot be used.
    #[error("archive configuration: {0}")]
    Config(Text),
    /// A time that cannot be used.
    #[error("time: {0}")]
    Time(Text),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A background task failed.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ArchiveError {
    /// [`ArchiveError::Config`] in Japanese and English.
    pub fn config(ja: impl Into<String>, en: impl Into<String>) -> Self {
        ArchiveError::Config(Text::new(ja, en))
    }
}

impl Localized for ArchiveError {
    fn text(&self) -> Text {
        match self {
            ArchiveError::UnknownType(f0) => Text::new(
                format!("文書種別 {f0:?} はありません（hpki archive types を参照）"),
                format!("unknown document type {f0:?} (see `hpki archive types`)"),
            ),
            ArchiveError::UnknownFormat => Text::new(
                "CAdES（DER の CMS）・PAdES（PDF）・XAdES（XML）の署名文書ではありません",
                "not a CAdES (DER CMS), PAdES (PDF) or XAdES (XML) signature",
            ),
            ArchiveError::DetachedContentNeeded => Text::new(
                "分離署名です。署名対象の文書も指定してください（--detached）",
                "the signature is detached: give the signed document as well (--detached FILE)",
            ),
            ArchiveError::DetachedContentUnexpected => Text::new(
                "署名に文書が含まれているため、分離した文書は指定できません",
                "the signature holds the document itself: no detached content is taken",
            ),
            ArchiveError::Signature(e) => e.text().after(Text::new(
                "署名文書を保管できません",
                "the signature cannot be archived",
            )),
            ArchiveError::Empty(what) => Text::new(
                format!("{}を指定してください", what.ja),
                format!("{} must not be empty", what.en),
            ),
            ArchiveError::NotFound(f0) => Text::new(
                format!("文書 {f0} は保管されていません"),
                format!("no archived document {f0}"),
            ),
            ArchiveError::Deleted { id, at } => Text::new(
                format!("文書 {id} は {at} に削除されています"),
                format!("document {id} was deleted at {at}"),
            ),
            ArchiveError::RetentionNotOver {
                id,
                document_type,
                years,
                until,
            } => Text::new(
                format!(
                    "削除できません: 文書 {id}（{}、保存期間 {years} 年）は {until} まで保存しなければなりません",
                    document_type.ja
                ),
                format!(
                    "deletion refused: document {id} ({document_type}, kept {years} years) must be kept until {until}"
                ),
            ),
            ArchiveError::RetainFromTooEarly { given, earliest } => Text::new(
                format!(
                    "保存期間の起算日 {given} は署名時刻 {earliest} より前にできません（延長のみ可能）"
                ),
                format!(
                    "the retention period cannot start at {given}, before the signature's time {earliest}: it may only be lengthened"
                ),
            ),
            ArchiveError::RenewalNotAdded => Text::new(
                "新しいアーカイブタイムスタンプが付与されませんでした",
                "the renewal added no newer archive time-stamp",
            ),
            ArchiveError::Config(t) => t.clone().after(Text::new(
                "文書保管の設定が不正です",
                "archive configuration",
            )),
            ArchiveError::Time(t) => t.clone(),
            ArchiveError::Store(e) => e.text(),
            ArchiveError::Internal(f0) => {
                Text::new(format!("内部エラー: {f0}"), format!("internal error: {f0}"))
            }
        }
    }
}

/// Where time-stamps and validation data come from (`hpki-fetch` over HTTP, or in-process).
#[derive(Clone)]
pub struct Sources {
    /// The TSA of the archive time-stamps (and of missing signature time-stamps).
    pub time_stamper: Arc<dyn TimeStamper>,
    /// Certificates, CRLs and OCSP responses for the signer and the TSAs.
    pub validation: Arc<dyn ValidationSource>,
}

/// A document to archive.
#[derive(Clone, Debug)]
pub struct NewDocument {
    /// The document type: its id or Japanese name (see [`DocumentTypes`]).
    pub document_type: String,
    /// A title for the operator (「診断書 日医花子様 2026-04-01」).
    pub title: String,
    /// The file name it came as.
    pub file_name: String,
    /// The signed bytes: DER CMS, PDF or XML.
    pub signed: Vec<u8>,
    /// The signed content of a detached signature.
    pub detached_content: Option<Vec<u8>>,
    /// Count the retention period from this later time (Unix seconds) instead of the
    /// signature's time, e.g. the day a 診療録 was completed (完結の日). It may only lengthen
    /// the period.
    pub retain_from: Option<i64>,
}

/// What [`Archive::add`] did.
#[derive(Clone, Debug)]
pub struct Added {
    /// The stored record.
    pub record: ArchiveDocumentRecord,
    /// The level the document came at.
    pub level_on_arrival: Level,
    /// Whether the archive raised it to B-LTA.
    pub raised: bool,
    /// The archive time-stamp the next renewal must come before.
    pub latest: TokenInfo,
}

/// One document renewed by [`Archive::renew_due`].
#[derive(Clone, Debug)]
pub struct Renewed {
    /// Its number.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// The new archive time-stamp.
    pub time_stamp: TokenInfo,
    /// When the next one is due, Unix seconds.
    pub next_renewal_due: i64,
    /// Renewals so far.
    pub renewals: i64,
    /// The previous archive time-stamp's TSA chain had expired already: the renewal came too
    /// late for an unbroken chain of proof (ETSI: renew before it expires).
    pub late: bool,
    /// The new time-stamp does not move the due date past the job's time: its TSA's
    /// certificate expires within the margin too (renew the TSA's certificate).
    pub still_due: bool,
}

/// One document the job could not renew.
#[derive(Clone, Debug)]
pub struct RenewalFailure {
    /// Its number.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Why, in both languages.
    pub error: Text,
}

/// What the renewal job reports as it goes.
#[derive(Clone, Debug)]
pub enum RenewalEvent {
    /// The documents due were found.
    Started {
        /// How many.
        total: usize,
    },
    /// One was renewed.
    Renewed(Renewed),
    /// One failed (the others go on).
    Failed(RenewalFailure),
}

/// What [`Archive::renew_due`] did.
#[derive(Clone, Debug, Default)]
pub struct RenewalReport {
    /// Renewed documents.
    pub renewed: Vec<Renewed>,
    /// Documents that failed.
    pub failed: Vec<RenewalFailure>,
}

/// The archive engine over a [`Store`].
#[derive(Clone, Debug)]
pub struct Archive {
    store: Store,
    config: ArchiveConfig,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Runs blocking work (network, signature checks) off the async runtime.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ArchiveError> + Send + 'static,
) -> Result<T, ArchiveError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ArchiveError::Internal(e.to_string()))?
}

impl Archive {
    /// The archive kept in `store`, with `config`'s document types and margin.
    pub fn new(store: Store, config: ArchiveConfig) -> Self {
        Archive { store, config }
    }

    /// Its configuration.
    pub fn config(&self) -> &ArchiveConfig {
        &self.config
    }

    /// When the archive time-stamp after `latest` is due: the earliest expiry of its TSA's
    /// chain minus the margin.
    pub fn renewal_due_after(&self, latest: &TokenInfo) -> i64 {
        latest
            .chain_not_after
            .saturating_sub(i64::from(self.config.renewal_margin_days) * DAY)
    }

    /// Archives `doc` as `actor` at `now` (Unix seconds): checks it, raises it to B-LTA with
    /// `sources` when it is below, computes its retention and renewal dates, and stores it with
    /// its `archive.added` audit record.
    ///
    /// # Errors
    /// [`ArchiveError::UnknownType`], [`ArchiveError::Empty`], [`ArchiveError::UnknownFormat`],
    /// the detached-content errors, [`ArchiveError::Signature`] for a signature that does not
    /// verify or cannot be extended (TSA, validation source),
    /// [`ArchiveError::RetainFromTooEarly`], store errors. Nothing is stored on error.
    pub async fn add(
        &self,
        doc: NewDocument,
        sources: &Sources,
        actor: &str,
        now: i64,
    ) -> Result<Added, ArchiveError> {
        let doc_type = self
            .config
            .types
            .find(&doc.document_type)
            .ok_or_else(|| ArchiveError::UnknownType(doc.document_type.clone()))?
            .clone();
        for (what, value) in [
            (Text::new("表題", "title"), &doc.title),
            (Text::new("ファイル名", "file name"), &doc.file_name),
            (Text::new("操作者", "actor"), &actor.to_owned()),
        ] {
            if value.trim().is_empty() {
                return Err(ArchiveError::Empty(what));
            }
        }
        let format = Format::detect(&doc.signed)?;
        let (signed, detached, sources_) = (
            doc.signed.clone(),
            doc.detached_content.clone(),
            sources.clone(),
        );
        let (arrival, lta, after) = blocking(move || {
            let arrival = formats::examine(format, &signed, detached.as_deref())?;
            let lta = formats::make_lta(
                &arrival,
                &signed,
                detached.as_deref(),
                sources_.time_stamper.as_ref(),
                sources_.validation.as_ref(),
            )?;
            let after = formats::examine(format, &lta, detached.as_deref())?;
            Ok((arrival, lta, after))
        })
        .await?;
        let latest = after
            .latest_archive_time_stamp()
            .cloned()
            .ok_or(ArchiveError::RenewalNotAdded)?;
        let signed_at = arrival.proven_time();
        let default_from = signed_at.unwrap_or(now).min(now);
        let retain_from = match doc.retain_from {
            Some(given) if given < default_from => {
                return Err(ArchiveError::RetainFromTooEarly {
                    given: format_jst(given),
                    earliest: format_jst(default_from),
                });
            }
            Some(given) => given,
            None => default_from,
        };
        let until = retain_until(retain_from, doc_type.retention_years)?;
        let next_due = self.renewal_due_after(&latest);
        let subscriber_id = formats::subscriber_id(&arrival.signer);
        let signer_subject = arrival.signer.tbs_certificate().subject().to_string();
        let new = NewArchiveDocument {
            document_type: doc_type.id.clone(),
            title: doc.title.trim().to_owned(),
            file_name: doc.file_name.clone(),
            format: format.as_str().to_owned(),
            sha256: sha256_hex(&lta),
            content_sha256: doc.detached_content.as_deref().map(sha256_hex),
            signed: lta,
            detached_content: doc.detached_content.clone(),
            signer_subject: signer_subject.clone(),
            subscriber_id: subscriber_id.clone(),
            signed_at,
            archived_at: now,
            archived_by: actor.to_owned(),
            retain_from,
            retain_years: i64::from(doc_type.retention_years),
            retain_until: until,
            last_time_stamp_at: latest.gen_time,
            next_renewal_due: next_due,
        };
        let audit = AuditEvent {
            actor: actor.to_owned(),
            action: "archive.added".into(),
            object: "archive".into(),
            details: json!({
                "document_type": doc_type.id,
                "document_type_ja": doc_type.ja,
                "basis": doc_type.basis,
                "retention_years": doc_type.retention_years,
                "retention_source": doc_type.source.as_str(),
                "title": new.title,
                "file_name": new.file_name,
                "format": format.as_str(),
                "level_on_arrival": arrival.level.name(),
                "raised_to_lta": arrival.archive_time_stamps.is_empty(),
                "sha256": new.sha256,
                "content_sha256": new.content_sha256,
                "signer": signer_subject,
                "subscriber_id": subscriber_id,
                "signed_at": signed_at,
                "retain_from": retain_from,
                "retain_until": until,
                "archive_time_stamp": {
                    "serial": latest.serial_hex,
                    "tsa": latest.tsa_subject,
                    "gen_time": latest.gen_time,
                },
                "next_renewal_due": next_due,
            }),
        };
        let id = self.store.add_archive_document(&new, &audit).await?;
        let record = self.get(id).await?.record;
        Ok(Added {
            record,
            level_on_arrival: arrival.level,
            raised: arrival.archive_time_stamps.is_empty(),
            latest,
        })
    }

    /// The archived documents `filter` selects, without their bytes.
    pub async fn list(
        &self,
        filter: ArchiveFilter,
    ) -> Result<Vec<ArchiveDocumentRecord>, ArchiveError> {
        Ok(self.store.archive_documents(filter).await?)
    }

    /// The documents (not deleted) whose next archive time-stamp is due at `now`.
    pub async fn due(&self, now: i64) -> Result<Vec<ArchiveDocumentRecord>, ArchiveError> {
        self.list(ArchiveFilter {
            due_at: Some(now),
            include_deleted: false,
        })
        .await
    }

    /// Document `id` with its bytes (none once deleted).
    ///
    /// # Errors
    /// [`ArchiveError::NotFound`].
    pub async fn get(&self, id: i64) -> Result<ArchiveDocument, ArchiveError> {
        self.store
            .archive_document(id)
            .await?
            .ok_or(ArchiveError::NotFound(id))
    }

    /// The current signed bytes of document `id` (with every archive time-stamp so far) and
    /// its detached content.
    ///
    /// # Errors
    /// [`ArchiveError::NotFound`], [`ArchiveError::Deleted`].
    pub async fn export(&self, id: i64) -> Result<(Vec<u8>, Option<Vec<u8>>), ArchiveError> {
        let doc = self.get(id).await?;
        match (doc.signed, doc.record.deleted_at) {
            (Some(signed), None) => Ok((signed, doc.detached_content)),
            (_, at) => Err(ArchiveError::Deleted {
                id,
                at: at.map(format_jst).unwrap_or_default(),
            }),
        }
    }

    /// The renewal job as of `now` (Unix seconds): every document not deleted whose next
    /// renewal is due at `now` gets one more archive time-stamp from `sources`, its bytes
    /// replaced with the `archive.renewed` audit record in one transaction. `progress` hears
    /// of each document; a failure is reported and the job goes on.
    ///
    /// # Errors
    /// Only when the documents due cannot be listed; per-document errors are in the report.
    pub async fn renew_due(
        &self,
        now: i64,
        sources: &Sources,
        actor: &str,
        progress: &mut (dyn FnMut(&RenewalEvent) + Send),
    ) -> Result<RenewalReport, ArchiveError> {
        let due: Vec<(i64, String)> = self
            .due(now)
            .await?
            .into_iter()
            .map(|r| (r.id, r.title))
            .collect();
        Ok(self.renew_each(&due, now, sources, actor, progress).await)
    }

    /// Adds one archive time-stamp to each of the documents `ids` at `now`, due or not (after
    /// the TSA's certificate was replaced, or when a hash algorithm weakens), reporting as
    /// [`Archive::renew_due`] does; an unknown or deleted document is a failure.
    pub async fn renew_documents(
        &self,
        ids: &[i64],
        now: i64,
        sources: &Sources,
        actor: &str,
        progress: &mut (dyn FnMut(&RenewalEvent) + Send),
    ) -> RenewalReport {
        let mut named = Vec::new();
        for id in ids {
            let title = match self.store.archive_document_record(*id).await {
                Ok(Some(r)) => r.title,
                _ => String::new(),
            };
            named.push((*id, title));
        }
        self.renew_each(&named, now, sources, actor, progress).await
    }

    async fn renew_each(
        &self,
        documents: &[(i64, String)],
        now: i64,
        sources: &Sources,
        actor: &str,
        progress: &mut (dyn FnMut(&RenewalEvent) + Send),
    ) -> RenewalReport {
        progress(&RenewalEvent::Started {
            total: documents.len(),
        });
        let mut report = RenewalReport::default();
        for (id, title) in documents {
            match self.renew_one(*id, now, sources, actor).await {
                Ok(r) => {
                    progress(&RenewalEvent::Renewed(r.clone()));
                    report.renewed.push(r);
                }
                Err(e) => {
                    let failure = RenewalFailure {
                        id: *id,
                        title: title.clone(),
                        error: e.text(),
                    };
                    progress(&RenewalEvent::Failed(failure.clone()));
                    report.failed.push(failure);
                }
            }
        }
        report
    }

    /// Adds one archive time-stamp to document `id` now, due or not (see
    /// [`Archive::renew_due`]).
    ///
    /// # Errors
    /// [`ArchiveError::NotFound`], [`ArchiveError::Deleted`], [`ArchiveError::Signature`]
    /// when the stored document no longer verifies or a source fails,
    /// [`ArchiveError::RenewalNotAdded`], store errors (a concurrent renewal or deletion).
    pub async fn renew_one(
        &self,
        id: i64,
        now: i64,
        sources: &Sources,
        actor: &str,
    ) -> Result<Renewed, ArchiveError> {
        let doc = self.get(id).await?;
        let record = doc.record;
        let (Some(signed), None) = (doc.signed, record.deleted_at) else {
            return Err(ArchiveError::Deleted {
                id,
                at: record.deleted_at.map(format_jst).unwrap_or_default(),
            });
        };
        let format = Format::parse(&record.format).ok_or_else(|| {
            ArchiveError::Store(StoreError::corrupt(
                format!("保管文書 {id} の形式 {:?} は不明です", record.format),
                format!("archive document {id}: format {:?}", record.format),
            ))
        })?;
        let (detached, sources_) = (doc.detached_content, sources.clone());
        let (before, renewed, after) = blocking(move || {
            let before = formats::examine(format, &signed, detached.as_deref())?;
            let renewed = formats::renew(
                format,
                &signed,
                detached.as_deref(),
                sources_.time_stamper.as_ref(),
                sources_.validation.as_ref(),
            )?;
            let after = formats::examine(format, &renewed, detached.as_deref())?;
            Ok((before, renewed, after))
        })
        .await?;
        let previous = before.latest_archive_time_stamp().cloned();
        let latest = after
            .latest_archive_time_stamp()
            .cloned()
            .ok_or(ArchiveError::RenewalNotAdded)?;
        if after.archive_time_stamps.len() <= before.archive_time_stamps.len()
            || previous
                .as_ref()
                .is_some_and(|p| latest.gen_time < p.gen_time)
        {
            return Err(ArchiveError::RenewalNotAdded);
        }
        let next_due = self.renewal_due_after(&latest);
        let late = previous.as_ref().is_some_and(|p| now >= p.chain_not_after);
        let renewal = ArchiveRenewal {
            sha256: sha256_hex(&renewed),
            signed: renewed,
            last_time_stamp_at: latest.gen_time,
            next_renewal_due: next_due,
        };
        let audit = AuditEvent {
            actor: actor.to_owned(),
            action: "archive.renewed".into(),
            object: format!("archive/{id}"),
            details: json!({
                "as_of": now,
                "archive_time_stamp": {
                    "serial": latest.serial_hex,
                    "tsa": latest.tsa_subject,
                    "gen_time": latest.gen_time,
                    "tsa_not_after": latest.tsa_not_after,
                },
                "previous_serial": previous.as_ref().map(|p| p.serial_hex.clone()),
                "previous_due": record.next_renewal_due,
                "next_renewal_due": next_due,
                "late": late,
                "sha256": renewal.sha256,
                "previous_sha256": record.sha256,
                "archive_time_stamps": after.archive_time_stamps.len(),
            }),
        };
        self.store
            .renew_archive_document(id, record.renewals, &renewal, &audit)
            .await?;
        Ok(Renewed {
            id,
            title: record.title,
            time_stamp: latest,
            next_renewal_due: next_due,
            renewals: record.renewals + 1,
            late,
            still_due: next_due <= now,
        })
    }

    /// Deletes the bytes of document `id` as `actor` for `reason` at `now` (Unix seconds),
    /// keeping its row as a tombstone — only once its retention period has ended
    /// (`now` ≥ `retain_until`). A refused deletion is audited (`archive.deletion_refused`).
    ///
    /// # Errors
    /// [`ArchiveError::Empty`] without a reason, [`ArchiveError::NotFound`],
    /// [`ArchiveError::Deleted`], [`ArchiveError::RetentionNotOver`] (audited), store errors.
    pub async fn delete(
        &self,
        id: i64,
        actor: &str,
        reason: &str,
        now: i64,
    ) -> Result<ArchiveDocumentRecord, ArchiveError> {
        if reason.trim().is_empty() {
            return Err(ArchiveError::Empty(Text::new("理由", "reason")));
        }
        if actor.trim().is_empty() {
            return Err(ArchiveError::Empty(Text::new("操作者", "actor")));
        }
        let record = self
            .store
            .archive_document_record(id)
            .await?
            .ok_or(ArchiveError::NotFound(id))?;
        if let Some(at) = record.deleted_at {
            return Err(ArchiveError::Deleted {
                id,
                at: format_jst(at),
            });
        }
        let type_label = match self.config.types.find(&record.document_type) {
            Some(t) => Text::new(format!("{} {}", t.id, t.ja), format!("{} {}", t.id, t.en)),
            None => Text::same(record.document_type.clone()),
        };
        if now < record.retain_until {
            self.store
                .append_audit(&AuditEvent {
                    actor: actor.to_owned(),
                    action: "archive.deletion_refused".into(),
                    object: format!("archive/{id}"),
                    details: json!({
                        "reason": reason.trim(),
                        "as_of": now,
                        "retain_until": record.retain_until,
                        "document_type": record.document_type,
                    }),
                })
                .await?;
            return Err(ArchiveError::RetentionNotOver {
                id,
                document_type: type_label,
                years: record.retain_years,
                until: format_jst(record.retain_until),
            });
        }
        let audit = AuditEvent {
            actor: actor.to_owned(),
            action: "archive.deleted".into(),
            object: format!("archive/{id}"),
            details: json!({
                "reason": reason.trim(),
                "as_of": now,
                "retain_until": record.retain_until,
                "document_type": record.document_type,
                "title": record.title,
                "sha256": record.sha256,
                "content_sha256": record.content_sha256,
            }),
        };
        self.store
            .delete_archive_document(id, now, actor, reason.trim(), &audit)
            .await?;
        Ok(self.get(id).await?.record)
    }
}
