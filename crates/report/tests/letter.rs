//! The letter for the doctor: its content follows the assessment, the HTML is
//! escaped and stable (snapshots), and the PDF is a real PDF whose text holds
//! the key results and requests.

use std::path::PathBuf;

use chrono::NaiveDate;
use willis_core::{assess, read_record, Assessment, Profile, Record};
use willis_report::letter::{self, LetterContent};

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
}

fn sample(name: &str) -> (Record, Assessment) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/records")
        .join(name);
    let record = read_record(&path).unwrap();
    let assessment = assess(&record, as_of(), Profile::default());
    (record, assessment)
}

fn content(name: &str, person: Option<&str>) -> LetterContent {
    let (record, assessment) = sample(name);
    LetterContent::new(&record, &assessment, person)
}

#[test]
fn iv_request_carries_the_criteria_that_make_it_appropriate() {
    let c = content("typical-low-ferritin.json", None);
    let iv = c.requests.iter().find(|r| r.id == "iron.iv").unwrap();
    assert!(iv.title.contains("1000 mg"), "{}", iv.title);
    assert!(
        iv.detail.contains("ferric carboxymaltose") && iv.detail.contains("ferric derisomaltose"),
        "{}",
        iv.detail
    );
    assert!(iv.detail.contains("one session"), "{}", iv.detail);
    assert!(iv.because.iter().any(|b| b.contains("ferritin 45 µg/L")));
    assert!(!iv.refs.is_empty());
    // Oral iron beside it is the alternative, and says so.
    let oral = c.requests.iter().find(|r| r.id == "iron.oral").unwrap();
    assert_eq!(
        oral.lead.as_deref(),
        Some("Or, if an infusion is not possible:")
    );
    // Lifestyle steps are self-care, not requests.
    assert!(c.requests.iter().all(|r| !r.id.starts_with("lifestyle.")));
    assert_eq!(c.self_care.len(), 2);
}

#[test]
fn ferritin_in_lab_range_is_shown_below_the_rls_target() {
    let c = content("typical-low-ferritin.json", None);
    let ferritin = c.results.iter().find(|r| r.test == "Ferritin").unwrap();
    assert_eq!(ferritin.result, "45 ng/mL");
    assert_eq!(ferritin.typical.as_deref(), Some("15–150 ng/mL"));
    assert_eq!(
        ferritin.comment.as_deref(),
        Some("in the typical range, but below the 75–100 µg/L that RLS guidelines aim for")
    );
    assert!(ferritin.flag);
    // TSAT was derived from iron and TIBC; the letter says so.
    let tsat = c.results.iter().find(|r| r.test == "TSAT").unwrap();
    assert_eq!(tsat.result, "17.7 %");
    assert_eq!(tsat.basis.as_deref(), Some("derived from iron and TIBC"));
    assert!(tsat.flag);
    // Units as the lab printed them, spelled properly.
    let iron = c.results.iter().find(|r| r.test == "Serum iron").unwrap();
    assert_eq!(iron.result, "11 µmol/L");
}

#[test]
fn medicines_that_can_worsen_rls_are_marked() {
    let c = content("typical-low-ferritin.json", None);
    let zoloft = c
        .medicines
        .iter()
        .find(|m| m.name.starts_with("Zoloft"))
        .unwrap();
    assert_eq!(zoloft.name, "Zoloft (sertraline)");
    assert!(zoloft.flagged);
    assert_eq!(zoloft.marks, ["can worsen RLS (SSRI antidepressant)"]);
    let ibuprofen = c.medicines.iter().find(|m| m.name == "ibuprofen").unwrap();
    assert!(!ibuprofen.flagged);

    let c = content("pramipexole-augmentation.json", None);
    let mirapexin = c
        .medicines
        .iter()
        .find(|m| m.name.starts_with("Mirapexin"))
        .unwrap();
    assert!(mirapexin.flagged);
    assert!(
        mirapexin.marks.iter().any(|m| m.contains("augmentation")),
        "{:?}",
        mirapexin.marks
    );
}

