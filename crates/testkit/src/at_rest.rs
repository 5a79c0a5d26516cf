//! What a store holds on disk, for tests that check no 個人番号 rests there in plaintext.

/// The bytes of a SQLite database with its WAL and other side files.
pub fn sqlite_bytes(path: &std::path::Path) -> Vec<u8> {
    let dir = path.parent().expect("parent");
    let stem = path
        .file_name()
        .expect("file name")
        .to_string_lossy()
        .into_owned();
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let entry = entry.expect("entry");
        if entry.file_name().to_string_lossy().starts_with(&stem) {
            bytes.extend(std::fs::read(entry.path()).expect("read"));
        }
    }
    bytes
}

/// The text of every row `select` returns (one text column), concatenated.
pub async fn pg_dump(conn: &str, select: &str) -> Vec<u8> {
    let (client, connection) = tokio_postgres::connect(conn, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    let rows = client.query(select, &[]).await.expect("dump");
    rows.iter()
        .flat_map(|r| r.get::<_, String>(0).into_bytes())
        .collect()
}
