//! The plan as iCalendar: valid RFC 5545 that a calendar parser reads back to
//! the same events as the assessment's schedule, with the oral iron doses as
//! one repeating evening event.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, Event};
use willis_core::{assess, parse_json, read_record, Assessment, Profile};
use willis_report::ics::{calendar, event_count, DEFAULT_HORIZON_DAYS};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 18, 30, 5).unwrap()
}

fn assessment_of(path: &Path, as_of: &str) -> Assessment {
    let record = read_record(path).unwrap();
    assess(&record, day(as_of), Profile::Irlssg2018)
}

/// typical-low-ferritin: iron.oral daily, retest.iron 12 weeks on.
fn daily() -> Assessment {
    assessment_of(
        &root().join("examples/records/typical-low-ferritin.json"),
        "2026-11-22",
    )
}

/// On oral iron since September with ferritin 80: alternate-day dosing.
fn alternate_day() -> Assessment {
    let record = parse_json(
        r#"{ "format": "willis-record/1",
  "patient": { "birth_date": "1979-04-02", "sex": "female" },
  "symptoms": { "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
    "worse_evening_or_night": true, "not_explained_by_other_condition": true,
    "days_per_week": 5, "irls_total": 18 },
  "labs": [
    { "test": "ferritin", "value": 80, "unit": "ug/L", "date": "2026-11-01", "fasting": true, "morning": true },
    { "test": "tsat", "value": 24, "unit": "%", "date": "2026-11-01", "fasting": true, "morning": true }
  ],
  "iron_treatments": [
    { "route": "oral", "product": "ferrous bisglycinate", "elemental_mg": 65,
      "started": "2026-09-01", "schedule": "daily" }
  ] }"#,
    )
    .unwrap();
    assess(&record, day("2026-11-22"), Profile::Irlssg2018)
}

/// Three weeks after an infusion: a review and a retest, no oral iron (the
/// record of shared/examples/05-after-infusion.json).
fn after_infusion() -> Assessment {
    let record = parse_json(
        r#"{ "format": "willis-record/1",
  "patient": { "birth_date": "1972-06-01", "sex": "female" },
  "symptoms": { "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
    "worse_evening_or_night": true, "not_explained_by_other_condition": true,
    "days_per_week": 6, "irls_total": 22 },
  "labs": [
    { "test": "ferritin", "value": 33, "unit": "ug/L", "date": "2026-09-15", "fasting": true, "morning": true },
    { "test": "tsat", "value": 12, "unit": "%", "date": "2026-09-15", "fasting": true, "morning": true }
  ],
  "iron_treatments": [
    { "route": "iv", "product": "ferric derisomaltose", "dose_mg": 1000, "date": "2026-11-01" }
  ] }"#,
    )
    .unwrap();
    assess(&record, day("2026-11-22"), Profile::Irlssg2018)
}

fn parse(ics: &str) -> Calendar {
    ics.parse::<Calendar>().expect("the calendar parses")
}

fn events(cal: &Calendar) -> Vec<&Event> {
    cal.components.iter().filter_map(|c| c.as_event()).collect()
}

/// RFC 5545 §3.1 and §3.4: CRLF after every line, no line over 75 octets,
/// VERSION and PRODID on the calendar.
fn check_format(ics: &str) {
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:"));
    assert!(ics.ends_with("END:VCALENDAR\r\n"));
    assert!(!ics.replace("\r\n", "").contains('\n'), "bare LF");
    assert!(!ics.replace("\r\n", "").contains('\r'), "bare CR");
    for line in ics.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
    }
    let begins = ics.matches("\r\nBEGIN:").count();
    let ends = ics.matches("\r\nEND:").count();
    assert_eq!(begins + 1, ends, "every BEGIN has its END");
}

/// RFC 5545 TEXT unescaping, for comparing values with the assessment.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n")
        .replace("\\N", "\n")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

