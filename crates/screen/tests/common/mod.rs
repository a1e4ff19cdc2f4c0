//! The committed fixture, shared by the screen's test files.

use std::path::{Path, PathBuf};

/// The fixture export: crates/screen/tests/data/bulk.
pub fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/bulk")
}

/// Every line of the fixture, file by file (files in name order).
pub fn fixture_lines() -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(fixture())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}
