//! Lab results: the value (a bound is read as its bound, with a note), the
//! unit, the instant; then, once every resource is read, which results of the
//! same test are used (one a day; none older than a newer one that could not
//! be read, for the iron tests).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use willis_core::units::{normalise_unit, LabTest};
use willis_core::LabFile;

use super::{as_printed, core_unit, fhir_date, Mapper};
use crate::model::*;
use crate::willis;

/// A result that can be used, waiting for the choice made in [`Mapper::finish_labs`].
pub(super) struct LabRead {
    label: String,
    test: LabTest,
    file: LabFile,
    date: NaiveDate,
    /// The instant, when the result has a time of day with its offset.
    instant: Option<DateTime<FixedOffset>>,
    /// The value in the test's canonical unit.
    canonical: f64,
}

/// A dated result of an iron test whose value or unit could not be used.
pub(super) struct Unreadable {
    label: String,
    test: LabTest,
    date: NaiveDate,
}

/// Ferritin: 1 µg/L = 2.247 pmol/L.
const FERRITIN_PMOL_PER_UG: f64 = 2.247;

/// The tests whose older results must not stand in for a newer one that
/// could not be read.
fn is_iron_test(test: LabTest) -> bool {
    matches!(
        test,
        LabTest::Ferritin | LabTest::Tsat | LabTest::Iron | LabTest::Tibc | LabTest::Transferrin
    )
}

/// The date a result is for: effectiveDateTime, effectivePeriod.start,
/// effectiveInstant, else issued.
pub(super) fn result_time(o: &Observation) -> Option<&str> {
    o.effective_date_time
        .as_deref()
        .or(o.effective_period.as_ref().and_then(|p| p.start.as_deref()))
        .or(o.effective_instant.as_deref())
        .or(o.issued.as_deref())
}

/// `>1000`, `<= 5`, `45`: the comparator (if any) and the number.
fn parse_text_value(text: &str) -> Option<(Option<&str>, f64)> {
    let t = text.trim();
    let (comparator, rest) = ["<=", ">=", "<", ">", "≤", "≥"]
        .iter()
        .find_map(|c| t.strip_prefix(c).map(|rest| (Some(*c), rest)))
        .unwrap_or((None, t));
    let value: f64 = rest.trim().parse().ok()?;
    value.is_finite().then_some((comparator, value))
}

/// What a comparator makes of the number: `"a lower bound"` for `>`.
fn bound_kind(comparator: &str) -> Option<&'static str> {
    match comparator {
        ">" | ">=" | "≥" => Some("a lower bound: the result is at least this"),
        "<" | "<=" | "≤" => Some("an upper bound: the result is at most this"),
        _ => None,
    }
}

/// A value read, its unit as the record writes it, and the caveats.
struct Reading {
    value: f64,
    unit: String,
    notes: Vec<String>,
}

fn read_value(test: LabTest, o: &Observation) -> Result<Reading, String> {
    let Some(q) = &o.value_quantity else {
        return Err(match (&o.data_absent_reason, &o.value_string) {
            (Some(why), _) => format!("no value: dataAbsentReason {}", why.describe()),
            (None, Some(s)) => match parse_text_value(s) {
                Some(_) => format!(
                    "the value is text ({s:?}) with no unit; a number is only used with its unit"
                ),
                None => format!("the value is text ({s:?}), not a number with a unit"),
            },
            (None, None) => "no valueQuantity".to_string(),
        });
    };
    let mut value = q
        .value
        .filter(|v| v.is_finite())
        .ok_or("valueQuantity has no value")?;
    let mut notes = Vec::new();
    // The UCUM code first (INTEROP.md 2.4: convert on the code, not the free text).
    let written = q
        .code
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .or(q.unit.as_deref())
        .unwrap_or("");
    if let Some(c) = q
        .comparator
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        let kind = bound_kind(c).ok_or(format!("comparator {c:?} is not one Willis reads"))?;
        notes.push(format!(
            "{} \"{c}{value} {written}\" read as {value} ({kind})",
            test.name()
        ));
    }
    let unit = if test == LabTest::Ferritin && normalise_unit(written.trim()) == "pmol/L" {
        let converted = (value / FERRITIN_PMOL_PER_UG * 10.0).round() / 10.0;
        notes.push(format!(
            "ferritin {value} pmol/L converted to {converted} µg/L (1 µg/L = {FERRITIN_PMOL_PER_UG} pmol/L)"
        ));
        value = converted;
        "µg/L".to_string()
    } else {
        core_unit(test, written)
            .map(|unit| as_printed(test, &unit, q))
            .ok_or(format!(
                "unit {written:?} is not accepted; use {}",
                test.accepted_units()
            ))?
    };
    let canonical = test.to_canonical(value, &unit).unwrap_or(f64::NAN);
    let (lo, hi) = test.plausible_range();
    if !(canonical >= lo && canonical <= hi) {
        return Err(format!(
            "{value} {unit} is not a plausible result (expected {lo}–{hi} {})",
            test.canonical_unit()
        ));
    }
    Ok(Reading { value, unit, notes })
}

