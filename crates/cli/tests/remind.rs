//! `willis remind` end to end: a record file or the journal in, an iCalendar
//! file out (or on standard output), and nothing half-written on failure.

use std::path::Path;

mod common;

use common::{sample, Journal, AS_OF};

/// Files in `dir` other than the journal.
fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| !n.starts_with("willis.db"))
        .collect();
    names.sort();
    names
}

fn check_ics(ics: &str) {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'));
    assert!(ics.split("\r\n").all(|l| l.len() <= 75));
}

#[test]
fn writes_the_calendar_to_a_file() {
    let j = Journal::new();
    let target = j.dir.path().join("plan.ics");
    let said = j.ok(&[
        "remind",
        &sample("typical-low-ferritin.json"),
        "--as-of",
        AS_OF,
        "--out",
        target.to_str().unwrap(),
    ]);
    assert_eq!(
        said.trim_end(),
        format!("wrote 3 events to {}", target.display())
    );
    let ics = std::fs::read_to_string(&target).unwrap();
    check_ics(&ics);
    assert!(ics.contains("\r\nUID:retest.iron-2027-02-15@willis\r\n"));
    assert!(ics.contains("\r\nUID:review.after-iron-2027-01-04@willis\r\n"));
    assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20270215\r\n"));
    assert!(ics.contains("\r\nRRULE:FREQ=DAILY;INTERVAL=1;COUNT=84\r\n"));
    assert_eq!(files(j.dir.path()), ["plan.ics"], "no temporary file left");
}

#[test]
fn writes_to_standard_output_without_out() {
    let j = Journal::new();
    let ics = j.ok(&[
        "remind",
        &sample("typical-low-ferritin.json"),
        "--as-of",
        AS_OF,
        "--days",
        "0",
    ]);
    check_ics(&ics);
    // The retest and the review once iron has had time to work.
    assert_eq!(ics.matches("BEGIN:VEVENT").count(), 2);
    assert!(!ics.contains("RRULE"), "no doses with --days 0");
}

#[test]
fn days_and_guideline_are_passed_on() {
    let j = Journal::new();
    let ics = j.ok(&[
        "remind",
        &sample("typical-low-ferritin.json"),
        "--as-of",
        AS_OF,
        "--days",
        "30",
        "--guideline",
        "aasm-2024",
    ]);
    assert!(ics.contains("\r\nRRULE:FREQ=DAILY;INTERVAL=1;COUNT=30\r\n"));
    j.fails(&[
        "remind",
        &sample("typical-low-ferritin.json"),
        "--days",
        "100000",
    ]);
}

#[test]
fn a_failure_leaves_the_old_file_and_no_temporary_file() {
    let j = Journal::new();
    let target = j.dir.path().join("plan.ics");
    std::fs::write(&target, "the old calendar").unwrap();
    let broken = j.dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{ "format": "willis-record/1", "labs": [ { "test": "ferritin", "value": 40, "unit": "mg/furlong", "date": "2026-11-01" } ] }"#,
    )
    .unwrap();
    let err = j.fails(&[
        "remind",
        broken.to_str().unwrap(),
        "--as-of",
        AS_OF,
        "--out",
        target.to_str().unwrap(),
    ]);
    assert!(err.contains("mg/furlong"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the old calendar"
    );
    assert_eq!(files(j.dir.path()), ["broken.json", "plan.ics"]);

    // A directory that does not exist: an error naming it, nothing written.
    let nowhere = j.dir.path().join("missing/plan.ics");
    let err = j.fails(&[
        "remind",
        &sample("typical-low-ferritin.json"),
        "--as-of",
        AS_OF,
        "--out",
        nowhere.to_str().unwrap(),
    ]);
    assert!(err.contains("missing"), "{err}");
    assert!(!nowhere.exists());
}

#[test]
fn from_the_journal() {
    let j = Journal::new();
    for args in [
        &[
            "log",
            "patient",
            "--birth-date",
            "1972-06-01",
            "--sex",
            "female",
        ][..],
        &[
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
            "--days-per-week",
            "6",
            "--irls",
            "22",
            "--date",
            "2026-09-15",
        ],
        &[
            "log",
            "lab",
            "ferritin",
            "33",
            "ug/L",
            "--date",
            "2026-09-15",
            "--fasting",
            "--morning",
        ],
        &[
            "log",
            "lab",
            "tsat",
            "12",
            "%",
            "--date",
            "2026-09-15",
            "--fasting",
            "--morning",
        ],
        &[
            "log",
            "iron",
            "infusion",
            "--product",
            "ferric derisomaltose",
            "--dose-mg",
            "1000",
            "--date",
            "2026-11-01",
        ],
    ] {
        j.ok(args);
    }
    let target = j.dir.path().join("from-journal.ics");
    let said = j.ok(&[
        "remind",
        "--as-of",
        AS_OF,
        "--out",
        target.to_str().unwrap(),
    ]);
    assert!(said.starts_with("wrote 3 events to "), "{said}");
    let ics = std::fs::read_to_string(&target).unwrap();
    check_ics(&ics);
    assert!(ics.contains("\r\nUID:retest.iron-2026-12-27@willis\r\n"));
    assert!(ics.contains("\r\nUID:review.iv-response-2026-12-13@willis\r\n"));
    assert!(ics.contains("\r\nUID:review.after-iron-2026-12-13@willis\r\n"));
}
