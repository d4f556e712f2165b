//! Listing, copying and tidying folders with std alone: a backup before `reset`, the student
//! copy of `export`, the snapshots that `watch` compares, the copies of a solution that `verify`
//! mutates.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Every file under `dir`, as paths relative to it, sorted. A folder for which `skip` says true
/// (given its path relative to `dir`) is left out with everything in it. A missing `dir` has no
/// files.
pub fn list(dir: &Path, skip: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if dir.is_dir() {
        collect(dir, Path::new(""), skip, &mut files)?;
    }
    files.sort();
    Ok(files)
}

fn collect(
    root: &Path,
    relative: &Path,
    skip: &dyn Fn(&Path) -> bool,
    files: &mut Vec<PathBuf>,
) -> Result<()> {
    let folder = root.join(relative);
    let entries =
        fs::read_dir(&folder).with_context(|| format!("cannot read {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read {}", folder.display()))?;
        let path = relative.join(entry.file_name());
        // `metadata` follows links, so a linked file is copied as the file it points to.
        let is_dir = fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        if is_dir {
            if !skip(&path) {
                collect(root, &path, skip, files)?;
            }
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Copies `files` (relative paths) from the folder `from` into the folder `to`.
pub fn copy(from: &Path, to: &Path, files: &[PathBuf]) -> Result<()> {
    for file in files {
        let (source, destination) = (from.join(file), to.join(file));
        if let Some(parent) = destination.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        fs::copy(&source, &destination).with_context(|| {
            format!(
                "cannot copy {} to {}",
                source.display(),
                destination.display()
            )
        })?;
    }
    Ok(())
}

/// `a/b/../c` as `a/c`, without touching the disk; `None` when it climbs above its start.
pub fn normalize(path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<std::path::Component> = Vec::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => match parts.last() {
                Some(std::path::Component::Normal(_)) => {
                    parts.pop();
                }
                _ => return None,
            },
            other => parts.push(other),
        }
    }
    Some(parts.iter().collect())
}

/// True for a build-output folder, which is never copied, backed up or watched.
pub fn is_build_output(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == "target")
}

/// Removes the folders of `file` (a path relative to `root`) that its removal left empty; a
/// folder that still holds something stays, and so do the folders above it.
pub fn remove_empty_folders(root: &Path, file: &Path) {
    for folder in file
        .ancestors()
        .skip(1)
        .filter(|f| !f.as_os_str().is_empty())
    {
        if fs::remove_dir(root.join(folder)).is_err() {
            break;
        }
    }
}
