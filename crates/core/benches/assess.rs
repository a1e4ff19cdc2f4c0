//! `assess` on a typical record and on a long one (two years of nightly diary,
//! 40 labs, a dopamine agonist so the diary trend is computed), plus parsing.
//!
//! Run with `cargo bench -p willis-core`.

use chrono::{Duration, NaiveDate};
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use serde_json::json;
use willis_core::{assess, parse_json, Profile};

const TYPICAL: &str = include_str!("../../../examples/records/typical-low-ferritin.json");

/// Two years of diary ending on `end`, 40 labs spread over the same time.
fn long_record(end: NaiveDate) -> String {
    let start = end - Duration::days(729);
    let diary: Vec<_> = (0..730)
        .map(|i| {
            let day = start + Duration::days(i);
            // Onset drifts from 21:30 towards 17:00 over the two years.
            let minutes = 21 * 60 + 30 - (i * 270 / 730);
            json!({
                "date": day.to_string(),
                "severity": (3 + i % 7) as u8,
                "onset_time": format!("{:02}:{:02}", minutes / 60, minutes % 60),
                "body_parts": if i > 600 { vec!["legs", "arms"] } else { vec!["legs"] },
                "sleep_hours": 5.5 + (i % 4) as f64 * 0.5,
            })
        })
        .collect();
    let tests = [
        ("ferritin", "ng/mL", 40.0),
        ("tsat", "%", 18.0),
        ("hemoglobin", "g/dL", 12.9),
        ("crp", "mg/L", 3.0),
        ("vitamin_d", "nmol/L", 60.0),
    ];
    let labs: Vec<_> = (0..40)
        .map(|i| {
            let (test, unit, value) = tests[i % tests.len()];
            let day = start + Duration::days((i / tests.len()) as i64 * 90);
            json!({ "test": test, "value": value + (i % 3) as f64, "unit": unit,
                    "date": day.to_string(), "fasting": true, "morning": true })
        })
        .collect();
    json!({
        "format": "willis-record/1",
        "patient": { "birth_date": "1966-08-01", "sex": "female" },
        "symptoms": {
            "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
            "worse_evening_or_night": true, "not_explained_by_other_condition": true,
            "days_per_week": 7, "irls_total": 27
        },
        "labs": labs,
        "medications": [
            { "name": "ropinirole", "dose": "1 mg", "started": start.to_string() },
            { "name": "sertraline", "started": "2020-01-01" },
            { "name": "gabapentin", "started": "2019-01-01", "stopped": "2019-06-01", "outcome": "ineffective" }
        ],
        "habits": { "caffeine_drinks_per_day": 2 },
        "diary": diary,
    })
    .to_string()
}

fn benches(c: &mut Criterion) {
    let as_of = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a valid date");
    let typical = parse_json(TYPICAL).expect("the sample record is valid");
    let long_text = long_record(as_of);
    let long = parse_json(&long_text).expect("the generated record is valid");
    assert!(long.diary.len() == 730 && long.labs.len() == 40);
    // The long record exercises the diary trend: augmentation must be found.
    assert!(assess(&long, as_of, Profile::Irlssg2018).has("warn.augmentation-suspected"));

    c.bench_function("assess/typical", |b| {
        b.iter(|| assess(black_box(&typical), as_of, Profile::Irlssg2018))
    });
    c.bench_function("assess/long (730 diary nights, 40 labs)", |b| {
        b.iter(|| assess(black_box(&long), as_of, Profile::Irlssg2018))
    });
    c.bench_function("parse/typical", |b| {
        b.iter(|| parse_json(black_box(TYPICAL)))
    });
    c.bench_function("parse/long", |b| {
        b.iter(|| parse_json(black_box(&long_text)))
    });
}

criterion_group!(assess_benches, benches);
criterion_main!(assess_benches);
