//! Which files are the student's: the one rule that `grade` (which copies only these from a
//! student's repository into the instructor's trusted workbook) and `update` (which brings
//! everything else up to date and never touches these) share.
//!
//! A student writes the source of each chapter's exercise crate: every file under
//! `exercises/chNN-S/src/`, except the chapter's test file `src/tests.rs`, which grades them.
//! Everything else (the crate's `Cargo.toml`, so no build script or dependency of theirs; the
//! manifest and its points; the runner; testkit; the book; the workflows) is the instructor's.

use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use crate::files;
use crate::workbook::Chapter;

/// True when `relative`, a path relative to the workbook's root, is a student's file of
/// `chapter`: under the exercise's `src/` and not its test file. Paths that climb (`..`) or are
/// absolute are never the student's.
pub fn is_students(chapter: &Chapter, relative: &Path) -> bool {
    let plain = relative
        .components()
        .all(|part| matches!(part, Component::Normal(_)));
    let src = chapter.exercise_dir().join("src");
    plain && relative.starts_with(&src) && relative != chapter.tests_file() && relative != src
}

/// The student's files of `chapter` in the workbook at `root`, relative to the root, sorted.
/// A missing exercise folder has none.
pub fn students_files(root: &Path, chapter: &Chapter) -> Result<Vec<PathBuf>> {
    let src = chapter.exercise_dir().join("src");
    let files = files::list(&root.join(&src), &|_| false)?;
    Ok(files
        .into_iter()
        .map(|file| src.join(file))
        .filter(|file| is_students(chapter, file))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workbook::Workbook;

    fn chapter() -> Chapter {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let workbook = Workbook::load(root).unwrap();
        workbook.chapters[2].clone()
    }

    #[test]
    fn the_exercise_source_is_the_students_and_its_tests_are_not() {
        let chapter = chapter();
        let src = chapter.exercise_dir().join("src");
        assert!(is_students(&chapter, &src.join("lib.rs")));
        assert!(is_students(&chapter, &src.join("programs/server.rs")));
        assert!(!is_students(&chapter, &chapter.tests_file()));
        assert!(!is_students(&chapter, &src));
        assert!(!is_students(
            &chapter,
            &chapter.exercise_dir().join("Cargo.toml")
        ));
        assert!(!is_students(
            &chapter,
            &chapter.exercise_dir().join("build.rs")
        ));
        assert!(!is_students(&chapter, Path::new("chapters.toml")));
        assert!(!is_students(&chapter, &src.join("../build.rs")));
        assert!(!is_students(
            &chapter,
            &chapter.solution_dir().join("src/lib.rs")
        ));
    }

    #[test]
    fn the_students_files_of_a_chapter_are_found_in_its_source_folder() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let chapter = chapter();
        let found = students_files(root, &chapter).unwrap();
        assert!(found.contains(&chapter.exercise_dir().join("src/lib.rs")));
        assert!(!found.contains(&chapter.tests_file()));
    }
}
