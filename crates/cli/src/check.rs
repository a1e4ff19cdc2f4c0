//! `willis check`: the diagnostic questionnaire. In a terminal it asks, in plain
//! words, the five diagnostic criteria, how often, when and where symptoms come,
//! a 0–10 rating, medicines and any blood results; with `--answers FILE` it
//! reads the same answers from a file. Either way it builds a `willis-record/1`
//! record (or journal entries with `--db`) and shows the plan.
//!
//! The IRLS item wording is licensed and never shown: the person is asked for an
//! IRLS total only if a clinician gave them one.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use willis_core::{
    assess, DiaryFile, Knowledge, LabFile, MedicationFile, PatientFile, RecordFile, SleepFile,
    SymptomsFile, RECORD_FORMAT,
};
use willis_store::Payload;

use crate::tracker::{DbArgs, Session};
use crate::{text, Guideline};

#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// Read the answers from this file (JSON, or TOML by extension) instead of
    /// asking: for scripts and tests.
    #[arg(long, value_name = "FILE")]
    pub answers: Option<PathBuf>,
    /// Write the record here (default: willis-record.json). With --db or
    /// --to-journal the answers go to the journal instead.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Store the answers as journal entries (in the default journal unless --db
    /// says which) instead of writing a record file.
    #[arg(long = "to-journal")]
    pub to_journal: bool,
    /// The date the answers are about and the plan is made for (default:
    /// today); results dated later are left out.
    #[arg(long, value_parser = crate::clock::parse_date)]
    pub as_of: Option<NaiveDate>,
    /// Which guideline's thresholds the plan applies.
    #[arg(long, value_enum, default_value_t = Guideline::Irlssg2018)]
    pub guideline: Guideline,
}

/// "yes", "no" or "not sure".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Yes,
    No,
    NotSure,
}

impl Answer {
    fn known(self) -> Option<bool> {
        match self {
            Answer::Yes => Some(true),
            Answer::No => Some(false),
            Answer::NotSure => None,
        }
    }
}

/// A blood result the person has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BloodResult {
    pub test: String,
    pub value: f64,
    pub unit: String,
    pub date: String,
}

/// Everything the questionnaire asks; every field may be left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub birth_date: Option<String>,
    pub sex: Option<String>,
    pub pregnancy_weeks: Option<i64>,
    pub urge_to_move: Option<Answer>,
    pub worse_at_rest: Option<Answer>,
    pub relieved_by_movement: Option<Answer>,
    pub worse_evening_or_night: Option<Answer>,
    pub not_explained_by_other_condition: Option<Answer>,
    pub days_per_week: Option<i64>,
    pub onset_time: Option<String>,
    #[serde(default)]
    pub body_parts: Vec<String>,
    /// Willis's own rating of the last week, 0 (none) to 10 (worst).
    pub rating: Option<i64>,
    /// Only when a clinician scored the IRLS.
    pub irls_total: Option<i64>,
    /// Symptoms on one side of the body only (a reason to see a doctor).
    pub one_sided: Option<Answer>,
    /// Weakness or numbness as well (a reason to see a doctor).
    pub weakness_or_numbness: Option<Answer>,
    /// On a dopamine medicine: new urges that are hard to control.
    pub impulse_control_problems: Option<Answer>,
    /// Loud snoring most nights.
    pub snoring: Option<Answer>,
    /// Someone has seen pauses in breathing during sleep.
    pub witnessed_apneas: Option<Answer>,
    /// Dozing off in the day without meaning to.
    pub daytime_sleepiness: Option<Answer>,
    /// A bed partner has noticed the legs jerking during sleep.
    pub limb_jerks: Option<Answer>,
    #[serde(default)]
    pub medicines: Vec<String>,
    #[serde(default)]
    pub blood_results: Vec<BloodResult>,
}

/// The five criteria in plain words, with the record field each answers.
pub const CRITERIA: [(&str, &str); 5] = [
    (
        "urge_to_move",
        "Do you have an urge to move your legs, usually with unpleasant feelings in them (creeping, crawling, tingling, aching)?",
    ),
    (
        "worse_at_rest",
        "Does it start, or get worse, when you are resting — sitting or lying down?",
    ),
    (
        "relieved_by_movement",
        "Does moving (walking, stretching) relieve it, at least while you keep moving?",
    ),
    (
        "worse_evening_or_night",
        "Is it worse in the evening or at night than during the day (or only there then)?",
    ),
    (
        "not_explained_by_other_condition",
        "Is it something other than cramps, joint pain, swollen legs, or simply an uncomfortable position?",
    ),
];

