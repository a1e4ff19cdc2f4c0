//! The synthetic export: deterministic, split by size, readable by the FHIR
//! mapping in the units and names it accepts.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde_json::Value;
use willis_synth::{generate, SynthError, SynthOptions, SynthSummary};

fn options(dir: &Path, patients: u64, seed: u64) -> SynthOptions {
    SynthOptions {
        patients,
        seed,
        out_dir: dir.to_path_buf(),
        ..SynthOptions::default()
    }
}

/// Every file in the directory, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

/// The lines of every NDJSON file, with the file's type.
fn lines_by_file(summary: &SynthSummary) -> Vec<(String, PathBuf, Vec<String>)> {
    summary
        .files
        .iter()
        .map(|(kind, path, _)| {
            let text = std::fs::read_to_string(path).unwrap();
            assert!(text.is_empty() || text.ends_with('\n'), "{path:?}");
            let lines = text.lines().map(str::to_string).collect();
            (kind.clone(), path.clone(), lines)
        })
        .collect()
}

/// A line that is a resource: a JSON object with a resourceType.
fn resource(line: &str) -> Option<Value> {
    let v: Value = serde_json::from_str(line).ok()?;
    v.get("resourceType")?.as_str()?;
    Some(v)
}

/// The patient a resource is about (`subject` or `patient`), or its own id.
fn patient_of(v: &Value) -> Option<String> {
    if v["resourceType"] == "Patient" {
        return v["id"].as_str().map(str::to_string);
    }
    let r = v
        .get("subject")
        .or_else(|| v.get("patient"))?
        .get("reference")?
        .as_str()?;
    r.strip_prefix("Patient/").map(str::to_string)
}

#[test]
fn the_same_seed_gives_the_same_bytes_and_another_seed_does_not() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let sa = generate(&options(a.path(), 300, 42)).unwrap();
    let sb = generate(&options(b.path(), 300, 42)).unwrap();
    generate(&options(c.path(), 300, 43)).unwrap();
    let (fa, fb, fc) = (files(a.path()), files(b.path()), files(c.path()));
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(bytes == &fb[name], "{name} differs between two runs");
    }
    assert_eq!(sa.lines, sb.lines);
    assert_eq!(sa.with_rls, sb.with_rls);
    for name in ["Patient.ndjson", "Observation.ndjson", "Condition.ndjson"] {
        assert!(fa[name] != fc[name], "{name} is the same for another seed");
    }
}

#[test]
fn a_patient_does_not_depend_on_how_many_are_generated() {
    let small = tempfile::tempdir().unwrap();
    let big = tempfile::tempdir().unwrap();
    generate(&options(small.path(), 40, 7)).unwrap();
    generate(&options(big.path(), 90, 7)).unwrap();
    for name in [
        "Patient.ndjson",
        "Observation.ndjson",
        "MedicationRequest.ndjson",
    ] {
        let s = std::fs::read(small.path().join(name)).unwrap();
        let b = std::fs::read(big.path().join(name)).unwrap();
        assert!(b.len() > s.len() && b.starts_with(&s), "{name}");
    }
}

