//! What the letter says, as plain data: built once from the record and its
//! assessment, then laid out as HTML or PDF.
//!
//! Nothing clinical is decided here. Requests are the assessment's steps (with
//! their `because` lists and sources), cautions are its warnings, medicines are
//! marked by the warnings about them, and the RLS targets beside each result
//! are the numbers of `knowledge/thresholds.toml`. The one thing this module
//! adds is the "typical laboratory range" column (see [`super::ranges`]),
//! which no rule uses.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;
use willis_core::assessment::{Category, DiagnosisStatus, Level, SeverityBand};
use willis_core::interpret::{interpret, Position as RlsPosition};
use willis_core::knowledge::{Knowledge, Source};
use willis_core::record::{IvResponse, LabResult, Outcome, Sex};
use willis_core::units::{normalise_unit, LabTest};
use willis_core::{Assessment, OralSchedule, Pathway, Record};

use super::ranges::{self, num, Position};
use crate::chart;

/// Everything the letter says, in reading order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LetterContent {
    /// The date of the letter: the assessment's `as_of`.
    pub date: NaiveDate,
    pub title: String,
    pub person: Person,
    pub greeting: String,
    /// The opening paragraph, in the person's voice.
    pub intro: String,
    /// Diagnosis, course, severity, symptoms, conditions.
    pub summary: Vec<Fact>,
    pub requests: Vec<Request>,
    /// Present when a low-dose opioid is suggested: why EHR alerts may fire.
    pub opioid_note: Option<Note>,
    pub cautions: Vec<Caution>,
    pub results: Vec<ResultRow>,
    /// What the results table's range column is, and is not.
    pub results_note: String,
    pub medicines: Vec<MedicineRow>,
    pub tried: Vec<TriedRow>,
    /// Dated follow-up from the assessment's schedule.
    pub follow_up: Vec<Dated>,
    /// Non-drug measures and triggers the plan lists (steps the person acts on).
    pub self_care: Vec<String>,
    pub charts: Vec<Figure>,
    /// What the record did not say, and names Willis did not recognise.
    pub not_known: Vec<String>,
    pub closing: String,
    pub signature: Option<String>,
    pub references: Vec<Reference>,
    /// How the letter was made: tool, knowledge version, guideline profile.
    pub basis: String,
    pub disclaimer: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub name: Option<String>,
    /// "born 1979-04-02 (age 47), female".
    pub details: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fact {
    pub label: String,
    pub value: String,
}

