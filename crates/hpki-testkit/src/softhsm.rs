//! SoftHSM2 stands for the doctors' IC cards and for the CA's HSM in the tests: a token
//! directory of the test's own, and its configuration file.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where Debian's softhsm2 package puts the PKCS#11 module.
pub const SOFTHSM2_MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// A SoftHSM2 token directory and the configuration that points at it (`SOFTHSM2_CONF`).
pub struct SoftHsm {
    /// The directory (tokens/ and softhsm2.conf); removed when dropped.
    pub dir: tempfile::TempDir,
    /// The configuration file.
    pub conf: PathBuf,
}

impl SoftHsm {
    /// A new, empty token directory. Panics when SoftHSM2 is not installed.
    pub fn new() -> SoftHsm {
        assert!(
            Path::new(SOFTHSM2_MODULE).exists(),
            "{SOFTHSM2_MODULE} is required by the tests: run scripts/test.sh, which installs softhsm2"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir(dir.path().join("tokens")).expect("tokens");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.path().join("tokens").display()
            ),
        )
        .expect("softhsm2.conf");
        SoftHsm { dir, conf }
    }

    /// The environment variable pointing SoftHSM2 at this directory.
    pub fn env(&self) -> (&'static str, String) {
        ("SOFTHSM2_CONF", self.conf.display().to_string())
    }

    /// `pkcs11-tool --module SoftHSM2 <args>` (OpenSC): (success, stdout+stderr).
    pub fn pkcs11_tool(&self, args: &str) -> (bool, String) {
        self.sh(&format!("pkcs11-tool --module {SOFTHSM2_MODULE} {args}"))
    }

    /// `softhsm2-util <args>`, which must succeed; its output.
    pub fn util(&self, args: &str) -> String {
        let (ok, out) = self.sh(&format!("softhsm2-util {args}"));
        assert!(ok, "softhsm2-util {args}: {out}");
        out
    }

    fn sh(&self, cmd: &str) -> (bool, String) {
        let out = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .env("SOFTHSM2_CONF", &self.conf)
            .output()
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        s.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), s)
    }
}

impl Default for SoftHsm {
    fn default() -> Self {
        SoftHsm::new()
    }
}
