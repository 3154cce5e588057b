//! The data directory: `hpki.toml`, the SQLite database (by default) and `keys/` with the
//! encrypted CA keys. Files are written crash-safe: to a temporary file in the same directory,
//! fsynced, then renamed over the target.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::CaError;
use crate::config::{CONFIG_FILE, Config};

/// A data directory.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    /// Open an existing data directory.
    pub fn open(root: &Path) -> Result<Self, CaError> {
        let d = DataDir {
            root: root.to_path_buf(),
        };
        if !d.config_path().is_file() {
            return Err(CaError::NotInitialised(root.display().to_string()));
        }
        Ok(d)
    }

    /// Create a new data directory; refuses one that exists and is not empty.
    pub fn create(root: &Path) -> Result<Self, CaError> {
        if root.exists() {
            let empty = fs::read_dir(root)
                .map_err(|e| CaError::io(root, e))?
                .next()
                .is_none();
            if !empty {
                return Err(CaError::AlreadyInitialised(root.display().to_string()));
            }
        }
        fs::create_dir_all(root.join("keys")).map_err(|e| CaError::io(root, e))?;
        Ok(DataDir {
            root: root.to_path_buf(),
        })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `hpki.toml`.
    pub fn config_path(&self) -> PathBuf {
        self.root.join(CONFIG_FILE)
    }

    /// Read the configuration.
    pub fn config(&self) -> Result<Config, CaError> {
        let p = self.config_path();
        let text = fs::read_to_string(&p).map_err(|e| CaError::io(&p, e))?;
        Config::from_toml(&text)
    }

    /// The database URL with a relative SQLite path resolved against the data directory.
    pub fn database_url(&self, config: &Config) -> String {
        resolve_sqlite_url(&config.database_url, &self.root)
    }

    /// Path of a key file by key reference (`file:keys/sign.key.pem`).
    pub fn key_path(&self, key_ref: &str) -> Option<PathBuf> {
        key_ref.strip_prefix("file:").map(|rel| self.root.join(rel))
    }

    /// Write a file crash-safe (temporary file, fsync, rename). `private` files get mode 0600.
    pub fn write_atomic(&self, rel: &str, data: &[u8], private: bool) -> Result<PathBuf, CaError> {
        let target = self.root.join(rel);
        write_atomic(&target, data, private)?;
        Ok(target)
    }
}

/// Write `data` to `target` crash-safe.
pub fn write_atomic(target: &Path, data: &[u8], private: bool) -> Result<(), CaError> {
    let dir = target.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile_in(dir, private).map_err(|e| CaError::io(target, e))?;
    tmp.1.write_all(data).map_err(|e| CaError::io(target, e))?;
    tmp.1.sync_all().map_err(|e| CaError::io(target, e))?;
    fs::rename(&tmp.0, target).map_err(|e| CaError::io(target, e))?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

fn tempfile_in(dir: &Path, private: bool) -> std::io::Result<(PathBuf, fs::File)> {
    use std::os::unix::fs::OpenOptionsExt;
    for i in 0..100u32 {
        let p = dir.join(format!(".hpki-tmp-{}-{i}", std::process::id()));
        let mut o = fs::OpenOptions::new();
        o.write(true).create_new(true);
        if private {
            o.mode(0o600);
        }
        match o.open(&p) {
            Ok(f) => return Ok((p, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("no temporary file name available"))
}

/// Resolve `sqlite://relative.db` against `dir`; other URLs are returned unchanged.
pub fn resolve_sqlite_url(url: &str, dir: &Path) -> String {
    match url.strip_prefix("sqlite://") {
        Some(rest) if !rest.starts_with('/') => {
            format!("sqlite://{}", dir.join(rest).display())
        }
        _ => url.to_owned(),
    }
}