/// One step of the plan, put as a request to the doctor.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Request {
    /// The step id (`iron.iv`), a stable contract.
    pub id: String,
    /// Words before the title that tie it to another request ("Or, if an
    /// infusion is not possible:").
    pub lead: Option<String>,
    pub title: String,
    /// The facts that make the step appropriate, from the assessment.
    pub because: Vec<String>,
    pub detail: String,
    /// Where another guideline profile would decide differently.
    pub differences: Vec<String>,
    /// Reference numbers (into [`LetterContent::references`]).
    pub refs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    pub title: String,
    pub text: String,
    pub refs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Caution {
    /// `info`, `caution` or `danger`.
    pub level: String,
    pub title: String,
    pub text: String,
    pub refs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    pub test: String,
    /// As the lab reported it: "45 ng/mL".
    pub result: String,
    /// How a value not reported by the lab was obtained ("derived from iron and TIBC").
    pub basis: Option<String>,
    pub date: NaiveDate,
    /// "15–150 ng/mL", when a typical range is known.
    pub typical: Option<String>,
    /// What the result means for RLS, or where it falls against the typical range.
    pub comment: Option<String>,
    /// The comment is something to act on (below an RLS target, a warning).
    pub flag: bool,
    /// Earlier values of the same test: "410 µg/L (2025-12-20)".
    pub earlier: Vec<String>,
    pub refs: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicineRow {
    /// As written, with the generic name when it differs: "Zoloft (sertraline)".
    pub name: String,
    pub dose: Option<String>,
    pub since: Option<NaiveDate>,
    /// "helps", "did not help", "side effects", when recorded.
    pub outcome: Option<String>,
    /// Short warnings about this medicine: "can worsen RLS (SSRI antidepressant)".
    pub marks: Vec<String>,
    /// Marked by a warning (can worsen RLS, augmentation, ...).
    pub flagged: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TriedRow {
    pub what: String,
    pub when: String,
    pub outcome: String,
    /// Failed or not tolerated.
    pub failed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dated {
    pub date: NaiveDate,
    pub title: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub title: String,
    /// A standalone SVG document from [`crate::chart`].
    pub svg: String,
    /// Name under which the PDF renderer offers the SVG to the typesetter.
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    pub number: usize,
    pub citation: String,
    pub url: String,
}

/// Numbers sources in the order the letter first cites them.
struct Citations<'a> {
    assessment: &'a Assessment,
    knowledge: &'static Knowledge,
    order: Vec<(String, Source)>,
    numbers: BTreeMap<String, usize>,
}

impl<'a> Citations<'a> {
    fn cite(&mut self, ids: &[String]) -> Vec<usize> {
        let mut refs = Vec::new();
        for id in ids {
            let number = match self.numbers.get(id) {
                Some(n) => *n,
                None => {
                    let source = self
                        .assessment
                        .sources
                        .get(id)
                        .or_else(|| self.knowledge.sources.get(id));
                    let Some(source) = source else { continue };
                    self.order.push((id.clone(), source.clone()));
                    self.numbers.insert(id.clone(), self.order.len());
                    self.order.len()
                }
            };
            if !refs.contains(&number) {
                refs.push(number);
            }
        }
        refs
    }
}

impl LetterContent {
    /// The letter for `record` as assessed in `assessment`, signed with `name`
    /// when given. Charts and results are as on `assessment.as_of`.
    pub fn new(record: &Record, assessment: &Assessment, name: Option<&str>) -> LetterContent {
        let knowledge = Knowledge::get();
        let as_of = assessment.as_of;
        let name = name
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        let mut cite = Citations {
            assessment,
            knowledge,
            order: Vec::new(),
            numbers: BTreeMap::new(),
        };
        let child = assessment.pathway == Pathway::Pediatric;
        let (my, i) = if child {
            ("my child's", "My child")
        } else {
            ("my", "I")
        };

        let intro = match assessment.diagnosis.status {
            DiagnosisStatus::LikelyRls => format!(
                "{i} {} symptoms that meet all five diagnostic criteria for restless legs \
                 syndrome (RLS, Willis–Ekbom disease).",
                if child { "has" } else { "have" }
            ),
            _ => format!(
                "{i} {} symptoms that may be restless legs syndrome (RLS, Willis–Ekbom disease).",
                if child { "has" } else { "have" }
            ),
        } + &format!(
            " This letter summarises {my} symptoms, results and treatment so far, and what \
             published RLS guidelines suggest next; each request lists the facts behind it \
             and numbered sources. Could we discuss the requests below?"
        );

        // Built in reading order, so references are numbered as they appear.
        let results = results(record, assessment, &mut cite);
        let cautions = assessment
            .warnings
            .iter()
            // Shown beside the medicine and in the medicines request instead.
            .filter(|w| w.id != "warn.aggravating-medication")
            .map(|w| Caution {
                level: match w.level {
                    Level::Info => "info",
                    Level::Caution => "caution",
                    Level::Danger => "danger",
                }
                .to_string(),
                title: w.title.clone(),
                text: w.detail.clone(),
                refs: cite.cite(&w.sources),
            })
            .collect();
        let requests = requests(assessment, &mut cite);
        let opioid_note = assessment.step("drug.opioid-low-dose").map(|step| Note {
            title: "About opioid-prescribing alerts".to_string(),
            text: "Prescribing systems may show opioid-risk alerts for this request. Those \
                       alerts are written for opioids used for pain. For severe RLS that \
                       alpha-2-delta ligands did not control, the RLS guidelines cited here \
                       support a long-acting opioid at a low dose, far below pain doses, with \
                       specialist oversight: misuse screening, an agreement, a check of the \
                       prescription-monitoring programme and regular review."
                .to_string(),
            refs: cite.cite(&step.sources),
        });
        let medicines = medicines(record, assessment);
        let tried = tried(record, as_of);
        let follow_up = assessment
            .schedule
            .iter()
            .map(|item| Dated {
                date: item.date,
                title: item.title.clone(),
                detail: item.detail.clone(),
            })
            .collect();
        let self_care = assessment
            .steps
            .iter()
            .filter(|s| s.category == Category::Lifestyle)
            .map(|s| s.title.clone())
            .collect();

        let mut charts = Vec::new();
        let iron = chart::iron_chart(record, as_of);
        if iron.enough_data {
            charts.push(Figure {
                title: "Ferritin and TSAT over time".to_string(),
                svg: iron.svg,
                file: "iron.svg".to_string(),
            });
        }
        let diary = chart::diary_chart(record, as_of);
        if diary.enough_data {
            charts.push(Figure {
                title: "Symptom diary: severity (0–10) and time of onset".to_string(),
                svg: diary.svg,
                file: "diary.svg".to_string(),
            });
        }

        let mut not_known = assessment.missing.clone();
        not_known.extend(
            assessment
                .unrecognised
                .iter()
                .map(|u| format!("{u} is not in Willis's catalogue, so no rule used it")),
        );

        let profile_title = knowledge.profile(assessment.guideline).title.clone();

        LetterContent {
            date: as_of,
            title: if child {
                "Restless legs syndrome in my child: summary and requests".to_string()
            } else {
                "Restless legs syndrome: summary and requests".to_string()
            },
            person: Person {
                details: person_details(record, assessment),
                name: name.clone(),
            },
            greeting: "Dear Doctor,".to_string(),
            intro,
            summary: summary(record, assessment),
            requests,
            opioid_note,
            cautions,
            results,
            results_note: if child {
                "Adult laboratory ranges are not shown for a child; the child's laboratory \
                 gives the ranges for this age."
                    .to_string()
            } else {
                "Typical range: usual adult laboratory range, for orientation only; your \
                 laboratory's own range may differ."
                    .to_string()
            },
            medicines,
            tried,
            follow_up,
            self_care,
            charts,
            not_known,
            closing: "Thank you for your help.".to_string(),
            signature: name,
            references: cite
                .order
                .into_iter()
                .enumerate()
                .map(|(n, (_, source))| Reference {
                    number: n + 1,
                    citation: source.citation,
                    url: source.url,
                })
                .collect(),
            basis: format!(
                "Prepared on {as_of} with Willis, open-source decision support that applies \
                 published RLS guidelines (knowledge {}; iron thresholds of the {profile_title}).",
                assessment.knowledge
            ),
            disclaimer: assessment.disclaimer.clone(),
        }
    }
}

fn person_details(record: &Record, assessment: &Assessment) -> String {
    let p = &record.patient;
    let mut parts = Vec::new();
    if let Some(born) = p.birth_date {
        match age(born, assessment.as_of) {
            Some(age) => parts.push(format!("born {born} (age {age})")),
            None => parts.push(format!("born {born}")),
        }
    }
    if let Some(sex) = p.sex {
        parts.push(
            match sex {
                Sex::Female => "female",
                Sex::Male => "male",
            }
            .to_string(),
        );
    }
    if let Some(weeks) = p.pregnancy_weeks {
        parts.push(format!("{weeks} weeks pregnant"));
    }
    if assessment.pathway == Pathway::Dialysis {
        parts.push("on dialysis".to_string());
    }
    if let Some(kg) = p.weight_kg {
        parts.push(format!("{} kg", num(kg)));
    }
    parts.join(", ")
}

/// Whole years from `born` to `on`.
fn age(born: NaiveDate, on: NaiveDate) -> Option<u32> {
    on.years_since(born)
}

fn criterion_words(field: &str) -> &str {
    match field {
        "urge_to_move" => "urge to move",
        "worse_at_rest" => "worse at rest",
        "relieved_by_movement" => "relieved by movement",
        "worse_evening_or_night" => "worse in the evening or at night",
        "not_explained_by_other_condition" => "not explained by another condition",
        other => other,
    }
}

fn band_words(band: SeverityBand) -> &'static str {
    match band {
        SeverityBand::None => "none",
        SeverityBand::Mild => "mild",
        SeverityBand::Moderate => "moderate",
        SeverityBand::Severe => "severe",
        SeverityBand::VerySevere => "very severe",
    }
}

fn summary(record: &Record, a: &Assessment) -> Vec<Fact> {
    let mut facts = Vec::new();
    let fact = |label: &str, value: String| Fact {
        label: label.to_string(),
        value,
    };
    let list = |fields: &[String]| {
        fields
            .iter()
            .map(|f| criterion_words(f))
            .collect::<Vec<_>>()
            .join(", ")
    };
    facts.push(fact(
        "Diagnosis",
        match a.diagnosis.status {
            DiagnosisStatus::LikelyRls => {
                "all five IRLSSG essential criteria met (urge to move, worse at rest, \
                 relieved by movement, worse in the evening or at night, not explained \
                 by another condition)"
                    .to_string()
            }
            DiagnosisStatus::CriteriaNotMet => {
                format!("criteria not met: {}", list(&a.diagnosis.unmet))
            }
            DiagnosisStatus::Incomplete => {
                format!(
                    "not yet confirmed; not answered: {}",
                    list(&a.diagnosis.unknown)
                )
            }
        },
    ));
    let days = record.symptoms.days_per_week;
    match (&a.diagnosis.course, days) {
        (Some(course), Some(d)) => facts.push(fact(
            "Course",
            format!("{course}, symptoms on {d} days a week"),
        )),
        (Some(course), None) => facts.push(fact("Course", course.clone())),
        (None, Some(d)) => facts.push(fact("Course", format!("symptoms on {d} days a week"))),
        (None, None) => {}
    }
    let severity = match (a.severity.irls_total, a.severity.band) {
        (Some(total), Some(band)) => Some(format!("IRLS {total}/40 ({})", band_words(band))),
        _ => match a.severity.clinically_significant {
            Some(true) => Some("no IRLS score; clinically significant by frequency".to_string()),
            Some(false) => {
                Some("no IRLS score; not clinically significant by frequency".to_string())
            }
            None => None,
        },
    };
    if let Some(s) = severity {
        facts.push(fact("Severity", s));
    }
    let mut symptoms = Vec::new();
    if let Some(onset) = record.symptoms.onset_time {
        symptoms.push(format!("usually start about {}", onset.format("%H:%M")));
    }
    if !record.symptoms.body_parts.is_empty() {
        let parts: Vec<_> = record
            .symptoms
            .body_parts
            .iter()
            .map(|b| b.name())
            .collect();
        symptoms.push(format!("in the {}", parts.join(" and ")));
    }
    if !symptoms.is_empty() {
        facts.push(fact("Symptoms", symptoms.join(", ")));
    }
    if !record.conditions.is_empty() {
        let knowledge = Knowledge::get();
        let names: Vec<String> = record
            .conditions
            .iter()
            .map(|c| {
                knowledge
                    .condition(&c.name)
                    .map_or_else(|| c.name.clone(), |entry| entry.label.clone())
            })
            .collect();
        facts.push(fact("Other conditions", names.join(", ")));
    }
    facts
}

fn requests(a: &Assessment, cite: &mut Citations) -> Vec<Request> {
    let iv_too = a.has("iron.iv");
    a.steps
        .iter()
        .filter(|s| !matches!(s.category, Category::Lifestyle | Category::FollowUp))
        .map(|s| {
            // The plan offers oral iron beside an infusion as the alternative
            // (RULES.md, "Oral iron, as an alternative or when IV is not possible").
            let lead = (s.id == "iron.oral" && iv_too && s.schedule == Some(OralSchedule::Daily))
                .then(|| "Or, if an infusion is not possible:".to_string());
            Request {
                id: s.id.to_string(),
                lead,
                title: s.title.clone(),
                because: s.because.clone(),
                detail: s.detail.clone(),
                differences: s.differences.iter().map(|d| d.says.clone()).collect(),
                refs: cite.cite(&s.sources),
            }
        })
        .collect()
}

/// The value as the lab printed it, in the normalised spelling of its unit.
fn reported(lab: &LabResult) -> (String, String) {
    let unit = normalise_unit(&lab.reported.1);
    (format!("{} {unit}", num(lab.reported.0)), unit)
}

fn results(record: &Record, a: &Assessment, cite: &mut Citations) -> Vec<ResultRow> {
    let sex = record.patient.sex;
    let adult_ranges = a.pathway != Pathway::Pediatric;
    let mut rows = Vec::new();

    for test in LabTest::ALL {
        let labs: Vec<&LabResult> = record
            .labs
            .iter()
            .filter(|l| l.test == test && l.date <= a.as_of)
            .collect();
        // Newest last (the record is sorted by date).
        let Some(latest) = labs.last().copied() else {
            if test == LabTest::Tsat {
                rows.extend(derived_tsat(a, cite));
            }
            continue;
        };
        let (result, unit) = reported(latest);
        let range = ranges::typical(test, &unit, sex).filter(|_| adult_ranges);
        let position = range.map(|r| r.position(latest.reported.0));
        let mut comment = None;
        let mut flag = false;
        let mut refs = Vec::new();
        match test {
            LabTest::Ferritin => {
                if a.iron.measured_on != Some(latest.date) {
                    comment = Some(match (a.iron.ferritin_ug_per_l, a.iron.measured_on) {
                        (Some(f), Some(d)) => format!(
                            "not the result the plan used (it used {} µg/L from {d}; see cautions)",
                            num(f)
                        ),
                        _ => "not used by the plan (see cautions)".to_string(),
                    });
                    flag = true;
                } else if let Some(i) = interpret(test, latest.value, a.pathway, a.guideline) {
                    // The typical laboratory range first, then the RLS aim.
                    let lab_range = match (i.position, position) {
                        (RlsPosition::Below, Some(Position::Within)) => {
                            "in the typical range, but "
                        }
                        (RlsPosition::Below, Some(Position::Below)) => {
                            "below the typical range, and "
                        }
                        _ => "",
                    };
                    comment = Some(format!("{lab_range}{}", i.words));
                    flag = i.attention;
                    refs = cite.cite(&i.sources);
                }
            }
            LabTest::Tsat => {
                if let Some(i) = interpret(test, latest.value, a.pathway, a.guideline) {
                    comment = Some(i.words);
                    flag = i.attention;
                    refs = cite.cite(&i.sources);
                }
            }
            LabTest::VitaminD | LabTest::VitaminB12 | LabTest::Folate => {
                let step = match test {
                    LabTest::VitaminD => "vitamin.d",
                    LabTest::VitaminB12 => "vitamin.b12",
                    _ => "vitamin.folate",
                };
                if a.has(step) {
                    comment = Some("low: see requests".to_string());
                    flag = true;
                }
            }
            LabTest::Hemoglobin if a.has("warn.anemia") => {
                comment = Some("anaemia: see cautions".to_string());
                flag = true;
            }
            LabTest::Crp if a.has("warn.ferritin-acute-phase") => {
                comment = Some("raised: ferritin may read falsely high".to_string());
                flag = true;
            }
            _ => {}
        }
        if comment.is_none() {
            comment = match position {
                Some(Position::Below) => Some("below the typical range".to_string()),
                Some(Position::Above) => Some("above the typical range".to_string()),
                _ => None,
            };
        }
        let earlier = if matches!(test, LabTest::Ferritin | LabTest::Tsat) {
            labs.iter()
                .rev()
                .skip(1)
                .take(3)
                .map(|l| format!("{} ({})", reported(l).0, l.date))
                .collect()
        } else {
            Vec::new()
        };
        rows.push(ResultRow {
            test: capitalise(test.label()),
            result,
            basis: None,
            date: latest.date,
            typical: range.map(|r| r.words(&unit)),
            comment,
            flag,
            earlier,
            refs,
        });
    }
    rows
}

/// A TSAT the assessment derived from iron and TIBC (or transferrin) when the
/// lab did not report one.
fn derived_tsat(a: &Assessment, cite: &mut Citations) -> Option<ResultRow> {
    let (tsat, date) = (a.iron.tsat_percent?, a.iron.measured_on?);
    let target = interpret(LabTest::Tsat, tsat, a.pathway, a.guideline);
    Some(ResultRow {
        test: "TSAT".to_string(),
        result: format!("{} %", num(tsat)),
        basis: Some(
            a.iron
                .tsat_basis
                .clone()
                .unwrap_or_else(|| "derived".to_string()),
        ),
        date,
        typical: ranges::typical(LabTest::Tsat, "%", None)
            .filter(|_| a.pathway != Pathway::Pediatric)
            .map(|r| r.words("%")),
        flag: target.as_ref().is_some_and(|i| i.attention),
        refs: match &target {
            Some(i) => cite.cite(&i.sources),
            None => Vec::new(),
        },
        comment: target.map(|i| i.words),
        earlier: Vec::new(),
    })
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => first.to_uppercase().chain(chars).collect(),
        _ => text.to_string(),
    }
}

