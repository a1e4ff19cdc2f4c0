//! Diagnosis and referral steps.

use super::context::Context;
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::{ConditionRole, Effect};

/// diagnosis.confirm — when any of the five IRLSSG 2014 criteria is "no" or unknown:
/// see a clinician and consider the mimics. Sources: irlssg-2014.
///
/// 2026.2: also for likely RLS with a red flag (symptoms on one side only, or
/// with weakness or numbness: another cause such as a nerve or spine problem).
/// A diagnosis recorded by a clinician is named beside criteria answered "no".
pub fn confirm(ctx: &Context, plan: &mut Plan) {
    let d = &ctx.diagnosis;
    let flags = red_flags(ctx);
    let summary = match d.status {
        DiagnosisStatus::LikelyRls if flags.is_empty() => return,
        DiagnosisStatus::LikelyRls => format!(
            "The features of RLS are present, but {}: this points to another cause, such as a nerve or spine problem, which needs examining.",
            flags.join(" and ")
        ),
        DiagnosisStatus::CriteriaNotMet if ctx.clinician_diagnosis => format!(
            "RLS is recorded as diagnosed by a clinician, but {} answered no, so the symptoms may have another cause: ask the clinician to look again.",
            words(&d.unmet)
        ),
        DiagnosisStatus::CriteriaNotMet => format!(
            "Not all features are present ({} answered no), so the symptoms may have another cause.",
            words(&d.unmet)
        ),
        DiagnosisStatus::Incomplete => format!(
            "Some features are not answered yet ({}), so RLS is not yet confirmed.",
            words(&d.unknown)
        ),
    };
    let mut because: Vec<String> = d
        .unmet
        .iter()
        .map(|c| format!("{} is no", label(c)))
        .collect();
    because.extend(
        d.unknown
            .iter()
            .map(|c| format!("{} is not answered", label(c))),
    );
    for c in &ctx.record.conditions {
        if c.role() == Some(ConditionRole::Mimic) {
            because.push(format!("{} is recorded and can imitate RLS", c.name));
        }
    }
    because.extend(flags);
    if ctx.clinician_diagnosis {
        because.push("restless legs syndrome is recorded as a diagnosis".to_string());
    }
    if d.status == DiagnosisStatus::Incomplete {
        plan.note_missing(format!(
            "answers to the diagnostic questions: {}",
            words(&d.unknown)
        ));
    }
    plan.step(
        "diagnosis.confirm",
        "diagnosis.confirm",
        Category::Diagnosis,
        &[("summary", summary)],
        because,
    );
}