#[test]
fn opioid_request_explains_ehr_alerts() {
    let c = content("ferritin-above-300.json", None);
    assert!(c.requests.iter().any(|r| r.id == "drug.opioid-low-dose"));
    let note = c.opioid_note.as_ref().unwrap();
    assert!(note.text.contains("opioid-risk alerts"));
    assert!(!note.refs.is_empty());
    // What was tried and how it went.
    assert!(c
        .tried
        .iter()
        .any(|t| t.what.starts_with("gabapentin") && t.outcome == "did not help" && t.failed));
    assert!(c
        .tried
        .iter()
        .any(|t| t.what.starts_with("Lyrica") && t.failed));
    // No opioid, no note.
    assert!(content("typical-low-ferritin.json", None)
        .opioid_note
        .is_none());
}

#[test]
fn infusions_are_listed_with_their_response_and_earlier_ferritin() {
    let c = content("after-infusion-repeat.toml", None);
    let iv = c
        .tried
        .iter()
        .find(|t| t.what.starts_with("IV iron"))
        .unwrap();
    assert_eq!(iv.what, "IV iron, ferric carboxymaltose 1000 mg");
    assert_eq!(iv.outcome, "RLS improved");
    let ferritin = c.results.iter().find(|r| r.test == "Ferritin").unwrap();
    assert_eq!(ferritin.earlier, ["410 µg/L (2025-12-20)"]);
}

#[test]
fn references_are_numbered_in_order_of_first_citation_and_all_used() {
    let c = content("typical-low-ferritin.json", Some("Ann Lee"));
    for (i, r) in c.references.iter().enumerate() {
        assert_eq!(r.number, i + 1);
    }
    let mut cited: Vec<usize> = c
        .requests
        .iter()
        .flat_map(|r| r.refs.clone())
        .chain(c.cautions.iter().flat_map(|w| w.refs.clone()))
        .chain(c.results.iter().flat_map(|r| r.refs.clone()))
        .collect();
    cited.sort();
    cited.dedup();
    assert_eq!(cited, (1..=c.references.len()).collect::<Vec<_>>());
}

#[test]
fn child_letter_speaks_of_my_child_and_gives_no_adult_ranges() {
    let c = content("child.json", None);
    assert!(c.intro.starts_with("My child has"));
    let ferritin = c.results.iter().find(|r| r.test == "Ferritin").unwrap();
    assert_eq!(ferritin.typical, None);
    assert!(ferritin.comment.as_deref().unwrap().contains("in children"));
}

