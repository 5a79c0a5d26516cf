//! README.md's walk-throughs, run as a newcomer runs them: every shell command of the README's
//! ```sh blocks, in README order, against a fresh sandbox, and every output or file excerpt the
//! README shows checked against what the command really gave.
//!
//! The project's rule: every command the README shows works as shown on a fresh sandbox.
//!
//! How the README is read:
//! - commands are the lines of ```sh blocks; a line ending in `\` continues on the next, and a
//!   here-document (`<<'EOF'` … `EOF`) belongs to its command;
//! - not run (see [`skipped`]): `cargo run …` (it builds and runs the release binary; this test
//!   runs the debug binary cargo built for it, with the same arguments where the README repeats
//!   them as `target/release/renkei …`), `bash .ci/run` (the whole CI, which runs this test), and
//!   `renkei sandbox` itself, which the test starts on free ports instead;
//! - `target/release/renkei` and a bare `renkei` become the test's binary. `sandbox-data` is left
//!   as written: the sandbox's data directory is `sandbox-data` inside the temporary directory the
//!   commands run in, so the README's relative path names it and the paths the commands print
//!   read as the README shows them;
//! - every other fenced block is output or a file excerpt the README shows, and [`SHOWN`] says
//!   where the test finds it and which parts of it legitimately differ from run to run; a block
//!   [`SHOWN`] does not know fails the test, so a new example gets checked too. Inline quotes
//!   the README promises of a command's output are in [`QUOTED`].
//!
//! Sizes: `--subscribers 1000` (the sample files have min(1,000, `--subscribers`) rows, and the
//! walk-through's counts and rows are those of 1,000) and the support module's `--population
//! 2000`: no README command needs more, as the README's own examples stay within the first
//! 1,000 東京都 residents aged 75+, which every sandbox of seed 1 loads, the default one included.
//! `RENKEI_README_SIZES=default` runs it on the defaults a newcomer gets (100,000 + 20,000).

mod support;

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::SandboxProcess;

/// How long one README command may take (the debug binary; the slowest takes a few seconds).
const COMMAND_LIMIT: Duration = Duration::from_secs(180);

/// What one part of the README is to the walk-through.
#[derive(Debug)]
enum Item {
    /// A shell command (continuations joined), with the README line it starts on.
    Command { line: usize, text: String },
    /// A fenced block other than ```sh: output or a file excerpt the README shows.
    Shown { line: usize, text: String },
    /// A line of prose.
    Prose { line: usize, text: String },
}

fn parse(readme: &str) -> Vec<Item> {
    let mut items = Vec::new();
    let mut lines = readme.lines().enumerate().map(|(i, l)| (i + 1, l));
    while let Some((line, text)) = lines.next() {
        let Some(lang) = text.trim_start().strip_prefix("```") else {
            items.push(Item::Prose {
                line,
                text: text.to_owned(),
            });
            continue;
        };
        let mut block = Vec::new();
        for (n, l) in lines.by_ref() {
            if l.trim_start().starts_with("```") {
                break;
            }
            block.push((n, l));
        }
        if lang.trim() == "sh" {
            commands(&block, &mut items);
        } else {
            items.push(Item::Shown {
                line: line + 1,
                text: block.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n"),
            });
        }
    }
    items
}

/// The commands of one ```sh block.
fn commands(block: &[(usize, &str)], items: &mut Vec<Item>) {
    let mut lines = block.iter();
    while let Some(&(line, first)) = lines.next() {
        let first = first.trim();
        if first.is_empty() || first.starts_with('#') {
            continue;
        }
        let mut text = first.to_owned();
        while let Some(head) = text.strip_suffix('\\') {
            let head = head.trim_end().to_owned();
            let (_, next) = lines
                .next()
                .expect("a `\\` continuation at the end of a block");
            text = format!("{head} {}", next.trim());
        }
        if let Some(tag) = heredoc_tag(&text) {
            loop {
                let (_, next) = lines.next().expect("a here-document ends in its block");
                text.push('\n');
                text.push_str(next);
                if next.trim() == tag {
                    break;
                }
            }
        }
        items.push(Item::Command { line, text });
    }
}

/// `EOF` of `cat > x <<'EOF'` (or `<<EOF`, `<<-EOF`).
fn heredoc_tag(command: &str) -> Option<String> {
    let rest = command.split_once("<<")?.1.trim_start_matches('-').trim();
    let tag = rest.split_whitespace().next()?.trim_matches(['\'', '"']);
    Some(tag.to_owned())
}

/// Why a README command is not run, if it is not.
fn skipped(command: &str) -> Option<&'static str> {
    let program = command.split_whitespace().collect::<Vec<_>>();
    match program.as_slice() {
        ["cargo", "run", ..] => {
            Some("builds and runs the release binary; the test runs the debug one")
        }
        ["bash", ".ci/run", ..] => Some("the whole CI, which runs this test"),
        [renkei, "sandbox", ..] if renkei.ends_with("renkei") => {
            Some("the test starts the sandbox itself, on free ports")
        }
        _ => None,
    }
}

