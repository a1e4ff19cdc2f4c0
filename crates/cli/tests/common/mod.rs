//! How the integration tests run the `willis` binary, in one place.
//!
//! Every test runs the binary the same way: [`willis`] (or [`willis_in`], or a
//! [`Journal`]'s command) builds the `Command`, and [`run`], [`ok`] and
//! [`fails`] run it. The command is cut off from the caller's journal
//! (`WILLIS_DB` and `WILLIS_PERSON` removed), has no colour (`NO_COLOR=1`) and
//! no standard input. `WILLIS_TODAY` is deliberately passed through: running
//! the suite with it set to a far-off day shows that no test depends on the
//! day it runs. A test that needs a fixed "today" pins it with
//! [`Journal::command_on`].
//!
//! Each test file compiles this module on its own and uses only part of it,
//! hence the `dead_code` allowance.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The date the sample plans are made for.
pub const AS_OF: &str = "2026-11-23";

/// The root of the repository.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The directory of sample records, `examples/records/`.
pub fn records() -> PathBuf {
    root().join("examples/records")
}

/// The path of the sample record `name`, ready to pass as an argument.
pub fn sample(name: &str) -> String {
    records().join(name).to_str().unwrap().to_string()
}

/// Every sample record, sorted by name.
pub fn samples() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(records())
        .expect("examples/records exists")
        .map(|e| e.expect("readable entry").path())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "a handful of sample records");
    files
}

/// `willis ARGS`, cut off from the caller's journal, without colour or input.
pub fn willis(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_willis"));
    cmd.args(args)
        .env_remove("WILLIS_DB")
        .env_remove("WILLIS_PERSON")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    cmd
}

/// [`willis`], run in `dir` (where files named without a directory go).
pub fn willis_in(dir: &Path, args: &[&str]) -> Command {
    let mut cmd = willis(args);
    cmd.current_dir(dir);
    cmd
}

/// Runs the command, whatever its outcome.
pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("the willis binary runs")
}

/// Runs a command that must succeed; returns its standard output.
pub fn ok(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(
        out.status.success(),
        "willis {}: {}",
        shown(cmd),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Runs a command that must fail, without a panic; returns its standard error.
pub fn fails(cmd: &mut Command) -> String {
    let out = run(cmd);
    assert!(!out.status.success(), "willis {} should fail", shown(cmd));
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// The command's arguments, for messages.
fn shown(cmd: &Command) -> String {
    cmd.get_args()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A journal of its own: a temporary directory, which commands run in, and a
/// database in it that they use through `WILLIS_DB`.
pub struct Journal {
    pub dir: tempfile::TempDir,
    /// The `sqlite://` URL of the journal's database.
    pub url: String,
}

impl Journal {
    pub fn new() -> Journal {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}", dir.path().join("willis.db").display());
        Journal { dir, url }
    }

    /// `willis ARGS` on this journal.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = willis_in(self.dir.path(), args);
        cmd.env("WILLIS_DB", &self.url);
        cmd
    }

    /// `willis ARGS` on this journal, with today pinned (`WILLIS_TODAY`).
    pub fn command_on(&self, today: &str, args: &[&str]) -> Command {
        let mut cmd = self.command(args);
        cmd.env("WILLIS_TODAY", today);
        cmd
    }

    /// Runs a command, whatever its outcome.
    pub fn run(&self, args: &[&str]) -> Output {
        run(&mut self.command(args))
    }

    /// Runs a command that must succeed; returns its standard output.
    pub fn ok(&self, args: &[&str]) -> String {
        ok(&mut self.command(args))
    }

    /// Runs a command that must fail; returns its standard error.
    pub fn fails(&self, args: &[&str]) -> String {
        fails(&mut self.command(args))
    }

    /// Like [`Journal::fails`], with today pinned.
    pub fn fails_on(&self, today: &str, args: &[&str]) -> String {
        fails(&mut self.command_on(today, args))
    }

    /// `willis plan --format json EXTRA...`, parsed.
    pub fn plan_json(&self, extra: &[&str]) -> serde_json::Value {
        let mut args = vec!["plan", "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&self.ok(&args)).expect("the plan is JSON")
    }
}