/// refer.specialist — pregnancy, children and dialysis (shared care), a low-dose
/// opioid, suspected augmentation, and (2026.2) a repeat infusion in the same
/// pregnancy, refractory RLS, impulse-control problems, red flags, and a
/// dopaminergic medicine taken for another disease.
/// One step that lists every reason. Sources: rlsf-2021, picchietti-2015,
/// aasm-2024, silber-2018, irlssg-2016.
pub fn referrals(ctx: &Context, plan: &mut Plan) {
    // (why, in short, for `because`; what it means, for the detail)
    let mut reasons: Vec<(&str, &str)> = Vec::new();
    let mut sources: Vec<String> = Vec::new();
    match ctx.pathway {
        Pathway::Pregnancy => {
            reasons.push(("pregnant", "Pregnancy: RLS care is shared with the obstetric team; many RLS medicines are avoided in pregnancy, and iron is chosen with them."));
            sources.push("picchietti-2015".into());
        }
        Pathway::Pediatric => {
            reasons.push(("under 18", "A child: RLS care is led by the child's doctor or a paediatric sleep specialist; adult medicines and doses do not apply."));
            sources.push("aasm-2024".into());
            sources.push("rlsf-pediatric-2015".into());
        }
        Pathway::Dialysis => {
            reasons.push(("on dialysis", "Dialysis: iron and medicines for RLS are chosen with the renal team, at renal doses."));
            sources.push("aasm-2024".into());
        }
        Pathway::Adult => {}
    }
    if plan.has("drug.opioid-low-dose") {
        reasons.push((
            "a low-dose opioid is suggested",
            "A low-dose opioid for refractory RLS needs a specialist's oversight.",
        ));
        sources.push("silber-2018".into());
    }
    if plan.has("augmentation.manage") {
        reasons.push(("augmentation is suspected", "Suspected augmentation: switching from a dopaminergic medicine is best done with a sleep or RLS specialist."));
        sources.push("irlssg-2016".into());
    }
    if ctx.pregnant() && super::iron::infusion_in_this_pregnancy(ctx) {
        reasons.push(("an infusion was already given in this pregnancy", "An iron infusion was already given in this pregnancy: whether to repeat it is for the obstetric team."));
        sources.push("picchietti-2015".into());
    }
    if let Some(why) = refractory(ctx) {
        reasons.push(("refractory RLS", why));
        sources.push("silber-2018".into());
    }
    if plan.has("warn.impulse-control") {
        reasons.push(("impulse-control problems on a dopaminergic medicine", "Impulse-control problems on a dopaminergic medicine: see the prescriber soon. Do not stop the medicine suddenly; it is reduced under medical care."));
        sources.push("voon-2011".into());
    }
    if !red_flags(ctx).is_empty() {
        reasons.push(("symptoms on one side only, or with weakness or numbness", "Symptoms on one side only, or with weakness or numbness, point to another cause (a nerve, spine or brain problem) and need a neurological examination."));
        sources.push("irlssg-2014".into());
    }
    if other_disease_drugs(ctx) {
        reasons.push(("a dopaminergic medicine is taken for another disease", "A dopaminergic medicine is taken for another disease: any change is for the specialist who treats that disease (in Parkinson's disease, wearing-off between doses can look like augmentation)."));
        sources.push("aasm-2024".into());
    }
    if reasons.is_empty() {
        return;
    }
    let because = reasons.iter().map(|(short, _)| short.to_string()).collect();
    let detail: Vec<&str> = reasons.iter().map(|(_, long)| *long).collect();
    let step = plan.step(
        "refer.specialist",
        "refer.specialist",
        Category::Referral,
        &[("reasons", detail.join(" "))],
        because,
    );
    step.sources.extend(sources);
}

/// Red flags for another cause: symptoms on one side only, or with weakness or
/// numbness (FACTS.md 8).
fn red_flags(ctx: &Context) -> Vec<String> {
    let s = &ctx.record.symptoms;
    let mut flags = Vec::new();
    if s.one_sided == Some(true) {
        flags.push("symptoms are on one side only".to_string());
    }
    if s.weakness_or_numbness == Some(true) {
        flags.push("there is weakness or numbness".to_string());
    }
    flags
}

/// Refractory RLS (2026.2): two or more alpha-2-delta ligands failed or not
/// tolerated, or IRLS ≥ 31 on current RLS treatment.
fn refractory(ctx: &Context) -> Option<&'static str> {
    let c = ctx.common;
    let failed = ctx
        .medications_with(Effect::Alpha2Delta)
        .filter(|m| m.outcome.is_some_and(|o| o.failed()))
        .count();
    if failed >= c.refractory_ligands_failed {
        return Some("Two or more alpha-2-delta ligands did not work or were not tolerated: RLS is refractory and needs a sleep or RLS specialist.");
    }
    let treated = [
        Effect::Alpha2Delta,
        Effect::DopamineAgonist,
        Effect::Levodopa,
        Effect::Opioid,
    ]
    .into_iter()
    .any(|e| ctx.current_with(e).next().is_some());
    let very_severe = ctx
        .severity
        .irls_total
        .is_some_and(|t| t >= c.irls_refractory_from);
    (treated && very_severe).then_some(
        "RLS stays very severe on current treatment: it is refractory and needs a sleep or RLS specialist.",
    )
}

/// A current dopaminergic medicine taken for another disease.
fn other_disease_drugs(ctx: &Context) -> bool {
    ctx.current_medications()
        .any(|m| ctx.other_disease_for(m).is_some())
}

fn label(criterion: &str) -> &'static str {
    match criterion {
        "urge_to_move" => "an urge to move the legs",
        "worse_at_rest" => "worse at rest",
        "relieved_by_movement" => "relieved by movement",
        "worse_evening_or_night" => "worse in the evening or at night",
        _ => "not explained by another condition",
    }
}

fn words(criteria: &[String]) -> String {
    criteria
        .iter()
        .map(|c| label(c))
        .collect::<Vec<_>>()
        .join("; ")
}
