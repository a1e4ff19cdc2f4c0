//! `willis letter` end to end: a PDF (default) or HTML letter written whole to
//! `--out`, from a record file or the journal, and clear refusals.

mod common;

use common::{ok, run, sample, willis_in, AS_OF};

#[cfg(feature = "pdf")]
#[test]
fn pdf_letter_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample("typical-low-ferritin.json");
    let note = ok(&mut willis_in(
        dir.path(),
        &["letter", &file, "--as-of", AS_OF, "--name", "Ann Lee"],
    ));
    assert!(note.contains("letter.pdf"), "{note}");
    let bytes = std::fs::read(dir.path().join("letter.pdf")).unwrap();
    assert!(bytes.starts_with(b"%PDF"));
    // Nothing but the letter is left behind (no temporary files).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["letter.pdf"]);
}

#[test]
fn html_letter_to_a_named_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("for-dr-smith.html");
    ok(&mut willis_in(
        dir.path(),
        &[
            "letter",
            &sample("ferritin-above-300.json"),
            "--as-of",
            AS_OF,
            "--format",
            "html",
            "--out",
            target.to_str().unwrap(),
        ],
    ));
    let html = std::fs::read_to_string(&target).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("opioid-risk alerts"));
    assert!(html.contains("340 µg/L"));
}

#[test]
fn html_letter_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let html = ok(&mut willis_in(
        dir.path(),
        &[
            "letter",
            &sample("typical-low-ferritin.json"),
            "--as-of",
            AS_OF,
            "--format",
            "html",
            "--out",
            "-",
        ],
    ));
    assert!(html.contains("1000 mg"), "{html}");
    assert!(html.contains("ferric carboxymaltose"), "{html}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn letter_from_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("j.db").display());
    for args in [
        vec![
            "log",
            "symptoms",
            "--urge",
            "yes",
            "--rest",
            "yes",
            "--movement",
            "yes",
            "--evening",
            "yes",
            "--not-explained",
            "yes",
            "--irls",
            "24",
        ],
        vec![
            "log",
            "lab",
            "ferritin",
            "45",
            "ng/mL",
            "--date",
            "2026-11-01",
        ],
    ] {
        let mut full = vec!["--db", db.as_str()];
        full.extend(args);
        // The journal's own commands are tested elsewhere; here they only set
        // the scene, so a changed flag shows up as this test's failure.
        ok(&mut willis_in(dir.path(), &full));
    }
    // No --as-of: the journal knows only what was logged by now (today).
    ok(&mut willis_in(
        dir.path(),
        &["--db", &db, "letter", "--format", "html", "--out", "l.html"],
    ));
    let html = std::fs::read_to_string(dir.path().join("l.html")).unwrap();
    assert!(html.contains("45 ng/mL"), "{html}");
}

#[test]
fn a_broken_record_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"format": "willis-record/1", "labs": [{"test": "ferritin", "value": 45, "unit": "mg/furlong", "date": "2026-11-01"}]}"#).unwrap();
    let out = run(&mut willis_in(
        dir.path(),
        &["letter", bad.to_str().unwrap(), "--as-of", AS_OF],
    ));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mg/furlong"), "{err}");
    assert!(!dir.path().join("letter.pdf").exists());
}

#[cfg(not(feature = "pdf"))]
#[test]
fn without_the_pdf_feature_the_pdf_letter_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut willis_in(
        dir.path(),
        &[
            "letter",
            &sample("typical-low-ferritin.json"),
            "--as-of",
            AS_OF,
        ],
    ));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--format html"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
