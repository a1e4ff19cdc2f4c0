//! The local tracker end to end: `willis log ...` then `willis plan --db` gives
//! the same assessment as `willis plan` on the equivalent record file; history,
//! undo, correct, export and import through the binary.

use std::path::Path;
mod common;

use common::{ok, willis, Journal, AS_OF};

const LOG: &[&[&str]] = &[
    &[
        "log",
        "patient",
        "--birth-date",
        "1969-09-14",
        "--sex",
        "female",
        "--weight-kg",
        "64",
    ],
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
        "5",
        "--irls",
        "23",
        "--onset",
        "21:00",
        "--areas",
        "legs",
    ],
    &[
        "log",
        "condition",
        "peripheral-neuropathy",
        "--date",
        "2020-01-01",
    ],
    &[
        "log",
        "lab",
        "ferritin",
        "38",
        "ng/mL",
        "--date",
        "2026-11-10",
        "--fasting",
        "--morning",
    ],
    &[
        "log",
        "lab",
        "iron",
        "9",
        "umol/L",
        "--date",
        "2026-11-10",
        "--fasting",
        "--morning",
    ],
    &[
        "log",
        "lab",
        "tibc",
        "70",
        "umol/L",
        "--date",
        "2026-11-10",
        "--fasting",
        "--morning",
    ],
    &[
        "log",
        "lab",
        "vitamin_d",
        "40",
        "nmol/L",
        "--date",
        "2026-11-10",
    ],
    &[
        "log",
        "lab",
        "hemoglobin",
        "11.6",
        "g/dL",
        "--date",
        "2026-11-10",
    ],
    &[
        "log",
        "med",
        "start",
        "Zoloft",
        "--dose",
        "50 mg",
        "--date",
        "2024-05-01",
    ],
    &["log", "med", "start", "gabapentin", "--date", "2025-01-01"],
    &[
        "log",
        "med",
        "stop",
        "gabapentin",
        "--date",
        "2025-03-01",
        "--outcome",
        "side-effects",
    ],
    &[
        "log",
        "iron",
        "oral",
        "start",
        "--product",
        "ferrous bisglycinate",
        "--elemental-mg",
        "75",
        "--schedule",
        "daily",
        "--date",
        "2026-08-01",
    ],
    &[
        "log",
        "habits",
        "--caffeine-drinks-per-day",
        "3",
        "--smoker",
        "no",
    ],
    &[
        "log",
        "diary",
        "--severity",
        "7",
        "--onset",
        "21:30",
        "--areas",
        "legs",
        "--sleep",
        "5.5",
        "--date",
        "2026-11-20",
    ],
];

/// The same facts as `LOG`, as a record file.
const RECORD: &str = r#"{
  "format": "willis-record/1",
  "patient": { "birth_date": "1969-09-14", "sex": "female", "weight_kg": 64 },
  "conditions": ["peripheral-neuropathy"],
  "symptoms": {
    "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
    "worse_evening_or_night": true, "not_explained_by_other_condition": true,
    "days_per_week": 5, "irls_total": 23, "onset_time": "21:00", "body_parts": ["legs"]
  },
  "labs": [
    { "test": "ferritin", "value": 38, "unit": "ng/mL", "date": "2026-11-10", "fasting": true, "morning": true },
    { "test": "iron", "value": 9, "unit": "umol/L", "date": "2026-11-10", "fasting": true, "morning": true },
    { "test": "tibc", "value": 70, "unit": "umol/L", "date": "2026-11-10", "fasting": true, "morning": true },
    { "test": "vitamin_d", "value": 40, "unit": "nmol/L", "date": "2026-11-10" },
    { "test": "hemoglobin", "value": 11.6, "unit": "g/dL", "date": "2026-11-10" }
  ],
  "medications": [
    { "name": "Zoloft", "dose": "50 mg", "started": "2024-05-01" },
    { "name": "gabapentin", "started": "2025-01-01", "stopped": "2025-03-01", "outcome": "side-effects" }
  ],
  "iron_treatments": [
    { "route": "oral", "product": "ferrous bisglycinate", "elemental_mg": 75,
      "started": "2026-08-01", "schedule": "daily" }
  ],
  "habits": { "caffeine_drinks_per_day": 3, "smoker": false },
  "diary": [ { "date": "2026-11-20", "severity": 7, "onset_time": "21:30", "body_parts": ["legs"], "sleep_hours": 5.5 } ]
}"#;

fn log_all(j: &Journal) {
    for args in LOG {
        j.ok(args);
    }
}

