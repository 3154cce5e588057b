//! Batch verification as a relying party runs it (issue #12): `hpki verify FILE…` over many
//! documents in one process, against `openssl cms -verify` run once per file over the same
//! files, in the same run. Target: the batch at least 5× faster than openssl per file.
//!
//! `cargo bench -p hpki-cli --bench verify_batch`
//!
//! The documents: `HPKI_BENCH_BATCH_N` (default 100) referral letters, each signed at B-LT
//! (enveloping `.p7m`: the letter inside, so that one command line takes them all) by its own
//! doctor of a demo CA made in-process, with the TSA's token and the chains, CRLs and OCSP
//! response embedded. hpki verifies each completely and offline (`--no-fetch`: signature,
//! time-stamp and its TSA's path and revocation, the signer's path and revocation at the proven
//! time, hcRole); openssl checks the CMS signature and the signer's chain only (`-purpose any`,
//! no revocation, no time-stamp), so the comparison favours openssl. Process start is counted
//! for both, as a user running them sees it. A bench reports; it exits 0 whenever it measured.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use der::EncodePem;
use hpki_sign::Level;
use hpki_sign::cades::{self, Packaging};
use hpki_testkit::signing_world::{BoxError, SigningWorld};

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets without it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("verify_batch: measures only under `cargo bench`");
        return;
    }
    if let Err(e) = run() {
        eprintln!("verify_batch bench could not run: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), BoxError> {
    let n: usize = std::env::var("HPKI_BENCH_BATCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir()?;
    let world = SigningWorld::new(dir.path())?;
    let root = dir.path().join("root.pem");
    std::fs::write(&root, world.root.to_pem(der::pem::LineEnding::LF)?)?;
    let mut files = Vec::with_capacity(n);
    for i in 0..n {
        let (key, cert) = world.professional("Medical Doctor")?;
        let letter = format!(
            "診療情報提供書（紹介状） No. {i}\n日医病院 内科 御侍史\n患者: 日医 花子 様\n{}",
            "経過は別紙のとおりです。".repeat(60)
        );
        let p7m = cades::sign(
            &world.context(&key, &cert),
            letter.as_bytes(),
            Packaging::Enveloping,
            Level::Lt,
        )?;
        let path = dir.path().join(format!("letter-{i:03}.p7m"));
        std::fs::write(&path, p7m)?;
        files.push(path);
    }
    let size = std::fs::metadata(&files[0])?.len();
    println!("documents: {n} × CAdES B-LT enveloping, {size} bytes each, each from its own doctor");

    // Both programs run once first, so that neither pays for loading itself from disk.
    let hpki = env!("CARGO_BIN_EXE_hpki");
    Command::new(hpki)
        .arg("verify")
        .arg(&files[0])
        .args(["--trust", &root.to_string_lossy(), "--no-fetch"])
        .env_remove("HPKI_TEST_CLOCK")
        .output()?;
    openssl_verify(&files[0], &root)?;

    // hpki: one process for all.
    let started = Instant::now();
    let out = Command::new(hpki)
        .arg("verify")
        .args(&files)
        .args(["--trust", &root.to_string_lossy(), "--no-fetch"])
        .env_remove("HPKI_TEST_CLOCK")
        .output()?;
    let hpki_secs = started.elapsed().as_secs_f64();
    let valid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("✔ 有効"))
        .count();
    if valid != n {
        return Err(format!(
            "hpki verify found {valid} of {n} valid:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }

    // openssl: one process per file.
    let started = Instant::now();
    for f in &files {
        let ok = openssl_verify(f, &root)?;
        if !ok {
            return Err(format!("openssl cms -verify refused {}", f.display()).into());
        }
    }
    let openssl_secs = started.elapsed().as_secs_f64();

    println!(
        "hpki verify, {n} files in one process: {hpki_secs:.2} s = {:.1} ms per document ({:.0} documents/s)",
        1000.0 * hpki_secs / n as f64,
        n as f64 / hpki_secs
    );
    println!(
        "openssl cms -verify, one process per file: {openssl_secs:.2} s = {:.1} ms per document",
        1000.0 * openssl_secs / n as f64
    );
    println!(
        "ratio: hpki's batch is {:.1}× openssl per file (target >= 5×)",
        openssl_secs / hpki_secs
    );
    Ok(())
}

fn openssl_verify(file: &Path, root: &Path) -> Result<bool, BoxError> {
    let status = Command::new("openssl")
        .args(["cms", "-verify", "-inform", "DER", "-purpose", "any", "-in"])
        .arg(file)
        .arg("-CAfile")
        .arg(root)
        .args(["-out", "/dev/null"])
        .stderr(std::process::Stdio::null())
        .status()?;
    Ok(status.success())
}
