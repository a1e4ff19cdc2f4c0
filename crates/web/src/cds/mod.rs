//! CDS Hooks 2.0: Willis answering inside the clinician's EHR.

pub mod jwt;
