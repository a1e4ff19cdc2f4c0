//! Medicines: those that worsen RLS, the risks of dopaminergic drugs, and the
//! drug ladder (alpha-2-delta ligand, then low-dose opioid). A dopamine agonist
//! or levodopa is never recommended.

use super::context::Context;
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::Effect;
use crate::record::IvResponse;

/// warn.aggravating-medication for each current medicine in an aggravating class
/// (subject: the name as written), and one meds.review-aggravating step listing
/// them with safer alternatives. Sources: the class's own (kolla-2018, nih-2000,
/// aasm-2024, ...).
pub fn aggravating(ctx: &Context, plan: &mut Plan) {
    let mut lines = Vec::new();
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for med in ctx.current_medications() {
        let Some(class) = med.class().filter(|c| c.effect == Effect::Aggravates) else {
            continue;
        };
        let alternatives = class
            .alternatives
            .as_deref()
            .map(|a| format!("Safer options to ask about: {a}."))
            .unwrap_or_default();
        let because = vec![format!("{} is a {} taken now", med.name, class.label)];
        plan.warn(
            "warn.aggravating-medication",
            "warn.aggravating-medication",
            Level::Caution,
            Some(med.name.clone()),
            &[
                ("name", med.name.clone()),
                ("class", class.label.clone()),
                ("alternatives", alternatives.clone()),
            ],
            because,
        )
        .sources
        .extend(class.sources.iter().cloned());
        lines.push(format!("{} ({}): {}", med.name, class.label, alternatives));
        names.push(med.name.clone());
        sources.extend(class.sources.iter().cloned());
    }
    if names.is_empty() {
        return;
    }
    let because = names
        .iter()
        .map(|n| format!("{n} can worsen RLS"))
        .collect();
    let step = plan.step(
        "meds.review-aggravating",
        "meds.review-aggravating",
        Category::Safety,
        &[("list", lines.join(" "))],
        because,
    );
    step.subject = Some(names.join(", "));
    step.sources.extend(sources);
}

/// warn.dopamine-agonist-risk — a current dopamine agonist or levodopa:
/// augmentation about 8 % a year, impulse-control problems in 7–17 %
/// (allen-2011, voon-2011), unless augmentation is already suspected (then the
/// augmentation warning says more). Cabergoline and other ergot agonists always
/// get the stronger warning (aasm-2024: strong against).
pub fn dopaminergic_risk(ctx: &Context, plan: &mut Plan, augmentation_suspected: bool) {
    for med in ctx.current_medications() {
        let Some(class) = med.class() else { continue };
        if !matches!(class.effect, Effect::DopamineAgonist | Effect::Levodopa) {
            continue;
        }
        let values = [("name", med.name.clone())];
        if class.is_ergot() {
            plan.warn(
                "warn.dopamine-agonist-risk",
                "warn.dopamine-agonist-risk.ergot",
                Level::Danger,
                Some(med.name.clone()),
                &values,
                vec![format!(
                    "{} is an ergot-derived dopamine agonist taken now",
                    med.name
                )],
            );
        } else if !augmentation_suspected {
            plan.warn(
                "warn.dopamine-agonist-risk",
                "warn.dopamine-agonist-risk",
                Level::Caution,
                Some(med.name.clone()),
                &values,
                vec![format!("{} ({}) is taken now", med.name, class.label)],
            );
        }
    }
}

/// Why iron counts as dealt with, if it does: iron.not-indicated, an infusion
/// at least 6 weeks ago, an infusion that did not help, or oral iron for at least
/// 12 weeks (RULES.md, drug.alpha2delta).
fn iron_done(ctx: &Context, plan: &Plan) -> Option<String> {
    if plan.has("iron.not-indicated") {
        return Some("more iron is not indicated".to_string());
    }
    if let Some(last) = ctx.last_infusion() {
        if ctx
            .infusions
            .iter()
            .any(|i| i.response == Some(IvResponse::None))
        {
            return Some("an earlier iron infusion did not help".to_string());
        }
        if ctx.days_since(last.date) >= ctx.common.iv_full_effect_days {
            return Some(format!(
                "an iron infusion on {} was at least {} days ago",
                last.date, ctx.common.iv_full_effect_days
            ));
        }
    }
    if ctx.oral_trial_done() {
        return Some(format!(
            "oral iron has been taken for at least {} days",
            ctx.common.oral_trial_days
        ));
    }
    None
}

