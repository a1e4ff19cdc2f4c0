//! The SVG charts: well-formed, honest (one circle per measurement, nothing after
//! `as_of`, "Not enough data yet" below three points), with the rules' threshold
//! lines and the iron treatments marked.

use chrono::NaiveDate;
use serde_json::json;
use willis_core::{parse_json, Record};
use willis_report::chart::{diary_chart, iron_chart, Chart, NOT_ENOUGH_DATA};

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn record(value: serde_json::Value) -> Record {
    let mut file = json!({ "format": "willis-record/1" });
    for (k, v) in value.as_object().unwrap() {
        file[k] = v.clone();
    }
    parse_json(&file.to_string()).unwrap()
}

fn lab(test: &str, value: f64, unit: &str, date: &str) -> serde_json::Value {
    json!({ "test": test, "value": value, "unit": unit, "date": date,
            "fasting": true, "morning": true })
}

/// A year of iron care: five ferritins (one after the chart date), TSAT given
/// twice and derived from iron and TIBC once, one infusion, one oral course.
fn iron_history() -> Record {
    record(json!({
        "labs": [
            lab("ferritin", 22.0, "ng/mL", "2026-01-10"),
            lab("tsat", 11.0, "%", "2026-01-10"),
            lab("ferritin", 140.0, "ug/L", "2026-05-04"),
            lab("tsat", 31.0, "%", "2026-05-04"),
            lab("ferritin", 88.0, "ug/L", "2026-08-20"),
            lab("iron", 14.0, "umol/L", "2026-08-20"),
            lab("tibc", 56.0, "umol/L", "2026-08-20"),
            lab("ferritin", 72.0, "ug/L", "2026-11-01"),
            lab("ferritin", 95.0, "ug/L", "2026-12-15"),
            lab("tsat", 30.0, "%", "2026-12-15"),
        ],
        "iron_treatments": [
            { "route": "iv", "product": "ferric carboxymaltose", "dose_mg": 1000,
              "date": "2026-03-02", "response": "improved" },
            { "route": "oral", "product": "ferrous bisglycinate", "elemental_mg": 65,
              "started": "2026-09-01", "schedule": "alternate-day" },
            { "route": "iv", "product": "ferric derisomaltose", "dose_mg": 1000,
              "date": "2027-01-05" }
        ]
    }))
}

/// Three weeks of diary whose onset creeps from 21:30 to 16:00, with one
/// night after the chart date and one night with neither severity nor onset.
fn diary_history() -> Record {
    let mut diary = Vec::new();
    for n in 0..21 {
        let hour = 21 - (n * 5) / 20;
        diary.push(json!({
            "date": format!("2026-11-{:02}", n + 1),
            "severity": 3 + n % 5,
            "onset_time": format!("{hour:02}:{:02}", (n * 7) % 60),
            "body_parts": if n > 15 { json!(["legs", "arms"]) } else { json!(["legs"]) },
        }));
    }
    diary.push(json!({ "date": "2026-11-22", "sleep_hours": 6.0 }));
    diary.push(json!({ "date": "2026-11-30", "severity": 9, "onset_time": "12:00" }));
    record(json!({ "diary": diary }))
}

/// Parses the SVG and checks the parts every chart has.
fn parse(chart: &Chart) -> roxmltree::Document<'_> {
    let doc = roxmltree::Document::parse(&chart.svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2000/svg")
    );
    assert_eq!(root.attribute("viewBox"), Some("0 0 640 280"));
    assert_eq!(root.attribute("font-family"), Some("sans-serif"));
    let first = root.first_element_child().expect("a first child");
    assert_eq!(first.tag_name().name(), "title", "the title comes first");
    assert!(!first.text().unwrap_or("").is_empty());
    assert!(root
        .children()
        .any(|c| c.tag_name().name() == "desc" && !c.text().unwrap_or("").is_empty()));
    doc
}

fn circles(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("circle"))
        .map(|n| {
            n.children()
                .find(|c| c.has_tag_name("title"))
                .and_then(|t| t.text())
                .unwrap_or("")
                .to_string()
        })
        .collect()
}

fn texts(doc: &roxmltree::Document) -> Vec<String> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| {
            n.children()
                .filter(|c| c.is_text())
                .filter_map(|c| c.text())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn iron_chart_is_well_formed_svg_with_one_circle_per_measurement() {
    let chart = iron_chart(&iron_history(), day("2026-11-22"));
    let doc = parse(&chart);
    let points = circles(&doc);
    // Four ferritins and three TSATs (one derived) up to the chart date.
    assert_eq!(chart.points, 7);
    assert_eq!(points.len(), 7);
    assert!(chart.enough_data);
    assert!(points.contains(&"2026-01-10: ferritin 22 µg/L".to_string()));
    assert!(points.contains(&"2026-08-20: TSAT 25 % (derived from iron and TIBC)".to_string()));
    assert!(
        !doc.descendants()
            .any(|n| n.has_tag_name("path") || n.has_tag_name("polyline")),
        "no lines invented between measurements"
    );
    // TSAT has three points too: no "not enough" note anywhere.
    assert!(!chart.svg.contains(NOT_ENOUGH_DATA));
}

#[test]
fn iron_chart_draws_the_threshold_lines_labelled() {
    let chart = iron_chart(&iron_history(), day("2026-11-22"));
    let doc = parse(&chart);
    let thresholds: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("line"))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text())
        .collect();
    assert_eq!(
        thresholds,
        [
            "threshold 75 µg/L",
            "threshold 100 µg/L",
            "threshold 300 µg/L",
            "threshold 20 %",
            "threshold 45 %"
        ]
    );
    let labels = texts(&doc);
    for label in ["75 µg/L", "100 µg/L", "300 µg/L", "20 %", "45 %"] {
        assert!(labels.iter().any(|t| t == label), "label {label}");
    }
}

