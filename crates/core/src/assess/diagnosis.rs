//! Diagnosis and referral steps.

use super::context::Context;
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::ConditionRole;

/// diagnosis.confirm — when any of the five IRLSSG 2014 criteria is "no" or unknown:
/// see a clinician and consider the mimics. Sources: irlssg-2014.
pub fn confirm(ctx: &Context, plan: &mut Plan) {
    let d = &ctx.diagnosis;
    let summary = match d.status {
        DiagnosisStatus::LikelyRls => return,
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
/// opioid, suspected augmentation, or RLS refractory to alpha-2-delta ligands.
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
