//! The archive engine against a demo CA made in-process and served on loopback (TSA, CRLs,
//! OCSP through hpki-fetch), with the documents signed here by a doctor's software key:
//! CAdES B-T detached, PAdES B-B, XAdES B-T enveloped and B-B detached. Checked: each is kept
//! at B-LTA, the job renews nothing before the due date and one archive time-stamp per
//! document after it (a failing TSA call fails one document, not the job), the renewed bytes
//! still verify, deletion is refused before the retention period ends and leaves a tombstone
//! after, and every step is in an intact audit log.

use hpki_text::Localized;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use der::DecodePem;
use hpki_archive::{
    Archive, ArchiveConfig, ArchiveError, Format, NewDocument, RenewalEvent, Sources, formats,
    retain_until,
};
use hpki_ca::CaName;
use hpki_ca::ceremony::{DEMO_SUBSCRIBER, InitOptions, build_csr, init};
use hpki_fetch::{HttpTimeStamper, HttpValidationSource};
use hpki_keys::{KeyKind, SoftwareKey};
use hpki_sign::ltv::TimeStamper;
use hpki_sign::{DigestAlgorithm, Level, SignContext, SignError, cades, pades, xades};
use hpki_store::{ArchiveFilter, AuditVerification, Store};
use x509_cert::Certificate;

const LETTER: &[u8] =
    "診療情報提供書（紹介状）\n日医病院 内科 御侍史\n患者: 日医 花子\n".as_bytes();
const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<診断書><患者>日医 花子</患者><病名>感冒</病名></診断書>\n";

/// A demo CA served on loopback and a doctor's key and certificate from it.
struct Demo {
    rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    base: String,
    key: SoftwareKey,
    cert: Certificate,
    chain: Vec<Certificate>,
}

impl Demo {
    fn start() -> Demo {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let dir = tempfile::tempdir().expect("tempdir");
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let opts = InitOptions {
            demo: true,
            database_url: None,
            public_base_url: base.clone(),
            passphrase: "archive test".into(),
            actor: "test".into(),
            hsm: None,
        };
        let engine = Arc::new(
            rt.block_on(init(&dir.path().join("ca"), &opts, &mut |_| {}))
                .expect("init"),
        );
        let key = SoftwareKey::generate(KeyKind::Rsa(2048)).expect("key");
        let csr = build_csr(&key, x509_cert::name::Name::default()).expect("csr");
        let issued = rt
            .block_on(engine.issue(
                CaName::Sign,
                &hpki_ca::issue::CheckedCsr::parse(&csr).expect("CSR"),
                &engine.subject(DEMO_SUBSCRIBER).expect("subject"),
            ))
            .expect("issue");
        let ca_cert = |name| engine.authority(name).expect("CA").ca.cert.clone();
        let chain = vec![ca_cert(CaName::Sign), ca_cert(CaName::Root)];
        let (tx, rx) = std::sync::mpsc::channel();
        let server = engine.clone();
        rt.spawn(async move {
            hpki_server::serve(server, format!("127.0.0.1:{port}").parse().unwrap(), |_| {
                let _ = tx.send(());
            })
            .await
            .expect("serve");
        });
        rx.recv().expect("server up");
        Demo {
            rt,
            _dir: dir,
            base,
            key,
            cert: Certificate::from_pem(issued.pem().as_bytes()).expect("leaf"),
            chain,
        }
    }

    fn stamper(&self) -> HttpTimeStamper {
        HttpTimeStamper::new(format!("{}/tsa", self.base))
    }

    fn sources(&self) -> Sources {
        Sources {
            time_stamper: Arc::new(self.stamper()),
            validation: Arc::new(HttpValidationSource::new(self.chain.clone())),
        }
    }

