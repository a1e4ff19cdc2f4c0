//! The two questions of time, through the binary: `--as-of` (the date the plan
//! is made for; facts count by their own dates, whenever they were typed in)
//! and `--known-at` (the journal as it stood at a moment), and the refusal of
//! facts dated after today. Every test here holds on any day: the entries are
//! recorded "now" for fixed past dates, and "today" is pinned with
//! `WILLIS_TODAY` where a test needs it.

use chrono::{DateTime, Utc};

mod common;

use common::{ok, Journal};

/// The ferritin the plan works from.
fn ferritin(j: &Journal, extra: &[&str]) -> serde_json::Value {
    j.plan_json(extra)["iron"]["ferritin_ug_per_l"].clone()
}

fn lab(test: &str, value: &str, unit: &str, date: &str) -> Vec<String> {
    [
        "log",
        "lab",
        test,
        value,
        unit,
        "--date",
        date,
        "--fasting",
        "--morning",
    ]
    .map(String::from)
    .to_vec()
}

fn log(j: &Journal, args: Vec<String>) -> String {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    j.ok(&args)
}

/// Symptoms and two ferritins, all typed in now for dates in 2026.
fn journal_typed_in_today() -> Journal {
    let j = Journal::new();
    j.ok(&[
        "log",
        "patient",
        "--birth-date",
        "1975-02-01",
        "--sex",
        "male",
    ]);
    j.ok(&[
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
        "4",
        "--irls",
        "21",
    ]);
    log(&j, lab("ferritin", "40", "ng/mL", "2026-03-02"));
    log(&j, lab("tsat", "18", "%", "2026-03-02"));
    log(&j, lab("ferritin", "90", "ng/mL", "2026-06-01"));
    log(&j, lab("tsat", "25", "%", "2026-06-01"));
    j
}

#[test]
fn as_of_uses_results_typed_in_today_for_earlier_dates() {
    let j = journal_typed_in_today();
    // Entered today, dated in March: a plan for 10 March sees them.
    let march = j.plan_json(&["--as-of", "2026-03-10"]);
    assert_eq!(march["as_of"], "2026-03-10");
    assert_eq!(march["iron"]["ferritin_ug_per_l"], 40.0);
    assert_eq!(march["iron"]["measured_on"], "2026-03-02");
    assert_eq!(march["diagnosis"]["status"], "likely-rls");
    // The June result is left out before June, and used from its date on.
    assert_eq!(ferritin(&j, &["--as-of", "2026-05-31"]), 40.0);
    assert_eq!(ferritin(&j, &["--as-of", "2026-06-01"]), 90.0);
    // Before any result, the plan asks for the blood tests.
    let february = j.plan_json(&["--as-of", "2026-02-01"]);
    assert!(february["iron"]["ferritin_ug_per_l"].is_null());
    let ids = february.to_string();
    assert!(ids.contains("\"test.iron-panel\""), "{ids}");
}

#[test]
fn a_file_and_the_journal_agree_on_as_of() {
    let j = journal_typed_in_today();
    let file = j.dir.path().join("record.json");
    std::fs::write(
        &file,
        r#"{ "format": "willis-record/1",
             "patient": { "birth_date": "1975-02-01", "sex": "male" },
             "symptoms": { "urge_to_move": true, "worse_at_rest": true,
                           "relieved_by_movement": true, "worse_evening_or_night": true,
                           "not_explained_by_other_condition": true,
                           "days_per_week": 4, "irls_total": 21 },
             "labs": [
               { "test": "ferritin", "value": 40, "unit": "ng/mL", "date": "2026-03-02", "fasting": true, "morning": true },
               { "test": "tsat", "value": 18, "unit": "%", "date": "2026-03-02", "fasting": true, "morning": true },
               { "test": "ferritin", "value": 90, "unit": "ng/mL", "date": "2026-06-01", "fasting": true, "morning": true },
               { "test": "tsat", "value": 25, "unit": "%", "date": "2026-06-01", "fasting": true, "morning": true }
             ] }"#,
    )
    .unwrap();
    for as_of in ["2026-03-10", "2026-05-31", "2026-06-01", "2026-09-30"] {
        assert_eq!(
            j.plan_json(&["--as-of", as_of]),
            j.plan_json(&[file.to_str().unwrap(), "--as-of", as_of]),
            "as of {as_of}"
        );
    }
}