#[test]
fn a_small_size_limit_splits_files_and_the_manifest_lists_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let max = 64 * 1024;
    let summary = generate(&SynthOptions {
        max_file_bytes: max,
        ..options(dir.path(), 200, 5)
    })
    .unwrap();
    let names: BTreeSet<String> = files(dir.path()).into_keys().collect();
    assert!(names.contains("Observation.1.ndjson"), "{names:?}");
    assert!(names.contains("Observation.3.ndjson"), "{names:?}");
    assert!(!names.contains("Observation.ndjson"), "{names:?}");

    let m = manifest(dir.path());
    assert_eq!(m["transactionTime"], "2026-06-30T23:59:59Z");
    assert_eq!(m["requiresAccessToken"], false);
    assert!(m["request"].as_str().unwrap().contains("$export"));
    let output = m["output"].as_array().unwrap();
    let listed: BTreeSet<String> = output
        .iter()
        .map(|o| o["url"].as_str().unwrap().to_string())
        .chain(
            m["error"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["url"].as_str().unwrap().to_string()),
        )
        .chain(["manifest.json".to_string()])
        .collect();
    assert_eq!(
        listed, names,
        "the manifest lists every file, and only them"
    );
    assert_eq!(m["error"][0]["type"], "OperationOutcome");

    let mut resources_per_type: BTreeMap<String, u64> = BTreeMap::new();
    for o in output {
        let url = o["url"].as_str().unwrap();
        let text = std::fs::read_to_string(dir.path().join(url)).unwrap();
        let size = text.len() as u64;
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            size <= max || lines.len() == 1,
            "{url} is {size} bytes, over {max}"
        );
        let count = lines.iter().filter(|l| resource(l).is_some()).count() as u64;
        assert_eq!(o["count"].as_u64(), Some(count), "{url}");
        *resources_per_type
            .entry(o["type"].as_str().unwrap().to_string())
            .or_default() += count;
        for l in lines.iter().filter_map(|l| resource(l)) {
            assert_eq!(l["resourceType"], o["type"], "{url}");
        }
    }
    assert_eq!(resources_per_type["Patient"], 200);
    // The summary agrees with the manifest.
    let from_summary: Vec<(String, String, u64)> = summary
        .files
        .iter()
        .filter(|(t, _, _)| t != "OperationOutcome")
        .map(|(t, p, n)| {
            (
                t.clone(),
                p.file_name().unwrap().to_string_lossy().into_owned(),
                *n,
            )
        })
        .collect();
    let from_manifest: Vec<(String, String, u64)> = output
        .iter()
        .map(|o| {
            (
                o["type"].as_str().unwrap().to_string(),
                o["url"].as_str().unwrap().to_string(),
                o["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(from_summary, from_manifest);
}

#[test]
fn every_line_is_a_resource_of_its_file_type_or_counted_noise() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&options(dir.path(), 2000, 11)).unwrap();
    let (mut malformed, mut blank, mut lines, mut bytes) = (0, 0, 0, 0);
    for (kind, path, file_lines) in lines_by_file(&summary) {
        bytes += std::fs::metadata(&path).unwrap().len();
        for line in file_lines {
            lines += 1;
            if line.is_empty() {
                blank += 1;
                continue;
            }
            match resource(&line) {
                Some(v) => {
                    assert_eq!(v["resourceType"], kind.as_str(), "{path:?}: {line}");
                    assert!(v["id"].is_string(), "{line}");
                    if kind != "OperationOutcome" {
                        assert!(patient_of(&v).is_some(), "{line}");
                    }
                }
                None => malformed += 1,
            }
        }
    }
    assert_eq!(malformed, summary.malformed);
    assert_eq!(blank, summary.blank);
    assert_eq!(lines, summary.lines);
    assert_eq!(bytes, summary.bytes);
    // About one line in 5,000.
    let expected = lines / 5000;
    assert!(
        malformed >= expected / 3 && malformed <= expected * 3,
        "{malformed} malformed in {lines} lines"
    );
}

/// Groups the export's resources by patient.
fn by_patient(summary: &SynthSummary) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for (kind, _, lines) in lines_by_file(summary) {
        if kind == "OperationOutcome" {
            continue;
        }
        for v in lines.iter().filter_map(|l| resource(l)) {
            let p = patient_of(&v).unwrap();
            out.entry(p).or_default().push(v);
        }
    }
    out
}

fn bundle(resources: &[Value]) -> willis_fhir::Bundle {
    let entries: Vec<Value> = resources
        .iter()
        .map(|r| serde_json::json!({ "resource": r }))
        .collect();
    serde_json::from_value(serde_json::json!({
        "resourceType": "Bundle",
        "type": "collection",
        "entry": entries,
    }))
    .unwrap()
}

fn is_confirmed_rls(v: &Value) -> bool {
    let code = |cc: &Value| cc["coding"][0]["code"].as_str().unwrap_or("").to_string();
    v["resourceType"] == "Condition"
        && code(&v["verificationStatus"]) == "confirmed"
        && code(&v["clinicalStatus"]) == "active"
        && (v["code"]["coding"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["code"] == "32914008" || c["code"] == "G25.81")
            || v["code"]["text"] == "Restless legs syndrome")
}

