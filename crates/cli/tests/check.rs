//! `willis check --answers FILE`: the questionnaire without a terminal.

mod common;

use common::{ok, run, willis_in};

const ANSWERS: &str = r#"{
  "birth_date": "1979-04-02",
  "sex": "female",
  "urge_to_move": "yes",
  "worse_at_rest": "yes",
  "relieved_by_movement": "yes",
  "worse_evening_or_night": "yes",
  "not_explained_by_other_condition": "yes",
  "days_per_week": 5,
  "onset_time": "21:30",
  "body_parts": ["legs"],
  "rating": 7,
  "medicines": ["sertraline 50 mg", "Claritin"],
  "blood_results": [
    { "test": "ferritin", "value": 45, "unit": "ng/mL", "date": "2026-11-01" },
    { "test": "tsat", "value": 18, "unit": "%", "date": "2026-11-01" }
  ]
}"#;

#[test]
fn answers_file_makes_the_expected_record_and_shows_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("answers.json"), ANSWERS).unwrap();
    let stdout = ok(&mut willis_in(
        dir.path(),
        &[
            "check",
            "--answers",
            "answers.json",
            "--out",
            "me.json",
            "--as-of",
            "2026-11-23",
        ],
    ));
    assert!(stdout.contains("wrote your answers to me.json"), "{stdout}");
    assert!(stdout.contains("Diagnosis: likely RLS"), "{stdout}");
    assert!(
        stdout.contains("sertraline 50 mg can worsen RLS"),
        "{stdout}"
    );

    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("me.json")).unwrap())
            .unwrap();
    let expected = serde_json::json!({
        "format": "willis-record/1",
        "patient": { "birth_date": "1979-04-02", "sex": "female" },
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 5, "onset_time": "21:30", "body_parts": ["legs"]
        },
        "labs": [
            { "test": "ferritin", "value": 45.0, "unit": "ng/mL", "date": "2026-11-01" },
            { "test": "tsat", "value": 18.0, "unit": "%", "date": "2026-11-01" }
        ],
        "medications": [ { "name": "sertraline 50 mg" }, { "name": "Claritin" } ],
        "diary": [ { "date": "2026-11-23", "severity": 7, "onset_time": "21:30", "body_parts": ["legs"] } ]
    });
    assert_eq!(record, expected);

    // The record it wrote is a record `willis plan` reads.
    let plan = run(&mut willis_in(
        dir.path(),
        &[
            "plan",
            "me.json",
            "--as-of",
            "2026-11-23",
            "--format",
            "json",
        ],
    ));
    assert!(plan.status.success());
}

#[test]
fn not_sure_leaves_a_criterion_unknown_and_toml_answers_work() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("answers.toml"),
        "urge_to_move = \"yes\"\nworse_at_rest = \"not-sure\"\nrelieved_by_movement = \"no\"\n",
    )
    .unwrap();
    let stdout = ok(&mut willis_in(
        dir.path(),
        &[
            "check",
            "--answers",
            "answers.toml",
            "--as-of",
            "2026-11-23",
        ],
    ));
    assert!(stdout.contains("criteria not met"), "{stdout}");
    let record: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("willis-record.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(record["symptoms"]["urge_to_move"], true);
    assert_eq!(record["symptoms"]["relieved_by_movement"], false);
    assert!(record["symptoms"].get("worse_at_rest").is_none());
}

#[test]
fn bad_answers_name_the_field_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (r#"{"urge_to_move": "maybe"}"#, "urge_to_move"),
        (r#"{"shoe_size": 44}"#, "shoe_size"),
        (r#"{"days_per_week": 9}"#, "days_per_week"),
        (
            r#"{"blood_results": [{"test": "ferritin", "value": 45, "unit": "kg", "date": "2026-11-01"}]}"#,
            "unit",
        ),
    ];
    for (text, field) in cases {
        std::fs::write(dir.path().join("bad.json"), text).unwrap();
        let out = run(&mut willis_in(
            dir.path(),
            &["check", "--answers", "bad.json"],
        ));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text}");
        assert!(stderr.contains(field), "{text}: {stderr}");
        assert!(!dir.path().join("willis-record.json").exists());
    }
}

#[test]
fn without_a_terminal_or_answers_it_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&mut willis_in(dir.path(), &["check"]));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--answers FILE"));
}

#[test]
fn answers_can_go_to_the_journal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("answers.json"), ANSWERS).unwrap();
    let db = format!("sqlite://{}", dir.path().join("j.db").display());
    let out = ok(&mut willis_in(
        dir.path(),
        &[
            "--db",
            &db,
            "check",
            "--answers",
            "answers.json",
            "--as-of",
            "2026-11-23",
        ],
    ));
    assert!(out.contains("stored 7 journal entries"));
    let plan = run(&mut willis_in(
        dir.path(),
        &[
            "--db",
            &db,
            "plan",
            "--format",
            "json",
            "--as-of",
            "2026-11-23",
        ],
    ));
    let a: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    assert_eq!(a["diagnosis"]["status"], "likely-rls");
    assert_eq!(a["iron"]["ferritin_ug_per_l"], 45.0);
}

#[test]
fn sleep_and_red_flag_answers_reach_the_plan() {
    let dir = tempfile::tempdir().unwrap();
    let answers = ANSWERS.replacen(
        "\"rating\": 7,",
        "\"rating\": 7, \"one_sided\": \"yes\", \"weakness_or_numbness\": \"no\", \
         \"impulse_control_problems\": \"not-sure\", \"snoring\": \"yes\", \
         \"witnessed_apneas\": \"yes\", \"daytime_sleepiness\": \"not-sure\", \
         \"limb_jerks\": \"no\",",
        1,
    );
    std::fs::write(dir.path().join("answers.json"), answers).unwrap();
    ok(&mut willis_in(
        dir.path(),
        &[
            "check",
            "--answers",
            "answers.json",
            "--as-of",
            "2026-11-23",
            "--out",
            "r.json",
        ],
    ));
    let record: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(record["symptoms"]["one_sided"], true);
    assert_eq!(record["symptoms"]["weakness_or_numbness"], false);
    assert!(record["symptoms"]["impulse_control_problems"].is_null());
    assert_eq!(record["sleep"]["witnessed_apneas"], true);
    assert_eq!(record["sleep"]["limb_jerks_reported"], false);
    assert!(record["sleep"]["excessive_daytime_sleepiness"].is_null());

    let plan = run(&mut willis_in(
        dir.path(),
        &[
            "plan",
            "r.json",
            "--format",
            "json",
            "--as-of",
            "2026-11-23",
        ],
    ));
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let ids: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"refer.sleep-study"), "{ids:?}");
    assert!(
        ids.contains(&"refer.specialist"),
        "one-sided symptoms: {ids:?}"
    );
}