impl Answers {
    fn criterion(&self, field: &str) -> Option<Answer> {
        match field {
            "urge_to_move" => self.urge_to_move,
            "worse_at_rest" => self.worse_at_rest,
            "relieved_by_movement" => self.relieved_by_movement,
            "worse_evening_or_night" => self.worse_evening_or_night,
            _ => self.not_explained_by_other_condition,
        }
    }

    fn set_criterion(&mut self, field: &str, answer: Answer) {
        let slot = match field {
            "urge_to_move" => &mut self.urge_to_move,
            "worse_at_rest" => &mut self.worse_at_rest,
            "relieved_by_movement" => &mut self.relieved_by_movement,
            "worse_evening_or_night" => &mut self.worse_evening_or_night,
            _ => &mut self.not_explained_by_other_condition,
        };
        *slot = Some(answer);
    }

    /// The record these answers describe, on `day`.
    pub fn to_record(&self, day: NaiveDate) -> RecordFile {
        let patient = PatientFile {
            birth_date: self.birth_date.clone(),
            sex: self.sex.clone(),
            pregnancy_weeks: self.pregnancy_weeks,
            ..PatientFile::default()
        };
        let symptoms = SymptomsFile {
            urge_to_move: self.criterion("urge_to_move").and_then(Answer::known),
            worse_at_rest: self.criterion("worse_at_rest").and_then(Answer::known),
            relieved_by_movement: self
                .criterion("relieved_by_movement")
                .and_then(Answer::known),
            worse_evening_or_night: self
                .criterion("worse_evening_or_night")
                .and_then(Answer::known),
            not_explained_by_other_condition: self
                .criterion("not_explained_by_other_condition")
                .and_then(Answer::known),
            days_per_week: self.days_per_week,
            irls_total: self.irls_total,
            onset_time: self.onset_time.clone(),
            body_parts: self.body_parts.clone(),
            one_sided: self.one_sided.and_then(Answer::known),
            weakness_or_numbness: self.weakness_or_numbness.and_then(Answer::known),
            impulse_control_problems: self.impulse_control_problems.and_then(Answer::known),
            ..SymptomsFile::default()
        };
        let sleep = SleepFile {
            snoring: self.snoring.and_then(Answer::known),
            witnessed_apneas: self.witnessed_apneas.and_then(Answer::known),
            excessive_daytime_sleepiness: self.daytime_sleepiness.and_then(Answer::known),
            limb_jerks_reported: self.limb_jerks.and_then(Answer::known),
            ..SleepFile::default()
        };
        let diary = self
            .rating
            .map(|severity| DiaryFile {
                date: day.to_string(),
                severity: Some(severity),
                onset_time: self.onset_time.clone(),
                body_parts: self.body_parts.clone(),
                sleep_hours: None,
            })
            .into_iter()
            .collect();
        RecordFile {
            format: RECORD_FORMAT.to_string(),
            patient: (patient != PatientFile::default()).then_some(patient),
            symptoms: Some(symptoms),
            labs: self
                .blood_results
                .iter()
                .map(|b| LabFile {
                    test: b.test.clone(),
                    value: b.value,
                    unit: b.unit.clone(),
                    date: b.date.clone(),
                    fasting: None,
                    morning: None,
                })
                .collect(),
            medications: self
                .medicines
                .iter()
                .filter(|m| !m.trim().is_empty())
                .map(|m| MedicationFile {
                    name: m.trim().to_string(),
                    ..MedicationFile::default()
                })
                .collect(),
            diary,
            sleep: (sleep != SleepFile::default()).then_some(sleep),
            ..RecordFile::default()
        }
    }
}

/// Reads answers from a JSON or TOML file, naming the field of any error.
pub fn read_answers(path: &Path) -> anyhow::Result<Answers> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let is_toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let answers = if is_toml {
        let value: toml::Value = text
            .parse()
            .map_err(|e: toml::de::Error| anyhow!("{}: {}", path.display(), e.message()))?;
        serde_path_to_error::deserialize(value)
            .map_err(|e| anyhow!("{}: {}: {}", path.display(), e.path(), e.inner()))?
    } else {
        let mut de = serde_json::Deserializer::from_str(&text);
        serde_path_to_error::deserialize(&mut de)
            .map_err(|e| anyhow!("{}: {}: {}", path.display(), e.path(), e.inner()))?
    };
    Ok(answers)
}

