//! `assess`: a pure function from a record, a date and a guideline profile to an
//! [`Assessment`]. No clock, no IO, no randomness.
//!
//! Each submodule owns one part of RULES.md; each rule is one function with its
//! contract and sources on top.

mod augmentation;
mod context;
mod diagnosis;
mod iron;
mod labs;
mod lifestyle;
mod medicines;
mod patient;
mod plan;
mod sleep;

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::assessment::*;
use crate::knowledge::{Knowledge, Profile, KNOWLEDGE_VERSION};
use crate::record::Record;
pub(crate) use context::show;
use context::Context;
pub use context::{iron_given, other_disease_for, IronGiven};
use plan::Plan;

/// Assesses `record` as it stood on `as_of` under `profile`.
///
/// Only data dated on or before `as_of` is used, so an old date answers "what
/// did the plan say then".
pub fn assess(record: &Record, as_of: NaiveDate, profile: Profile) -> Assessment {
    let knowledge = Knowledge::get();
    let ctx = Context::new(record, as_of, profile, knowledge);
    let mut plan = Plan::new(knowledge, as_of);

    diagnosis::confirm(&ctx, &mut plan);
    labs::implausible_tsat(&ctx, &mut plan);
    labs::iron_panel_tests(&ctx, &mut plan);
    labs::lab_quality(&ctx, &mut plan);
    labs::low_phosphate(&ctx, &mut plan);
    labs::anemia(&ctx, &mut plan);
    labs::iron_deficiency(&ctx, &mut plan);
    labs::vitamins(&ctx, &mut plan);
    medicines::aggravating(&ctx, &mut plan);
    let augmented = augmentation::check(&ctx, &mut plan);
    medicines::dopaminergic_risk(&ctx, &mut plan, augmented);
    medicines::impulse_control(&ctx, &mut plan);
    iron::decide(&ctx, ctx.thresholds, &mut plan);
    iron::add_differences(&ctx, &mut plan);
    iron::schedule(&ctx, &mut plan);
    medicines::alpha2delta(&ctx, &mut plan);
    medicines::opioid(&ctx, &mut plan);
    medicines::benzodiazepine(&ctx, &mut plan);
    medicines::renal_dosing(&ctx, &mut plan);
    medicines::more_options(&ctx, &mut plan);
    lifestyle::triggers(&ctx, &mut plan);
    lifestyle::sleep(&ctx, &mut plan);
    if let Some(note) = sleep::plm_note(&ctx) {
        if let Some(step) = plan.steps.iter_mut().find(|s| s.id == "lifestyle.sleep") {
            step.because.push(note);
        }
    }
    sleep::sleep_study(&ctx, &mut plan);
    diagnosis::referrals(&ctx, &mut plan);
    patient::birth_date_unknown(&ctx, &mut plan);
    patient::pregnancy_unknown(&ctx, &mut plan);

    plan.finish();
    let mut sources = BTreeMap::new();
    for id in plan.cited_sources() {
        if let Some(source) = knowledge.sources.get(id) {
            sources.insert(id.to_string(), source.clone());
        }
    }

    Assessment {
        format: ASSESSMENT_FORMAT.to_string(),
        as_of,
        knowledge: KNOWLEDGE_VERSION.to_string(),
        guideline: profile,
        pathway: ctx.pathway,
        diagnosis: ctx.diagnosis.clone(),
        severity: ctx.severity.clone(),
        iron: ctx.panel.status(),
        steps: plan.steps,
        warnings: plan.warnings,
        schedule: plan.schedule,
        missing: plan.missing,
        unrecognised: ctx.unrecognised(),
        sources,
        disclaimer: knowledge.disclaimer.clone(),
    }
}
