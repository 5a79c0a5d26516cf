//! Which engine and where: `sqlite:PATH` (also `sqlite://PATH`) or
//! `postgres://user:pass@host:port/db?schema=NAME`. Instead of `schema`, `schema_prefix=P`
//! keeps each system's own schema name behind a prefix (`P` + `registry`, …), so that several
//! sandboxes or test runs can share one database.

use std::fmt;
use std::path::PathBuf;

use crate::StoreError;

#[derive(Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sqlite(PathBuf),
    /// A connection string (without our `schema` parameter) and the schema to use.
    Postgres {
        conn: String,
        schema: String,
    },
}

impl StoreUrl {
    /// Parses a store URL; `default_schema` names the PostgreSQL schema when the URL has none
    /// (each system uses its own: `registry`, `hub`, `intermediate`, …).
    pub fn parse(url: &str, default_schema: &str) -> Result<StoreUrl, StoreError> {
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if path.is_empty() {
                return Err(StoreError::Url(
                    "sqlite: の後にファイルのパスが必要です".into(),
                ));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let (base, query) = url.split_once('?').unwrap_or((url, ""));
            let mut schema = default_schema.to_owned();
            let mut rest = Vec::new();
            for pair in query.split('&').filter(|p| !p.is_empty()) {
                match pair.split_once('=') {
                    Some(("schema", s)) => schema = s.to_owned(),
                    Some(("schema_prefix", p)) => schema = format!("{p}{default_schema}"),
                    _ => rest.push(pair),
                }
            }
            if schema.is_empty()
                || !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return Err(StoreError::Url(
                    "schema には英数字と _ だけが使えます".into(),
                ));
            }
            let conn = if rest.is_empty() {
                base.to_owned()
            } else {
                format!("{base}?{}", rest.join("&"))
            };
            return Ok(StoreUrl::Postgres { conn, schema });
        }
        Err(StoreError::Url(
            "sqlite:パス または postgres://… を指定してください（この版で使えるのは SQLite と PostgreSQL です）".into(),
        ))
    }

    pub fn engine(&self) -> &'static str {
        match self {
            StoreUrl::Sqlite(_) => "sqlite",
            StoreUrl::Postgres { .. } => "postgres",
        }
    }
}

/// Masks the password so a stray `{:?}` or log line cannot leak it.
impl fmt::Debug for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreUrl::Postgres { conn, schema } => {
                write!(f, "{} (schema {schema})", mask_password(conn))
            }
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

fn mask_password(conn: &str) -> String {
    let Some((scheme, rest)) = conn.split_once("://") else {
        return conn.to_owned();
    };
    match rest.split_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
            None => conn.to_owned(),
        },
        None => conn.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_engines_and_schema() {
        assert_eq!(
            StoreUrl::parse("sqlite:/tmp/a.db", "hub").unwrap(),
            StoreUrl::Sqlite("/tmp/a.db".into())
        );
        let pg = StoreUrl::parse(
            "postgres://u:secret@h:5432/db?schema=x1&sslmode=disable",
            "hub",
        )
        .unwrap();
        assert_eq!(
            pg,
            StoreUrl::Postgres {
                conn: "postgres://u:secret@h:5432/db?sslmode=disable".into(),
                schema: "x1".into()
            }
        );
        assert!(!format!("{pg:?}").contains("secret"));
        let prefixed = StoreUrl::parse("postgres://h/db?schema_prefix=t1_", "hub").unwrap();
        assert_eq!(
            prefixed,
            StoreUrl::Postgres {
                conn: "postgres://h/db".into(),
                schema: "t1_hub".into()
            }
        );
        assert!(StoreUrl::parse("mysql://x", "hub").is_err());
        assert!(StoreUrl::parse("postgres://h/db?schema=a;drop", "hub").is_err());
    }
}
