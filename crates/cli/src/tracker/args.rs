//! The command-line arguments of the tracker commands (clap types only).

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};

use super::DEFAULT_PERSON;

/// Where the journal lives: `--db URL`, else `WILLIS_DB`, else `willis.db` in
/// the platform data directory.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Journal database: sqlite://PATH or postgres://… (default: willis.db in
    /// the platform data directory).
    /// `--db` alone means the default journal (as in `willis plan --db`).
    #[arg(
        long,
        global = true,
        env = "WILLIS_DB",
        value_name = "URL",
        num_args = 0..=1,
        default_missing_value = ""
    )]
    pub db: Option<String>,
    /// Whose journal: a person you look after (see `willis person`).
    #[arg(long, global = true, env = "WILLIS_PERSON", default_value = DEFAULT_PERSON)]
    pub person: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum LogCmd {
    /// A blood result: `willis log lab ferritin 45 ng/mL --date 2026-11-01 --fasting --morning`.
    Lab(LabArgs),
    /// A night of the symptom diary (Willis's own 0–10 rating).
    Diary(DiaryArgs),
    /// A medicine started, changed, stopped, or how it worked.
    Med {
        #[command(subcommand)]
        action: MedCmd,
    },
    /// An iron infusion, its response, or an oral iron course.
    Iron {
        #[command(subcommand)]
        action: IronCmd,
    },
    /// The five diagnostic criteria, how often, the IRLS total, onset and body parts.
    Symptoms(SymptomsArgs),
    /// Birth date, sex, pregnancy, dialysis, weight.
    Patient(PatientArgs),
    /// A condition (e.g. peripheral-neuropathy), or that it no longer applies.
    Condition {
        name: String,
        /// The condition no longer applies.
        #[arg(long)]
        resolved: bool,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Alcohol, caffeine and smoking.
    Habits(HabitsArgs),
    /// Snoring, pauses in breathing, daytime sleepiness, limb jerks in sleep,
    /// a sleep study's PLMS index.
    Sleep(SleepArgs),
}

#[derive(Debug, Clone, Args)]
pub struct LabArgs {
    /// ferritin, tsat, iron, tibc, transferrin, hemoglobin, crp, vitamin_d,
    /// vitamin_b12, folate, phosphate, egfr or creatinine.
    pub test: String,
    #[arg(allow_negative_numbers = true)]
    pub value: f64,
    /// The unit the lab printed, e.g. ng/mL, ug/L, nmol/L, %.
    pub unit: String,
    /// The day the blood was taken (default: today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
    /// Taken fasting.
    #[arg(long, conflicts_with = "not_fasting")]
    pub fasting: bool,
    /// Taken after eating (or after an iron tablet).
    #[arg(long)]
    pub not_fasting: bool,
    /// Taken in the morning.
    #[arg(long, conflicts_with = "not_morning")]
    pub morning: bool,
    /// Taken later in the day.
    #[arg(long)]
    pub not_morning: bool,
}

#[derive(Debug, Clone, Args)]
pub struct DiaryArgs {
    /// How bad the night was, 0 (none) to 10 (worst).
    #[arg(long)]
    pub severity: Option<i64>,
    /// When symptoms started, HH:MM.
    #[arg(long)]
    pub onset: Option<String>,
    /// Body parts affected, comma-separated: legs, arms, trunk, other.
    #[arg(long, value_delimiter = ',')]
    pub areas: Vec<String>,
    /// Hours slept.
    #[arg(long)]
    pub sleep: Option<f64>,
    /// The night (default: today).
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutcomeArg {
    Effective,
    Ineffective,
    SideEffects,
}

impl OutcomeArg {
    pub fn word(self) -> String {
        match self {
            OutcomeArg::Effective => "effective",
            OutcomeArg::Ineffective => "ineffective",
            OutcomeArg::SideEffects => "side-effects",
        }
        .to_string()
    }
}

#[derive(Debug, Clone, Subcommand)]
pub enum MedCmd {
    /// Started taking a medicine.
    Start {
        name: String,
        #[arg(long)]
        dose: Option<String>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// The dose changed.
    Change {
        name: String,
        #[arg(long)]
        dose: String,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Stopped taking it, and optionally why.
    Stop {
        name: String,
        #[arg(long, value_enum)]
        outcome: Option<OutcomeArg>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// How it worked: effective, ineffective or side-effects.
    Outcome {
        name: String,
        #[arg(value_enum)]
        outcome: OutcomeArg,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ResponseArg {
    Improved,
    None,
}

impl ResponseArg {
    pub fn word(self) -> String {
        match self {
            ResponseArg::Improved => "improved",
            ResponseArg::None => "none",
        }
        .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScheduleArg {
    Daily,
    AlternateDay,
}

#[derive(Debug, Clone, Subcommand)]
pub enum IronCmd {
    /// An iron infusion.
    Infusion {
        /// e.g. "ferric carboxymaltose", "ferric derisomaltose".
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        dose_mg: Option<f64>,
        /// Whether RLS improved by about 6 weeks after it.
        #[arg(long, value_enum)]
        response: Option<ResponseArg>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// Whether RLS improved after the last infusion.
    Response {
        #[arg(value_enum)]
        response: ResponseArg,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    /// An oral iron course: start, stop or outcome.
    Oral {
        #[command(subcommand)]
        action: OralCmd,
    },
}

#[derive(Debug, Clone, Subcommand)]
pub enum OralCmd {
    Start {
        #[arg(long)]
        product: Option<String>,
        #[arg(long)]
        elemental_mg: Option<f64>,
        #[arg(long, value_enum)]
        schedule: Option<ScheduleArg>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    Stop {
        #[arg(long, value_enum)]
        outcome: Option<OutcomeArg>,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
    Outcome {
        #[arg(value_enum)]
        outcome: OutcomeArg,
        #[arg(long, value_parser = parse_date)]
        date: Option<NaiveDate>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum YesNo {
    Yes,
    No,
}

impl YesNo {
    pub fn bool(self) -> bool {
        self == YesNo::Yes
    }
}

#[derive(Debug, Clone, Args)]
pub struct SymptomsArgs {
    /// An urge to move the legs, usually with unpleasant feelings.
    #[arg(long, value_enum)]
    pub urge: Option<YesNo>,
    /// It starts or gets worse when resting (sitting, lying).
    #[arg(long, value_enum)]
    pub rest: Option<YesNo>,
    /// Moving (walking, stretching) relieves it, at least while moving.
    #[arg(long, value_enum)]
    pub movement: Option<YesNo>,
    /// It is worse (or only there) in the evening or at night.
    #[arg(long, value_enum)]
    pub evening: Option<YesNo>,
    /// It is not explained by another condition (cramps, arthritis, ...).
    #[arg(long, value_enum)]
    pub not_explained: Option<YesNo>,
    /// Days a week with symptoms, 0–7.
    #[arg(long)]
    pub days_per_week: Option<i64>,
    /// IRLS total (0–40), if a clinician scored it.
    #[arg(long)]
    pub irls: Option<i64>,
    /// Usual onset time, HH:MM.
    #[arg(long)]
    pub onset: Option<String>,
    /// Body parts, comma-separated: legs, arms, trunk, other.
    #[arg(long, value_delimiter = ',')]
    pub areas: Vec<String>,
    /// The symptoms are on one side of the body only.
    #[arg(long, value_enum)]
    pub one_sided: Option<YesNo>,
    /// There is weakness or numbness as well (not only the urge to move).
    #[arg(long, value_enum)]
    pub weakness: Option<YesNo>,
    /// On a dopamine medicine: new urges that are hard to control (gambling,
    /// shopping, eating, sex).
    #[arg(long, value_enum)]
    pub impulse_control: Option<YesNo>,
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Args)]
pub struct SleepArgs {
    /// Loud snoring most nights.
    #[arg(long, value_enum)]
    pub snoring: Option<YesNo>,
    /// Someone has seen pauses in breathing during sleep.
    #[arg(long, value_enum)]
    pub apneas: Option<YesNo>,
    /// Very sleepy in the day (dozing off when not meaning to).
    #[arg(long, value_enum)]
    pub sleepy: Option<YesNo>,
    /// Epworth Sleepiness Scale total, 0–24.
    #[arg(long)]
    pub epworth: Option<i64>,
    /// A bed partner reports jerking of the legs during sleep.
    #[arg(long, value_enum)]
    pub limb_jerks: Option<YesNo>,
    /// Periodic limb movements per hour, from a sleep study report.
    #[arg(long, value_name = "PER_HOUR")]
    pub plms_index: Option<f64>,
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Args)]
pub struct PatientArgs {
    #[arg(long)]
    pub birth_date: Option<String>,
    /// female or male.
    #[arg(long)]
    pub sex: Option<String>,
    /// Weeks of pregnancy, if pregnant.
    #[arg(long)]
    pub pregnancy_weeks: Option<i64>,
    #[arg(long, value_enum)]
    pub dialysis: Option<YesNo>,
    #[arg(long)]
    pub weight_kg: Option<f64>,
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Args)]
pub struct HabitsArgs {
    #[arg(long)]
    pub alcohol_units_per_week: Option<f64>,
    #[arg(long)]
    pub caffeine_drinks_per_day: Option<f64>,
    #[arg(long, value_enum)]
    pub smoker: Option<YesNo>,
    #[arg(long, value_parser = parse_date)]
    pub date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// The full backup (willis-backup/1): every person, every entry, history kept.
    Json,
    /// One row per journal entry, for a spreadsheet.
    Csv,
    /// The person's record today (or a record file's) as a FHIR R4 Bundle.
    Fhir,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PersonCmd {
    /// Add a person you look after (a child, a parent).
    Add { name: String },
    /// List the people you look after.
    List,
}

pub use crate::clock::parse_date;
