//! `verify`'s memory: what passed last time, under a fingerprint of everything it depended on, so
//! that a second `verify` re-grades only what changed.
//!
//! A fingerprint is a hash of file contents (the chapter's crates, the test kit, the manifest,
//! `Cargo.lock`), of the compiler's version and of the runner's own program, so any edit that can
//! change a verdict changes it. Only results that passed are remembered: a failure is always
//! graded again. The memory lives under the build folder (`target/verify-cache/`), so a fresh
//! clone, and so CI, starts without it; `verify --fresh` ignores it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::cargo;
use crate::files;
use crate::workbook::{Workbook, slash};

/// FNV-1a, 64 bits: small, stable across Rust versions (unlike `DefaultHasher`), and plenty to
/// tell one state of a few hundred files from another.
#[derive(Clone)]
pub struct Fingerprint(u64);

impl Fingerprint {
    pub fn new() -> Self {
        Fingerprint(0xcbf2_9ce4_8422_2325)
    }

    /// Adds `bytes`, then a separator, so that ("ab", "c") and ("a", "bc") differ.
    pub fn add(&mut self, bytes: &[u8]) {
        self.add_raw(bytes);
        self.add_raw(&[0xff]);
    }

    /// Adds `bytes` alone, without a separator.
    pub fn add_raw(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    /// Adds every file under `dir` (but build output, git's own files, the runner's state and a
    /// built book), by path relative to `root` and content, in a stable order. A missing folder
    /// adds its absence.
    pub fn add_tree(&mut self, root: &Path, dir: &Path) {
        let folder = root.join(dir);
        let not_source = |path: &Path| {
            let name = path.file_name().unwrap_or_default();
            let built_book = name == "build"
                && folder
                    .join(path)
                    .parent()
                    .and_then(Path::file_name)
                    .is_some_and(|parent| parent == "book");
            files::is_build_output(path) || name == ".git" || name == ".workbook" || built_book
        };
        self.add(dir.to_string_lossy().as_bytes());
        for file in files::list(&folder, &not_source).unwrap_or_default() {
            self.add(slash(&dir.join(&file)).as_bytes());
            self.add(&fs::read(folder.join(&file)).unwrap_or_default());
        }
    }

    /// Adds the file `path` by its name and content, as read.
    pub fn add_file(&mut self, path: &Path) {
        self.add(path.to_string_lossy().as_bytes());
        self.add(&fs::read(path).unwrap_or_default());
    }

    /// Adds a file by its path (with forward slashes, the same on every system), its length and
    /// its `content`.
    pub fn add_named(&mut self, path: &Path, content: &[u8]) {
        self.add(slash(path).as_bytes());
        self.add(&(content.len() as u64).to_le_bytes());
        self.add(content);
    }

    pub fn hex(&self) -> String {
        format!("{:016x}", self.0)
    }
}

/// What every verdict depends on besides a chapter's own files: the compiler, the runner, the
/// test kit, the lock file and the manifests.
pub fn common(workbook: &Workbook) -> Fingerprint {
    let mut print = Fingerprint::new();
    let compiler = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|output| output.stdout)
        .unwrap_or_default();
    print.add(&compiler);
    if let Ok(runner) = std::env::current_exe() {
        print.add(&fs::read(runner).unwrap_or_default());
    }
    for file in ["Cargo.toml", "Cargo.lock", crate::workbook::MANIFEST] {
        print.add_file(&workbook.root.join(file));
    }
    print.add_tree(&workbook.root, Path::new("testkit"));
    print
}

/// A passed result, remembered.
#[derive(Serialize, Deserialize, Debug, PartialEq, Eq)]
pub struct Passed {
    pub fingerprint: String,
    /// The counts and names the report shows, so a remembered pass reads like a fresh one.
    pub counts: Vec<usize>,
    pub names: Vec<String>,
}

fn path(workbook: &Workbook, key: &str) -> PathBuf {
    cargo::target_dir(&workbook.root)
        .join("verify-cache")
        .join(format!("{key}.json"))
}

/// What passed under `key` with this very fingerprint, if anything did.
pub fn recall(workbook: &Workbook, key: &str, fingerprint: &str) -> Option<Passed> {
    let text = fs::read_to_string(path(workbook, key)).ok()?;
    let passed: Passed = serde_json::from_str(&text).ok()?;
    (passed.fingerprint == fingerprint).then_some(passed)
}

/// Remembers that `key` passed; a memory that cannot be written is only a slower next run.
pub fn remember(workbook: &Workbook, key: &str, passed: &Passed) {
    let path = path(workbook, key);
    if let Some(dir) = path.parent() {
        let _ = fs::create_dir_all(dir);
    }
    if let Ok(text) = serde_json::to_string(passed) {
        let _ = fs::write(path, text);
    }
}

/// Forgets `key`, after it failed.
pub fn forget(workbook: &Workbook, key: &str) {
    let _ = fs::remove_file(path(workbook, key));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fingerprint_changes_with_any_byte_and_with_where_the_bytes_split() {
        let print = |parts: &[&str]| {
            let mut print = Fingerprint::new();
            for part in parts {
                print.add(part.as_bytes());
            }
            print.hex()
        };
        assert_eq!(print(&["ab", "c"]), print(&["ab", "c"]));
        assert_ne!(print(&["ab", "c"]), print(&["a", "bc"]));
        assert_ne!(print(&["ab", "c"]), print(&["ab", "d"]));
        assert_eq!(print(&[]).len(), 16);
    }

    #[test]
    fn a_tree_is_hashed_by_paths_and_contents_in_a_stable_order() {
        let root = std::env::temp_dir().join(format!("cache-tree-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("crate/src")).unwrap();
        fs::create_dir_all(root.join("crate/target")).unwrap();
        fs::write(root.join("crate/src/lib.rs"), "fn a() {}").unwrap();
        fs::write(root.join("crate/target/junk"), "x").unwrap();
        let print = || {
            let mut print = Fingerprint::new();
            print.add_tree(&root, Path::new("crate"));
            print.hex()
        };
        let before = print();
        fs::write(root.join("crate/target/junk"), "y").unwrap();
        assert_eq!(print(), before, "build output is not part of a crate");
        fs::write(root.join("crate/src/lib.rs"), "fn b() {}").unwrap();
        assert_ne!(print(), before);
        fs::remove_dir_all(&root).unwrap();
    }
}