fn outcome_words(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Effective => "helped",
        Outcome::Ineffective => "did not help",
        Outcome::SideEffects => "stopped for side effects",
    }
}

fn medicines(record: &Record, a: &Assessment) -> Vec<MedicineRow> {
    let as_of = a.as_of;
    let mut rows: Vec<MedicineRow> = record
        .medications
        .iter()
        .filter(|m| m.current_on(as_of))
        .map(|m| {
            let mut marks = Vec::new();
            for w in a
                .warnings
                .iter()
                .filter(|w| w.subject.as_deref() == Some(m.name.as_str()))
            {
                // "Zoloft can worsen RLS" → "can worsen RLS (SSRI antidepressant)".
                let short = w.about_subject.as_deref().unwrap_or(&w.title);
                let mark = match (w.id.as_str(), m.class()) {
                    ("warn.aggravating-medication", Some(class)) => {
                        format!("{short} ({})", class.label)
                    }
                    _ => short.to_string(),
                };
                marks.push(mark);
            }
            let name = match &m.resolved {
                Some((generic, _)) if !generic.eq_ignore_ascii_case(&m.name) => {
                    format!("{} ({generic})", m.name)
                }
                _ => m.name.clone(),
            };
            MedicineRow {
                name,
                dose: m.dose.clone(),
                since: m.started,
                outcome: m.outcome.map(|o| {
                    match o {
                        Outcome::Effective => "helps",
                        Outcome::Ineffective => "does not help",
                        Outcome::SideEffects => "side effects",
                    }
                    .to_string()
                }),
                flagged: !marks.is_empty(),
                marks,
            }
        })
        .collect();
    for course in record.oral_courses.iter().filter(|c| c.current_on(as_of)) {
        rows.push(MedicineRow {
            name: format!(
                "oral iron{}",
                course
                    .product
                    .as_deref()
                    .map(|p| format!(" ({p})"))
                    .unwrap_or_default()
            ),
            dose: oral_dose(course),
            since: Some(course.started),
            outcome: course.outcome.map(|o| outcome_words(o).to_string()),
            marks: Vec::new(),
            flagged: false,
        });
    }
    rows
}

