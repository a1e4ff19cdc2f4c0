//! Blood tests: what to measure, how far results can be trusted, and the lab
//! findings that are reported whatever the diagnosis (anaemia, iron deficiency,
//! vitamins).

use super::context::{capitalise, show, Context};
use super::plan::Plan;
use crate::assessment::*;
use crate::record::Sex;
use crate::units::LabTest;

/// warn.labs-implausible — a derived TSAT above 100 % among those rule 1 looks
/// at: it cannot be real (iron and TIBC or transferrin mismatched, or a unit
/// error). Repeat the panel; no iron is started (iron::decide). test.iron-panel
/// asks for the repeat. Sources: irlssg-2018.
pub fn implausible_tsat(ctx: &Context, plan: &mut Plan) {
    let implausible = ctx.implausible_tsats();
    let Some(first) = implausible.first() else {
        return;
    };
    let because: Vec<String> = implausible
        .iter()
        .map(|r| {
            format!(
                "TSAT derived from iron and TIBC or transferrin on {} is {}%, above {}%",
                r.date,
                show(r.percent),
                show(ctx.common.tsat_implausible_above)
            )
        })
        .collect();
    plan.warn(
        "warn.labs-implausible",
        "warn.labs-implausible",
        Level::Caution,
        None,
        &[
            ("value", show(first.percent)),
            ("date", first.date.to_string()),
        ],
        because.clone(),
    );
    if !plan.has("test.iron-panel") {
        plan.note_missing(
            "a repeat iron panel: the TSAT worked out from the last one is impossible",
        );
        plan.step(
            "test.iron-panel",
            "test.iron-panel",
            Category::Test,
            &[],
            because,
        );
    }
}

/// warn.low-phosphate — phosphate below 2.5 mg/dL (0.8 mmol/L) within the last
/// 183 days: ask about bone pain and weakness, recheck; iron.iv and
/// iron.iv-repeat then name ferric derisomaltose only. Sources: boots-2022, wolf-2020.
pub fn low_phosphate(ctx: &Context, plan: &mut Plan) {
    let Some(lab) = ctx.low_phosphate() else {
        return;
    };
    let shown = format!("{} {}", show(lab.reported.0), lab.reported.1);
    plan.warn(
        "warn.low-phosphate",
        "warn.low-phosphate",
        Level::Caution,
        None,
        &[("value", shown.clone())],
        vec![format!(
            "phosphate {shown} on {} is below {} mg/dL",
            lab.date,
            show(ctx.common.phosphate_low_below)
        )],
    );
}

/// test.iron-panel — no iron panel recent enough to act on: no ferritin, a stale
/// one (> 183 days, with warn.labs-stale), one from before the last infusion, or
/// a ferritin without a TSAT within 7 days. Not while waiting out the six weeks
/// after an infusion: the retest is scheduled instead.
/// Sources: aasm-2024 (morning, no iron for 24 h), rlsf-2021 (fasting), irlssg-2018.
pub fn iron_panel_tests(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let panel = &ctx.panel;
    if ctx.in_infusion_wait() || plan.has("test.iron-panel") {
        return;
    }
    let mut because = Vec::new();
    for lab in &panel.skipped_post_infusion {
        because.push(format!(
            "ferritin of {} was drawn within {} days after an infusion and reads falsely high",
            lab.date, c.post_infusion_blind_days
        ));
    }
    match panel.ferritin {
        None => because.push("no ferritin result on record".to_string()),
        Some(f) if panel.stale => {
            because.push(format!(
                "the last ferritin ({}) is {} days old, over {} days",
                f.date,
                ctx.days_since(f.date),
                c.lab_stale_after_days
            ));
            plan.warn(
                "warn.labs-stale",
                "warn.labs-stale",
                Level::Caution,
                None,
                &[("date", f.date.to_string())],
                vec![format!("ferritin measured on {}", f.date)],
            );
        }
        Some(f) if panel.before_last_infusion => because.push(format!(
            "the last ferritin ({}) predates the infusion on {}",
            f.date,
            ctx.last_infusion()
                .map(|i| i.date.to_string())
                .unwrap_or_default()
        )),
        Some(f) if panel.tsat.is_none() => because.push(format!(
            "ferritin {} µg/L ({}) has no TSAT within {} days; iron cannot be started without one",
            show(f.value),
            f.date,
            c.tsat_pairing_days
        )),
        Some(_) => return,
    }
    plan.note_missing("a recent iron panel (ferritin with TSAT)");
    plan.step(
        "test.iron-panel",
        "test.iron-panel",
        Category::Test,
        &[],
        because,
    );
}

/// Quality of the panel used:
/// warn.labs-not-fasting — the ferritin or TSAT was drawn not fasting or not in
/// the morning (aasm-2024, rlsf-2021);
/// warn.ferritin-acute-phase — CRP above 5 mg/L within 14 days of the ferritin
/// (rlsf-2021: ferritin is an acute-phase reactant).
pub fn lab_quality(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let panel = &ctx.panel;
    let Some(ferritin) = panel.ferritin.filter(|_| !panel.stale) else {
        return;
    };
    let mut labs = vec![ferritin];
    if let Some(t) = &panel.tsat {
        labs.extend(t.inputs.iter().copied());
    }
    let mut which = Vec::new();
    for lab in &labs {
        let mut how = Vec::new();
        if lab.fasting == Some(false) {
            how.push("not fasting");
        }
        if lab.morning == Some(false) {
            how.push("not in the morning");
        }
        if !how.is_empty() {
            which.push(format!(
                "{} on {} was taken {}",
                lab.test.label(),
                lab.date,
                how.join(" and ")
            ));
        }
    }
    if !which.is_empty() {
        let text = which.join("; ");
        plan.warn(
            "warn.labs-not-fasting",
            "warn.labs-not-fasting",
            Level::Caution,
            None,
            &[("which", capitalise(text))],
            which,
        );
    }

    if let Some(crp) = ctx.acute_phase_crp() {
        plan.warn(
            "warn.ferritin-acute-phase",
            "warn.ferritin-acute-phase",
            Level::Caution,
            None,
            &[("crp", show(crp.value))],
            vec![format!(
                "CRP {} mg/L on {} is above {} mg/L, within {} days of the ferritin",
                show(crp.value),
                crp.date,
                show(c.crp_acute_phase_above),
                c.crp_pairing_days
            )],
        );
    }
}