#[test]
fn the_fhir_mapping_reads_the_patients_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path(), 2000, 3);
    let summary = generate(&opts).unwrap();
    let share = summary.with_rls as f64 / summary.patients as f64;
    assert!((0.05..=0.10).contains(&share), "RLS share {share}");

    let knowledge = willis_core::Knowledge::get();
    let people = by_patient(&summary);
    assert_eq!(people.len(), 2000);
    let (mut mapped_rls, mut with_labs, mut pregnant, mut ferritins) = (0, 0, 0, 0);
    let mut rls_with_iron = 0;
    for (id, resources) in &people {
        let imported = willis_fhir::bundle_to_record_on(&bundle(resources), opts.reference_date);
        let rec = &imported.record;
        let has_rls = rec.conditions.iter().any(|c| c == "restless-legs-syndrome");
        assert_eq!(
            has_rls,
            resources.iter().any(is_confirmed_rls),
            "patient {id}: {:?}",
            rec.conditions
        );
        mapped_rls += u64::from(has_rls);
        for s in &imported.skipped {
            let r = &s.reason;
            assert!(
                !(r.contains("is not accepted")
                    || r.contains("not a plausible")
                    || r.contains("not a full date")
                    || r.contains("no date")
                    || r.contains("no end date")
                    || r.contains("is before started")
                    || r.contains("no valueQuantity")
                    || r.contains("about another person")),
                "patient {id}: {} skipped: {r}",
                s.resource
            );
        }
        let labs = resources
            .iter()
            .filter(|r| {
                r["resourceType"] == "Observation"
                    && r["category"][0]["coding"][0]["code"] == "laboratory"
                    && r["status"] == "final"
                    && willis_fhir::codes::loinc_test(
                        r["code"]["coding"][0]["code"].as_str().unwrap(),
                    )
                    .is_some()
            })
            .count();
        if labs > 0 {
            assert!(!rec.labs.is_empty(), "patient {id}: no lab read");
            with_labs += 1;
        }
        ferritins += rec.labs.iter().filter(|l| l.test == "ferritin").count();
        if has_rls && rec.labs.iter().any(|l| l.test == "ferritin") {
            rls_with_iron += 1;
        }
        pregnant += u64::from(rec.conditions.iter().any(|c| c == "pregnancy"));
        for m in &rec.medications {
            assert!(
                !knowledge.ingredients(&m.name).is_empty(),
                "patient {id}: the catalogue does not know {:?}",
                m.name
            );
        }
    }
    assert_eq!(mapped_rls, summary.with_rls);
    assert!(with_labs > 1900, "{with_labs} patients with labs");
    assert!(ferritins > 500, "{ferritins} ferritin results");
    assert!(
        rls_with_iron * 10 > summary.with_rls * 8,
        "{rls_with_iron} of {} RLS patients with a ferritin",
        summary.with_rls
    );
    // About 1 % pregnant (as of the reference date).
    assert!((5..=60).contains(&pregnant), "{pregnant} pregnant");
}

#[test]
fn codes_written_are_the_ones_the_mapping_reads() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&options(dir.path(), 500, 9)).unwrap();
    let unrelated = ["4548-4", "2093-3", "2345-7"];
    let mut units: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut meds: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, _, lines) in lines_by_file(&summary) {
        for v in lines.iter().filter_map(|l| resource(l)) {
            match kind.as_str() {
                "Observation" if v["category"][0]["coding"][0]["code"] == "laboratory" => {
                    let code = v["code"]["coding"][0]["code"].as_str().unwrap();
                    let q = &v["valueQuantity"];
                    assert_eq!(q["system"], "http://unitsofmeasure.org");
                    if unrelated.contains(&code) {
                        assert!(willis_fhir::codes::loinc_test(code).is_none());
                        continue;
                    }
                    let test = willis_fhir::codes::loinc_test(code)
                        .unwrap_or_else(|| panic!("LOINC {code} is not a test the mapping reads"));
                    units
                        .entry(test.name().to_string())
                        .or_default()
                        .insert(q["code"].as_str().unwrap().to_string());
                }
                "MedicationRequest" | "MedicationStatement" | "MedicationAdministration" => {
                    let concept = &v["medicationCodeableConcept"];
                    let text = concept["text"].as_str().unwrap();
                    let known = willis_core::Knowledge::get().ingredients(text);
                    assert!(!known.is_empty(), "{text:?} is not in the catalogue");
                    if let Some(c) = concept["coding"].as_array().and_then(|a| a.first()) {
                        let generic =
                            willis_fhir::codes::rxnorm_ingredient(c["code"].as_str().unwrap())
                                .unwrap();
                        assert_eq!(c["display"], generic);
                        assert_eq!(known[0].0, generic, "{text}");
                    }
                    *meds.entry(known[0].0.to_string()).or_default() += 1;
                }
                _ => {}
            }
        }
    }
    // Mixed units.
    for (test, want) in [
        ("ferritin", &["ng/mL", "ug/L", "pmol/L"][..]),
        ("hemoglobin", &["g/dL", "g/L"][..]),
        ("iron", &["ug/dL", "umol/L"][..]),
    ] {
        for u in want {
            assert!(units[test].contains(*u), "{test}: {:?}", units[test]);
        }
    }
    for name in [
        "pramipexole",
        "gabapentin",
        "ferrous sulfate",
        "atorvastatin",
        "sertraline",
    ] {
        assert!(meds.contains_key(name), "no {name}: {meds:?}");
    }
}