/// A yes / no / not sure question; Esc skips it.
fn yes_no(question: &str) -> anyhow::Result<Option<Answer>> {
    let choice =
        inquire::Select::new(question, vec!["yes", "no", "not sure"]).prompt_skippable()?;
    Ok(match choice {
        Some("yes") => Some(Answer::Yes),
        Some("no") => Some(Answer::No),
        Some(_) => Some(Answer::NotSure),
        None => None,
    })
}

/// Asks every question in the terminal.
fn ask(day: NaiveDate) -> anyhow::Result<Answers> {
    use inquire::{Confirm, CustomType, MultiSelect, Select, Text};
    let mut a = Answers::default();
    println!("Willis asks a few questions about your symptoms. Press Esc to skip one.\n");

    a.birth_date = Text::new("Your date of birth (YYYY-MM-DD)?")
        .with_validator(|s: &str| {
            Ok(match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(_) => inquire::validator::Validation::Valid,
                Err(_) => inquire::validator::Validation::Invalid("use YYYY-MM-DD".into()),
            })
        })
        .prompt_skippable()?;
    a.sex = Select::new("Sex (for blood-result limits)?", vec!["female", "male"])
        .prompt_skippable()?
        .map(String::from);
    if a.sex.as_deref() == Some("female")
        && Confirm::new("Are you pregnant?")
            .with_default(false)
            .prompt_skippable()?
            == Some(true)
    {
        a.pregnancy_weeks = CustomType::<i64>::new("How many weeks?").prompt_skippable()?;
    }

    for (field, question) in CRITERIA {
        let choice = Select::new(question, vec!["yes", "no", "not sure"]).prompt_skippable()?;
        let answer = match choice {
            Some("yes") => Answer::Yes,
            Some("no") => Answer::No,
            _ => Answer::NotSure,
        };
        a.set_criterion(field, answer);
    }

    a.days_per_week = CustomType::<i64>::new("On how many days a week do you have symptoms (0–7)?")
        .with_validator(|d: &i64| {
            Ok(if (0..=7).contains(d) {
                inquire::validator::Validation::Valid
            } else {
                inquire::validator::Validation::Invalid("0 to 7".into())
            })
        })
        .prompt_skippable()?;
    a.onset_time = Text::new("At what time do they usually start (HH:MM)?")
        .with_validator(|s: &str| {
            Ok(match chrono::NaiveTime::parse_from_str(s, "%H:%M") {
                Ok(_) => inquire::validator::Validation::Valid,
                Err(_) => inquire::validator::Validation::Invalid("use HH:MM, e.g. 21:30".into()),
            })
        })
        .prompt_skippable()?;
    a.body_parts = MultiSelect::new(
        "Where do you feel them?",
        vec!["legs", "arms", "trunk", "other"],
    )
    .prompt_skippable()?
    .unwrap_or_default()
    .into_iter()
    .map(String::from)
    .collect();
    a.one_sided = yes_no("Are the symptoms on one side of the body only?")?;
    a.weakness_or_numbness =
        yes_no("Do you also have weakness or numbness (not only the urge to move)?")?;
    a.rating =
        CustomType::<i64>::new("Over the last week, how bad were they, 0 (none) to 10 (worst)?")
            .with_validator(|d: &i64| {
                Ok(if (0..=10).contains(d) {
                    inquire::validator::Validation::Valid
                } else {
                    inquire::validator::Validation::Invalid("0 to 10".into())
                })
            })
            .prompt_skippable()?;
    if Confirm::new("Has a clinician given you an IRLS score (0–40)?")
        .with_default(false)
        .prompt_skippable()?
        == Some(true)
    {
        a.irls_total = CustomType::<i64>::new("The IRLS total?").prompt_skippable()?;
    }

    let meds = Text::new("Which medicines do you take now? (names, separated by commas)")
        .prompt_skippable()?
        .unwrap_or_default();
    a.medicines = meds
        .split(',')
        .map(|m| m.trim().to_string())
        .filter(|m| !m.is_empty())
        .collect();
    a.impulse_control_problems = yes_no(
        "If you take a dopamine medicine (pramipexole, ropinirole, rotigotine, levodopa): \
         have you had new urges that are hard to control — gambling, shopping, eating, sex? \
         (Esc if you take none)",
    )?;

    println!("\nA few questions about your sleep.");
    a.snoring = yes_no("Do you snore loudly most nights?")?;
    a.witnessed_apneas = yes_no("Has anyone seen you stop breathing in your sleep?")?;
    a.daytime_sleepiness = yes_no("Do you often doze off in the day without meaning to?")?;
    a.limb_jerks = yes_no("Has a bed partner noticed your legs jerking while you sleep?")?;

    while Confirm::new(if a.blood_results.is_empty() {
        "Do you have any blood results (ferritin, TSAT, vitamin D, ...)?"
    } else {
        "Another blood result?"
    })
    .with_default(false)
    .prompt_skippable()?
        == Some(true)
    {
        let tests: Vec<&str> = willis_core::units::LabTest::ALL
            .iter()
            .map(|t| t.name())
            .collect();
        let Some(test) = Select::new("Which test?", tests).prompt_skippable()? else {
            continue;
        };
        let Some(value) = CustomType::<f64>::new("The value?").prompt_skippable()? else {
            continue;
        };
        let parsed: willis_core::units::LabTest =
            test.parse().map_err(|_| anyhow!("unknown test"))?;
        let unit = Text::new(&format!("The unit ({})?", parsed.accepted_units()))
            .with_default(parsed.canonical_unit())
            .prompt()?;
        let date = Text::new("The date of the test (YYYY-MM-DD)?")
            .with_default(&day.to_string())
            .prompt()?;
        a.blood_results.push(BloodResult {
            test: test.to_string(),
            value,
            unit,
            date,
        });
    }
    Ok(a)
}

