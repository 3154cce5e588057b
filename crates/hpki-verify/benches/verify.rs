//! Verification throughput of issue #5: CAdES B-LT documents verified per second, one thread,
//! as a ratio to the raw single-thread RSA-2048 PKCS#1 v1.5 SHA-256 *verify* rate (aws-lc-rs)
//! measured in the same run.
//!
//! `cargo bench -p hpki-verify --bench verify`
//!
//! The documents: `HPKI_BENCH_VERIFY_N` referral letters of 2 KiB, each signed at B-LT by its
//! own doctor (RSA-2048) under a demo CA made in-process — the signature time-stamp of the CA's
//! TSA, the signer's and the TSA's chains, the signing CA's and the root's CRLs and the signer's
//! OCSP response embedded (RFC 5940), as `hpki sign --level lt` makes them. Each verification
//! is the full [`hpki_verify::document::verify`] offline: CMS signature and digest, the token
//! and its TSA's path and revocation, the signer's path at the proven time with its CRLs and
//! OCSP, hcRole, the status now. Two rates:
//!
//! - **cold**: the process memos ([`hpki_verify::memo`]: decoded certificates and CRLs,
//!   validated paths, verified signatures) are emptied before every document, as `hpki verify`
//!   sees a single file;
//! - **service**: emptied once per round, then every document verified once: what is the same
//!   in all (CA and TSA certificates, CRLs, the TSA's path) is decoded, verified and validated
//!   once per round, what is each document's own (signature, token, signer certificate and
//!   path, OCSP response) every time.
//!
//! The bench runs with the allocator of the `hpki` binary (mimalloc), as the product does.
//!
//! Target: >= 20 % of the raw verify rate. A bench reports; it always exits 0 when it could
//! measure, whatever the numbers. Environment (optional): `HPKI_BENCH_VERIFY_N` (documents,
//! default 100), `HPKI_BENCH_DIR` (parent of the temporary data directory).

use std::time::Instant;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use aws_lc_rs::signature::{
    KeyPair, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, UnparsedPublicKey,
};
use hpki_sign::Level;
use hpki_sign::cades::{self, Packaging};
use hpki_verify::document::{self, Document, Verdict, VerifyOptions};

use hpki_testkit::signing_world::{BoxError, SigningWorld};