#[test]
fn html_escapes_every_piece_of_text() {
    let c = content(
        "typical-low-ferritin.json",
        Some("<script>alert('x')</script> & Co"),
    );
    let html = letter::html(&c);
    assert!(!html.contains("<script>"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co"));
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("@media print"));
}

/// A year of care: four iron panels, a failed oral course, eight diary days.
const HISTORY: &str = r#"{
  "format": "willis-record/1",
  "patient": { "birth_date": "1972-03-14", "sex": "female" },
  "symptoms": {
    "urge_to_move": true, "worse_at_rest": true, "relieved_by_movement": true,
    "worse_evening_or_night": true, "not_explained_by_other_condition": true,
    "days_per_week": 6, "irls_total": 23, "onset_time": "20:30", "body_parts": ["legs"]
  },
  "labs": [
    { "test": "ferritin", "value": 38, "unit": "ng/mL", "date": "2025-11-10", "fasting": true, "morning": true },
    { "test": "tsat", "value": 15, "unit": "%", "date": "2025-11-10", "fasting": true, "morning": true },
    { "test": "ferritin", "value": 52, "unit": "ng/mL", "date": "2026-03-02", "fasting": true, "morning": true },
    { "test": "tsat", "value": 18, "unit": "%", "date": "2026-03-02", "fasting": true, "morning": true },
    { "test": "ferritin", "value": 61, "unit": "ng/mL", "date": "2026-07-20", "fasting": true, "morning": true },
    { "test": "tsat", "value": 19, "unit": "%", "date": "2026-07-20", "fasting": true, "morning": true },
    { "test": "ferritin", "value": 58, "unit": "ng/mL", "date": "2026-11-02", "fasting": true, "morning": true },
    { "test": "tsat", "value": 19, "unit": "%", "date": "2026-11-02", "fasting": true, "morning": true },
    { "test": "vitamin_d", "value": 62, "unit": "nmol/L", "date": "2026-11-02" },
    { "test": "vitamin_b12", "value": 350, "unit": "pg/mL", "date": "2026-11-02" },
    { "test": "folate", "value": 7, "unit": "ng/mL", "date": "2026-11-02" }
  ],
  "medications": [
    { "name": "amitriptyline", "dose": "10 mg at night", "started": "2023-01-01" },
    { "name": "pregabalin", "dose": "75 mg", "started": "2025-02-01", "stopped": "2025-05-01", "outcome": "side-effects" }
  ],
  "iron_treatments": [
    { "route": "oral", "product": "ferrous sulfate", "elemental_mg": 65, "started": "2025-11-15", "stopped": "2026-07-20", "schedule": "daily", "outcome": "ineffective" }
  ],
  "diary": [
    { "date": "2026-10-01", "severity": 7, "onset_time": "20:00", "sleep_hours": 5 },
    { "date": "2026-10-08", "severity": 8, "onset_time": "19:30", "sleep_hours": 5 },
    { "date": "2026-10-15", "severity": 6, "onset_time": "20:30", "sleep_hours": 6 },
    { "date": "2026-10-22", "severity": 7, "onset_time": "20:00", "sleep_hours": 5.5 },
    { "date": "2026-10-29", "severity": 8, "onset_time": "19:00", "sleep_hours": 4.5 },
    { "date": "2026-11-05", "severity": 7, "onset_time": "19:30", "sleep_hours": 5 },
    { "date": "2026-11-12", "severity": 6, "onset_time": "20:00", "sleep_hours": 6 },
    { "date": "2026-11-19", "severity": 7, "onset_time": "20:00", "sleep_hours": 5 }
  ]
}"#;

fn history() -> LetterContent {
    let record = willis_core::parse_json(HISTORY).unwrap();
    let assessment = assess(&record, as_of(), Profile::default());
    LetterContent::new(&record, &assessment, Some("Ann Lee"))
}

#[test]
fn charts_appear_once_there_is_a_trend_and_are_inlined() {
    let c = history();
    let titles: Vec<_> = c.charts.iter().map(|f| f.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Ferritin and TSAT over time",
            "Symptom diary: severity (0–10) and time of onset"
        ]
    );
    let html = letter::html(&c);
    assert_eq!(html.matches("<svg").count(), 2);
    // A single measurement is not a trend: no chart.
    assert!(content("typical-low-ferritin.json", None).charts.is_empty());
    // The failed oral course is in "tried", and earlier ferritins are listed.
    assert!(c
        .tried
        .iter()
        .any(|t| t.what.starts_with("oral iron, ferrous sulfate") && t.failed));
    let ferritin = c.results.iter().find(|r| r.test == "Ferritin").unwrap();
    assert_eq!(ferritin.earlier.len(), 3);
}

fn html_snapshot(name: &str, person: Option<&str>) -> String {
    letter::html(&content(name, person))
}

#[test]
fn html_typical_low_ferritin() {
    insta::assert_snapshot!(html_snapshot("typical-low-ferritin.json", Some("Ann Lee")));
}

#[test]
fn html_ferritin_above_300_with_opioid() {
    insta::assert_snapshot!(html_snapshot("ferritin-above-300.json", None));
}

#[test]
fn html_pramipexole_augmentation() {
    insta::assert_snapshot!(html_snapshot("pramipexole-augmentation.json", None));
}