/// drug.alpha2delta — adult, likely and clinically significant RLS, iron dealt
/// with, and no alpha-2-delta ligand current and effective. Ligands already tried
/// without success are named. Sources: aasm-2024 (strong for), irlssg-2016, rlsf-2021.
pub fn alpha2delta(ctx: &Context, plan: &mut Plan) {
    if ctx.pathway != Pathway::Adult || !ctx.likely_rls() || !ctx.significant() {
        return;
    }
    let Some(done) = iron_done(ctx, plan) else {
        return;
    };
    let ligands: Vec<_> = ctx.medications_with(Effect::Alpha2Delta).collect();
    let working = ligands
        .iter()
        .any(|m| m.current_on(ctx.as_of) && m.outcome == Some(crate::record::Outcome::Effective));
    if working {
        return;
    }
    let tried: Vec<String> = ligands
        .iter()
        .filter(|m| m.outcome.is_some_and(|o| o.failed()))
        .map(|m| {
            format!(
                "{} ({})",
                m.name,
                m.outcome.map(|o| o.name()).unwrap_or_default()
            )
        })
        .collect();
    let tried_text = if tried.is_empty() {
        String::new()
    } else {
        format!(
            " Already tried: {}. Another ligand of the class may still help.",
            tried.join(", ")
        )
    };
    let mut because = vec![done, significance(ctx)];
    if !tried.is_empty() {
        because.push(format!("tried without success: {}", tried.join(", ")));
    }
    plan.step(
        "drug.alpha2delta",
        "drug.alpha2delta",
        Category::Medicine,
        &[("tried", tried_text)],
        because,
    );
}

/// drug.opioid-low-dose — adult, likely RLS, IRLS ≥ 21, and at least one
/// alpha-2-delta ligand ineffective or not tolerated; always with a specialist.
/// Sources: silber-2018, aasm-2024 (conditional for), rlsf-2021 (refractory only).
pub fn opioid(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    if ctx.pathway != Pathway::Adult || !ctx.likely_rls() {
        return;
    }
    let Some(irls) = ctx.severity.irls_total.filter(|t| *t >= c.irls_opioid_from) else {
        return;
    };
    let failed: Vec<String> = ctx
        .medications_with(Effect::Alpha2Delta)
        .filter(|m| m.outcome.is_some_and(|o| o.failed()))
        .map(|m| m.name.clone())
        .collect();
    if failed.is_empty() {
        return;
    }
    let opioid_working = ctx.current_medications().any(|m| {
        m.class().is_some_and(|c| c.effect == Effect::Opioid)
            && m.outcome == Some(crate::record::Outcome::Effective)
    });
    if opioid_working {
        return;
    }
    let stances = [
        (
            "rlsf-2021",
            "RLS Foundation 2021: opioids are reserved for refractory RLS, after iron and the alpha-2-delta ligands.",
        ),
        (
            "aasm-2024",
            "AASM 2024: a conditional recommendation for opioids, not limited to refractory RLS.",
        ),
    ];
    plan.step(
        "drug.opioid-low-dose",
        "drug.opioid-low-dose",
        Category::Medicine,
        &[],
        vec![
            format!("IRLS {irls} is at least {}: severe", c.irls_opioid_from),
            format!(
                "alpha-2-delta ligand ineffective or not tolerated: {}",
                failed.join(", ")
            ),
        ],
    )
    .differences = stances
        .into_iter()
        .filter(|(profile, _)| *profile != ctx.profile.id())
        .map(|(profile, says)| Difference {
            profile: profile.to_string(),
            says: says.to_string(),
        })
        .collect();
}

fn significance(ctx: &Context) -> String {
    match (ctx.severity.irls_total, ctx.record.symptoms.days_per_week) {
        (Some(t), _) => format!("IRLS {t}: clinically significant"),
        (_, Some(d)) => format!("symptoms on {d} days a week: clinically significant"),
        _ => "clinically significant".to_string(),
    }
}
