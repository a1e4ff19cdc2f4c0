//! willis-core: the guideline engine for restless legs syndrome.
//!
//! One canonical [`Record`] in, one [`Assessment`] out, through the pure function
//! [`assess`]. No IO, no clock, no async: every adapter (command line, web,
//! FHIR, CDS Hooks, reports) is built around this crate and never re-implements
//! a rule.

mod assess;
pub mod assessment;
pub mod error;
mod future;
pub mod interpret;
pub mod knowledge;
pub mod parse;
pub mod record;
pub mod units;
mod wire;

pub use assess::{assess, iron_given, other_disease_for, IronGiven};
pub use assessment::{
    Assessment, Category, DiagnosisStatus, Group, Level, OralSchedule, Pathway, RecId,
    ScheduleItem, Step, Timing, Warning,
};
pub use error::RecordError;
pub use interpret::{
    interpret, iron_thresholds, tsat_series, Interpretation, IronThresholds, Position, RlsTarget,
    TsatBasis, TsatReading,
};
pub use knowledge::{Knowledge, Profile, KNOWLEDGE_VERSION};
pub use parse::{parse_json, parse_toml, read_record, read_record_file, read_record_on};
pub use record::Record;
pub use wire::{
    AugmentationFile, DiaryFile, HabitsFile, IronTreatmentFile, LabFile, MedicationFile,
    PatientFile, RecordFile, SleepFile, SymptomsFile, RECORD_FORMAT,
};