#[test]
fn logged_journal_plans_like_the_record_file() {
    let j = Journal::new();
    log_all(&j);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("record.json");
    std::fs::write(&file, RECORD).unwrap();
    let from_db = j.plan_json(&["--as-of", AS_OF, "--db", &j.url]);
    let from_file = j.plan_json(&["--as-of", AS_OF, file.to_str().unwrap()]);
    assert_eq!(from_db, from_file);
    // And the plan is a real one: iron and the warning about the SSRI.
    let ids: Vec<&str> = from_db["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"iron.iv"), "{ids:?}");
    assert!(ids.contains(&"iron.oral"), "{ids:?}");
    // Text output works from the journal too.
    assert!(j
        .ok(&["plan", "--as-of", AS_OF])
        .contains("ASK YOUR DOCTOR"));
}

#[test]
fn a_new_result_changes_the_plan() {
    let j = Journal::new();
    log_all(&j);
    let before = j.plan_json(&["--as-of", AS_OF]);
    assert!(before.to_string().contains("\"iron.iv\""));
    j.ok(&[
        "log",
        "lab",
        "ferritin",
        "420",
        "ug/L",
        "--date",
        "2026-11-21",
        "--fasting",
        "--morning",
    ]);
    j.ok(&[
        "log",
        "lab",
        "tsat",
        "30",
        "%",
        "--date",
        "2026-11-21",
        "--fasting",
        "--morning",
    ]);
    let after = j.plan_json(&["--as-of", AS_OF]);
    let text = after.to_string();
    assert!(text.contains("\"iron.not-indicated\""), "{text}");
    assert!(!text.contains("\"iron.iv\""));
    assert_eq!(after["iron"]["ferritin_ug_per_l"], 420.0);
}

#[test]
fn correct_and_undo_keep_history() {
    let j = Journal::new();
    log_all(&j);
    // Entry 4 is the ferritin of 38.
    let out = j.ok(&[
        "correct",
        "4",
        "lab",
        "ferritin",
        "380",
        "ng/mL",
        "--date",
        "2026-11-10",
        "--fasting",
        "--morning",
    ]);
    assert!(out.starts_with("corrected #15"), "{out}");
    assert_eq!(
        j.plan_json(&["--as-of", AS_OF])["iron"]["ferritin_ug_per_l"],
        380.0
    );
    let history = j.ok(&["history"]);
    assert!(history.contains("corrected by #15"), "{history}");

    // Undo the correction: the original value is back, and both stay in history.
    let out = j.ok(&["undo"]);
    assert!(out.contains("#4 is back"), "{out}");
    assert_eq!(
        j.plan_json(&["--as-of", AS_OF])["iron"]["ferritin_ug_per_l"],
        38.0
    );
    let history = j.ok(&["history"]);
    assert!(history.contains("ferritin 380 ng/mL"), "{history}");

    // Undo a plain entry: a tombstone hides it.
    j.ok(&[
        "log",
        "lab",
        "ferritin",
        "500",
        "ug/L",
        "--date",
        "2026-11-22",
    ]);
    assert_eq!(
        j.plan_json(&["--as-of", AS_OF])["iron"]["ferritin_ug_per_l"],
        500.0
    );
    j.ok(&["undo"]);
    assert_eq!(
        j.plan_json(&["--as-of", AS_OF])["iron"]["ferritin_ug_per_l"],
        38.0
    );
    assert!(j.ok(&["history"]).contains("deleted by #"));

    // A correction must be of the same kind, and of an entry that exists.
    assert!(j
        .fails(&["correct", "4", "diary", "--severity", "3"])
        .contains("same kind"));
    assert!(j
        .fails(&["correct", "999", "lab", "ferritin", "1", "ng/mL"])
        .contains("no entry #999"));
}

#[test]
fn history_since_filters_by_date() {
    let j = Journal::new();
    log_all(&j);
    let recent = j.ok(&["history", "--since", "2026-11-15"]);
    assert!(recent.contains("severity 7/10"), "{recent}");
    assert!(!recent.contains("Zoloft"), "{recent}");
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let j = Journal::new();
    log_all(&j);
    let before = j.ok(&["export"]);
    let err = j.fails(&["log", "lab", "ferritin", "45", "mg/furlong"]);
    assert!(
        err.contains("\"mg/furlong\" is not a unit for ferritin"),
        "{err}"
    );
    let err = j.fails(&["log", "lab", "vitamin_d", "-3", "ng/mL"]);
    assert!(err.contains("not a plausible vitamin_d result"), "{err}");
    let err = j.fails(&["log", "diary", "--onset", "25:00"]);
    assert!(err.contains("onset_time"), "{err}");
    let err = j.fails(&[
        "log",
        "lab",
        "ferritin",
        "45",
        "ng/mL",
        "--date",
        "2026-02-30",
    ]);
    assert!(err.contains("2026-02-30"), "{err}");
    let err = j.fails(&["log", "patient", "--sex", "robot"]);
    assert!(err.contains("sex"), "{err}");
    // The failed commands wrote nothing but audit rows, which export also holds:
    // compare the journal entries only.
    let entries = |text: &str| {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["entries"].clone()
    };
    assert_eq!(entries(&before), entries(&j.ok(&["export"])));
}

#[test]
fn export_then_import_into_an_empty_database_is_identical() {
    let j = Journal::new();
    log_all(&j);
    j.ok(&[
        "correct",
        "4",
        "lab",
        "ferritin",
        "40",
        "ng/mL",
        "--date",
        "2026-11-10",
    ]);
    j.ok(&["undo"]);
    let backup = j.ok(&["export"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("backup.json");
    std::fs::write(&file, &backup).unwrap();

    let k = Journal::new();
    let out = k.ok(&["import", file.to_str().unwrap()]);
    assert!(out.contains("journal entries"), "{out}");
    // The first export wrote its own audit row before the snapshot; the second
    // export adds one more: everything else is the same.
    let strip_last_audit = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["audit"]
            .as_array_mut()
            .unwrap()
            .retain(|a| a["action"] != "export");
        v
    };
    assert_eq!(
        strip_last_audit(&backup),
        strip_last_audit(&k.ok(&["export"]))
    );
    assert_eq!(
        j.plan_json(&["--as-of", AS_OF]),
        k.plan_json(&["--as-of", AS_OF])
    );

    // A second import is refused (the database is no longer empty) and changes nothing.
    let err = k.fails(&["import", file.to_str().unwrap()]);
    assert!(err.contains("empty"), "{err}");
    // A broken backup names what is wrong.
    let broken = dir.path().join("broken.json");
    std::fs::write(
        &broken,
        r#"{"format":"willis-backup/1","users":[{"id":"x"}]}"#,
    )
    .unwrap();
    let fresh = Journal::new();
    let err = fresh.fails(&["import", broken.to_str().unwrap()]);
    assert!(err.contains("users[0]"), "{err}");
}

#[test]
fn csv_export_has_a_row_per_entry() {
    let j = Journal::new();
    log_all(&j);
    let csv = j.ok(&["export", "--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,person,kind,effective"));
    assert_eq!(lines.len(), 1 + LOG.len());
    assert!(csv.contains("ferritin 38 ng/mL"));
}

#[test]
fn family_profiles_keep_separate_journals() {
    let j = Journal::new();
    log_all(&j);
    let err = j.fails(&["--person", "Sam", "log", "lab", "ferritin", "20", "ng/mL"]);
    assert!(err.contains("willis person add Sam"), "{err}");
    j.ok(&["person", "add", "Sam"]);
    j.ok(&[
        "--person",
        "Sam",
        "log",
        "patient",
        "--birth-date",
        "2015-06-01",
        "--sex",
        "male",
    ]);
    let sam = j.plan_json(&["--as-of", AS_OF, "--person", "Sam"]);
    assert_eq!(sam["pathway"], "pediatric");
    assert_eq!(j.plan_json(&["--as-of", AS_OF])["pathway"], "adult");
    let people = j.ok(&["person", "list"]);
    assert!(
        people.contains("me (write)") && people.contains("Sam (write)"),
        "{people}"
    );
}

#[test]
fn db_flag_overrides_the_environment() {
    let j = Journal::new();
    let other = Journal::new();
    j.ok(&["--db", &other.url, "log", "lab", "ferritin", "20", "ng/mL"]);
    assert!(j.ok(&["history"]).contains("no entries"));
    assert!(other.ok(&["history"]).contains("ferritin 20 ng/mL"));
    assert!(Path::new(other.url.trim_start_matches("sqlite://")).exists());
    let err = j.fails(&["--db", "mysql://x", "history"]);
    assert!(err.contains("mysql"), "{err}");
}

#[test]
fn default_journal_lives_in_the_data_directory() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    let run = |args: &[&str]| {
        ok(willis(args)
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", &data))
    };
    run(&[
        "log",
        "lab",
        "ferritin",
        "41",
        "ng/mL",
        "--date",
        "2026-11-01",
    ]);
    assert!(data.join("willis/willis.db").exists());
    let plan = run(&["plan", "--db", "--format", "json", "--as-of", AS_OF]);
    assert!(plan.contains("\"ferritin_ug_per_l\": 41.0"), "{plan}");
}