#[test]
fn iron_chart_marks_infusions_and_shades_oral_courses() {
    let chart = iron_chart(&iron_history(), day("2026-11-22"));
    let doc = parse(&chart);
    let labels = texts(&doc);
    assert!(labels.iter().any(|t| t == "IV iron 2026-03-02"));
    // The infusion after the chart date is not there.
    assert!(!chart.svg.contains("2027-01-05"));
    let infusion_lines = doc
        .descendants()
        .filter(|n| n.has_tag_name("line") && n.attribute("stroke") == Some("#1d7a3a"))
        .count();
    assert_eq!(infusion_lines, 1);
    let shaded = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some("#f1e3b3"))
        .count();
    assert_eq!(shaded, 2, "the oral course is shaded in both panels");
    assert!(labels.iter().any(|t| t == "oral iron"));
    assert!(chart
        .svg
        .contains("ferrous bisglycinate: from 2026-09-01 ongoing"));
}

#[test]
fn data_after_as_of_is_ignored() {
    let before = iron_chart(&iron_history(), day("2026-11-22"));
    let later = iron_chart(&iron_history(), day("2026-12-31"));
    assert_eq!(later.points, before.points + 2);
    assert!(!before.svg.contains("2026-12-15"));
    assert!(later.svg.contains("2026-12-15: ferritin 95 µg/L"));

    let diary = diary_chart(&diary_history(), day("2026-11-22"));
    assert!(!diary.svg.contains("2026-11-30"));
    assert_eq!(diary.points, 42, "21 severities and 21 onsets");
}

#[test]
fn below_three_points_says_not_enough_data() {
    let two = record(json!({ "labs": [
        lab("ferritin", 40.0, "ug/L", "2026-06-01"),
        lab("ferritin", 60.0, "ug/L", "2026-09-01"),
    ]}));
    let chart = iron_chart(&two, day("2026-11-22"));
    let doc = parse(&chart);
    assert!(!chart.enough_data);
    assert_eq!(chart.points, 2, "the two real measurements are still shown");
    assert_eq!(circles(&doc).len(), 2);
    let notes = texts(&doc).iter().filter(|t| *t == NOT_ENOUGH_DATA).count();
    assert_eq!(notes, 2, "ferritin and TSAT each say so");

    let empty = iron_chart(&Record::default(), day("2026-11-22"));
    parse(&empty);
    assert_eq!((empty.points, empty.enough_data), (0, false));
    let empty = diary_chart(&Record::default(), day("2026-11-22"));
    parse(&empty);
    assert_eq!((empty.points, empty.enough_data), (0, false));
    assert!(empty.svg.contains(NOT_ENOUGH_DATA));
}

#[test]
fn three_points_are_enough() {
    let three = record(json!({ "labs": [
        lab("ferritin", 40.0, "ug/L", "2026-06-01"),
        lab("ferritin", 60.0, "ug/L", "2026-09-01"),
        lab("ferritin", 80.0, "ug/L", "2026-11-01"),
    ]}));
    let chart = iron_chart(&three, day("2026-11-22"));
    assert!(chart.enough_data);
    assert_eq!(chart.points, 3);
    // TSAT alone still says it has too little.
    let doc = parse(&chart);
    assert_eq!(
        texts(&doc).iter().filter(|t| *t == NOT_ENOUGH_DATA).count(),
        1
    );
}

#[test]
fn diary_chart_puts_earlier_onsets_higher() {
    let chart = diary_chart(&diary_history(), day("2026-11-22"));
    let doc = parse(&chart);
    assert!(chart.enough_data);
    let onset_y = |label: &str| {
        doc.descendants()
            .find(|n| {
                n.has_tag_name("circle")
                    && n.children()
                        .any(|c| c.has_tag_name("title") && c.text() == Some(label))
            })
            .and_then(|n| n.attribute("cy"))
            .unwrap_or_else(|| panic!("no point {label}"))
            .parse::<f64>()
            .unwrap()
    };
    let first = onset_y("2026-11-01: onset 21:00 (legs)");
    let last = onset_y("2026-11-21: onset 16:20 (legs, arms)");
    assert!(last < first, "16:20 is drawn above 21:00");
    let labels = texts(&doc);
    for clock in ["15:00", "18:00", "21:00", "00:00", "03:00", "06:00"] {
        assert!(labels.iter().any(|t| t == clock), "clock tick {clock}");
    }
    // Every onset is after noon: the clock still starts at 12:00.
    assert!(labels.iter().any(|t| t == "12:00"));
}