    /// Signs with `f` at `level` (a TSA for B-T).
    fn sign<T>(&self, f: impl FnOnce(&SignContext<'_>) -> Result<T, SignError>) -> T {
        let stamper = self.stamper();
        let ctx = SignContext {
            signer: &self.key,
            certificate: &self.cert,
            chain: &self.chain[..1],
            signing_time: hpki_clock::Clock::now(&hpki_clock::SystemClock),
            time_stamper: Some(&stamper),
            validation: None,
        };
        f(&ctx).expect("sign")
    }
}

/// A TSA that refuses its first `fail` calls, then asks `inner`.
struct Flaky {
    inner: HttpTimeStamper,
    fail: usize,
    calls: AtomicUsize,
}

impl TimeStamper for Flaky {
    fn time_stamp(&self, algorithm: DigestAlgorithm, digest: &[u8]) -> Result<Vec<u8>, SignError> {
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.fail {
            return Err(SignError::Fetch(hpki_text::Text::new(
                "タイムスタンプ局が停止中です",
                "the TSA is down",
            )));
        }
        self.inner.time_stamp(algorithm, digest)
    }
}

fn now() -> i64 {
    hpki_clock::Clock::now(&hpki_clock::SystemClock)
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn doc(ty: &str, title: &str, file: &str, signed: Vec<u8>, detached: Option<&[u8]>) -> NewDocument {
    NewDocument {
        document_type: ty.into(),
        title: title.into(),
        file_name: file.into(),
        signed,
        detached_content: detached.map(<[u8]>::to_vec),
        retain_from: None,
    }
}

#[test]
fn documents_are_kept_at_lta_renewed_when_due_and_deleted_only_after_their_period() {
    let demo = Demo::start();
    let sources = demo.sources();
    let cades_bt = demo.sign(|ctx| cades::sign(ctx, LETTER, cades::Packaging::Detached, Level::T));
    let pdf = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/card-face.pdf"),
    )
    .expect("a PDF");
    let pades_bb =
        demo.sign(|ctx| pades::sign(ctx, &pdf, Level::B, &pades::PadesOptions::default()));
    let xades_bt = demo.sign(|ctx| xades::sign_enveloped(ctx, XML, Level::T));
    let xades_detached_bb =
        demo.sign(|ctx| xades::sign_detached(ctx, LETTER, "letter.txt", Level::B));

    demo.rt.block_on(async {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        let archive = Archive::new(store.clone(), ArchiveConfig::default());
        let t0 = now();

        // Refusals before anything is stored.
        let e = archive
            .add(
                doc("prescription", "x", "x.p7s", cades_bt.clone(), Some(LETTER)),
                &sources,
                "test",
                t0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ArchiveError::UnknownType(_)), "{e}");
        let e = archive
            .add(
                doc(
                    "紹介状（診療情報提供書）",
                    "x",
                    "x.p7s",
                    cades_bt.clone(),
                    None,
                ),
                &sources,
                "test",
                t0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ArchiveError::DetachedContentNeeded), "{e}");
        let e = archive
            .add(
                doc(
                    "referral-letter",
                    "x",
                    "x.p7s",
                    cades_bt.clone(),
                    Some(b"another letter"),
                ),
                &sources,
                "test",
                t0,
            )
            .await
            .unwrap_err();
        assert!(e.text().ja.contains("改ざん"), "a changed letter: {e}");
        assert!(
            e.to_string().contains("(it was changed)"),
            "a changed letter: {e}"
        );
        let e = archive
            .add(
                doc("referral-letter", "x", "x.txt", LETTER.to_vec(), None),
                &sources,
                "test",
                t0,
            )
            .await
            .unwrap_err();
        assert!(matches!(e, ArchiveError::UnknownFormat), "{e}");
        let mut too_early = doc(
            "referral-letter",
            "x",
            "x.p7s",
            cades_bt.clone(),
            Some(LETTER),
        );
        too_early.retain_from = Some(t0 - 86_400 * 400);
        let e = archive
            .add(too_early, &sources, "test", t0)
            .await
            .unwrap_err();
        assert!(matches!(e, ArchiveError::RetainFromTooEarly { .. }), "{e}");
        assert!(
            archive
                .list(ArchiveFilter::default())
                .await
                .unwrap()
                .is_empty()
        );

        // Four documents, each kept at B-LTA.
        let mut ids = Vec::new();
        for (d, arrived) in [
            (
                doc(
                    "referral-letter",
                    "紹介状 日医花子様",
                    "letter.txt.p7s",
                    cades_bt.clone(),
                    Some(LETTER),
                ),
                Level::T,
            ),
            (
                doc(
                    "診断書",
                    "診断書 PDF",
                    "card-face.pdf",
                    pades_bb.clone(),
                    None,
                ),
                Level::B,
            ),
            (
                doc(
                    "medical-certificate",
                    "診断書 XML",
                    "shindansho.xml",
                    xades_bt.clone().into_bytes(),
                    None,
                ),
                Level::T,
            ),
            (
                doc(
                    "dispensing-record",
                    "調剤録",
                    "letter.xml",
                    xades_detached_bb.clone().into_bytes(),
                    Some(LETTER),
                ),
                Level::B,
            ),
        ] {
            let added = archive
                .add(d, &sources, "test", t0)
                .await
                .expect("archived");
            assert_eq!(added.level_on_arrival, arrived);
            assert!(added.raised);
            let r = &added.record;
            assert!(
                r.signer_subject.contains("Taro Nichii"),
                "{}",
                r.signer_subject
            );
            assert_eq!(r.subscriber_id.as_deref(), Some("JMA9999999999"));
            assert_eq!(
                r.next_renewal_due,
                added.latest.chain_not_after - 90 * 86_400
            );
            assert!(
                r.next_renewal_due > t0 + 86_400 * 365 * 5,
                "the demo TSA certificate is good for years"
            );
            ids.push(r.id);
        }
        assert_eq!(ids, [1, 2, 3, 4]);
        let record = |id: i64| {
            let archive = archive.clone();
            async move { archive.get(id).await.unwrap() }
        };
        // Retention: from the proven signing time (the B-T's time-stamp), 5 or 3 years.
        let letter = record(1).await.record;
        let signed_at = letter.signed_at.expect("a B-T signature proves its time");
        assert!(signed_at <= t0 && letter.retain_from == signed_at);
        assert_eq!(letter.retain_until, retain_until(signed_at, 5).unwrap());
        let dispensing = record(4).await.record;
        assert_eq!(dispensing.retain_years, 3);
        assert_eq!(dispensing.retain_from, t0, "B-B: counted from archiving");
        for (id, format) in
            ids.iter()
                .zip([Format::Cades, Format::Pades, Format::Xades, Format::Xades])
        {
            let d = record(*id).await;
            let signed = d.signed.clone().unwrap();
            let x = formats::examine(format, &signed, d.detached_content.as_deref()).unwrap();
            assert_eq!(x.level, Level::Lta, "document {id}");
            assert_eq!(x.archive_time_stamps.len(), 1, "document {id}");
        }
        let cades = cades::inspect(&record(1).await.signed.unwrap()).unwrap();
        assert_eq!(
            (cades.level, cades.archive_time_stamps.len()),
            (Level::Lta, 1)
        );
        let pdf_sigs = pades::signatures(&record(2).await.signed.unwrap()).unwrap();
        assert!(pdf_sigs.last().unwrap().is_document_time_stamp());

        // Not due yet: nothing renewed.
        let mut events = Vec::new();
        let report = archive
            .renew_due(t0 + 86_400, &sources, "job", &mut |e: &RenewalEvent| {
                events.push(format!("{e:?}"))
            })
            .await
            .unwrap();
        assert!(report.renewed.is_empty() && report.failed.is_empty());
        assert_eq!(events.len(), 1);

        // Past the due date, with the TSA refusing its first call: document 1 fails, the
        // other three are renewed; the next run renews document 1.
        let due = record(1).await.record.next_renewal_due + 86_400;
        let flaky = Sources {
            time_stamper: Arc::new(Flaky {
                inner: demo.stamper(),
                fail: 1,
                calls: AtomicUsize::new(0),
            }),
            validation: sources.validation.clone(),
        };
        let report = archive
            .renew_due(due, &flaky, "job", &mut |_| {})
            .await
            .unwrap();
        assert_eq!(report.failed.iter().map(|f| f.id).collect::<Vec<_>>(), [1]);
        assert!(
            report.failed[0].error.en.contains("TSA is down")
                && report.failed[0]
                    .error
                    .ja
                    .contains("タイムスタンプ局が停止中"),
            "{:?}",
            report.failed
        );
        assert_eq!(
            report.renewed.iter().map(|r| r.id).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        // The same TSA certificate: the due date does not move past the job's time.
        assert!(report.renewed.iter().all(|r| r.still_due && !r.late));
        assert_eq!(record(1).await.record.renewals, 0);
        let report = archive
            .renew_due(due, &sources, "job", &mut |_| {})
            .await
            .unwrap();
        // Documents 2-4 are still due too (same TSA certificate): each gets one more.
        assert_eq!(report.renewed.len(), 4);
        assert!(report.failed.is_empty());
        for (id, format, stamps) in [
            (1, Format::Cades, 2),
            (2, Format::Pades, 3),
            (3, Format::Xades, 3),
            (4, Format::Xades, 3),
        ] {
            let d = record(id).await;
            let x = formats::examine(
                format,
                d.signed.as_deref().unwrap(),
                d.detached_content.as_deref(),
            )
            .unwrap_or_else(|e| panic!("document {id} still verifies: {e}"));
            assert_eq!(x.archive_time_stamps.len(), stamps, "document {id}");
            assert_eq!(d.record.renewals, stamps as i64 - 1);
        }
        assert!(archive.due(t0 + 86_400).await.unwrap().is_empty());

        // Deletion: refused before the period ends (and audited), a tombstone after.
        let e = archive.delete(4, "clerk", "", t0).await.unwrap_err();
        assert!(matches!(e, ArchiveError::Empty(_)), "{e}");
        let e = archive
            .delete(4, "clerk", "no longer needed", t0)
            .await
            .unwrap_err();
        assert!(matches!(e, ArchiveError::RetentionNotOver { .. }), "{e}");
        assert!(
            e.to_string().contains("3 years") && e.text().ja.contains("保存期間"),
            "{e}"
        );
        assert!(record(4).await.signed.is_some());
        let until = record(4).await.record.retain_until;
        assert!(
            archive
                .delete(4, "clerk", "period over", until - 1)
                .await
                .is_err()
        );
        let gone = archive
            .delete(4, "clerk", "period over", until)
            .await
            .unwrap();
        assert_eq!(gone.deleted_at, Some(until));
        let d = record(4).await;
        assert_eq!((d.signed, d.detached_content), (None, None));
        assert!(matches!(
            archive.export(4).await,
            Err(ArchiveError::Deleted { .. })
        ));
        assert!(matches!(
            archive.delete(4, "clerk", "again", until).await,
            Err(ArchiveError::Deleted { .. })
        ));
        assert!(matches!(
            archive.export(9).await,
            Err(ArchiveError::NotFound(9))
        ));
        assert_eq!(
            archive.list(ArchiveFilter::default()).await.unwrap().len(),
            3
        );
        let (exported, content) = archive.export(1).await.unwrap();
        assert_eq!(content.as_deref(), Some(LETTER));
        assert_eq!(
            cades::inspect(&exported).unwrap().archive_time_stamps.len(),
            2
        );

        let actions: Vec<String> = store
            .audit_records()
            .await
            .unwrap()
            .into_iter()
            .map(|r| format!("{} {}", r.action, r.object))
            .collect();
        let count = |a: &str| actions.iter().filter(|x| x.starts_with(a)).count();
        assert_eq!(count("archive.added"), 4);
        assert_eq!(count("archive.renewed"), 7);
        assert_eq!(count("archive.deletion_refused archive/4"), 2);
        assert_eq!(count("archive.deleted archive/4"), 1);
        assert!(matches!(
            store.verify_audit().await.unwrap(),
            AuditVerification::Intact { .. }
        ));
    });
}
