//! The crate graph is the seed's diagram (docs/ARCHITECTURE.md): `core` and `store` at the
//! bottom, `wire` and `ledger` in the middle, the systems side by side on top — none of them
//! depending on another system — and the `renkei` binary over all. This test reads every
//! member's Cargo.toml and fails naming the crate and the dependency that breaks the rule.
//! Dev-dependencies are not part of the rule: an integration test may start peer systems
//! through `renkei-testkit`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Which workspace crates each crate may depend on (normal and build dependencies).
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    const SHARED: &[&str] = &[
        "renkei-core",
        "renkei-store",
        "renkei-wire",
        "renkei-ledger",
    ];
    BTreeMap::from([
        ("renkei-core", &[][..]),
        ("renkei-store", &[][..]),
        ("renkei-wire", &["renkei-core"][..]),
        (
            "renkei-ledger",
            &["renkei-core", "renkei-store", "renkei-wire"][..],
        ),
        ("renkei-synth", &["renkei-core", "renkei-wire"][..]),
        ("renkei-registry", SHARED),
        ("renkei-hub", SHARED),
        ("renkei-intermediate", SHARED),
        ("renkei-agency", SHARED),
        ("renkei-terminal", SHARED),
        // Test support: starts every system, so it is only ever a dev-dependency.
        (
            "renkei-testkit",
            &[
                "renkei-core",
                "renkei-store",
                "renkei-wire",
                "renkei-registry",
                "renkei-hub",
                "renkei-intermediate",
                "renkei-agency",
            ][..],
        ),
    ])
}

/// The system crates: each is its own organization's server and may not use another's code.
const SYSTEMS: &[&str] = &[
    "renkei-registry",
    "renkei-hub",
    "renkei-intermediate",
    "renkei-agency",
    "renkei-terminal",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read_toml(path: &Path) -> toml::Table {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.parse()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every member: its package name and the workspace crates among its normal and build
/// dependencies.
fn members() -> Vec<(String, Vec<String>)> {
    let root = workspace_root();
    let workspace = read_toml(&root.join("Cargo.toml"));
    let members = workspace["workspace"]["members"]
        .as_array()
        .expect("workspace.members");
    members
        .iter()
        .map(|m| {
            let manifest = read_toml(&root.join(m.as_str().unwrap()).join("Cargo.toml"));
            let name = manifest["package"]["name"].as_str().unwrap().to_owned();
            let mut deps: Vec<String> = ["dependencies", "build-dependencies"]
                .iter()
                .filter_map(|section| manifest.get(*section).and_then(|s| s.as_table()))
                .flat_map(|t| t.keys().cloned())
                .filter(|d| d.starts_with("renkei-"))
                .collect();
            deps.sort();
            (name, deps)
        })
        .collect()
}

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    let allowed = allowed();
    let members = members();
    let mut broken = Vec::new();
    for (name, deps) in &members {
        if name == "renkei" {
            continue;
        }
        let Some(may) = allowed.get(name.as_str()) else {
            broken.push(format!(
                "{name}: not placed in the crate graph (crate_graph.rs)"
            ));
            continue;
        };
        for dep in deps {
            if !may.contains(&dep.as_str()) {
                broken.push(format!("{name} depends on {dep}"));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "crate graph broken:\n{}",
        broken.join("\n")
    );
    // The rule covers the whole workspace: every crate named above is a member.
    for name in allowed.keys() {
        assert!(
            members.iter().any(|(m, _)| m == name),
            "{name} is not a workspace member"
        );
    }
}

#[test]
fn no_system_crate_depends_on_another_system_crate() {
    for (name, deps) in members() {
        if !SYSTEMS.contains(&name.as_str()) {
            continue;
        }
        let systems: Vec<_> = deps
            .iter()
            .filter(|d| SYSTEMS.contains(&d.as_str()))
            .collect();
        assert!(
            systems.is_empty(),
            "{name} depends on system crates {systems:?}"
        );
    }
}