#[test]
fn known_at_shows_the_journal_as_it_stood() {
    let j = Journal::new();
    log(&j, lab("ferritin", "400", "ng/mL", "2026-03-02"));
    let after_typo = Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    j.ok(&[
        "correct",
        "1",
        "lab",
        "ferritin",
        "40",
        "ng/mL",
        "--date",
        "2026-03-02",
        "--fasting",
        "--morning",
    ]);
    let after_correction = Utc::now();
    std::thread::sleep(std::time::Duration::from_millis(20));
    j.ok(&["undo"]);

    let moment = |t: DateTime<Utc>| t.to_rfc3339();
    let as_of = ["--as-of", "2026-03-10"];
    let at = |t: DateTime<Utc>| {
        let t = moment(t);
        ferritin(&j, &[as_of[0], as_of[1], "--known-at", &t])
    };
    assert_eq!(at(after_typo), 400.0);
    assert_eq!(at(after_correction), 40.0);
    // Now: the undo restored the first value.
    assert_eq!(ferritin(&j, &as_of), 400.0);
    // Before anything was recorded, the journal held nothing.
    let before = j.plan_json(&["--as-of", "2026-03-10", "--known-at", "2000-01-01"]);
    assert!(before["iron"]["ferritin_ug_per_l"].is_null());

    // history --known-at shows only what had been recorded by then.
    let history = j.ok(&["history", "--known-at", &moment(after_typo)]);
    assert!(history.contains("ferritin 400"), "{history}");
    assert!(!history.contains("corrected by"), "{history}");
    let history = j.ok(&["history"]);
    assert!(history.contains("corrected by #2"), "{history}");
}

#[test]
fn known_at_is_for_the_journal_only_and_must_be_a_moment() {
    let j = Journal::new();
    let file = j.dir.path().join("record.json");
    std::fs::write(&file, r#"{ "format": "willis-record/1" }"#).unwrap();
    let out = j.run(&["plan", file.to_str().unwrap(), "--known-at", "2026-11-01"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--known-at") && err.contains("record file"),
        "{err}"
    );
    let out = j.run(&["plan", "--known-at", "last tuesday"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

#[test]
fn facts_dated_after_today_are_refused_in_the_journal() {
    let j = Journal::new();
    let today = "2026-12-01";
    let err = j.fails_on(
        today,
        &[
            "log",
            "lab",
            "ferritin",
            "45",
            "ng/mL",
            "--date",
            "2026-12-02",
        ],
    );
    assert!(
        err.contains("2026-12-02 is after today (2026-12-01)"),
        "{err}"
    );
    let err = j.fails_on(
        today,
        &["log", "diary", "--severity", "4", "--date", "2027-01-01"],
    );
    assert!(err.contains("after today"), "{err}");
    let err = j.fails_on(
        today,
        &["log", "med", "start", "gabapentin", "--date", "2026-12-25"],
    );
    assert!(err.contains("after today"), "{err}");
    let err = j.fails_on(today, &["log", "patient", "--birth-date", "2030-01-01"]);
    assert!(
        err.contains("birth_date") && err.contains("after today"),
        "{err}"
    );
    // Nothing was written.
    assert!(j.ok(&["history"]).contains("no entries"));
    // The day itself is accepted.
    ok(&mut j.command_on(
        today,
        &["log", "lab", "ferritin", "45", "ng/mL", "--date", today],
    ));
}

#[test]
fn facts_dated_after_today_are_refused_in_a_record_file() {
    let j = Journal::new();
    let file = j.dir.path().join("record.json");
    std::fs::write(
        &file,
        r#"{ "format": "willis-record/1",
             "labs": [ { "test": "ferritin", "value": 45, "unit": "ng/mL", "date": "2026-11-30" },
                       { "test": "tsat", "value": 20, "unit": "%", "date": "2062-11-30" } ] }"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();
    for command in ["plan", "remind", "letter"] {
        let err = j.fails_on("2026-12-01", &[command, path]);
        assert!(
            err.contains("labs[1].date: 2062-11-30 is after today (2026-12-01)"),
            "{command}: {err}"
        );
    }
}

#[test]
fn the_default_as_of_is_today() {
    let j = Journal::new();
    let file = j.dir.path().join("record.json");
    std::fs::write(&file, r#"{ "format": "willis-record/1" }"#).unwrap();
    let out = ok(&mut j.command_on(
        "2031-07-04",
        &["plan", "--format", "json", file.to_str().unwrap()],
    ));
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(plan["as_of"], "2031-07-04");
    let err = j.fails_on("31 July", &["plan", file.to_str().unwrap()]);
    assert!(err.contains("WILLIS_TODAY"), "{err}");
}

#[test]
fn sleep_and_red_flags_can_be_logged() {
    let j = journal_typed_in_today();
    j.ok(&["log", "sleep", "--snoring", "no", "--date", "2026-03-01"]);
    j.ok(&[
        "log",
        "sleep",
        "--snoring",
        "yes",
        "--sleepy",
        "yes",
        "--epworth",
        "13",
        "--date",
        "2026-05-01",
    ]);
    j.ok(&[
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
        "4",
        "--irls",
        "21",
        "--weakness",
        "yes",
        "--date",
        "2026-05-01",
    ]);
    let history = j.ok(&["history"]);
    assert!(history.contains("snoring, daytime sleepiness"), "{history}");
    let csv = j.ok(&["export", "--format", "csv"]);
    assert!(csv.contains("IRLS 21, weakness or numbness"), "{csv}");
    let ids = |as_of: &str| j.plan_json(&["--as-of", as_of]).to_string();
    // From 1 May the newer sleep answers count; before, the March ones.
    assert!(ids("2026-05-01").contains("\"refer.sleep-study\""));
    assert!(!ids("2026-04-30").contains("\"refer.sleep-study\""));
    // A bad value names its field.
    let out = j.run(&["log", "sleep", "--epworth", "30"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("epworth"), "{err}");
}
