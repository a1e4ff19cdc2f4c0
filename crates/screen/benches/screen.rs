//! The screen's per-line and per-patient costs: the cheap scan of a line no
//! rule reads (most of an export), of a ferritin result, and one patient with
//! RLS screened from their resources. The whole-export comparison with jq and
//! a bare parse is bench/screen.sh.
//!
//! Run with `cargo bench -p willis-screen`.

use chrono::NaiveDate;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use willis_core::Profile;
use willis_screen::scan::classify;
use willis_screen::screen_lines;

const VITALS: &str = r#"{"resourceType":"Observation","id":"v1","status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs"}]}],"code":{"coding":[{"system":"http://loinc.org","code":"85354-9","display":"Blood pressure panel"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-01T09:00:00Z","component":[{"code":{"coding":[{"system":"http://loinc.org","code":"8480-6"}]},"valueQuantity":{"value":128,"unit":"mm[Hg]"}},{"code":{"coding":[{"system":"http://loinc.org","code":"8462-4"}]},"valueQuantity":{"value":82,"unit":"mm[Hg]"}}]}"#;
const FERRITIN: &str = r#"{"resourceType":"Observation","id":"f1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2276-4","display":"Ferritin [Mass/volume] in Serum or Plasma"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-01T08:00:00Z","valueQuantity":{"value":38,"unit":"ng/mL","system":"http://unitsofmeasure.org","code":"ng/mL"}}"#;
const PATIENT: &[&str] = &[
    r#"{"resourceType":"Patient","id":"p1","gender":"female","birthDate":"1980-05-17"}"#,
    r#"{"resourceType":"Condition","id":"c1","clinicalStatus":{"coding":[{"code":"active"}]},"verificationStatus":{"coding":[{"code":"confirmed"}]},"code":{"coding":[{"system":"http://snomed.info/sct","code":"32914008"}]},"subject":{"reference":"Patient/p1"}}"#,
    FERRITIN,
    r#"{"resourceType":"Observation","id":"t1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"2502-3"}]},"subject":{"reference":"Patient/p1"},"effectiveDateTime":"2026-03-01T08:00:00Z","valueQuantity":{"value":24,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}"#,
    r#"{"resourceType":"MedicationRequest","id":"m1","status":"active","intent":"order","medicationCodeableConcept":{"text":"pramipexole 0.25 mg"},"subject":{"reference":"Patient/p1"},"authoredOn":"2023-01-10"}"#,
];

fn bench(c: &mut Criterion) {
    c.bench_function("classify: vital signs (skipped)", |b| {
        b.iter(|| classify(black_box(VITALS.as_bytes())))
    });
    c.bench_function("classify: ferritin (kept)", |b| {
        b.iter(|| classify(black_box(FERRITIN.as_bytes())))
    });
    let day = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
    c.bench_function("screen_lines: one patient with RLS", |b| {
        b.iter(|| screen_lines(black_box(PATIENT), day, Profile::Irlssg2018).unwrap())
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
