//! What the public verification page parses is bounded: a PDF that inflates to a gigabyte
//! and a CMS signature with a thousand signers are refused with a reason, quickly and within
//! a bounded amount of memory (measured: the process's peak resident size, Linux `VmHWM`).
//! The bounds asserted here are a guard against unbounded work, far above what the refusals
//! take; the speed itself is measured by the benches.

use std::io::Write;
use std::time::{Duration, Instant};

use der::{Decode, Encode};
use hpki_sign::Level;
use hpki_sign::cades::{self, Packaging};
use hpki_testkit::signing_world::SigningWorld;
use hpki_verify::document::{
    self, Document, Failure, Lang, MAX_SIGNATURES, TrustAnchors, VerifyOptions,
};

/// Generous bounds for one refusal (a debug build on a loaded 2-core machine).
const TIME: Duration = Duration::from_secs(20);
const MEMORY: u64 = 256 << 20;

/// The process's peak resident size in bytes (`VmHWM` of `/proc/self/status`).
fn peak_resident() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("VmHWM")
        * 1024
}

/// A zlib stream that inflates to `mib` MiB of zeros, made without compressing them all: the
/// deflate block of 1 MiB of zeros after a full flush (which empties the window) is the same
/// every time, so it is repeated; the trailer is the Adler-32 of the whole (RFC 1950 §2.2:
/// for zeros, a = 1 and b = length mod 65521).
fn zlib_zeros(mib: usize) -> Vec<u8> {
    use flate2::{Compress, Compression, FlushCompress};
    let zeros = vec![0u8; 1 << 20];
    let mut compress = Compress::new(Compression::best(), true);
    let mut block = |first: bool| {
        let mut out = Vec::with_capacity(8 << 10);
        let before = compress.total_out();
        compress
            .compress_vec(&zeros, &mut out, FlushCompress::Full)
            .expect("deflate");
        assert!(first || compress.total_out() - before == out.len() as u64);
        out
    };
    let mut stream = block(true);
    let repeated = block(false);
    for _ in 2..mib {
        stream.extend_from_slice(&repeated);
    }
    stream.extend_from_slice(&repeated);
    // The final empty stored block (BFINAL=1, BTYPE=00, LEN=0), then Adler-32.
    stream.extend_from_slice(&[0x01, 0x00, 0x00, 0xff, 0xff]);
    let len = (mib as u64) << 20;
    let adler = ((len % 65521) << 16) | 1;
    stream.extend_from_slice(&(adler as u32).to_be_bytes());
    stream
}

/// A PDF whose DSS holds one certificate stream of `mib` MiB inflated.
fn pdf_with_inflating_dss(mib: usize) -> Vec<u8> {
    let data = zlib_zeros(mib);
    let mut out = b"%PDF-1.7\n".to_vec();
    let mut offsets = Vec::new();
    let mut object = |out: &mut Vec<u8>, n: usize, body: &[u8]| {
        offsets.push((n, out.len()));
        writeln!(out, "{n} 0 obj").unwrap();
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    };
    object(
        &mut out,
        1,
        b"<</Type/Catalog/Pages 2 0 R/DSS<</Certs[4 0 R]>>>>",
    );
    object(&mut out, 2, b"<</Type/Pages/Kids[3 0 R]/Count 1>>");
    object(
        &mut out,
        3,
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>",
    );
    let mut stream =
        format!("<</Filter/FlateDecode/Length {}>>\nstream\n", data.len()).into_bytes();
    stream.extend_from_slice(&data);
    stream.extend_from_slice(b"\nendstream");
    object(&mut out, 4, &stream);
    let xref = out.len();
    write!(out, "xref\n0 5\n0000000000 65535 f\r\n").unwrap();
    for (_, offset) in &offsets {
        write!(out, "{offset:010} 00000 n\r\n").unwrap();
    }
    write!(
        out,
        "trailer\n<</Size 5/Root 1 0 R>>\nstartxref\n{xref}\n%%EOF\n"
    )
    .unwrap();
    out
}

#[test]
fn a_pdf_inflating_to_a_gigabyte_is_refused_in_bounded_time_and_memory() {
    let pdf = pdf_with_inflating_dss(1024);
    // The stream really inflates to 1 GiB (checked in chunks, not kept).
    let mut inflated = 0u64;
    let zlib = zlib_zeros(1024);
    let mut decoder = flate2::read::ZlibDecoder::new(&zlib[..]);
    let mut buf = vec![0u8; 1 << 20];
    loop {
        match std::io::Read::read(&mut decoder, &mut buf).expect("a sound zlib stream") {
            0 => break,
            n => inflated += n as u64,
        }
    }
    assert_eq!(inflated, 1 << 30);
    assert!(pdf.len() < 2 << 20, "a small file: {} bytes", pdf.len());

    let before = peak_resident();
    let started = Instant::now();
    let options = VerifyOptions::at(std::time::SystemTime::now());
    let report = document::verify(&Document::new(&pdf), &TrustAnchors::default(), &options);
    let took = started.elapsed();
    let grew = peak_resident().saturating_sub(before);
    assert!(
        matches!(&report.failures[..], [Failure::Unreadable { detail }] if detail.en.contains("inflates beyond the limit")),
        "{}",
        report.to_text(Lang::En)
    );
    assert!(took < TIME, "took {took:?}");
    assert!(grew < MEMORY, "the peak grew by {} MiB", grew >> 20);
}

#[test]
fn a_cms_with_a_thousand_signers_is_refused_in_bounded_time() {
    let world = SigningWorld::new(&std::env::temp_dir()).expect("demo CA");
    let (key, cert) = world.doctor().expect("doctor");
    let letter = b"Referral: Nichii Hanako";
    let p7s = cades::sign(
        &world.context(&key, &cert),
        letter,
        Packaging::Detached,
        Level::B,
    )
    .expect("signed");
    // The same SignerInfo a thousand times.
    let info = cms::content_info::ContentInfo::from_der(&p7s).expect("ContentInfo");
    let mut signed: cms::signed_data::SignedData = info.content.decode_as().expect("SignedData");
    let one = signed.signer_infos.0.as_slice()[0].clone();
    let mut many = Vec::new();
    for _ in 0..1000 {
        many.push(one.clone());
    }
    signed.signer_infos =
        cms::signed_data::SignerInfos(der::asn1::SetOfVec::from_iter(many).expect("set"));
    let crowded = cms::content_info::ContentInfo {
        content_type: info.content_type,
        content: der::Any::encode_from(&signed).expect("encode"),
    }
    .to_der()
    .expect("DER");

    let started = Instant::now();
    let options = VerifyOptions::at(hpki_clock::Clock::now(&world.clock));
    let report = document::verify(
        &Document::detached(&crowded, letter),
        &TrustAnchors::new([world.root.clone()]),
        &options,
    );
    let took = started.elapsed();
    let expected = format!("at most {MAX_SIGNATURES} are verified");
    assert!(
        matches!(&report.failures[..], [Failure::Unreadable { detail }] if detail.en.contains(&expected)),
        "{}",
        report.to_text(Lang::En)
    );
    assert!(took < TIME, "took {took:?}");
}