/// The anaemia threshold for this person, in g/dL (who-2011): in pregnancy;
/// for young children and older children; for boys until the male adult limit
/// applies; for men; otherwise (women, girls, or sex unknown) the female limit,
/// the lower adult value, so that a result under it is anaemia either way.
fn anemia_limit(ctx: &Context) -> f64 {
    let c = ctx.common;
    if ctx.pathway == Pathway::Pregnancy {
        return c.hemoglobin_anemia_below_pregnancy;
    }
    match (ctx.age, ctx.record.patient.sex) {
        (Some(a), _) if a < c.anemia_young_child_below_age => {
            c.hemoglobin_anemia_below_child_under_5
        }
        (Some(a), _) if a < c.anemia_child_below_age => c.hemoglobin_anemia_below_child_5_to_11,
        (Some(a), Some(Sex::Male)) if a < c.anemia_male_limit_from_age => {
            c.hemoglobin_anemia_below_female
        }
        (_, Some(Sex::Male)) => c.hemoglobin_anemia_below_male,
        _ => c.hemoglobin_anemia_below_female,
    }
}

pub fn has_anemia(ctx: &Context) -> bool {
    ctx.newest(LabTest::Hemoglobin)
        .is_some_and(|h| h.value < anemia_limit(ctx))
}

/// warn.anemia — haemoglobin below 12 g/dL (women) or 13 g/dL (men). Sources: who-2011.
pub fn anemia(ctx: &Context, plan: &mut Plan) {
    let Some(hb) = ctx.newest(LabTest::Hemoglobin) else {
        return;
    };
    let limit = anemia_limit(ctx);
    if hb.value >= limit {
        return;
    }
    plan.warn(
        "warn.anemia",
        "warn.anemia",
        Level::Caution,
        None,
        &[("value", show(hb.value)), ("limit", show(limit))],
        vec![format!(
            "haemoglobin {} g/dL on {} is below {} g/dL",
            show(hb.value),
            hb.date,
            show(limit)
        )],
    );
}

/// refer.investigate-iron-deficiency — ferritin < 30 µg/L or TSAT < 16 % in a man,
/// a woman aged 50 or over, or anyone with anaemia: find the cause.
/// Sources: short-2013.
pub fn iron_deficiency(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let (ferritin, tsat) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat());
    let mut deficient = Vec::new();
    if let Some(f) = ferritin.filter(|f| *f < c.ferritin_deficiency_below) {
        deficient.push(format!(
            "ferritin {} µg/L is below {}",
            show(f),
            show(c.ferritin_deficiency_below)
        ));
    }
    if let Some(t) = tsat.filter(|t| *t < c.tsat_deficiency_below) {
        deficient.push(format!(
            "TSAT {}% is below {}%",
            show(t),
            show(c.tsat_deficiency_below)
        ));
    }
    if deficient.is_empty() {
        return;
    }
    // With no birth date the pathway is adult, and so is this rule.
    let adult = ctx.age.is_none_or(|a| a >= c.adult_age_years);
    let who = match ctx.record.patient.sex {
        Some(Sex::Male) if adult => Some("in a man".to_string()),
        Some(Sex::Female) if ctx.age.is_some_and(|a| a >= c.woman_investigate_from_age) => {
            Some(format!("in a woman aged {}", ctx.age.unwrap_or_default()))
        }
        _ if has_anemia(ctx) => Some("with anaemia".to_string()),
        _ => None,
    };
    let Some(who) = who else {
        return;
    };
    let mut because = deficient;
    because.push(who);
    plan.step(
        "refer.investigate-iron-deficiency",
        "refer.investigate-iron-deficiency",
        Category::Referral,
        &[],
        because,
    );
}

/// vitamin.d / vitamin.b12 / vitamin.folate — the newest result is below
/// 20 ng/mL, 200 pg/mL or 3 ng/mL; test.vitamins — any of them never measured.
/// Sources: holick-2011, vitamins-rls-2023 (weak evidence: correct a deficiency only).
pub fn vitamins(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let checks = [
        (LabTest::VitaminD, "vitamin.d", c.vitamin_d_low_below),
        (LabTest::VitaminB12, "vitamin.b12", c.vitamin_b12_low_below),
        (LabTest::Folate, "vitamin.folate", c.folate_low_below),
    ];
    let mut missing = Vec::new();
    for (test, id, limit) in checks {
        match ctx.newest(test) {
            None => missing.push(test.label()),
            Some(lab) if lab.value < limit => {
                let shown = format!("{} {}", show(lab.reported.0), lab.reported.1);
                plan.step(
                    id,
                    id,
                    Category::Vitamin,
                    &[("value", shown.clone())],
                    vec![format!(
                        "{} {} ({}) is below {} {}",
                        test.label(),
                        shown,
                        lab.date,
                        show(limit),
                        test.canonical_unit()
                    )],
                );
            }
            Some(_) => {}
        }
    }
    if !missing.is_empty() {
        let list = missing.join(", ");
        plan.step(
            "test.vitamins",
            "test.vitamins",
            Category::Test,
            &[("missing", list.clone())],
            vec![format!("no result for {list}")],
        );
    }
}