#[test]
fn gzip_output_holds_the_same_lines_as_plain_output() {
    let plain = tempfile::tempdir().unwrap();
    let gz = tempfile::tempdir().unwrap();
    let small = 200 * 1024;
    let p = generate(&SynthOptions {
        max_file_bytes: small,
        ..options(plain.path(), 150, 21)
    })
    .unwrap();
    let g = generate(&SynthOptions {
        gzip: true,
        max_file_bytes: small,
        ..options(gz.path(), 150, 21)
    })
    .unwrap();
    assert_eq!(p.files.len(), g.files.len());
    assert!(p.files.len() > 11, "the limit splits some types");
    for ((pt, pp, pc), (gt, gp, gc)) in p.files.iter().zip(&g.files) {
        assert_eq!((pt, pc), (gt, gc));
        let gname = gp.file_name().unwrap().to_string_lossy().into_owned();
        let pname = pp.file_name().unwrap().to_string_lossy().into_owned();
        assert_eq!(gname, format!("{pname}.gz"));
        let mut unzipped = Vec::new();
        flate2::read::GzDecoder::new(std::fs::File::open(gp).unwrap())
            .read_to_end(&mut unzipped)
            .unwrap();
        assert!(unzipped == std::fs::read(pp).unwrap(), "{gname}");
    }
    assert_eq!(p.lines, g.lines);
    assert!(g.bytes < p.bytes / 3, "{} vs {}", g.bytes, p.bytes);
    let m = manifest(gz.path());
    assert!(m["output"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with(".ndjson.gz"));
}

#[test]
fn an_export_is_only_written_into_an_empty_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Patient.ndjson"), "{}\n").unwrap();
    let err = generate(&options(dir.path(), 5, 1)).unwrap_err();
    assert!(matches!(err, SynthError::NotEmpty(_)), "{err}");
    assert!(err.to_string().contains("not empty"));
    // Nothing was added.
    assert_eq!(files(dir.path()).len(), 1);

    let file = dir.path().join("Patient.ndjson");
    let err = generate(&options(&file, 5, 1)).unwrap_err();
    assert!(matches!(err, SynthError::NotADirectory(_)), "{err}");

    let fresh = dir.path().join("new/deeper");
    let s = generate(&options(&fresh, 5, 1)).unwrap();
    assert_eq!(s.patients, 5);
    assert!(fresh.join("manifest.json").exists());

    let err = generate(&SynthOptions {
        max_file_bytes: 0,
        ..options(&dir.path().join("other"), 5, 1)
    })
    .unwrap_err();
    assert!(matches!(err, SynthError::ZeroMaxFileBytes));
}

#[test]
fn progress_is_reported_up_to_the_last_patient() {
    let dir = tempfile::tempdir().unwrap();
    let mut seen = Vec::new();
    willis_synth::generate_with_progress(&options(dir.path(), 600, 4), &mut |n| seen.push(n))
        .unwrap();
    assert_eq!(seen, vec![256, 512, 600]);
}

#[test]
fn the_reference_date_moves_the_histories() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let day = NaiveDate::from_ymd_opt(2030, 1, 15).unwrap();
    generate(&options(a.path(), 100, 2)).unwrap();
    let s = generate(&SynthOptions {
        reference_date: day,
        ..options(b.path(), 100, 2)
    })
    .unwrap();
    let latest = |dir: &Path| -> String {
        let text = std::fs::read_to_string(dir.join("Observation.ndjson")).unwrap();
        text.lines()
            .filter_map(resource)
            .filter_map(|v| v["effectiveDateTime"].as_str().map(|d| d[..10].to_string()))
            .max()
            .unwrap()
    };
    assert!(latest(a.path()).as_str() <= "2026-06-30");
    assert!(latest(b.path()).as_str() > "2029-06-30");
    assert!(latest(b.path()).as_str() <= "2030-01-15");
    assert_eq!(
        manifest(b.path())["transactionTime"],
        "2030-01-15T23:59:59Z"
    );
    assert_eq!(s.patients, 100);
}
