//! What the record does not say about the person that a dose depends on
//! (RULES.md "Pathway", 2026.2): the birth date, and whether a woman of
//! child-bearing age is pregnant.

use super::context::Context;
use super::plan::Plan;
use crate::record::Sex;

/// Steps whose dose is an adult's, or that depend on not being pregnant.
const ADULT_DOSE_STEPS: [&str; 5] = [
    "iron.iv",
    "iron.iv-repeat",
    "iron.oral",
    "drug.alpha2delta",
    "drug.opioid-low-dose",
];

/// With no birth date, a step that names an adult dose is still given, but
/// `missing` asks for the birth date and the step says the dose is for adults.
/// Sources: irlssg-2018, aasm-2024 (children are dosed differently).
pub fn birth_date_unknown(ctx: &Context, plan: &mut Plan) {
    if ctx.record.patient.birth_date.is_some() {
        return;
    }
    let mut any = false;
    for step in plan
        .steps
        .iter_mut()
        .filter(|s| ADULT_DOSE_STEPS.contains(&s.id.as_str()))
    {
        any = true;
        step.detail.push_str(
            " The birth date is not recorded: the doses named here are for adults (18 or over); a child's dose is different.",
        );
        step.because
            .push("birth date not recorded: adult doses assumed".to_string());
    }
    if any {
        plan.note_missing("the birth date: the doses named are for adults");
    }
}

/// A woman aged 12–55 (or of unknown age) with no pregnancy information, when
/// the plan has an iron step (IV or oral) or a drug step: `missing` asks whether
/// she is pregnant. Oral iron counts too: a girl of 12–17 never gets IV iron or
/// a drug step, and pregnancy would put her on another pathway with another
/// oral-iron threshold. Sources: picchietti-2015.
pub fn pregnancy_unknown(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    if ctx.record.patient.sex != Some(Sex::Female) || ctx.pregnant() {
        return;
    }
    let child_bearing_age = ctx
        .age
        .is_none_or(|a| (c.pregnancy_question_from_age..=c.pregnancy_question_to_age).contains(&a));
    let depends = plan
        .steps
        .iter()
        .any(|s| ADULT_DOSE_STEPS.contains(&s.id.as_str()) || s.id.starts_with("drug."));
    if child_bearing_age && depends {
        plan.note_missing(
            "whether she is pregnant: iron and RLS medicines are chosen differently in pregnancy",
        );
    }
}
