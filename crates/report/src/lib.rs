//! willis-report: what a person takes to the doctor. Every module reads a
//! `Record` and its `Assessment` and decides nothing clinical.
//!
//! - [`chart`]: SVG charts of ferritin and TSAT, and of the diary, over time;
//! - [`ics`]: the plan's dated schedule as an iCalendar file;
//! - [`letter`]: the letter for the doctor, as HTML and as PDF.

pub mod chart;
pub mod ics;
pub mod letter;
