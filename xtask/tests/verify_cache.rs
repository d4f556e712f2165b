//! Tests of `verify`'s memory: a chapter that passed is not graded again while none of the files
//! it depends on changes; any change to them, or `--fresh`, grades it again.
//!
//! They run the runner on a throwaway copy of the small fixture workbook (`tests/fixtures/kit/`),
//! whose chapter 2 gets the classic mistake and the two correct variants `verify` asks for.

mod common;

use common::*;

/// The fixture's chapter 2, ready to verify: one classic mistake, two correct variants.
fn verifiable(scratch: &Scratch) -> std::path::PathBuf {
    let root = fixture(scratch);
    write(
        &root,
        "solutions/ch02-double/mutants.toml",
        "[[mutant]]\nname = \"triples\"\nwhy = \"three is not two\"\nfile = \"src/lib.rs\"\n\
         find = \"n * 2\"\nreplace = \"n * 3\"\ncaught_by = [\"doubles_two\"]\n",
    );
    let variant = |body: &str| {
        format!(
            "//! Doubles differently.\n\npub fn double(n: u32) -> u32 {{\n    {body}\n}}\n\n\
             #[cfg(test)]\n#[path = \"../../../exercises/ch02-double/src/tests.rs\"]\nmod tests;\n"
        )
    };
    write(
        &root,
        "solutions/ch02-double/variants/sum.rs",
        &variant("n + n"),
    );
    write(
        &root,
        "solutions/ch02-double/variants/shift.rs",
        &variant("n << 1"),
    );
    // The lock file is part of what a verdict depends on: make it now, not during the first run.
    let locked = std::process::Command::new(env!("CARGO"))
        .current_dir(&root)
        .args(["generate-lockfile", "--offline"])
        .output()
        .expect("cannot run cargo");
    assert!(locked.status.success(), "{}", said(&locked));
    root
}

#[test]
fn a_chapter_that_passed_is_graded_again_only_when_its_files_change() {
    let scratch = Scratch::new("verify-cache");
    let root = verifiable(&scratch);
    let first = on_fixture(&root, &["verify", "ch2"]);
    assert!(first.status.success(), "{}", said(&first));
    assert!(!said(&first).contains("as last time"), "{}", said(&first));

    let second = on_fixture(&root, &["verify", "ch2"]);
    assert!(second.status.success(), "{}", said(&second));
    assert!(
        said(&second).contains(
            "2 tests, 2 correct variants (shift, sum) and 1 classic mistake, as last time"
        ),
        "nothing changed, so nothing should be graded again:\n{}",
        said(&second)
    );
    assert!(
        !said(&second).contains("Compiling"),
        "nothing should be compiled either:\n{}",
        said(&second)
    );

    let fresh = on_fixture(&root, &["verify", "ch2", "--fresh"]);
    assert!(!said(&fresh).contains("as last time"), "{}", said(&fresh));

    let solution = root.join("solutions/ch02-double/src/lib.rs");
    let text = std::fs::read_to_string(&solution).unwrap();
    std::fs::write(&solution, format!("{text}// An edit.\n")).unwrap();
    let edited = on_fixture(&root, &["verify", "ch2"]);
    assert!(
        !said(&edited).contains("as last time"),
        "the solution changed, so it should be graded again:\n{}",
        said(&edited)
    );
}
