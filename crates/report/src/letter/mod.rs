//! The letter a person hands to their doctor: who they are, the diagnostic
//! criteria met, severity, the latest results beside the RLS targets, current
//! medicines with the ones that can worsen RLS marked, what has been tried,
//! the requests with the facts that make them appropriate, charts over time
//! and numbered references.
//!
//! One content model ([`LetterContent`], built from the record and its
//! assessment) and two layouts of it: printable HTML ([`html`]) and, with the
//! `pdf` feature, a PDF typeset inside the process by typst with embedded
//! fonts ([`pdf`]): no browser, no external program, no file system access.
//!
//! ```no_run
//! # let record = willis_core::Record::default();
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
//! let assessment = willis_core::assess(&record, as_of, willis_core::Profile::default());
//! let letter = willis_report::letter::LetterContent::new(&record, &assessment, Some("Ann Lee"));
//! let page = willis_report::letter::html(&letter);
//! # let _ = page;
//! ```

mod content;
mod html;
#[cfg(feature = "pdf")]
mod pdf;
pub mod ranges;

pub use content::{
    Caution, Dated, Fact, Figure, LetterContent, MedicineRow, Note, Person, Reference, Request,
    ResultRow, TriedRow,
};
pub use html::escape as escape_html;
#[cfg(feature = "pdf")]
pub use pdf::{pdf, PdfError};

/// The letter as one printable HTML document (A4, inline charts, no scripts).
pub fn html(content: &LetterContent) -> String {
    html::render(content)
}
