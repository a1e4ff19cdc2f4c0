//! The parts of the import beyond labs, conditions and medicines: facts about
//! the person (pregnancy, weight, dialysis), the Willis-coded observations
//! (symptom questionnaire, sleep, habits, diary) and iron treatments.
//!
//! Each is checked with willis-core's own validation before it is taken, so
//! the record always validates; a value it refuses is reported with its reason.

use chrono::{Months, NaiveDate, NaiveTime};
use willis_core::{
    DiaryFile, IronTreatmentFile, PatientFile, RecordFile, SymptomsFile, RECORD_FORMAT,
};

use super::{fhir_date, Mapper};
use crate::codes::{self, PersonCode};
use crate::model::*;
use crate::system;
use crate::willis::{self, Kind};

/// A value read from a Willis observation.
#[derive(Debug, Clone, PartialEq)]
enum Got {
    Bool(bool),
    Int(i64),
    Number(f64),
    Text(String),
}

impl Got {
    fn bool(&self) -> Option<bool> {
        match self {
            Got::Bool(b) => Some(*b),
            _ => None,
        }
    }
    fn int(&self) -> Option<i64> {
        match self {
            Got::Int(i) => Some(*i),
            _ => None,
        }
    }
    fn number(&self) -> Option<f64> {
        match self {
            Got::Number(n) => Some(*n),
            Got::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    fn text(&self) -> Option<String> {
        match self {
            Got::Text(t) => Some(t.clone()),
            _ => None,
        }
    }
}

fn symptoms(f: &mut RecordFile) -> &mut SymptomsFile {
    f.symptoms.get_or_insert_with(SymptomsFile::default)
}

fn patient(f: &mut RecordFile) -> &mut PatientFile {
    f.patient.get_or_insert_with(PatientFile::default)
}

/// Sets the record field a Willis code stands for.
fn set(f: &mut RecordFile, code: &str, v: &Got) {
    match code {
        "urge-to-move" => symptoms(f).urge_to_move = v.bool(),
        "worse-at-rest" => symptoms(f).worse_at_rest = v.bool(),
        "relieved-by-movement" => symptoms(f).relieved_by_movement = v.bool(),
        "worse-evening-or-night" => symptoms(f).worse_evening_or_night = v.bool(),
        "not-explained-by-other-condition" => {
            symptoms(f).not_explained_by_other_condition = v.bool()
        }
        "days-per-week" => symptoms(f).days_per_week = v.int(),
        "irls-total" => symptoms(f).irls_total = v.int(),
        willis::ONSET_TIME => symptoms(f).onset_time = v.text(),
        "impulse-control-problems" => symptoms(f).impulse_control_problems = v.bool(),
        "one-sided" => symptoms(f).one_sided = v.bool(),
        "weakness-or-numbness" => symptoms(f).weakness_or_numbness = v.bool(),
        c if c.starts_with("augmentation-") => {
            let a = symptoms(f)
                .augmentation
                .get_or_insert_with(Default::default);
            match c {
                "augmentation-earlier-onset-hours" => a.earlier_onset_hours = v.number(),
                "augmentation-shorter-latency-at-rest" => a.shorter_latency_at_rest = v.bool(),
                "augmentation-spread-to-other-body-parts" => {
                    a.spread_to_other_body_parts = v.bool()
                }
                "augmentation-more-intense" => a.more_intense = v.bool(),
                "augmentation-shorter-relief-from-medicine" => {
                    a.shorter_relief_from_medicine = v.bool()
                }
                _ => {}
            }
        }
        "snoring" => f.sleep.get_or_insert_with(Default::default).snoring = v.bool(),
        "witnessed-apneas" => {
            f.sleep
                .get_or_insert_with(Default::default)
                .witnessed_apneas = v.bool()
        }
        "excessive-daytime-sleepiness" => {
            f.sleep
                .get_or_insert_with(Default::default)
                .excessive_daytime_sleepiness = v.bool()
        }
        "epworth" => f.sleep.get_or_insert_with(Default::default).epworth = v.int(),
        "limb-jerks-reported" => {
            f.sleep
                .get_or_insert_with(Default::default)
                .limb_jerks_reported = v.bool()
        }
        "plms-index" => f.sleep.get_or_insert_with(Default::default).plms_index = v.number(),
        "alcohol-units-per-week" => {
            f.habits
                .get_or_insert_with(Default::default)
                .alcohol_units_per_week = v.number()
        }
        "caffeine-drinks-per-day" => {
            f.habits
                .get_or_insert_with(Default::default)
                .caffeine_drinks_per_day = v.number()
        }
        "smoker" => f.habits.get_or_insert_with(Default::default).smoker = v.bool(),
        "dialysis" => patient(f).dialysis = v.bool(),
        willis::PREGNANCY_WEEKS => patient(f).pregnancy_weeks = v.int(),
        _ => {}
    }
}

/// `21:00:00` or `21:00` → `21:00`; other text as it is (validation reports it).
fn time_text(text: &str) -> String {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M"))
        .map(|t| t.format("%H:%M").to_string())
        .unwrap_or_else(|_| text.to_string())
}

/// A quantity's value when its UCUM code (if any) is `ucum`.
fn quantity_in(q: &Quantity, ucum: &str) -> Result<f64, String> {
    let value = q
        .value
        .filter(|v| v.is_finite())
        .ok_or("valueQuantity has no value")?;
    if let Some(c) = q.comparator.as_deref().filter(|c| !c.is_empty()) {
        return Err(format!("the value is a bound ({c}{value}), not a value"));
    }
    match q.code.as_deref().map(str::trim) {
        Some(c) if !c.is_empty() && c != ucum => {
            Err(format!("unit {c:?} is not accepted; use {ucum:?} (UCUM)"))
        }
        _ => Ok(value),
    }
}

/// The value of an observation (or component) of `kind`.
fn value_of(
    kind: Kind,
    boolean: Option<bool>,
    integer: Option<i64>,
    time: Option<&str>,
    quantity: Option<&Quantity>,
    text: Option<&str>,
) -> Result<Got, String> {
    match kind {
        Kind::Boolean => boolean.map(Got::Bool).ok_or("expected valueBoolean".into()),
        Kind::Integer => integer.map(Got::Int).ok_or("expected valueInteger".into()),
        Kind::Time => time
            .or(text)
            .map(|t| Got::Text(time_text(t)))
            .ok_or("expected valueTime".into()),
        Kind::Quantity { ucum, .. } => {
            let q = quantity.ok_or(format!("expected valueQuantity in {ucum:?}"))?;
            quantity_in(q, ucum).map(Got::Number)
        }
        Kind::Text => text
            .map(|t| Got::Text(t.to_string()))
            .ok_or("expected valueString".into()),
    }
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

impl Mapper {
    /// Applies `edit` when willis-core accepts the result; otherwise reports
    /// why and leaves the record as it was. Returns whether it was applied.
    pub(super) fn apply(
        &mut self,
        label: &str,
        what: &str,
        edit: impl FnOnce(&mut RecordFile),
    ) -> bool {
        let r = &self.out.record;
        let mut probe = RecordFile {
            format: RECORD_FORMAT.to_string(),
            patient: r.patient.clone(),
            symptoms: r.symptoms.clone(),
            sleep: r.sleep.clone(),
            habits: r.habits.clone(),
            ..RecordFile::default()
        };
        edit(&mut probe);
        match probe.validate(self.knowledge) {
            Ok(_) => {
                let r = &mut self.out.record;
                r.patient = probe.patient;
                r.symptoms = probe.symptoms;
                r.sleep = probe.sleep;
                r.habits = probe.habits;
                r.diary.extend(probe.diary);
                r.iron_treatments.extend(probe.iron_treatments);
                true
            }
            Err(e) => {
                self.skip(label, format!("{what}: not accepted: {e}"));
                false
            }
        }
    }

    /// `false` (and a report) when a single-valued field was already read.
    fn first_time(&mut self, label: &str, key: &'static str, what: &str) -> bool {
        if self.seen_fields.insert(key) {
            return true;
        }
        self.skip(
            label,
            format!("a second {what}; the record holds one, the first was used"),
        );
        false
    }

    pub(super) fn add_condition(&mut self, name: String) {
        if !self.conditions.contains(&name) {
            self.conditions.push(name);
        }
    }

    /// ICD-10 Z99.2: dependence on dialysis.
    pub(super) fn dialysis_from_condition(&mut self, label: &str) {
        let set = self
            .out
            .record
            .patient
            .as_ref()
            .and_then(|p| p.dialysis)
            .is_some();
        if !set {
            self.apply(label, "dialysis", |f| patient(f).dialysis = Some(true));
        }
    }

    pub(super) fn willis_observation(&mut self, label: &str, o: &Observation, code: &str) {
        match code.trim() {
            willis::DIARY_NIGHT => self.diary_night(label, o),
            willis::IRLS_ITEMS => self.irls_items(label, o),
            willis::BODY_PART => match o.value_string.as_deref() {
                Some(part) => {
                    let part = part.to_string();
                    self.apply(label, "body part", |f| symptoms(f).body_parts.push(part));
                }
                None => self.skip(label, "body part: expected valueString"),
            },
            other => {
                let Some((key, _, kind, display)) = willis::field(other) else {
                    return self.skip(
                        label,
                        format!("Willis code {other:?} is not one Willis reads"),
                    );
                };
                let got = value_of(
                    kind,
                    o.value_boolean,
                    o.value_integer,
                    o.value_time.as_deref(),
                    o.value_quantity.as_ref(),
                    o.value_string.as_deref(),
                );
                let got = match (key, got) {
                    // Whole weeks, written as a quantity.
                    (willis::PREGNANCY_WEEKS, Ok(Got::Number(w))) => whole_weeks(w),
                    (_, got) => got,
                };
                if key == willis::PREGNANCY_WEEKS {
                    let date = super::labs::result_time(o).and_then(fhir_date);
                    let weeks = got.map(|g| g.int().unwrap_or_default());
                    return self.gestational_age(label, date, weeks);
                }
                match got {
                    Err(why) => self.skip(label, format!("{display}: {why}")),
                    Ok(v) => {
                        if self.first_time(label, key, display) {
                            self.apply(label, display, |f| set(f, key, &v));
                        }
                    }
                }
            }
        }
    }

    fn irls_items(&mut self, label: &str, o: &Observation) {
        let mut items: Vec<(u32, i64)> = Vec::new();
        for c in &o.component {
            let number = c
                .code
                .codes_in(willis::CODE_SYSTEM)
                .find_map(|code| code.strip_prefix(willis::IRLS_ITEM_PREFIX))
                .and_then(|n| n.parse::<u32>().ok());
            match (number, c.value_integer) {
                (Some(n), Some(v)) => items.push((n, v)),
                _ => {
                    return self.skip(
                        label,
                        format!(
                            "IRLS items: a component is not an item score ({} with no valueInteger or not an irls-item code)",
                            c.code.describe()
                        ),
                    )
                }
            }
        }
        items.sort_by_key(|(n, _)| *n);
        let numbers: Vec<u32> = items.iter().map(|(n, _)| *n).collect();
        if numbers != (1..=numbers.len() as u32).collect::<Vec<_>>() {
            return self.skip(
                label,
                format!("IRLS items: the items are numbered {numbers:?}, not 1 to 10"),
            );
        }
        let scores: Vec<i64> = items.into_iter().map(|(_, v)| v).collect();
        if self.first_time(label, willis::IRLS_ITEMS, "IRLS item scores") {
            self.apply(label, "IRLS items", |f| {
                symptoms(f).irls_items = Some(scores)
            });
        }
    }

    fn diary_night(&mut self, label: &str, o: &Observation) {
        let when = o
            .effective_date_time
            .as_deref()
            .or(o.effective_period.as_ref().and_then(|p| p.start.as_deref()));
        let Some(date) = when.and_then(fhir_date) else {
            return self.skip(
                label,
                format!("diary night: no full date ({when:?}) in effectiveDateTime"),
            );
        };
        let mut night = DiaryFile {
            date: ymd(date),
            ..DiaryFile::default()
        };
        for c in &o.component {
            let code = c.code.codes_in(willis::CODE_SYSTEM).next().unwrap_or("");
            let read = match code {
                willis::SEVERITY => c
                    .value_integer
                    .map(|v| night.severity = Some(v))
                    .ok_or("expected valueInteger".to_string()),
                willis::ONSET_TIME => c
                    .value_time
                    .as_deref()
                    .or(c.value_string.as_deref())
                    .map(|t| night.onset_time = Some(time_text(t)))
                    .ok_or("expected valueTime".to_string()),
                willis::BODY_PART => c
                    .value_string
                    .clone()
                    .map(|p| night.body_parts.push(p))
                    .ok_or("expected valueString".to_string()),
                willis::SLEEP_HOURS => c
                    .value_quantity
                    .as_ref()
                    .ok_or("expected valueQuantity in \"h\"".to_string())
                    .and_then(|q| quantity_in(q, "h"))
                    .map(|h| night.sleep_hours = Some(h)),
                _ => Err(format!("{} is not a diary item", c.code.describe())),
            };
            if let Err(why) = read {
                self.skip(
                    label,
                    format!("diary night {}: a component is left out: {why}", night.date),
                );
            }
        }
        let what = format!("diary night {}", night.date);
        self.apply(label, &what, |f| f.diary.push(night));
    }

    pub(super) fn person_observation(&mut self, label: &str, o: &Observation, what: PersonCode) {
        match what {
            PersonCode::PregnancyStatus => self.pregnancy_status(label, o),
            PersonCode::GestationalAge => {
                let weeks = match o.value_quantity.as_ref() {
                    None => Err("gestational age: expected valueQuantity".to_string()),
                    Some(q) => match q.code.as_deref().or(q.unit.as_deref()).map(str::trim) {
                        Some("wk" | "weeks" | "week") => quantity_in(
                            &Quantity {
                                code: None,
                                ..q.clone()
                            },
                            "wk",
                        )
                        .and_then(whole_weeks),
                        Some("d" | "days") => quantity_in(
                            &Quantity {
                                code: None,
                                ..q.clone()
                            },
                            "d",
                        )
                        .and_then(|d| whole_weeks((d / 7.0).floor())),
                        other => Err(format!(
                            "gestational age: unit {:?} is not accepted; use wk or d",
                            other.unwrap_or("")
                        )),
                    },
                };
                let date = super::labs::result_time(o).and_then(fhir_date);
                let weeks = weeks.map(|g| g.int().unwrap_or_default());
                self.gestational_age(label, date, weeks);
            }
            PersonCode::BodyWeight => self.body_weight(label, o),
        }
    }

    fn pregnancy_status(&mut self, label: &str, o: &Observation) {
        let Some(answer) = &o.value_codeable_concept else {
            return self.skip(label, "pregnancy status: expected valueCodeableConcept");
        };
        let positive = answer
            .codes_in(system::SNOMED)
            .any(|c| c.trim() == codes::SNOMED_PREGNANT)
            || answer
                .codes_in(system::LOINC)
                .any(|c| c.trim() == codes::LOINC_ANSWER_PREGNANT)
            || answer
                .names()
                .any(|n| n.trim().eq_ignore_ascii_case("pregnant"));
        let date = super::labs::result_time(o).and_then(fhir_date);
        if let Some(reason) = self.old_pregnancy(date) {
            return self.skip(label, format!("pregnancy status: {reason}"));
        }
        self.pregnancy_statuses
            .push((date, positive, label.to_string()));
        if !positive {
            self.skip(
                label,
                format!(
                    "pregnancy status {} is not a positive answer; a record only holds a pregnancy",
                    answer.describe()
                ),
            );
        }
    }

    fn body_weight(&mut self, label: &str, o: &Observation) {
        let kg = match o.value_quantity.as_ref() {
            None => Err("body weight: expected valueQuantity".to_string()),
            Some(q) => {
                let unit = q
                    .code
                    .as_deref()
                    .filter(|c| !c.trim().is_empty())
                    .or(q.unit.as_deref())
                    .map(str::trim);
                let plain = Quantity {
                    code: None,
                    ..q.clone()
                };
                match unit {
                    Some("kg") => quantity_in(&plain, "kg"),
                    Some("g") => quantity_in(&plain, "g").map(|g| g / 1000.0),
                    Some("[lb_av]" | "lb" | "lbs") => {
                        quantity_in(&plain, "lb").map(|lb| lb * 0.453_592_37)
                    }
                    other => Err(format!(
                        "body weight: unit {:?} is not accepted; use kg, g or [lb_av]",
                        other.unwrap_or("")
                    )),
                }
            }
        };
        let kg = match kg {
            // Converted weights to the nearest 10 g.
            Ok(kg) => (kg * 100.0).round() / 100.0,
            Err(why) => return self.skip(label, why),
        };
        let date = o
            .effective_date_time
            .as_deref()
            .or(o.effective_period.as_ref().and_then(|p| p.start.as_deref()))
            .and_then(fhir_date);
        if let Some((used_date, used_label)) = self.weight.clone() {
            if date <= used_date {
                return self.skip(
                    label,
                    format!("an earlier body weight; the latest ({used_label}) is used"),
                );
            }
            let accepted = self.apply(label, "body weight", |f| patient(f).weight_kg = Some(kg));
            if accepted {
                self.skip(
                    used_label,
                    format!("an earlier body weight; the latest ({label}) is used"),
                );
                self.weight = Some((date, label.to_string()));
            }
            return;
        }
        if self.apply(label, "body weight", |f| patient(f).weight_kg = Some(kg)) {
            self.weight = Some((date, label.to_string()));
        }
    }

    pub(super) fn iron_treatment(&mut self, label: &str, s: &MedicationStatement) {
        let dosage = s.dosage.first();
        let route_concept = dosage.and_then(|d| d.route.as_ref());
        let route = route_concept
            .and_then(|r| r.text.clone())
            .filter(|t| !t.trim().is_empty())
            .or_else(|| {
                route_concept?
                    .codes_in(system::SNOMED)
                    .find_map(|c| match c.trim() {
                        codes::SNOMED_ROUTE_INTRAVENOUS => Some("iv".to_string()),
                        codes::SNOMED_ROUTE_ORAL => Some("oral".to_string()),
                        _ => None,
                    })
            });
        let Some(route) = route else {
            return self.skip(
                label,
                "iron treatment: no route (dosage.route: intravenous or oral)",
            );
        };
        let dose = match dosage
            .into_iter()
            .flat_map(|d| d.dose_and_rate.iter())
            .find_map(|r| r.dose_quantity.as_ref())
        {
            None => None,
            Some(q) => match quantity_in(q, "mg") {
                Ok(v) => Some(v),
                Err(why) => return self.skip(label, format!("iron treatment dose: {why}")),
            },
        };
        let mut bad_date = None;
        let mut day = |text: Option<&String>| -> Option<String> {
            let text = text?;
            match fhir_date(text) {
                Some(d) => Some(ymd(d)),
                None => {
                    bad_date = Some(text.clone());
                    None
                }
            }
        };
        let date = day(s.effective_date_time.as_ref());
        let period = s.effective_period.as_ref();
        let started = day(period.and_then(|p| p.start.as_ref()));
        let stopped = day(period.and_then(|p| p.end.as_ref()));
        if let Some(text) = bad_date {
            return self.skip(
                label,
                format!("iron treatment: date {text:?} is not a full date"),
            );
        }
        let iv = matches!(route.trim().to_lowercase().as_str(), "iv" | "intravenous");
        let ext = |url: &str| Extension::find(&s.extension, url).and_then(|e| e.value_code.clone());
        let t = IronTreatmentFile {
            route,
            product: s
                .medication_codeable_concept
                .as_ref()
                .and_then(|c| c.text.clone())
                .filter(|t| !t.trim().is_empty()),
            dose_mg: dose.filter(|_| iv),
            date,
            response: ext(willis::EXT_IRON_RESPONSE),
            elemental_mg: dose.filter(|_| !iv),
            started,
            stopped,
            schedule: dosage.and_then(|d| d.text.clone()),
            outcome: ext(willis::EXT_OUTCOME),
        };
        self.apply(label, "iron treatment", |f| f.iron_treatments.push(t));
    }

    /// A reason when a pregnancy fact dated `date` is too old to be current.
    pub(super) fn old_pregnancy(&self, date: Option<NaiveDate>) -> Option<String> {
        let date = date?;
        let limit = self
            .today
            .checked_sub_months(Months::new(super::PREGNANCY_CURRENT_MONTHS))?;
        (date < limit).then(|| {
            format!(
                "dated {date}, more than {} months before {}: not a current pregnancy",
                super::PREGNANCY_CURRENT_MONTHS,
                self.today
            )
        })
    }

    /// A gestational age (LOINC, ICD-10 Z3A, Willis `pregnancy-weeks`): the
    /// newest one is used.
    pub(super) fn gestational_age(
        &mut self,
        label: &str,
        date: Option<NaiveDate>,
        weeks: Result<i64, String>,
    ) {
        let weeks = match weeks {
            Ok(w) => w,
            Err(why) => return self.skip(label, format!("gestational age: {why}")),
        };
        if let Some(reason) = self.old_pregnancy(date) {
            return self.skip(label, format!("gestational age: {reason}"));
        }
        let used = self.gestation.clone();
        if let Some((used_date, used_label)) = &used {
            if date <= *used_date {
                return self.skip(
                    label,
                    format!("an older gestational age; the newest ({used_label}) is used"),
                );
            }
        }
        let set_weeks = |f: &mut RecordFile| patient(f).pregnancy_weeks = Some(weeks);
        if self.apply(label, "gestational age", set_weeks) {
            if let Some((_, used_label)) = used {
                self.skip(
                    used_label,
                    format!("an older gestational age; the newest ({label}) is used"),
                );
            }
            self.gestation = Some((date, label.to_string()));
        }
    }

    /// The newest pregnancy status (LOINC 82810-3) decides; with one positive
    /// and one negative on the same day, the positive (the safer reading).
    fn settle_pregnancy_status(&mut self) {
        let statuses = std::mem::take(&mut self.pregnancy_statuses);
        let Some((newest, positive, newest_label)) =
            statuses.iter().max_by_key(|(d, p, _)| (*d, *p)).cloned()
        else {
            return;
        };
        if positive {
            self.pregnant = true;
            return;
        }
        for (date, _, label) in statuses.iter().filter(|(d, p, _)| *p && *d < newest) {
            self.skip(
                label.clone(),
                format!(
                    "a newer pregnancy status ({newest_label}) is not pregnant; this one{} is not used",
                    date.map(|d| format!(" ({d})")).unwrap_or_default()
                ),
            );
        }
    }

    /// After every resource: a positive pregnancy status with no weeks is
    /// recorded as the condition.
    pub(super) fn finish(&mut self) {
        self.settle_pregnancy_status();
        let weeks = self
            .out
            .record
            .patient
            .as_ref()
            .and_then(|p| p.pregnancy_weeks)
            .is_some();
        let as_condition = self.conditions.iter().any(|c| {
            self.knowledge
                .condition(c)
                .is_some_and(|e| e.id == "pregnancy")
        });
        if self.pregnant && !weeks && !as_condition {
            self.add_condition("pregnancy".to_string());
        }
    }
}

fn whole_weeks(w: f64) -> Result<Got, String> {
    if (0.0..=1000.0).contains(&w) {
        Ok(Got::Int(w.floor() as i64))
    } else {
        Err(format!("{w} is not a number of weeks"))
    }
}
