//! Helpers for end-to-end tests: the real `renkei` binary, run as a user runs it.

#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

pub fn renkei() -> Command {
    Command::new(env!("CARGO_BIN_EXE_renkei"))
}

/// A `renkei sandbox` process on a data directory, logging at debug level to `log`.
pub struct SandboxProcess {
    pub child: Child,
    pub log: PathBuf,
    data: PathBuf,
}

impl SandboxProcess {
    /// A sandbox on `dir/data` (2,000 residents nation-wide unless `extra` says otherwise).
    pub fn start(dir: &Path, extra: &[&str]) -> SandboxProcess {
        SandboxProcess::start_on(dir, "data", extra)
    }

    /// A sandbox on `dir/<data>`, its logs as `dir/sandbox-N.log` and `dir/sandbox-N.out`.
    pub fn start_on(dir: &Path, data: &str, extra: &[&str]) -> SandboxProcess {
        std::fs::create_dir_all(dir).unwrap();
        let n = std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| {
                let name = e.as_ref().unwrap().file_name();
                let name = name.to_string_lossy();
                name.starts_with("sandbox-") && name.ends_with(".log")
            })
            .count();
        let log = dir.join(format!("sandbox-{n}.log"));
        let child = renkei()
            .args(["sandbox", "--data-dir"])
            .arg(dir.join(data))
            .args(["--port-base", "0"])
            .args(if extra.contains(&"--population") {
                &[][..]
            } else {
                &["--population", "2000"][..]
            })
            .args(extra)
            .env("RENKEI_LOG", "debug")
            .stdout(File::create(dir.join(format!("sandbox-{n}.out"))).unwrap())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let sandbox = SandboxProcess {
            child,
            log,
            data: dir.join(data),
        };
        sandbox.wait_for("Ctrl-C で停止します", Duration::from_secs(300));
        sandbox
    }

    pub fn data(&self) -> PathBuf {
        self.data.clone()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_for(&self, marker: &str, limit: Duration) {
        let start = Instant::now();
        while !self.log_text().contains(marker) {
            assert!(
                start.elapsed() < limit,
                "sandbox did not start:\n{}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, and the sandbox must stop cleanly.
    pub fn stop(mut self) -> String {
        signal(&self.child, "TERM");
        let status = wait_with_limit(&mut self.child, Duration::from_secs(60));
        assert!(
            status.success(),
            "sandbox exited with {status}:\n{}",
            self.log_text()
        );
        self.log_text()
    }

    /// SIGKILL: a crash.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

pub fn wait_with_limit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < limit, "process did not exit in time");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `renkei synth subscribers …` into `dir`; returns (file, planted lines as (line, error)).
pub fn synth_subscribers(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, Vec<(u64, String)>) {
    let (file, planted) = synth("subscribers", dir, name, args);
    let lines = planted
        .iter()
        .map(|r| (r[0].parse().unwrap(), r[1].to_owned()))
        .collect();
    (file, lines)
}

/// `renkei synth <kind> … --out dir/name --planted dir/name.planted.csv`; returns the file and
/// the planted-errors file's records (none if it was not written).
fn synth(kind: &str, dir: &Path, name: &str, args: &[&str]) -> (PathBuf, Vec<csv::StringRecord>) {
    let file = dir.join(name);
    let planted = dir.join(format!("{name}.planted.csv"));
    let out = renkei()
        .args(["synth", kind, "--out"])
        .arg(&file)
        .arg("--planted")
        .arg(&planted)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "synth failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut records = Vec::new();
    if planted.exists() {
        for r in csv::Reader::from_path(&planted).unwrap().records() {
            records.push(r.unwrap());
        }
    }
    (file, records)
}

/// `renkei terminal --sandbox D --insurer N register FILE --out OUT`.
pub fn register(data: &Path, insurer: &str, file: &Path, out: &Path, extra: &[&str]) -> Output {
    renkei()
        .args(["terminal", "--sandbox"])
        .arg(data)
        .args(["--insurer", insurer, "register"])
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("RENKEI_LOG", "debug")
        .output()
        .unwrap()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultRow {
    pub line: u64,
    pub insured: String,
    pub result: String,
    pub branch: String,
    pub code: String,
    pub reason: String,
}

/// (0-based position in the sample file, 枝番) of the first registered row whose address is in
/// `ward`.
pub fn registered_in(sample: &Path, results: &[ResultRow], ward: &str) -> (usize, String) {
    let mut reader = csv::Reader::from_path(sample).unwrap();
    let i = reader
        .records()
        .map(Result::unwrap)
        .position(|r| r[7].contains(ward))
        .unwrap_or_else(|| panic!("a subscriber living in {ward}"));
    let row = results.iter().find(|r| r.line == i as u64 + 2).unwrap();
    assert_eq!(row.result, "登録", "{row:?}");
    (i, row.branch.clone())
}

pub fn read_result(path: &Path) -> Vec<ResultRow> {
    let bytes = std::fs::read(path).unwrap();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "result file must start with a BOM"
    );
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "行番号",
            "被保険者番号",
            "結果",
            "被保険者枝番",
            "理由コード",
            "理由"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            ResultRow {
                line: r[0].parse().unwrap(),
                insured: r[1].to_owned(),
                result: r[2].to_owned(),
                branch: r[3].to_owned(),
                code: r[4].to_owned(),
                reason: r[5].to_owned(),
            }
        })
        .collect()
}

/// Every 個人番号 in a 加入者情報 file (column 個人番号), however the file is encoded.
pub fn numbers_in(file: &Path) -> Vec<String> {
    let bytes = std::fs::read(file).unwrap();
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t.to_owned(),
        Err(_) => encoding_rs::SHIFT_JIS.decode(&bytes).0.into_owned(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let column = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "個人番号")
        .unwrap();
    reader
        .records()
        .filter_map(|r| r.ok()?.get(column).map(str::to_owned))
        .filter(|n| n.len() == 12 && n.bytes().all(|b| b.is_ascii_digit()))
        .collect()
}

/// `renkei synth fuhon …` into `dir`; returns the file and the planted lines.
pub fn synth_fuhon(dir: &Path, name: &str, args: &[&str]) -> (PathBuf, Vec<u64>) {
    let (file, planted) = synth("fuhon", dir, name, args);
    (
        file,
        planted.iter().map(|r| r[0].parse().unwrap()).collect(),
    )
}

/// The rows of a synthetic 加入者情報 file as (個人番号, 氏名, カナ, 生年月日, 性別, 住所).
pub fn people(file: &Path) -> Vec<[String; 6]> {
    let mut reader = csv::Reader::from_path(file).unwrap();
    let h = reader.headers().unwrap().clone();
    let col = |name: &str| h.iter().position(|x| x == name).unwrap();
    let cols = ["個人番号", "氏名", "氏名カナ", "生年月日", "性別", "住所"].map(col);
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            cols.map(|c| r[c].to_owned())
        })
        .collect()
}

/// A J-LIS query file at `path` for `people`: even rows ask by 個人番号, odd rows by 基本4情報
/// (住所 as `address` writes it), references `Q0`, `Q1`, …, and a last row `BAD` that names only
/// a 氏名.
pub fn write_jlis_queries(path: &Path, people: &[[String; 6]], address: impl Fn(&str) -> String) {
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record([
        "整理番号",
        "個人番号",
        "氏名",
        "氏名カナ",
        "生年月日",
        "性別",
        "住所",
    ])
    .unwrap();
    for (i, [number, name, kana, birth, sex, addr]) in people.iter().enumerate() {
        let reference = format!("Q{i}");
        if i % 2 == 0 {
            w.write_record([reference.as_str(), number, "", "", "", "", ""])
                .unwrap();
        } else {
            let addr = address(addr);
            w.write_record([reference.as_str(), "", name, kana, birth, sex, &addr])
                .unwrap();
        }
    }
    w.write_record(["BAD", "", "山田太郎", "", "", "", ""])
        .unwrap();
    w.flush().unwrap();
}