/// The command as the test runs it: the test's own binary for the README's.
fn rewrite(command: &str, bin: &str) -> String {
    let bin = format!("'{bin}'");
    let command = command.replace("target/release/renkei", &bin);
    match command.strip_prefix("renkei ") {
        Some(rest) => format!("{bin} {rest}"),
        None => command,
    }
}

/// Where the test finds what a shown block shows.
#[derive(Debug, Clone, Copy)]
enum Source {
    /// stdout and stderr of the command run last before the block.
    LastOutput,
    /// A file the commands wrote (UTF-8, BOM dropped).
    File(&'static str),
    /// What the sandbox printed when it started.
    Sandbox,
}

/// An output block of the README: the block whose first line starts with `starts`, found in
/// `source`. Each of its lines must be a line there, in the same order (other lines may come
/// between); `varying` replaces what legitimately differs from run to run with `*`, which
/// matches anything.
struct Shown {
    starts: &'static str,
    source: Source,
    varying: &'static [(&'static str, &'static str)],
}

const SHOWN: &[Shown] = &[
    // The terminal's progress on registering the clean sample: the rate and the time taken
    // depend on the machine.
    Shown {
        starts: "東京都後期高齢者医療広域連合（保険者番号 39131156）として sandbox-data/samples/",
        source: Source::LastOutput,
        varying: &[
            ("10,037 行/秒", "* 行/秒"),
            ("UTF-8、0.1 秒", "UTF-8、* 秒"),
        ],
    },
    Shown {
        starts: "行番号,被保険者番号,結果,被保険者枝番,理由コード,理由\n2,",
        source: Source::File("result.csv"),
        varying: &[],
    },
    Shown {
        starts: "8,46283514,保留",
        source: Source::File("result-sjis.csv"),
        varying: &[],
    },
    // The web terminal's address: the test's sandbox listens on free ports, not 7708.
    Shown {
        starts: "統合専用端末（Web）:",
        source: Source::Sandbox,
        varying: &[("127.0.0.1:7708", "127.0.0.1:*")],
    },
    // The 照会番号 is new for every inquiry, and the 情報提供等記録's number counts every
    // exchange the sandbox has recorded so far.
    Shown {
        starts: "照会番号:",
        source: Source::LastOutput,
        varying: &[("T-26133-6b05f10d3751a2ab", "T-*"), ("第1号", "第*号")],
    },
    Shown {
        starts: "氏名　　: 岡田　次郎",
        source: Source::LastOutput,
        varying: &[],
    },
    Shown {
        starts: "候補1 個人番号 ",
        source: Source::LastOutput,
        varying: &[],
    },
    Shown {
        starts: "東京都後期高齢者医療広域連合（保険者番号 39131156）として 照会.csv",
        source: Source::LastOutput,
        varying: &[],
    },
];

/// What the README's prose promises a command prints, quoted after these words (up to the
/// closing backquote); checked in the output of the command run last before it.
const QUOTED: &[&str] = &["Its summary ends with `"];

/// `shown`'s lines, with `varying` applied, as lines of `actual` in order.
fn shows(
    actual: &str,
    shown: &str,
    varying: &[(&'static str, &'static str)],
) -> Result<(), String> {
    let actual: Vec<&str> = actual.lines().map(|l| l.trim_end_matches('\r')).collect();
    let mut from = 0;
    for expected in shown.lines().filter(|l| !l.trim().is_empty()) {
        let pattern = varying
            .iter()
            .fold(expected.to_owned(), |p, (shown, glob)| {
                p.replace(shown, glob)
            });
        match actual[from..].iter().position(|l| glob(&pattern, l)) {
            Some(i) => from += i + 1,
            None => return Err(expected.to_owned()),
        }
    }
    Ok(())
}

/// `pattern` with `*` matching any text.
fn glob(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split('*').collect();
    let [first, middle @ .., last] = pieces.as_slice() else {
        return pattern == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for piece in middle {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// What one README command gave.
struct Ran {
    line: usize,
    command: String,
    output: String,
}

fn run(command: &str, line: usize, bin: &str, cwd: &Path, logs: &Path, n: usize) -> Ran {
    let out = logs.join(format!("{n}.out"));
    let err = logs.join(format!("{n}.err"));
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(rewrite(command, bin))
        .current_dir(cwd)
        // What a newcomer sees: the default log level.
        .env_remove("RENKEI_LOG")
        .env_remove("RUST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .process_group(0)
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > COMMAND_LIMIT {
            // The whole group: `sh` and the renkei it started.
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(format!("-{}", child.id()))
                .status();
            let _ = child.wait();
            panic!("README.md line {line}: `{command}` did not finish in {COMMAND_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err).unwrap_or_default();
    // Every README command exits 0 on a fresh sandbox: the non-zero exits the README documents
    // (refusals, tampering, 応答なし) are not among its examples.
    assert!(
        status.success(),
        "README.md line {line}: `{command}` failed ({status})\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    Ran {
        line,
        command: command.to_owned(),
        output: format!("{stdout}{stderr}"),
    }
}

fn read_text(path: &Path) -> String {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("{} is not there: {e}", path.display()));
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_readme_command_works_as_shown_on_a_fresh_sandbox() {
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap();
    let items = parse(&readme);
    let bin = env!("CARGO_BIN_EXE_renkei");
    assert!(!bin.contains('\''), "{bin}");

    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path().join("work");
    let logs = dir.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    // `RENKEI_README_SIZES=default` runs the walk-through on the sizes a newcomer's sandbox has.
    let sizes: &[&str] = match std::env::var("RENKEI_README_SIZES").as_deref() {
        Ok("default") => &["--population", "100000", "--subscribers", "20000"],
        _ => &["--subscribers", "1000"],
    };
    let sandbox = SandboxProcess::start_on(&cwd, "sandbox-data", sizes);
    let started = format!(
        "{}{}",
        std::fs::read_to_string(cwd.join("sandbox-0.out")).unwrap(),
        sandbox.log_text()
    );

    let mut last: Option<Ran> = None;
    let mut run_count = 0;
    let mut used = vec![false; SHOWN.len()];
    for item in &items {
        match item {
            Item::Command { line, text } => {
                if let Some(why) = skipped(text) {
                    eprintln!("README.md line {line}: not run ({why}): {text}");
                    continue;
                }
                let t = Instant::now();
                let ran = run(text, *line, bin, &cwd, &logs, run_count);
                eprintln!(
                    "README.md line {line}: ok in {:.1} s: {text}",
                    t.elapsed().as_secs_f64()
                );
                run_count += 1;
                last = Some(ran);
            }
            Item::Shown { line, text } => {
                let i = SHOWN
                    .iter()
                    .position(|s| text.starts_with(s.starts))
                    .unwrap_or_else(|| {
                        panic!(
                            "README.md line {line} shows a block this test does not know how to \
                             check; add it to SHOWN:\n{text}"
                        )
                    });
                used[i] = true;
                let shown = &SHOWN[i];
                let (actual, what) = match shown.source {
                    Source::LastOutput => {
                        let ran = last.as_ref().expect("a command before the output");
                        (
                            ran.output.clone(),
                            format!(
                                "the output of `{}` (README.md line {})",
                                ran.command, ran.line
                            ),
                        )
                    }
                    Source::File(name) => (read_text(&cwd.join(name)), name.to_owned()),
                    Source::Sandbox => (started.clone(), "the sandbox's start-up".to_owned()),
                };
                if let Err(missing) = shows(&actual, text, shown.varying) {
                    panic!(
                        "README.md line {line}: {what} does not show, in the README's order,\n  \
                         {missing}\n--- it shows\n{actual}"
                    );
                }
            }
            Item::Prose { line, text } => {
                for words in QUOTED {
                    let Some((_, rest)) = text.split_once(words) else {
                        continue;
                    };
                    let quote = rest.split('`').next().unwrap();
                    let ran = last.as_ref().expect("a command before the prose");
                    assert!(
                        ran.output.contains(quote),
                        "README.md line {line}: the output of `{}` (README.md line {}) does not \
                         contain `{quote}`:\n{}",
                        ran.command,
                        ran.line,
                        ran.output
                    );
                }
            }
        }
    }
    let stale: Vec<&str> = SHOWN
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|(s, _)| s.starts)
        .collect();
    assert!(
        stale.is_empty(),
        "SHOWN names blocks the README no longer has: {stale:?}"
    );
    assert!(run_count >= 10, "only {run_count} README commands ran");
    sandbox.stop();
}

#[test]
fn commands_are_read_as_a_shell_reads_them() {
    let readme = "text\n```sh\nrenkei a \\\n  --b c\n\n# note\ncat > q.csv <<'EOF'\nx,y\nEOF\n```\n```\nout\n```\n";
    let items = parse(readme);
    let commands: Vec<&str> = items
        .iter()
        .filter_map(|i| match i {
            Item::Command { text, .. } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(
        commands,
        ["renkei a --b c", "cat > q.csv <<'EOF'\nx,y\nEOF"]
    );
    assert!(matches!(&items[3], Item::Shown { line: 12, text } if text == "out"));
    assert_eq!(rewrite("renkei a", "/b/renkei"), "'/b/renkei' a");
    assert_eq!(
        rewrite("target/release/renkei a renkei", "/b/renkei"),
        "'/b/renkei' a renkei"
    );
    assert!(skipped("target/release/renkei sandbox --data-dir x").is_some());
    assert!(skipped("target/release/renkei terminal x").is_none());
    assert!(glob("a * c", "a bb c") && !glob("a * c", "a bb d") && glob("x", "x"));
    assert!(shows("1\n2\n3\n", "1\n3", &[]).is_ok() && shows("1\n2\n", "2\n1", &[]).is_err());
}