/// Which of two results of the same test on the same day is used: the later
/// instant; with no instants to tell them apart, the safer reading (the one
/// that never makes iron look more needed). `true` when `b` beats `a`.
fn beats(b: &LabRead, a: &LabRead) -> bool {
    if let (Some(x), Some(y)) = (a.instant, b.instant) {
        if x != y {
            return y > x;
        }
    }
    match b.test {
        LabTest::Ferritin | LabTest::Tsat | LabTest::Iron | LabTest::Hemoglobin => {
            b.canonical > a.canonical
        }
        LabTest::Tibc | LabTest::Transferrin => b.canonical < a.canonical,
        _ => false,
    }
}

impl Mapper {
    pub(super) fn lab(&mut self, label: &str, o: &Observation, test: LabTest) {
        let when = result_time(o);
        let date = when.and_then(fhir_date);
        let reading = match read_value(test, o) {
            Ok(r) => r,
            Err(reason) => {
                if let Some(date) = date.filter(|_| is_iron_test(test)) {
                    self.unreadable_labs.push(Unreadable {
                        label: label.to_string(),
                        test,
                        date,
                    });
                }
                return self.skip(label, format!("{}: {reason}", test.name()));
            }
        };
        let Some(date) = date else {
            let reason = match when {
                Some(w) => format!("{}: date {w:?} is not a full date", test.name()),
                None => format!(
                    "{}: no date (effectiveDateTime, effectivePeriod.start or issued)",
                    test.name()
                ),
            };
            return self.skip(label, reason);
        };
        for note in reading.notes {
            self.note(label, note);
        }
        let canonical = test
            .to_canonical(reading.value, &reading.unit)
            .unwrap_or(f64::NAN);
        self.labs.push(LabRead {
            label: label.to_string(),
            test,
            file: LabFile {
                test: test.name().to_string(),
                value: reading.value,
                unit: reading.unit,
                date: date.format("%Y-%m-%d").to_string(),
                fasting: Extension::find(&o.extension, willis::EXT_FASTING)
                    .and_then(|e| e.value_boolean),
                morning: Extension::find(&o.extension, willis::EXT_MORNING)
                    .and_then(|e| e.value_boolean),
            },
            date,
            instant: when.and_then(|w| DateTime::parse_from_rfc3339(w.trim()).ok()),
            canonical,
        });
    }

    /// Chooses the results used and puts them in the record, in Bundle order.
    pub(super) fn finish_labs(&mut self) {
        let reads = std::mem::take(&mut self.labs);
        let mut used = vec![true; reads.len()];
        // One result of a test a day.
        let mut days: BTreeMap<(&str, NaiveDate), Vec<usize>> = BTreeMap::new();
        for (i, r) in reads.iter().enumerate() {
            days.entry((r.test.name(), r.date)).or_default().push(i);
        }
        for same_day in days.values().filter(|v| v.len() > 1) {
            let mut best = same_day[0];
            for &i in &same_day[1..] {
                if beats(&reads[i], &reads[best]) {
                    best = i;
                }
            }
            let b = &reads[best];
            for &i in same_day.iter().filter(|&&i| i != best) {
                used[i] = false;
                let r = &reads[i];
                let why = match (r.instant, b.instant) {
                    (Some(x), Some(y)) if x != y => "the later one",
                    _ => match r.test {
                        LabTest::Ferritin | LabTest::Tsat | LabTest::Iron | LabTest::Hemoglobin => {
                            "with no time to tell them apart, the higher value (the safer reading)"
                        }
                        LabTest::Tibc | LabTest::Transferrin => {
                            "with no time to tell them apart, the lower value (the safer reading)"
                        }
                        _ => "with no time to tell them apart, the first in the Bundle",
                    },
                };
                self.skip(
                    r.label.clone(),
                    format!(
                        "another {} result on {} ({}); {why} is used",
                        r.test.name(),
                        r.date,
                        b.label
                    ),
                );
            }
        }
        // A newer iron test that could not be read: its older results do not stand in.
        let unreadable = std::mem::take(&mut self.unreadable_labs);
        let mut newest_used: BTreeMap<&str, NaiveDate> = BTreeMap::new();
        for (r, _) in reads.iter().zip(&used).filter(|(_, u)| **u) {
            let d = newest_used.entry(r.test.name()).or_insert(r.date);
            *d = (*d).max(r.date);
        }
        for (i, r) in reads.iter().enumerate() {
            if !used[i] {
                continue;
            }
            let newer = unreadable
                .iter()
                .filter(|u| u.test == r.test && Some(&u.date) > newest_used.get(r.test.name()))
                .max_by_key(|u| u.date);
            match newer {
                Some(u) => self.skip(
                    r.label.clone(),
                    format!(
                        "a newer {} ({}) could not be read; older results are not used in its place",
                        r.test.name(),
                        u.label
                    ),
                ),
                None => self.out.record.labs.push(r.file.clone()),
            }
        }
    }
}