/// The allocator of the `hpki` binary (crates/hpki-cli/src/main.rs).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rounds of raw verifying and document verifying, alternated.
const ROUNDS: usize = 5;
/// Seconds of raw verifying in all.
const RAW_SECS: f64 = 2.0;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("verify: measures only under `cargo bench`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("verify bench could not run: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), BoxError> {
    let parent = std::env::var_os("HPKI_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let world = SigningWorld::new(&parent)?;

    // The doctors, and one B-LT document from each: every document has its own signer
    // certificate, signature, time-stamp token and OCSP response; the CA certificates, the TSA
    // certificate and the CRLs are the same in all, as in a day's referral letters.
    let n = std::env::var("HPKI_BENCH_VERIFY_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100usize)
        .max(2);
    eprintln!("bench: {n} doctors sign one B-LT letter each…");
    let mut documents = Vec::with_capacity(n);
    for i in 0..n {
        let (key, cert) = world.doctor()?;
        let letter: Vec<u8> =
            format!("診療情報提供書（紹介状）第{i}号。日医病院 内科 御侍史。患者: 日医 花子 様。")
                .repeat(24)
                .into_bytes();
        let ctx = world.context(&key, &cert);
        let signature = cades::sign(&ctx, &letter, Packaging::Detached, Level::Lt)?;
        documents.push((signature, letter));
    }
    let trust = document::TrustAnchors::new([world.root.clone()]);
    let options = VerifyOptions::at(hpki_clock::Clock::now(&world.clock));
    let verify = |(signature, letter): &(Vec<u8>, Vec<u8>)| {
        document::verify(&Document::detached(signature, letter), &trust, &options)
    };
    for doc in &documents {
        let report = verify(doc);
        let sig = report
            .signatures
            .first()
            .ok_or("no signature in the report")?;
        if report.overall != Verdict::Valid || sig.level != Some(document::Level::Lt) {
            return Err(format!(
                "a bench document does not verify as B-LT:\n{}",
                report.to_text(document::Lang::En)
            )
            .into());
        }
    }
    let (signature, letter) = &documents[0];
    let info = cades::inspect(signature)?;

    let mut raw = RawVerifier::new()?;
    // Cold: every document as the first one of the process (`hpki verify` on one file).
    // Service: each round starts with nothing remembered and verifies every document once
    // (a verification service, the /verify page, the archive's renewal job).
    let (mut cold_secs, mut service_secs) = (0.0, 0.0);
    for _ in 0..ROUNDS {
        raw.run(RAW_SECS / ROUNDS as f64)?;
        let start = Instant::now();
        for doc in &documents {
            hpki_verify::memo::forget();
            let r = verify(doc);
            if r.overall != Verdict::Valid {
                return Err("a verification failed".into());
            }
            std::hint::black_box(r);
        }
        cold_secs += start.elapsed().as_secs_f64();
        hpki_verify::memo::forget();
        let start = Instant::now();
        for doc in &documents {
            let r = verify(doc);
            if r.overall != Verdict::Valid {
                return Err("a verification failed".into());
            }
            std::hint::black_box(r);
        }
        service_secs += start.elapsed().as_secs_f64();
    }
    let raw_rate = raw.count as f64 / raw.secs;
    println!(
        "documents: {n} × CAdES B-LT detached, {} bytes each ({} certificates, {} CRLs, {} OCSP response, {} signature time-stamp), letter {} bytes, each from its own doctor",
        signature.len(),
        info.certificates.len(),
        info.crls.len(),
        info.ocsp_responses.len(),
        info.signature_time_stamps.len(),
        letter.len()
    );
    println!("raw RSA-2048 PKCS#1 v1.5 SHA-256 verify (1 thread): {raw_rate:.0}/s");
    for (what, secs) in [
        ("cold (each document alone)", cold_secs),
        (
            "service (CA certificates and CRLs remembered)",
            service_secs,
        ),
    ] {
        let doc_rate = (n * ROUNDS) as f64 / secs;
        println!(
            "CAdES B-LT full verification, {what}, 1 thread: {doc_rate:.0} documents/s = {:.1} % of raw verify ({:.1} raw verifies' time per document; target >= 20 %)",
            100.0 * doc_rate / raw_rate,
            raw_rate / doc_rate
        );
    }
    Ok(())
}

/// Raw aws-lc-rs verifies of one RSA-2048 PKCS#1 v1.5 SHA-256 signature over 1,200 bytes (the
/// size of a certificate's signed part), the public key parsed each time as a verifier of a
/// new document does.
struct RawVerifier {
    public_key: Vec<u8>,
    message: Vec<u8>,
    signature: Vec<u8>,
    count: u64,
    secs: f64,
}

impl RawVerifier {
    fn new() -> Result<Self, BoxError> {
        let key = RsaKeyPair::generate(KeySize::Rsa2048).map_err(|e| format!("RSA keygen: {e}"))?;
        let message = vec![0x5au8; 1200];
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            &message,
            &mut signature,
        )
        .map_err(|e| format!("RSA sign: {e}"))?;
        let public_key = key.public_key().as_ref().to_vec();
        let mut raw = RawVerifier {
            public_key,
            message,
            signature,
            count: 0,
            secs: 0.0,
        };
        for _ in 0..200 {
            raw.verify()?;
        }
        raw.count = 0;
        Ok(raw)
    }

    fn verify(&mut self) -> Result<(), BoxError> {
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(&self.message, &self.signature)
            .map_err(|_| "RSA verify failed")?;
        self.count += 1;
        Ok(())
    }

    /// Verifies for `secs` seconds, adding to the count.
    fn run(&mut self, secs: f64) -> Result<(), BoxError> {
        let start = Instant::now();
        while start.elapsed().as_secs_f64() < secs {
            for _ in 0..64 {
                self.verify()?;
            }
        }
        self.secs += start.elapsed().as_secs_f64();
        Ok(())
    }
}
