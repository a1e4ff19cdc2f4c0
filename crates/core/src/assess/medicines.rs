//! Medicines: those that worsen RLS, the risks of dopaminergic drugs, and the
//! drug ladder (alpha-2-delta ligand, then low-dose opioid). A dopamine agonist
//! or levodopa is never recommended.

use chrono::{Duration, NaiveDate};

use super::context::{show, Context};
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::{ConditionRole, Effect, Profile};
use crate::record::IvResponse;
use crate::units::LabTest;

/// warn.aggravating-medication for each current medicine in an aggravating class
/// (subject: the name as written), and one meds.review-aggravating step listing
/// them with safer alternatives. Sources: the class's own (kolla-2018, nih-2000,
/// aasm-2024, ...).
pub fn aggravating(ctx: &Context, plan: &mut Plan) {
    let mut lines = Vec::new();
    let mut names = Vec::new();
    let mut sources = Vec::new();
    for med in ctx.current_medications() {
        // A combination product is read through every ingredient ("Tylenol PM"
        // is diphenhydramine too).
        let Some((_, class)) = med.ingredient_with(Effect::Aggravates) else {
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
///
/// 2026.2: a drug taken for another disease (a condition whose `treated_with`
/// names it: Parkinson's disease, prolactinoma, type 2 diabetes with
/// bromocriptine) gets the other-disease text, never RLS dose or switch advice.
pub fn dopaminergic_risk(ctx: &Context, plan: &mut Plan, augmentation_suspected: bool) {
    for med in ctx.current_medications() {
        let Some(class) = med
            .classes()
            .find(|c| matches!(c.effect, Effect::DopamineAgonist | Effect::Levodopa))
        else {
            continue;
        };
        let values = [("name", med.name.clone())];
        if let Some(disease) = ctx.other_disease_for(med) {
            plan.warn(
                "warn.dopamine-agonist-risk",
                "warn.dopamine-agonist-risk.other-disease",
                Level::Caution,
                Some(med.name.clone()),
                &[("name", med.name.clone()), ("disease", disease.to_string())],
                vec![format!("{} is taken now for {disease}", med.name)],
            );
        } else if class.is_ergot() {
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

/// Iron steps that start new iron or wait on iron just given.
const IRON_UNDER_WAY: [&str; 4] = ["iron.iv", "iron.iv-repeat", "iron.oral", "iron.iv-wait"];

/// Why iron counts as dealt with, if it does (RULES.md 2026.2, "after iron"):
/// iron.not-indicated in the plan, or — with no iron panel asked for — the last infusion at least 42 days ago with
/// no iron.iv-wait, an infusion that did not help, or an oral course of at
/// least 84 days current or ended no more than 183 days ago — and the plan
/// starts no new iron.iv or iron.oral, and no IV iron of unknown date is recorded.
fn iron_done(ctx: &Context, plan: &Plan) -> Option<String> {
    let continuing_oral = ctx.taking_oral_iron();
    let new_oral = plan.has("iron.oral") && !continuing_oral;
    if plan.has("iron.iv") || new_oral || plan.has("iron.iv-wait") {
        return None;
    }
    if plan.has("iron.not-indicated") {
        return Some("more iron is not indicated".to_string());
    }
    // IV iron on the medicine list without a date may be an infusion still
    // taking effect: the last infusion's date is unknown, so iron is not done.
    if !ctx.undated_infusions.is_empty() {
        return None;
    }
    // With the plan asking for an iron panel, iron stores now are unknown: an
    // infusion counts as iron dealt with only while it is recent enough to
    // speak for them (within the 183 days a panel stays valid), as an oral
    // course does (RULES.md: "the panel is missing … no drug step" read beside
    // "the last infusion was at least 42 days ago"; the safer reading).
    let panel_asked = plan.has("test.iron-panel");
    if let Some(last) = ctx.last_infusion() {
        if ctx
            .infusions
            .iter()
            .any(|i| i.response == Some(IvResponse::None))
        {
            return Some("an earlier iron infusion did not help".to_string());
        }
        let days = ctx.days_since(last.date);
        if days >= ctx.common.iv_full_effect_days
            && !(panel_asked && days > ctx.common.lab_stale_after_days)
        {
            return Some(format!(
                "an iron infusion on {} was at least {} days ago",
                last.date, ctx.common.iv_full_effect_days
            ));
        }
    }
    if ctx.recent_oral_trial_done() {
        return Some(format!(
            "oral iron has been taken for at least {} days",
            ctx.common.oral_trial_days
        ));
    }
    None
}

/// The day iron now under way is judged: infusion + 42 days, or the start of
/// the current oral course + 84 days (a new course: today + 84 days).
fn iron_judged_on(ctx: &Context, plan: &Plan) -> Option<NaiveDate> {
    let c = ctx.common;
    if plan.has("iron.iv-wait") {
        return ctx
            .last_infusion()
            .map(|i| i.date + Duration::days(c.iv_full_effect_days));
    }
    if plan.has("iron.iv") || plan.has("iron.iv-repeat") {
        return Some(ctx.as_of + Duration::days(c.iv_full_effect_days));
    }
    if plan.has("iron.oral") {
        let started = ctx.current_oral_course().map_or(ctx.as_of, |o| o.started);
        return Some((started + Duration::days(c.oral_trial_days)).max(ctx.as_of));
    }
    None
}

/// drug.alpha2delta — adult, likely and clinically significant RLS, no
/// alpha-2-delta ligand current and effective, and (2026.2) either iron dealt
/// with ("after iron"), or iron under way with IRLS ≥ 21 (`timing:
/// alongside-iron`, reviewed on the day iron is judged). Otherwise, with iron
/// under way, review.after-iron is scheduled. Ligands already tried without
/// success are named. Sources: aasm-2024 (strong for), irlssg-2016, rlsf-2021.
pub fn alpha2delta(ctx: &Context, plan: &mut Plan) {
    if ctx.pathway != Pathway::Adult || !ctx.likely_rls() || !ctx.significant() {
        return;
    }
    let under_way = IRON_UNDER_WAY.iter().any(|id| plan.has(id));
    let severe = ctx
        .severity
        .irls_total
        .is_some_and(|t| t >= ctx.common.irls_alongside_iron_from);
    let judged_on = iron_judged_on(ctx, plan);
    let (done, alongside) = match iron_done(ctx, plan) {
        Some(done) => (done, false),
        None if under_way && severe => (
            format!(
                "IRLS {} is at least {}: severe, so it may start alongside iron",
                ctx.severity.irls_total.unwrap_or_default(),
                ctx.common.irls_alongside_iron_from
            ),
            true,
        ),
        None => {
            if let Some(day) = judged_on.filter(|_| under_way) {
                plan.date(day, "review.after-iron", "review.after-iron", &[]);
            }
            return;
        }
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
    let key = if alongside {
        "drug.alpha2delta.alongside-iron"
    } else {
        "drug.alpha2delta"
    };
    let review = judged_on.map(|d| d.to_string()).unwrap_or_default();
    // "With iron dealt with" only when no iron step stands beside the drug: a
    // repeat infusion or oral iron still being taken is iron continuing.
    let iron_continues = ["iron.iv-repeat", "iron.oral"]
        .iter()
        .any(|id| plan.has(id));
    let basis = if iron_continues {
        "Iron has had time to work and RLS is still significant, so a medicine may be added while iron continues as the plan says:"
    } else {
        "With iron dealt with and RLS still significant,"
    };
    let (enacarbil, kidney) = kidney_dose_words(ctx);
    if ctx.newest(LabTest::Egfr).is_none()
        && ctx.record.conditions.iter().any(|c| {
            c.known
                .as_ref()
                .is_some_and(|(id, _)| id == "chronic-kidney-disease")
        })
    {
        plan.note_missing(
            "an eGFR: chronic kidney disease is recorded, and the medicine dose depends on it",
        );
    }
    let step = plan.step(
        "drug.alpha2delta",
        key,
        Category::Medicine,
        &[
            ("tried", tried_text),
            ("review", review),
            ("basis", basis.to_string()),
            ("enacarbil", enacarbil),
            ("kidney", kidney),
        ],
        because,
    );
    if let Some(egfr) = ctx.low_egfr() {
        step.because.push(format!(
            "eGFR {} on {}: kidney doses",
            show(egfr.value),
            egfr.date
        ));
    }
    // A ligand taken now whose effect is not recorded: the step must not read
    // as a second one to add on top.
    let current: Vec<String> = ligands
        .iter()
        .filter(|m| m.current_on(ctx.as_of) && m.outcome.is_none())
        .map(|m| m.name.clone())
        .collect();
    if !current.is_empty() {
        let list = current.join(", ");
        step.detail.push_str(&format!(
            " You already take {list}, one of these medicines: never take two of them together; ask whether its dose and timing are right before anything is added or switched."
        ));
        step.because
            .push(format!("{list} is taken now; its effect is not recorded"));
    }
    if alongside {
        step.timing = Some(Timing::AlongsideIron);
        if let Some(day) = judged_on {
            plan.date(day, "review.after-iron", "review.after-iron", &[]);
        }
    }
    if !current.is_empty() {
        plan.note_missing(format!("whether {} helps the RLS", current.join(", ")));
    }
}

/// The gabapentin enacarbil dose and the kidney sentence of the drug texts:
/// the usual adult dose with normal (or unmeasured) kidney function, the kidney
/// dose when the newest eGFR is below 60 (RULES.md, kidney function; the step
/// says which it assumed). Sources: horizant-label.
fn kidney_dose_words(ctx: &Context) -> (String, String) {
    let ckd = ctx.record.conditions.iter().any(|c| {
        c.known
            .as_ref()
            .is_some_and(|(id, _)| id == "chronic-kidney-disease")
    });
    let egfr_known = ctx.newest(LabTest::Egfr).is_some();
    match ctx.low_egfr() {
        // Chronic kidney disease recorded with no eGFR: the dose cannot be
        // assumed to be the normal-kidney one.
        None if ckd && !egfr_known => (
            "at a dose set from kidney function".to_string(),
            "Chronic kidney disease is recorded but no eGFR: the dose of all three depends on kidney function, so an eGFR is needed before the dose is chosen.".to_string(),
        ),
        None => (
            "600 mg once daily with food at about 5 pm".to_string(),
            "With reduced kidney function the dose must be lower. The doses named are for adults with normal kidney function (no recent eGFR below 60 is recorded).".to_string(),
        ),
        Some(egfr) => {
            let dose = if egfr.value < 15.0 {
                "300 mg every other day at this kidney function, and not used on haemodialysis"
            } else {
                "300 mg once daily with food at this kidney function, not the usual 600 mg"
            };
            (
                dose.to_string(),
                format!(
                    "Kidney function is reduced (eGFR {} on {}, below {}): the doses named are adult kidney doses, and gabapentin and pregabalin doses are reduced by the prescriber.",
                    show(egfr.value),
                    egfr.date,
                    show(ctx.common.egfr_renal_dosing_below)
                ),
            )
        }
    }
}

/// warn.renal-dosing — eGFR below 60 with a drug step: alpha-2-delta ligands
/// need lower doses (gabapentin enacarbil 300 mg a day at 15–59, every other
/// day under 15, not on haemodialysis). Sources: horizant-label, aasm-2024.
pub fn renal_dosing(ctx: &Context, plan: &mut Plan) {
    let drug_step = plan.steps.iter().any(|s| s.id.starts_with("drug."));
    let Some(egfr) = ctx.low_egfr().filter(|_| drug_step) else {
        return;
    };
    plan.warn(
        "warn.renal-dosing",
        "warn.renal-dosing",
        Level::Caution,
        None,
        &[("egfr", show(egfr.value))],
        vec![format!(
            "eGFR {} on {} is below {}",
            show(egfr.value),
            egfr.date,
            show(ctx.common.egfr_renal_dosing_below)
        )],
    );
}

/// warn.benzodiazepine — a current benzodiazepine or Z-drug (aasm-2024:
/// conditional against clonazepam for RLS; falls, next-day drowsiness). Level
/// danger beside a current or suggested opioid: the two depress breathing.
pub fn benzodiazepine(ctx: &Context, plan: &mut Plan) {
    let opioid =
        ctx.current_with(Effect::Opioid).next().is_some() || plan.has("drug.opioid-low-dose");
    for med in ctx.current_with(Effect::Benzodiazepine) {
        let (key, level) = if opioid {
            ("warn.benzodiazepine.opioid", Level::Danger)
        } else {
            ("warn.benzodiazepine", Level::Caution)
        };
        let mut because = vec![format!("{} is taken now", med.name)];
        if opioid {
            because.push("an opioid is taken or suggested".to_string());
        }
        plan.warn(
            "warn.benzodiazepine",
            key,
            level,
            Some(med.name.clone()),
            &[("name", med.name.clone())],
            because,
        );
    }
}

/// warn.impulse-control — impulse-control problems reported on a current
/// dopaminergic drug: danger, see the prescriber soon, never stop suddenly
/// (refer.specialist adds the referral). Sources: voon-2011, aasm-2024.
pub fn impulse_control(ctx: &Context, plan: &mut Plan) {
    if ctx.record.symptoms.impulse_control_problems != Some(true) {
        return;
    }
    let names: Vec<String> = ctx
        .current_medications()
        .filter(|m| m.has_effect(Effect::DopamineAgonist) || m.has_effect(Effect::Levodopa))
        .map(|m| m.name.clone())
        .collect();
    if names.is_empty() {
        return;
    }
    let list = names.join(", ");
    plan.warn(
        "warn.impulse-control",
        "warn.impulse-control",
        Level::Danger,
        Some(list.clone()),
        &[("name", list.clone())],
        vec![format!(
            "impulse-control problems are reported while taking {list}"
        )],
    );
}

/// drug.opioid-low-dose — adult, likely RLS, IRLS ≥ 21, at least one
/// alpha-2-delta ligand ineffective or not tolerated, and (2026.2) iron dealt
/// with: never an opioid before iron. Always with a specialist; with obstructive
/// sleep apnoea, warn.opioid-sleep-apnea beside it.
/// Sources: silber-2018, aasm-2024 (conditional for), rlsf-2021 (refractory only).
pub fn opioid(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    if ctx.pathway != Pathway::Adult || !ctx.likely_rls() {
        return;
    }
    let Some(iron) = iron_done(ctx, plan) else {
        return;
    };
    let Some(irls) = ctx.severity.irls_total.filter(|t| *t >= c.irls_opioid_from) else {
        return;
    };
    // An opioid never comes before a current iron panel has been seen: while
    // the plan asks for one, iron may still be the missing treatment (DESIGN.md,
    // Never: "an opioid before iron has been dealt with").
    if plan.has("test.iron-panel") && !plan.has("iron.not-indicated") {
        plan.note_missing(
            "a current iron panel: a low-dose opioid is considered only once iron stores are known",
        );
        return;
    }
    let failed: Vec<String> = ctx
        .medications_with(Effect::Alpha2Delta)
        .filter(|m| m.outcome.is_some_and(|o| o.failed()))
        .map(|m| m.name.clone())
        .collect();
    if failed.is_empty() {
        return;
    }
    let opioid_working = ctx
        .current_with(Effect::Opioid)
        .any(|m| m.outcome == Some(crate::record::Outcome::Effective));
    if opioid_working {
        return;
    }
    let stances = [
        (
            Profile::Rlsf2021,
            "RLS Foundation 2021: opioids are reserved for refractory RLS, after iron and the alpha-2-delta ligands.",
        ),
        (
            Profile::Aasm2024,
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
            iron,
        ],
    )
    .differences = stances
        .into_iter()
        .filter(|(profile, _)| *profile != ctx.profile)
        .map(|(profile, says)| Difference {
            profile,
            says: says.to_string(),
        })
        .collect();
    if ctx.has_condition(ConditionRole::SleepApnea) {
        plan.warn(
            "warn.opioid-sleep-apnea",
            "warn.opioid-sleep-apnea",
            Level::Danger,
            None,
            &[],
            vec!["obstructive sleep apnoea is recorded".to_string()],
        );
    }
}

fn significance(ctx: &Context) -> String {
    match (ctx.severity.irls_total, ctx.record.symptoms.days_per_week) {
        (Some(t), _) => format!("IRLS {t}: clinically significant"),
        (_, Some(d)) => format!("symptoms on {d} days a week: clinically significant"),
        _ => "clinically significant".to_string(),
    }
}

/// options.more — other options for moderate-to-severe RLS (IRLS ≥ 11 or
/// chronic-persistent), adults: tonic motor activation (prescription device,
/// AASM conditional for), pneumatic compression (conditional for), dipyridamole
/// (conditional for, low certainty), and low-evidence self-help; ketamine and
/// cannabis named as investigational. Sources: aasm-2024, rlsf-2021.
pub fn more_options(ctx: &Context, plan: &mut Plan) {
    // RULES.md "IRLS ≥ 11 or chronic-persistent" read as clinical
    // significance: IRLS ≥ 11, or chronic-persistent when no IRLS is known
    // ("moderate-to-severe": an IRLS of 10 is mild whatever the days).
    if ctx.pathway != Pathway::Adult || !ctx.likely_rls() || !ctx.significant() {
        return;
    }
    plan.step(
        "options.more",
        "options.more",
        Category::Treatment,
        &[],
        vec![significance(ctx)],
    );
}
