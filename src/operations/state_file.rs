//! Small JSON state files in `data_dir` (`stats.json`, `settings.json`, `memory.json`):
//! read at start, or started empty; written as a new file renamed over the old, so a
//! crash mid-write leaves the previous version.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Reads `path`, or `T::default()` when it does not exist. A damaged file is moved aside
/// (`<name>.damaged`) with a warning, and the bot starts afresh rather than not at all.
pub fn load<T: DeserializeOwned + Default>(path: &Path) -> anyhow::Result<T> {
    match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice(&bytes) {
            Ok(value) => Ok(value),
            Err(error) => {
                let mut aside = path.as_os_str().to_owned();
                aside.push(".damaged");
                tracing::warn!(
                    path = %path.display(),
                    %error,
                    "state file is damaged; moved aside, starting afresh"
                );
                std::fs::rename(path, &aside)
                    .with_context(|| format!("moving {} aside", path.display()))?;
                Ok(T::default())
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Writes `value` to `path` through a temporary file renamed over it.
pub fn save<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let write = || -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(value)?;
        let (first, rest) = bytes.split_at(bytes.len() / 2);
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(first)?;
        crate::failpoint::hit("store-write");
        file.write_all(rest)?;
        // No fsync: these files are written several times per message, an fsync costs
        // milliseconds, and the rename alone keeps a crashed process's files whole.
        std::fs::rename(&tmp, path)
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn round_trip_missing_and_damaged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let empty: BTreeMap<String, u32> = load(&path).unwrap();
        assert!(empty.is_empty());
        save(&path, &BTreeMap::from([("a".to_owned(), 1)])).unwrap();
        let back: BTreeMap<String, u32> = load(&path).unwrap();
        assert_eq!(back["a"], 1);
        std::fs::write(&path, "{").unwrap();
        let fresh: BTreeMap<String, u32> = load(&path).unwrap();
        assert!(fresh.is_empty());
        assert!(dir.path().join("s.json.damaged").exists());
    }
}
