//! Reading a system's TOML configuration file. The parser's own error text quotes the offending
//! line, which may hold a key; only its message and the line number are kept.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("{path}: 設定ファイルを読めません: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {line}行目: 設定が正しくありません: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

pub fn load_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| ConfigFileError::Parse {
        path: path.to_owned(),
        line: e
            .span()
            .map(|s| text[..s.start].lines().count().max(1))
            .unwrap_or(0),
        message: e.message().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Keys {
        #[serde(with = "renkei_core::crypto::key_hex")]
        seal: renkei_core::crypto::Key32,
    }

    #[test]
    fn errors_name_the_line_but_never_quote_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeX";
        std::fs::write(&path, format!("\nseal = \"{secret}\"\n")).unwrap();
        let err = load_toml::<Keys>(&path).unwrap_err().to_string();
        assert!(err.contains("2行目"), "{err}");
        assert!(!err.contains("0123456789abcdef"), "{err}");
    }
}