fn alarms(event: &Event) -> Vec<(String, String)> {
    event
        .components()
        .iter()
        .filter(|c| c.component_kind() == "VALARM")
        .map(|a| {
            (
                a.property_value("ACTION").unwrap_or("").to_string(),
                a.property_value("TRIGGER").unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
fn schedule_items_come_back_as_all_day_events() {
    let a = after_infusion();
    assert!(a.step("iron.oral").is_none());
    let ics = calendar(&a, now(), DEFAULT_HORIZON_DAYS);
    check_format(&ics);
    let cal = parse(&ics);
    let events = events(&cal);
    assert_eq!(events.len(), a.schedule.len());
    assert_eq!(event_count(&ics), a.schedule.len());
    let retest = a.schedule.iter().find(|s| s.id == "retest.iron").unwrap();
    assert_eq!(retest.date, day("2026-12-27"));

    for (item, event) in a.schedule.iter().zip(&events) {
        assert_eq!(
            event.get_uid(),
            Some(format!("{}-{}@willis", item.id, item.date).as_str())
        );
        assert_eq!(event.get_start(), Some(DatePerhapsTime::Date(item.date)));
        assert_eq!(
            event.get_end(),
            Some(DatePerhapsTime::Date(item.date.succ_opt().unwrap()))
        );
        assert_eq!(event.get_timestamp(), Some(now()));
        let summary = unescape(event.get_summary().unwrap());
        assert!(
            item.what.starts_with(&format!("{summary}: ")),
            "{summary:?}"
        );
        let description = unescape(event.get_description().unwrap());
        assert!(description.starts_with(&item.what), "{description:?}");
        assert!(description.contains(&a.disclaimer));
        assert_eq!(
            alarms(event),
            [("DISPLAY".to_string(), "-PT15H".to_string())]
        );
    }
    assert!(ics.contains("\r\nDTSTART;VALUE=DATE:20261227\r\nDTEND;VALUE=DATE:20261228\r\n"));
    assert!(ics.contains("\r\nUID:retest.iron-2026-12-27@willis\r\n"));
    assert!(ics.contains("\r\nDTSTAMP:20261122T183005Z\r\n"));
    // The review's title has a colon of its own and survives whole.
    assert!(ics.contains("SUMMARY:Six weeks after the infusion: has RLS improved?\r\n"));
}

#[test]
fn daily_oral_iron_is_one_repeating_evening_event() {
    let a = daily();
    assert_eq!(
        a.step("iron.oral").unwrap().schedule.map(|s| s.as_str()),
        Some("daily")
    );
    let ics = calendar(&a, now(), DEFAULT_HORIZON_DAYS);
    check_format(&ics);
    let cal = parse(&ics);
    let events = events(&cal);
    assert_eq!(events.len(), a.schedule.len() + 1);
    let dose = events
        .iter()
        .find(|e| e.property_value("RRULE").is_some())
        .expect("a repeating dose event");
    assert_eq!(dose.get_uid(), Some("iron.oral-2026-11-22@willis"));
    assert_eq!(
        dose.property_value("RRULE"),
        Some("FREQ=DAILY;INTERVAL=1;COUNT=84")
    );
    let at = |h, m| {
        Some(DatePerhapsTime::DateTime(CalendarDateTime::Floating(
            day("2026-11-22").and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap()),
        )))
    };
    assert_eq!(dose.get_start(), at(20, 0));
    assert_eq!(dose.get_end(), at(20, 15));
    let description = unescape(dose.get_description().unwrap());
    let step = a.step("iron.oral").unwrap();
    assert!(description.contains(&step.detail), "{description:?}");
    assert!(description.contains("vitamin C"));
    assert_eq!(alarms(dose), [("DISPLAY".to_string(), "PT0S".to_string())]);
    // The retest 12 weeks on is there too, as an all-day event.
    let retest = a.schedule.iter().find(|s| s.id == "retest.iron").unwrap();
    assert_eq!(retest.date, day("2027-02-14"));
    assert!(events
        .iter()
        .any(|e| e.get_start() == Some(DatePerhapsTime::Date(retest.date))));
}

#[test]
fn alternate_day_oral_iron_repeats_every_other_day() {
    let a = alternate_day();
    assert_eq!(
        a.step("iron.oral").unwrap().schedule.map(|s| s.as_str()),
        Some("alternate-day")
    );
    let ics = calendar(&a, now(), DEFAULT_HORIZON_DAYS);
    check_format(&ics);
    let cal = parse(&ics);
    let rrules: Vec<&str> = events(&cal)
        .iter()
        .filter_map(|e| e.property_value("RRULE"))
        .collect();
    assert_eq!(rrules, ["FREQ=DAILY;INTERVAL=2;COUNT=42"]);
    assert!(ics.contains("SUMMARY:Iron tablet (every other evening)\r\n"));
    // An odd horizon still ends inside it: days 0, 2 … 84 of 85.
    let ics = calendar(&a, now(), 85);
    assert!(ics.contains("RRULE:FREQ=DAILY;INTERVAL=2;COUNT=43\r\n"));
}

#[test]
fn every_event_has_a_unique_uid_and_an_alarm() {
    for a in [daily(), alternate_day(), after_infusion()] {
        let ics = calendar(&a, now(), DEFAULT_HORIZON_DAYS);
        let cal = parse(&ics);
        let events = events(&cal);
        let mut uids: Vec<&str> = events.iter().map(|e| e.get_uid().unwrap()).collect();
        assert!(uids.iter().all(|u| u.ends_with("@willis")));
        let n = uids.len();
        uids.sort_unstable();
        uids.dedup();
        assert_eq!(uids.len(), n, "unique UIDs");
        for event in &events {
            assert_eq!(event.get_timestamp(), Some(now()));
            assert!(event.get_summary().is_some_and(|s| !s.is_empty()));
            assert!(event.get_description().is_some());
            let alarms = alarms(event);
            assert_eq!(alarms.len(), 1);
            assert_eq!(alarms[0].0, "DISPLAY");
        }
    }
}

#[test]
fn no_dose_events_without_a_horizon() {
    let a = daily();
    let ics = calendar(&a, now(), 0);
    check_format(&ics);
    assert!(!ics.contains("RRULE"));
    assert_eq!(event_count(&ics), a.schedule.len());
}

#[test]
fn the_calendar_of_every_sample_record_is_valid() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("examples/records"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let a = assessment_of(&file, "2026-11-23");
        let ics = calendar(&a, now(), DEFAULT_HORIZON_DAYS);
        check_format(&ics);
        let cal = parse(&ics);
        let expected = a.schedule.len() + usize::from(a.step("iron.oral").is_some());
        assert_eq!(events(&cal).len(), expected, "{}", file.display());
    }
}

#[test]
fn same_assessment_same_bytes() {
    let a = daily();
    assert_eq!(
        calendar(&a, now(), DEFAULT_HORIZON_DAYS),
        calendar(&a, now(), DEFAULT_HORIZON_DAYS)
    );
}

#[test]
fn calendar_snapshot() {
    insta::assert_snapshot!(calendar(&daily(), now(), DEFAULT_HORIZON_DAYS).replace("\r\n", "⏎\n"));
}
