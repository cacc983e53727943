//! The invariants ARCHITECTURE.md states, checked on the source tree: the core does no
//! I/O and knows no chat platform, the lifecycle knows no chat platform, and files stay
//! small enough to read in one sitting.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Lines of `file` that mention one of `words`, outside comments.
fn mentions(file: &Path, words: &[&str]) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim_start().starts_with("//"))
        .filter(|(_, line)| words.iter().any(|w| line.contains(w)))
        .map(|(i, line)| format!("{}:{}: {}", file.display(), i + 1, line.trim()))
        .collect()
}

#[test]
fn the_core_depends_on_no_runtime_network_or_chat_platform() {
    let manifest =
        std::fs::read_to_string(Path::new(ROOT).join("crates/copydesk-core/Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&manifest).unwrap();
    let dependencies = manifest["dependencies"].as_table().unwrap();
    for forbidden in ["tokio", "matrix-sdk", "ruma", "hyper", "notify", "reqwest"] {
        assert!(
            !dependencies.contains_key(forbidden),
            "copydesk-core depends on {forbidden}"
        );
    }
}

#[test]
fn the_core_does_no_io() {
    let io = [
        "std::fs",
        "std::net",
        "std::env",
        "std::process",
        "SystemTime",
        "Instant::now",
        "Zoned::now",
        "Timestamp::now",
    ];
    let found: Vec<String> = rust_files(&Path::new(ROOT).join("crates/copydesk-core/src"))
        .iter()
        .filter(|f| !f.ends_with("tests.rs"))
        .flat_map(|f| mentions(f, &io))
        .collect();
    assert!(found.is_empty(), "I/O in the core:\n{}", found.join("\n"));
}

#[test]
fn the_lifecycle_knows_no_chat_platform() {
    let found: Vec<String> = rust_files(&Path::new(ROOT).join("src/lifecycle"))
        .iter()
        .flat_map(|f| mentions(f, &["matrix_sdk", "ruma", "crate::connectors"]))
        .collect();
    assert!(
        found.is_empty(),
        "platform types in the lifecycle:\n{}",
        found.join("\n")
    );
}

#[test]
fn source_files_stay_under_600_lines() {
    let mut long = Vec::new();
    for dir in ["src", "crates/copydesk-core/src", "examples"] {
        for file in rust_files(&Path::new(ROOT).join(dir)) {
            let is_test =
                file.ends_with("tests.rs") || file.components().any(|c| c.as_os_str() == "tests");
            let lines = std::fs::read_to_string(&file).unwrap().lines().count();
            if !is_test && lines > 600 {
                long.push(format!("{} ({lines} lines)", file.display()));
            }
        }
    }
    assert!(
        long.is_empty(),
        "files over 600 lines:\n{}",
        long.join("\n")
    );
}

/// The top-level modules of the crate whose source is `src`, each with the set of other
/// top-level modules its non-test code names through `crate::`.
fn module_imports(
    src: &Path,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut modules = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name != "lib" && name != "main" {
            modules.insert(name, std::collections::BTreeSet::new());
        }
    }
    let names: Vec<String> = modules.keys().cloned().collect();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).unwrap();
        let Some(owner) = relative.components().next() else {
            continue;
        };
        let owner = Path::new(owner.as_os_str())
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if file.ends_with("tests.rs") || !modules.contains_key(&owner) {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Inline unit tests may use anything; only the code above them counts.
        let code = text.split("#[cfg(test)]").next().unwrap();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (at, _) in line.match_indices("crate::") {
                let rest = &line[at + "crate::".len()..];
                let used: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if used != owner && names.contains(&used) {
                    modules.get_mut(&owner).unwrap().insert(used);
                }
            }
        }
    }
    modules
}

/// Pairs of modules that name each other, directly or through others.
fn import_loops(src: &Path) -> Vec<String> {
    let imports = module_imports(src);
    let reaches = |from: &str, to: &str| {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(module) = stack.pop() {
            for next in &imports[&module] {
                if next == to {
                    return true;
                }
                if seen.insert(next.clone()) {
                    stack.push(next.clone());
                }
            }
        }
        false
    };
    let mut loops = Vec::new();
    for (module, used) in &imports {
        for other in used {
            if module < other && reaches(other, module) {
                loops.push(format!("{module} ↔ {other}"));
            }
        }
    }
    loops
}

#[test]
fn top_level_modules_import_one_another_one_way() {
    let loops: Vec<String> = ["src", "crates/copydesk-core/src"]
        .iter()
        .flat_map(|src| {
            import_loops(&Path::new(ROOT).join(src))
                .into_iter()
                .map(move |pair| format!("{src}: {pair}"))
        })
        .collect();
    assert!(loops.is_empty(), "import loops:\n{}", loops.join("\n"));
}

#[test]
fn every_path_in_the_code_map_exists() {
    let map = std::fs::read_to_string(Path::new(ROOT).join("ARCHITECTURE.md")).unwrap();
    let missing: Vec<&str> = map
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| {
            [
                "src/",
                "crates/",
                "tests/",
                "scripts/",
                "examples/",
                "data/",
            ]
            .iter()
            .any(|root| quoted.starts_with(root))
        })
        .map(|path| path.trim_end_matches('/'))
        .filter(|path| !path.contains(['*', ' ', '<']) && !Path::new(ROOT).join(path).exists())
        .collect();
    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md names paths that do not exist: {missing:?}"
    );
}
