//! willis-screen: the population screen over FHIR Bulk Data NDJSON.
//!
//! A health system's export (one resource per line, any number of files,
//! plain or gzip, one patient's resources spread over any of them in any
//! order) is read in two passes with bounded memory ([`pipeline`]); every
//! patient with a confirmed RLS diagnosis is assessed by the same
//! `willis_core::assess` as every other front end, from the record the FHIR
//! mapping builds ([`patient::screen_lines`]); the report has one [`Row`] per
//! such patient, and the [`Summary`] counts the plan's ids and the quality
//! [`measures`].

pub mod input;
pub mod measures;
pub mod patient;
pub mod pipeline;
pub mod row;
pub mod scan;

use std::path::PathBuf;

pub use patient::{has_rls, screen_lines, screen_resources, PatientError, Screened};
pub use pipeline::{screen, Malformed, Options, Progress, Quiet, Summary};
pub use row::Row;

/// Why a screen could not run (a malformed line is never one: it is
/// counted and reported).
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("{0}")]
    Input(String),
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        error: std::io::Error,
    },
    #[error("writing the report: {0}")]
    Output(#[source] std::io::Error),
}