fn oral_dose(course: &willis_core::record::OralCourse) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(mg) = course.elemental_mg {
        parts.push(format!("{} mg elemental iron", num(mg)));
    }
    if let Some(s) = course.schedule {
        parts.push(s.name().to_string());
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

fn tried(record: &Record, as_of: NaiveDate) -> Vec<TriedRow> {
    let mut rows = Vec::new();
    let span = |from: Option<NaiveDate>, to: Option<NaiveDate>| match (from, to) {
        (Some(f), Some(t)) => format!("{f} to {t}"),
        (None, Some(t)) => format!("until {t}"),
        (Some(f), None) => format!("from {f}"),
        (None, None) => String::new(),
    };
    let given = willis_core::iron_given(record, as_of);
    // An infusion written as a medicine is shown once, as an infusion.
    let an_infusion = |m: &&willis_core::record::Medication| {
        given
            .infusions
            .iter()
            .any(|i| Some(i.date) == m.started && i.product.as_deref() == Some(m.name.as_str()))
    };
    for m in record
        .medications
        .iter()
        .filter(|m| m.stopped.is_some_and(|s| s <= as_of))
        .filter(|m| !an_infusion(m))
    {
        let what = match &m.dose {
            Some(dose) => format!("{} {dose}", m.name),
            None => m.name.clone(),
        };
        rows.push(TriedRow {
            what,
            when: span(m.started, m.stopped),
            outcome: m
                .outcome
                .map_or("outcome not recorded", outcome_words)
                .to_string(),
            failed: m.outcome.is_some_and(Outcome::failed),
        });
    }
    // Infusions wherever the record wrote them (also on the medicine list).
    for infusion in &given.infusions {
        let mut what = "IV iron".to_string();
        if let Some(p) = &infusion.product {
            what.push_str(&format!(", {p}"));
        }
        if let Some(mg) = infusion.dose_mg {
            what.push_str(&format!(" {} mg", num(mg)));
        }
        rows.push(TriedRow {
            what,
            when: infusion.date.to_string(),
            outcome: match infusion.response {
                Some(IvResponse::Improved) => "RLS improved",
                Some(IvResponse::None) => "no improvement",
                None => "response not recorded",
            }
            .to_string(),
            failed: infusion.response == Some(IvResponse::None),
        });
    }
    for course in record
        .oral_courses
        .iter()
        .filter(|c| c.stopped.is_some_and(|s| s <= as_of))
    {
        let mut what = "oral iron".to_string();
        if let Some(p) = &course.product {
            what.push_str(&format!(", {p}"));
        }
        if let Some(dose) = oral_dose(course) {
            what.push_str(&format!(", {dose}"));
        }
        rows.push(TriedRow {
            what,
            when: span(Some(course.started), course.stopped),
            outcome: course
                .outcome
                .map_or("outcome not recorded", outcome_words)
                .to_string(),
            failed: course.outcome.is_some_and(Outcome::failed),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_in_whole_years() {
        let born = NaiveDate::from_ymd_opt(1979, 4, 2).unwrap();
        assert_eq!(
            age(born, NaiveDate::from_ymd_opt(2026, 4, 1).unwrap()),
            Some(46)
        );
        assert_eq!(
            age(born, NaiveDate::from_ymd_opt(2026, 4, 2).unwrap()),
            Some(47)
        );
    }
}