#[test]
fn diary_clock_extends_above_noon_for_a_morning_onset() {
    let diary: Vec<_> = (1..=3)
        .map(|d| json!({ "date": format!("2026-11-{d:02}"), "onset_time": "10:30" }))
        .collect();
    let chart = diary_chart(&record(json!({ "diary": diary })), day("2026-11-22"));
    let doc = parse(&chart);
    assert_eq!(chart.points, 3);
    assert!(texts(&doc).iter().any(|t| t == "12:00"));
    // The top is 10:00; the first three-hour tick below it is 12:00 and every
    // circle sits inside the onset panel (y 141 to 241).
    for n in doc.descendants().filter(|n| n.has_tag_name("circle")) {
        let cy: f64 = n.attribute("cy").unwrap().parse().unwrap();
        assert!((141.0..=241.0).contains(&cy), "{cy}");
    }
}

#[test]
fn month_and_week_ticks_on_the_date_axis() {
    let chart = iron_chart(&iron_history(), day("2026-11-22"));
    let doc = parse(&chart);
    let labels = texts(&doc);
    assert!(labels.iter().any(|t| t == "Mar 2026"));
    assert!(labels.iter().any(|t| t == "Nov 2026"));
    let short = diary_chart(&diary_history(), day("2026-11-22"));
    let labels = texts(&parse(&short));
    for month in ["26 Oct", "2 Nov", "16 Nov"] {
        assert!(labels.iter().any(|t| t == month), "{month}");
    }
}

#[test]
fn iron_drawn_soon_after_an_infusion_is_a_ring() {
    let r = record(json!({
        "labs": [
            lab("ferritin", 30.0, "ug/L", "2026-09-01"),
            lab("ferritin", 410.0, "ug/L", "2026-10-11"),
            lab("tsat", 38.0, "%", "2026-10-11"),
            lab("ferritin", 150.0, "ug/L", "2026-11-15"),
        ],
        "iron_treatments": [ { "route": "iv", "date": "2026-10-01" } ]
    }));
    let chart = iron_chart(&r, day("2026-11-22"));
    let doc = parse(&chart);
    let rings: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some("white"))
        .filter_map(|n| n.children().find(|c| c.has_tag_name("title")))
        .filter_map(|t| t.text())
        .collect();
    assert_eq!(rings.len(), 2, "{rings:?}");
    assert!(rings[0].starts_with("2026-10-11: ferritin 410 µg/L (within 28 days of an infusion"));
    assert!(rings[1].starts_with("2026-10-11: TSAT 38 % (within 28 days"));
    assert_eq!(chart.points, 4);
    assert!(texts(&doc)
        .iter()
        .any(|t| t.starts_with("ring: drawn within 28 days")));
}

#[test]
fn text_from_the_record_is_escaped() {
    let r = record(json!({ "iron_treatments": [
        { "route": "iv", "product": "<Ferinject> & \"co\"", "date": "2026-10-01" }
    ]}));
    let chart = iron_chart(&r, day("2026-11-22"));
    let doc = parse(&chart);
    assert!(doc
        .descendants()
        .filter_map(|n| n.text())
        .any(|t| t.contains("<Ferinject> & \"co\"")));
}

#[test]
fn same_input_same_bytes() {
    let a = iron_chart(&iron_history(), day("2026-11-22"));
    let b = iron_chart(&iron_history(), day("2026-11-22"));
    assert_eq!(a, b);
    let a = diary_chart(&diary_history(), day("2026-11-22"));
    let b = diary_chart(&diary_history(), day("2026-11-22"));
    assert_eq!(a, b);
}

#[test]
fn iron_chart_snapshot() {
    insta::assert_snapshot!(iron_chart(&iron_history(), day("2026-11-22")).svg);
}

#[test]
fn diary_chart_snapshot() {
    insta::assert_snapshot!(diary_chart(&diary_history(), day("2026-11-22")).svg);
}

#[test]
fn an_infusion_written_as_a_medicine_is_marked_like_any_other() {
    let r = record(json!({
        "labs": [
            lab("ferritin", 30.0, "ug/L", "2026-09-01"),
            lab("ferritin", 380.0, "ug/L", "2026-10-11"),
            lab("ferritin", 150.0, "ug/L", "2026-11-15"),
        ],
        "medications": [ { "name": "Ferinject 1000 mg", "started": "2026-10-01",
                           "stopped": "2026-10-01" } ]
    }));
    let chart = iron_chart(&r, day("2026-11-22"));
    let doc = parse(&chart);
    assert!(texts(&doc).iter().any(|t| t == "IV iron 2026-10-01"));
    let rings = doc
        .descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("fill") == Some("white"))
        .count();
    assert_eq!(
        rings, 1,
        "the ferritin ten days after it reads falsely high"
    );
}