#[cfg(feature = "pdf")]
mod pdf {
    use super::*;

    fn pdf_text(bytes: &[u8]) -> (usize, String) {
        let doc = lopdf::Document::load_mem(bytes).expect("a PDF that lopdf can parse");
        let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
        let text = doc.extract_text(&pages).expect("extractable text");
        // Line breaks in the layout are not word breaks in the content.
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        (pages.len(), text)
    }

    #[test]
    fn pdf_holds_the_key_results_and_requests() {
        let bytes = letter::pdf(&content("typical-low-ferritin.json", Some("Ann Lee"))).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        let (pages, text) = pdf_text(&bytes);
        assert!((1..=2).contains(&pages), "{pages} pages");
        for wanted in [
            "Ann Lee",
            "45 ng/mL",
            "75–100 µg/L",
            "1000 mg",
            "ferric carboxymaltose",
            "one infusion",
            "Zoloft",
            "can worsen RLS",
            "References",
        ] {
            assert!(
                text.contains(wanted),
                "{wanted:?} not in the PDF text:\n{text}"
            );
        }
    }

    #[test]
    fn pdf_explains_opioid_alerts() {
        let bytes = letter::pdf(&content("ferritin-above-300.json", None)).unwrap();
        let (pages, text) = pdf_text(&bytes);
        assert!((1..=2).contains(&pages), "{pages} pages");
        assert!(text.contains("opioid-risk alerts"), "{text}");
        assert!(
            text.contains("340 ug/L") || text.contains("340 µg/L"),
            "{text}"
        );
    }

    #[test]
    fn pdf_of_every_sample_record_has_one_or_two_pages() {
        for name in [
            "after-infusion-repeat.toml",
            "pramipexole-augmentation.json",
            "pregnancy.json",
            "child.json",
        ] {
            let bytes = letter::pdf(&content(name, None)).unwrap();
            let (pages, _) = pdf_text(&bytes);
            assert!((1..=2).contains(&pages), "{name}: {pages} pages");
        }
    }

    #[test]
    fn pdf_with_charts_stays_within_two_pages() {
        let bytes = letter::pdf(&history()).unwrap();
        let (pages, text) = pdf_text(&bytes);
        assert!((1..=2).contains(&pages), "{pages} pages");
        assert!(
            text.contains("Ferritin, µg/L") || text.contains("Ferritin"),
            "{text}"
        );
    }

    #[test]
    fn user_text_is_never_markup() {
        let name = "#set page(width: 1cm) *bold* $x$ [link] \\ \"quote\" <tag> @ref";
        let bytes = letter::pdf(&content("typical-low-ferritin.json", Some(name))).unwrap();
        let (_, text) = pdf_text(&bytes);
        assert!(text.contains("#set page(width: 1cm)"), "{text}");
    }
}

#[test]
fn an_infusion_written_as_a_medicine_is_listed_once_as_an_infusion() {
    let record = willis_core::parse_json(
        r#"{ "format": "willis-record/1",
             "labs": [ { "test": "ferritin", "value": 150, "unit": "ug/L", "date": "2026-11-15" } ],
             "medications": [
               { "name": "Ferinject", "started": "2026-10-01", "stopped": "2026-10-01" },
               { "name": "gabapentin", "started": "2025-01-01", "stopped": "2025-03-01",
                 "outcome": "side-effects" } ] }"#,
    )
    .unwrap();
    let assessment = assess(&record, as_of(), Profile::default());
    let c = LetterContent::new(&record, &assessment, None);
    let iv: Vec<_> = c
        .tried
        .iter()
        .filter(|t| t.what.contains("Ferinject"))
        .collect();
    assert_eq!(iv.len(), 1, "{:?}", c.tried);
    assert_eq!(iv[0].what, "IV iron, Ferinject");
    assert_eq!(iv[0].when, "2026-10-01");
    assert!(c.tried.iter().any(|t| t.what == "gabapentin"));
}