/// `willis check`.
pub fn run(args: &CheckArgs, db: &DbArgs, out: &mut dyn Write, colour: bool) -> anyhow::Result<()> {
    let today = crate::clock::today()?;
    let day = args.as_of.unwrap_or(today);
    if day > today {
        bail!("--as-of {day} is after today ({today}); answers describe today or an earlier day");
    }
    let answers = match &args.answers {
        Some(path) => read_answers(path)?,
        None if std::io::stdin().is_terminal() => ask(day)?,
        None => {
            bail!("willis check asks its questions in a terminal; in a script, give --answers FILE")
        }
    };
    let file = answers.to_record(day);
    let record = file
        .validate_on(Knowledge::get(), today)
        .map_err(|e| anyhow!("answer {e}"))?;

    if args.to_journal || db.db.is_some() {
        let session = Session::open(db)?;
        let person = session.person()?;
        let facts = journal_entries(&file, day);
        let count = facts.len();
        session.block(session.app.append_many(
            session.user.id,
            person.id,
            facts,
            willis_app::Clock {
                now: willis_store::now(),
                today,
            },
        ))?;
        writeln!(
            out,
            "stored {count} journal entries for {}",
            person.display_name
        )?;
    } else {
        let path = args
            .out
            .clone()
            .unwrap_or_else(|| PathBuf::from("willis-record.json"));
        let json = serde_json::to_string_pretty(&file)? + "\n";
        crate::write_atomically(&path, json.as_bytes())?;
        writeln!(out, "wrote your answers to {}", path.display())?;
    }
    let assessment = assess(&record, day, args.guideline.into());
    writeln!(out)?;
    out.write_all(text::render(&assessment, text::Style::new(colour)).as_bytes())?;
    Ok(())
}

/// The answers as journal entries (one per fact), dated `day` unless the fact
/// has its own date.
fn journal_entries(file: &RecordFile, day: NaiveDate) -> Vec<(NaiveDate, Payload)> {
    let mut entries = Vec::new();
    if let Some(p) = &file.patient {
        entries.push((day, Payload::Patient(p.clone())));
    }
    if let Some(s) = &file.symptoms {
        entries.push((day, Payload::Symptoms(s.clone())));
    }
    if let Some(s) = &file.sleep {
        entries.push((day, Payload::Sleep(s.clone())));
    }
    for m in &file.medications {
        entries.push((
            day,
            Payload::MedicationStart {
                name: m.name.clone(),
                dose: None,
            },
        ));
    }
    for l in &file.labs {
        let date = NaiveDate::parse_from_str(&l.date, "%Y-%m-%d").unwrap_or(day);
        entries.push((date, Payload::Lab(l.clone())));
    }
    for d in &file.diary {
        entries.push((day, Payload::Diary(d.clone())));
    }
    entries
}
