//! Iron decisions (RULES.md "Iron, adult pathway" and "Iron, other pathways").
//!
//! `decide` is run once for the chosen profile and once for each other profile,
//! into scratch plans, so that a step whose decision differs under another
//! guideline can say so (`differences`).

use chrono::Duration;

use super::context::{capitalise, round1, show, Context};
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::{ConditionRole, Profile, ProfileThresholds};
use crate::record::IvResponse;
use crate::units::LabTest;

/// What the plan needs to judge whether IV iron is warranted.
const SIGNIFICANCE_MISSING: &str =
    "how often symptoms occur (days per week) or an IRLS total, to judge whether IV iron is warranted";

/// All iron decisions for one profile's thresholds.
pub fn decide(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    if overload(ctx, plan) {
        return;
    }
    if !ctx.likely_rls() {
        return;
    }
    // An implausible derived TSAT: no iron is started (warn.labs-implausible
    // asks for a repeat panel).
    if !ctx.implausible_tsats().is_empty() {
        return;
    }
    match ctx.pathway {
        Pathway::Adult => adult(ctx, p, plan),
        Pathway::Pregnancy => pregnancy(ctx, p, plan),
        Pathway::Pediatric => pediatric(ctx, p, plan),
        Pathway::Dialysis => dialysis(ctx, plan),
    }
}

/// warn.iron-overload + iron.not-indicated — TSAT ≥ 45 %, haemochromatosis, or
/// ferritin ≥ 1000 µg/L, in any pathway and whatever the diagnosis: no iron.
/// Sources: irlssg-2018, rlsf-2021 (TSAT ≥ 45 %: do not give iron).
fn overload(ctx: &Context, plan: &mut Plan) -> bool {
    let c = ctx.common;
    let mut reasons = Vec::new();
    if ctx.has_condition(ConditionRole::IronOverload) {
        reasons.push("haemochromatosis (iron overload) is recorded".to_string());
    }
    // Every TSAT counts (2026.2): the paired one, the newest, and any drawn on
    // or after the panel's ferritin. The highest decides.
    let highest = ctx
        .overload_tsats()
        .into_iter()
        .filter(|r| r.percent <= c.tsat_implausible_above)
        .max_by(|a, b| a.percent.total_cmp(&b.percent));
    if let Some(r) = highest.filter(|r| round1(r.percent) >= c.tsat_never_iron_from) {
        reasons.push(format!(
            "TSAT {}% on {} is at or above {}%",
            show(r.percent),
            r.date,
            show(c.tsat_never_iron_from)
        ));
    }
    if let Some(f) = ctx
        .panel
        .current_ferritin()
        .filter(|f| *f >= c.ferritin_overload_from)
    {
        reasons.push(format!(
            "ferritin {} µg/L is at or above {}",
            show(f),
            show(c.ferritin_overload_from)
        ));
    }
    if reasons.is_empty() {
        return false;
    }
    let joined = capitalise(reasons.join("; "));
    plan.warn(
        "warn.iron-overload",
        "warn.iron-overload",
        Level::Danger,
        None,
        &[("reasons", joined.clone())],
        reasons.clone(),
    );
    plan.step(
        "iron.not-indicated",
        "iron.not-indicated",
        Category::Treatment,
        &[(
            "reason",
            format!("{joined}: iron of any kind would be unsafe."),
        )],
        reasons,
    )
    .sources
    .push("rlsf-2021".into());
    true
}

/// Adult pathway, rules 2–6 of RULES.md.
fn adult(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    let c = ctx.common;
    let ferritin = ctx.panel.current_ferritin();
    let tsat = ctx.panel.current_tsat();

    // Rule 2: outside the profile's IV allowance → iron.not-indicated.
    if let Some(f) = ferritin {
        match p.iv_allowed(f, tsat) {
            Some(false) if inflamed_undecidable(ctx, plan, tsat) => return,
            Some(false) => {
                not_indicated(
                    plan,
                    p,
                    format!(
                        "Ferritin {} µg/L is above what this guideline treats with iron ({}). Iron stores are high enough; more iron is not expected to help.",
                        show(f),
                        p.iv_ceiling_words()
                    ),
                    vec![format!(
                        "ferritin {} µg/L is outside the IV allowance ({})",
                        show(f),
                        p.iv_ceiling_words()
                    )],
                );
                return;
            }
            None => return, // needs the TSAT that test.iron-panel asks for
            Some(true) => {}
        }
    }

    // Rule 3: an infusion under 6 weeks ago → wait for its full effect.
    if infusion_wait(ctx, plan) || infusion_date_unknown(ctx, plan) {
        return;
    }

    let (Some(f), Some(t)) = (ferritin, tsat) else {
        return; // no current, complete panel: test.iron-panel asks for one
    };
    let reading = format!("ferritin {} µg/L and TSAT {}%", show(f), show(t));
    let iv_blocked = iv_blocked_reason(ctx);
    let oral_failed = ctx.oral_failed();

    // Rule 4: after earlier infusions, a repeat only on an earlier response.
    let mut iv_considered = false;
    if let Some(last) = ctx.last_infusion() {
        iv_considered = true;
        let days = ctx.days_since(last.date);
        let no_response = ctx
            .infusions
            .iter()
            .any(|i| i.response == Some(IvResponse::None));
        match last.response {
            _ if no_response => {}
            None => {
                plan.note_missing(format!(
                    "whether the infusion on {} improved symptoms",
                    last.date
                ));
                plan.step(
                    "iron.iv-response-unknown",
                    "iron.iv-response-unknown",
                    Category::Treatment,
                    &[("date", last.date.to_string())],
                    vec![format!(
                        "no response is recorded for the infusion on {}",
                        last.date
                    )],
                );
            }
            Some(IvResponse::Improved) => {
                let peak_after = ctx
                    .record
                    .labs
                    .iter()
                    .filter(|l| {
                        l.test == LabTest::Ferritin
                            && l.date <= ctx.as_of
                            && (l.date - last.date).num_days() >= c.post_infusion_blind_days
                    })
                    .map(|l| l.value)
                    .fold(f64::NAN, f64::max);
                let fell = peak_after.is_finite() && f < peak_after;
                if days >= c.iv_repeat_min_days
                    && fell
                    && ctx.significant()
                    && iv_blocked.is_none()
                    && !infection_defers_iv(ctx, plan)
                {
                    // An infusion whose product is not recorded may have been
                    // ferric carboxymaltose: check phosphate all the same (safer).
                    let fcm = ctx
                        .infusions
                        .iter()
                        .any(|i| i.is_ferric_carboxymaltose() || i.product.is_none());
                    let step = plan.step(
                        "iron.iv-repeat",
                        "iron.iv-repeat",
                        Category::Treatment,
                        &iv_values(ctx, Some(f)),
                        vec![
                            format!("the infusion on {} improved symptoms", last.date),
                            format!("{days} days since it (at least {})", c.iv_repeat_min_days),
                            format!(
                                "ferritin fell from {} to {} µg/L, inside the IV allowance ({})",
                                show(peak_after),
                                show(f),
                                p.iv_ceiling_words()
                            ),
                            format!(
                                "TSAT {}% is below {}%",
                                show(t),
                                show(c.tsat_never_iron_from)
                            ),
                            "RLS is clinically significant again".to_string(),
                        ],
                    );
                    step.sources.extend(p.sources.iter().cloned());
                    note_weight_missing(ctx, plan);
                    if fcm {
                        plan.step(
                            "test.phosphate",
                            "test.phosphate",
                            Category::Test,
                            &[],
                            vec![fcm_reason(ctx)],
                        );
                        plan.warn(
                            "warn.fcm-hypophosphatemia",
                            "warn.fcm-hypophosphatemia",
                            Level::Caution,
                            Some("ferric carboxymaltose".to_string()),
                            &[],
                            vec![fcm_reason(ctx)],
                        );
                    }
                }
            }
            Some(IvResponse::None) => {}
        }
    }

    // Rule 5: no earlier infusion → IV iron for clinically significant RLS.
    if !iv_considered {
        match (ctx.significant(), &iv_blocked) {
            (true, None) if infection_defers_iv(ctx, plan) => {}
            (true, None) => {
                let mut because = vec![
                    format!(
                        "ferritin {} µg/L is inside the IV allowance ({})",
                        show(f),
                        p.iv_ceiling_words()
                    ),
                    format!(
                        "TSAT {}% is below {}%",
                        show(t),
                        show(c.tsat_never_iron_from)
                    ),
                    significance_words(ctx),
                ];
                if oral_failed {
                    because.push("an oral iron course failed or was not tolerated".to_string());
                }
                if oral_trial_judged(ctx) && f <= p.oral_ferritin_at_most {
                    because.push(format!(
                        "ferritin is still at or below {} after at least {} days of oral iron",
                        show(p.oral_ferritin_at_most),
                        c.oral_trial_days
                    ));
                }
                if let Some(condition) = poor_absorption(ctx) {
                    because.push(format!("{condition}: oral iron is poorly absorbed"));
                }
                let step = plan.step(
                    "iron.iv",
                    "iron.iv",
                    Category::Treatment,
                    &iv_values(ctx, None),
                    because,
                );
                step.sources.extend(p.sources.iter().cloned());
                if let Some(condition) = poor_absorption(ctx) {
                    step.detail.push_str(&format!(
                        " Oral iron is not offered as the alternative: {condition} is recorded, and iron tablets are poorly absorbed after it."
                    ));
                }
                note_weight_missing(ctx, plan);
            }
            (true, Some(reason)) => {
                plan.note_missing(format!("IV iron is not suggested: {reason}"))
            }
            (false, _) if ctx.severity.clinically_significant.is_none() => {
                plan.note_missing(SIGNIFICANCE_MISSING)
            }
            (false, _) => {}
        }
    }

    // Rule 6: oral iron, as an alternative or when IV is not possible.
    let current = ctx.current_oral_course();
    let current_failed = current.is_some_and(|o| o.outcome.is_some_and(|x| x.failed()))
        || ctx
            .undated_oral
            .iter()
            .any(|m| m.outcome.is_some_and(|x| x.failed()));
    if current_failed {
        plan.note_missing(
            "the current oral iron was recorded as not working or not tolerated: no advice to keep taking it; ask whether to stop it",
        );
    } else if current.is_none() && !ctx.undated_oral.is_empty() {
        for med in &ctx.undated_oral {
            plan.note_missing(format!(
                "when {} (oral iron) was started, to judge the course",
                med.name
            ));
        }
        if f < c.oral_continue_below {
            let step = plan.step(
                "iron.oral",
                "iron.oral.continue",
                Category::Treatment,
                &[],
                vec![
                    "oral iron is on the medicine list (start date unknown)".to_string(),
                    format!("{reading}: ferritin below {}", show(c.oral_continue_below)),
                ],
            );
            step.schedule = Some(OralSchedule::Daily);
            add_ppi_note(ctx, step);
        }
    } else if let Some(course) = current {
        if f < c.oral_continue_below {
            let alternate = f > c.oral_alternate_day_above;
            let (key, schedule) = if alternate {
                ("iron.oral.alternate-day", OralSchedule::AlternateDay)
            } else {
                ("iron.oral.continue", OralSchedule::Daily)
            };
            let step = plan.step(
                "iron.oral",
                key,
                Category::Treatment,
                &[],
                vec![
                    format!("taking oral iron since {}", course.started),
                    format!("{reading}: ferritin below {}", show(c.oral_continue_below)),
                    if alternate {
                        format!(
                            "ferritin is above {}: absorption slows",
                            show(c.oral_alternate_day_above)
                        )
                    } else {
                        format!(
                            "ferritin is at or below {}",
                            show(c.oral_alternate_day_above)
                        )
                    },
                ],
            );
            step.schedule = Some(schedule);
            add_ppi_note(ctx, step);
        } else if !plan.has("iron.iv") && !plan.has("iron.iv-repeat") {
            // iron.not-indicated cannot stand beside an infusion the plan asks for.
            not_indicated(
                plan,
                p,
                format!(
                    "Ferritin has reached {} µg/L on oral iron. Above {} µg/L oral iron is seldom absorbed or helpful; ask whether to stop it.",
                    show(f),
                    show(c.oral_continue_below)
                ),
                vec![format!(
                    "ferritin {} µg/L is at or above {} while taking oral iron",
                    show(f),
                    show(c.oral_continue_below)
                )],
            );
        }
    } else if oral_failed {
        plan.note_missing(
            "oral iron failed or was not tolerated before: no new oral course is suggested",
        );
    } else if plan.has("iron.iv") && poor_absorption(ctx).is_some() {
        // IV iron is preferred: oral iron is poorly absorbed (said in iron.iv).
    } else if p.oral_indicated(f, Some(t)) {
        let mut because = vec![format!(
            "ferritin {} µg/L is at or below {}",
            show(f),
            show(p.oral_ferritin_at_most)
        )];
        if let Some(l) = p
            .oral_also_when_tsat_below
            .filter(|l| t < *l && f > p.oral_ferritin_at_most)
        {
            because = vec![format!("TSAT {}% is below {}%", show(t), show(l))];
        }
        because.push(format!(
            "TSAT {}% is below {}%",
            show(t),
            show(c.tsat_never_iron_from)
        ));
        let step = plan.step("iron.oral", "iron.oral", Category::Treatment, &[], because);
        step.schedule = Some(OralSchedule::Daily);
        step.sources.extend(p.sources.iter().cloned());
        add_ppi_note(ctx, step);
    }
}

/// Why phosphate is checked before a repeat infusion.
fn fcm_reason(ctx: &Context) -> String {
    if ctx.infusions.iter().any(|i| i.is_ferric_carboxymaltose()) {
        "an earlier infusion was ferric carboxymaltose".to_string()
    } else {
        "the product of an earlier infusion is not recorded: it may have been ferric carboxymaltose"
            .to_string()
    }
}

/// The IV dose depends on body weight below 50 kg: `missing` asks for it.
fn note_weight_missing(ctx: &Context, plan: &mut Plan) {
    if ctx.record.patient.weight_kg.is_none() {
        plan.note_missing(format!(
            "body weight: below {} kg the IV iron dose is {} mg per kg, not {} mg",
            show(ctx.common.iv_weight_based_below_kg),
            show(ctx.common.iv_mg_per_kg),
            show(ctx.common.iv_max_dose_mg)
        ));
    }
}

/// iron.iv-wait — an infusion (however recorded) less than 6 weeks before
/// `as_of`: wait for its full effect, nothing else about iron. Applies in every
/// pathway. Sources: irlssg-2018, earley-2018.
fn infusion_wait(ctx: &Context, plan: &mut Plan) -> bool {
    let c = ctx.common;
    let Some(last) = ctx.last_infusion() else {
        return false;
    };
    let days = ctx.days_since(last.date);
    if days >= c.iv_full_effect_days {
        return false;
    }
    let review = last.date + Duration::days(c.iv_full_effect_days);
    let retest = last.date + Duration::days(c.iv_retest_days);
    let step = plan.step(
        "iron.iv-wait",
        "iron.iv-wait",
        Category::Treatment,
        &[
            ("date", last.date.to_string()),
            ("review", review.to_string()),
            ("retest", retest.to_string()),
        ],
        vec![format!(
            "an infusion was given on {} ({days} days ago, under {} days)",
            last.date, c.iv_full_effect_days
        )],
    );
    step.due = Some(review);
    true
}

/// An IV iron product on the medicine list with no date: the plan cannot tell
/// whether it was recent, so no new infusion is decided and `missing` asks for
/// the date (RULES.md "Iron given, wherever it is written").
fn infusion_date_unknown(ctx: &Context, plan: &mut Plan) -> bool {
    for med in &ctx.undated_infusions {
        plan.note_missing(format!(
            "the date of {} (IV iron on the medicine list): no new infusion can be decided without it",
            med.name
        ));
    }
    !ctx.undated_infusions.is_empty()
}

/// warn.iv-iron-infection — an active infection: IV iron (first or repeat) is
/// put off until it has cleared. Returns whether IV iron is deferred.
/// Sources: rlsf-2021 (defer IV iron in infection).
fn infection_defers_iv(ctx: &Context, plan: &mut Plan) -> bool {
    if !ctx.has_condition(ConditionRole::ActiveInfection) {
        return false;
    }
    if !plan.has("warn.iv-iron-infection") {
        plan.warn(
            "warn.iv-iron-infection",
            "warn.iv-iron-infection",
            Level::Caution,
            None,
            &[],
            vec!["an active infection is recorded".to_string()],
        );
    }
    true
}

/// The inflamed-ferritin rule (2026.2): CRP raised near the ferritin, the
/// ferritin alone puts iron outside the allowance, and TSAT < 20 %: the panel
/// decides nothing. No iron.not-indicated; test.iron-panel asks for a repeat
/// 2–4 weeks after the illness. Sources: rlsf-2021.
fn inflamed_undecidable(ctx: &Context, plan: &mut Plan, tsat: Option<f64>) -> bool {
    let c = ctx.common;
    let Some(crp) = ctx.acute_phase_crp() else {
        return false;
    };
    // No TSAT at all (half a panel): it may well be under 20 %, so the
    // ferritin decides nothing either (the safer reading of RULES.md).
    // test.iron-panel is already in the plan, asking for the TSAT.
    let Some(t) = (match tsat {
        None => Some(None),
        Some(t) if t < c.inflamed_tsat_below => Some(Some(t)),
        Some(_) => None,
    }) else {
        return false;
    };
    plan.note_missing(
        "an iron panel repeated 2–4 weeks after the inflammation has settled: the ferritin may be falsely high",
    );
    if let (Some(t), false) = (t, plan.has("test.iron-panel")) {
        plan.step(
            "test.iron-panel",
            "test.iron-panel.inflamed",
            Category::Test,
            &[],
            vec![
                format!(
                    "CRP {} mg/L on {} is above {} mg/L: the ferritin may be falsely high",
                    show(crp.value),
                    crp.date,
                    show(c.crp_acute_phase_above)
                ),
                format!(
                    "TSAT {}% is below {}%, which points to iron deficiency",
                    show(t),
                    show(c.inflamed_tsat_below)
                ),
            ],
        );
    }
    true
}

/// The poor-absorption condition recorded, if any (label for the text).
fn poor_absorption(ctx: &Context) -> Option<String> {
    ctx.record
        .conditions
        .iter()
        .find(|c| c.role() == Some(ConditionRole::PoorAbsorption))
        .map(|c| c.name.clone())
}

/// A current proton-pump inhibitor beside iron.oral is named as a reason oral
/// iron may not be absorbed.
fn add_ppi_note(ctx: &Context, step: &mut Step) {
    let ppis: Vec<String> = ctx
        .current_medications()
        .filter(|m| m.classes().any(|c| c.id == "proton-pump-inhibitor"))
        .map(|m| m.name.clone())
        .collect();
    if !ppis.is_empty() {
        step.detail.push_str(&format!(
            " You take {}, a stomach-acid medicine that can make iron tablets less well absorbed: ask whether IV iron would suit you better (do not stop or change a medicine on your own).",
            ppis.join(", ")
        ));
        step.because
            .push(format!("{} may reduce iron absorption", ppis.join(", ")));
    }
}

/// An oral course has been judged: taken at least the trial length, with a
/// ferritin drawn at least `oral_judged_after_days` after it started (an older
/// ferritin says nothing about the course).
fn oral_trial_judged(ctx: &Context) -> bool {
    let Some(ferritin_day) = ctx
        .panel
        .ferritin
        .filter(|_| ctx.panel.is_current())
        .map(|f| f.date)
    else {
        return false;
    };
    ctx.oral_courses.iter().any(|course| {
        let end = course.stopped.map_or(ctx.as_of, |s| s.min(ctx.as_of));
        (end - course.started).num_days() >= ctx.common.oral_trial_days
            && (ferritin_day - course.started).num_days() >= ctx.common.oral_judged_after_days
    })
}

/// The values of the iron.iv and iron.iv-repeat texts: the dose (by weight
/// below 50 kg, never above 1000 mg) and the products (ferric derisomaltose
/// only with a low phosphate). Sources: ferinject-label, monofer-label,
/// boots-2022.
fn iv_values(ctx: &Context, ferritin: Option<f64>) -> Vec<(&'static str, String)> {
    let c = ctx.common;
    let dose = match ctx.record.patient.weight_kg {
        Some(w) if w < c.iv_weight_based_below_kg => format!(
            "{} mg ({} mg per kg for {} kg)",
            show((w * c.iv_mg_per_kg).min(c.iv_max_dose_mg).floor()),
            show(c.iv_mg_per_kg),
            show(w)
        ),
        Some(_) => format!("{} mg", show(c.iv_max_dose_mg)),
        None => format!(
            "{} mg (the adult dose from {} kg; the weight is not recorded, and below {} kg the dose is {} mg per kg)",
            show(c.iv_max_dose_mg),
            show(c.iv_weight_based_below_kg),
            show(c.iv_weight_based_below_kg),
            show(c.iv_mg_per_kg)
        ),
    };
    let products = if ctx.low_phosphate().is_some() {
        "ferric derisomaltose (Monofer, Monoferric) only: a recent blood phosphate was low, and ferric carboxymaltose lowers it further"
    } else {
        "ferric carboxymaltose (Ferinject, Injectafer) or ferric derisomaltose (Monofer, Monoferric)"
    };
    let mut values = vec![("dose", dose), ("products", products.to_string())];
    if let Some(f) = ferritin {
        values.push(("ferritin", show(f)));
    }
    values
}

/// Pregnancy (picchietti-2015): oral iron below 75 µg/L; IV only from week 14,
/// only below 30 µg/L, after oral iron failed or was not tolerated, and (as for
/// all IV iron) with clinically significant RLS. Before
/// week 14, warn.iv-iron-first-trimester where IV iron would otherwise be
/// considered.
fn pregnancy(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    let c = ctx.common;
    if ctx.pregnancy_weeks().is_none() {
        plan.note_missing(
            "how many weeks pregnant: until it is known, no IV iron (treated as the first trimester)",
        );
    }
    // Rules 1 and 3 apply in pregnancy too (2026.2): wait after an infusion.
    if infusion_wait(ctx, plan) || infusion_date_unknown(ctx, plan) {
        return;
    }
    let (Some(f), Some(t)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    // Weeks unknown: treated as the first trimester (no IV iron).
    let weeks = ctx.pregnancy_weeks();
    let first_trimester = weeks.is_none_or(|w| w < c.iv_iron_from_pregnancy_week);
    let weeks_words = weeks.map_or_else(|| "an unknown number of".to_string(), |w| w.to_string());
    let oral_failed = ctx.oral_failed();
    if f < c.pregnancy_oral_below && oral_failed {
        plan.note_missing(
            "oral iron failed or was not tolerated before: no new oral course is suggested",
        );
    } else if f < c.pregnancy_oral_below {
        let step = plan.step(
            "iron.oral",
            "iron.oral.pregnancy",
            Category::Treatment,
            &[],
            vec![format!(
                "pregnant, ferritin {} µg/L is below {}",
                show(f),
                show(c.pregnancy_oral_below)
            )],
        );
        step.schedule = Some(OralSchedule::Daily);
    } else if inflamed_undecidable(ctx, plan, Some(t)) {
        // The inflamed-ferritin rule holds in every pathway: a raised CRP and
        // a TSAT under 20 % mean this ferritin cannot say "enough iron".
    } else {
        not_indicated(
            plan,
            p,
            format!(
                "Ferritin {} µg/L is at or above {} µg/L, the level below which iron is suggested in pregnancy.",
                show(f),
                show(c.pregnancy_oral_below)
            ),
            vec![format!("pregnant, ferritin {} µg/L is at or above {}", show(f), show(c.pregnancy_oral_below))],
        );
    }
    // RULES.md: IV iron needs clinically significant RLS, in every pathway.
    let pregnancy_iv = f < c.pregnancy_iv_below && oral_failed && ctx.significant();
    if f < c.pregnancy_iv_below && oral_failed && ctx.severity.clinically_significant.is_none() {
        plan.note_missing(SIGNIFICANCE_MISSING);
    }
    let adult_iv = p.iv_allowed(f, Some(t)) == Some(true) && ctx.significant();
    if first_trimester {
        if pregnancy_iv || adult_iv {
            plan.warn(
                "warn.iv-iron-first-trimester",
                "warn.iv-iron-first-trimester",
                Level::Danger,
                None,
                &[("weeks", weeks_words.clone())],
                vec![format!(
                    "{weeks_words} weeks pregnant: treated as before week {}",
                    c.iv_iron_from_pregnancy_week
                )],
            );
        }
    } else if pregnancy_iv && infusion_in_this_pregnancy(ctx) {
        plan.note_missing(
            "an infusion was already given in this pregnancy: a repeat is for the obstetric team to decide",
        );
    } else if pregnancy_iv && iv_blocked_reason(ctx).is_none() && !infection_defers_iv(ctx, plan) {
        plan.step(
            "iron.iv",
            "iron.iv.pregnancy",
            Category::Treatment,
            &[],
            vec![
                format!(
                    "{weeks_words} weeks pregnant (from week {})",
                    c.iv_iron_from_pregnancy_week
                ),
                format!(
                    "ferritin {} µg/L is below {}",
                    show(f),
                    show(c.pregnancy_iv_below)
                ),
                "oral iron failed or was not tolerated".to_string(),
            ],
        );
    }
}

/// An infusion that may belong to this pregnancy: since its start (weeks known)
/// or within `pregnancy_max_days` (weeks unknown).
pub fn infusion_in_this_pregnancy(ctx: &Context) -> bool {
    let days_back = ctx
        .pregnancy_weeks()
        .map_or(ctx.common.pregnancy_max_days, |w| i64::from(w) * 7);
    ctx.infusions
        .iter()
        .any(|i| ctx.days_since(i.date) <= days_back)
}

/// Children (aasm-2024, rlsf-pediatric-2015): oral iron below 50 µg/L, dosed by
/// weight (about 3 mg/kg/day) by the child's doctor; rlsf-2021 may consider
/// 50–75. Never IV iron or an adult dose from Willis.
fn pediatric(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    let c = ctx.common;
    // Rules 1 and 3 hold for children too: no iron decided in the six weeks
    // after an infusion (however it was recorded).
    if infusion_wait(ctx, plan) || infusion_date_unknown(ctx, plan) {
        return;
    }
    let (Some(f), Some(t)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    let dose = ctx
        .record
        .patient
        .weight_kg
        .map(|w| pediatric_dose_words(w, c))
        .unwrap_or_else(|| {
            " (the weight is not recorded: the dose is by weight, in mg per kg)".to_string()
        });
    if f < p.pediatric_oral_below {
        let step = plan.step(
            "iron.oral",
            "iron.oral.pediatric",
            Category::Treatment,
            &[("dose", dose)],
            vec![format!(
                "a child, ferritin {} µg/L is below {}",
                show(f),
                show(p.pediatric_oral_below)
            )],
        );
        step.schedule = Some(OralSchedule::Daily);
        step.sources.extend(p.sources.iter().cloned());
        if ctx.record.patient.weight_kg.is_none() {
            plan.note_missing("the child's weight, to size the iron dose");
        }
    } else if let Some(upper) = p.pediatric_consider_at_most.filter(|u| f <= *u) {
        let step = plan.step(
            "iron.oral",
            "iron.oral.pediatric-consider",
            Category::Treatment,
            &[("dose", dose)],
            vec![format!(
                "a child, ferritin {} µg/L is between {} and {}",
                show(f),
                show(p.pediatric_oral_below),
                show(upper)
            )],
        );
        step.schedule = Some(OralSchedule::Daily);
        step.sources.extend(p.sources.iter().cloned());
    } else if inflamed_undecidable(ctx, plan, Some(t)) {
        // A raised CRP with a low TSAT: this ferritin decides nothing.
    } else {
        not_indicated(
            plan,
            p,
            format!(
                "Ferritin {} µg/L is at or above {} µg/L, the level below which children are given iron.",
                show(f),
                show(p.pediatric_oral_below)
            ),
            vec![format!(
                "a child, ferritin {} µg/L is at or above {}",
                show(f),
                show(p.pediatric_oral_below)
            )],
        );
    }
}

/// A child's daily dose for the text: about 3 mg/kg, never above the adult
/// 65 mg a day (2026.2). Sources: rlsf-pediatric-2015, irlssg-2018.
fn pediatric_dose_words(weight_kg: f64, c: &crate::knowledge::Common) -> String {
    let by_weight = (weight_kg * c.pediatric_mg_per_kg).round();
    if by_weight > c.pediatric_max_daily_mg {
        format!(
            " (for {} kg, at most {} mg a day: the dose by weight is never above the adult dose)",
            show(weight_kg),
            show(c.pediatric_max_daily_mg)
        )
    } else {
        format!(
            " (for {} kg, about {} mg a day)",
            show(weight_kg),
            show(by_weight)
        )
    }
}

/// Dialysis (aasm-2024): IV iron sucrose with the renal team when ferritin is
/// below 200 µg/L and TSAT below 20 %, and RLS is clinically significant.
fn dialysis(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    if infusion_wait(ctx, plan) || infusion_date_unknown(ctx, plan) {
        return;
    }
    let (Some(f), Some(t)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    if f < c.dialysis_ferritin_below && t < c.dialysis_tsat_below {
        // RULES.md: IV iron needs clinically significant RLS, in every pathway.
        if ctx.severity.clinically_significant.is_none() {
            plan.note_missing(SIGNIFICANCE_MISSING);
        }
        if iv_blocked_reason(ctx).is_none() && ctx.significant() && !infection_defers_iv(ctx, plan)
        {
            plan.step(
                "iron.iv",
                "iron.iv.dialysis",
                Category::Treatment,
                &[],
                vec![
                    "on dialysis".to_string(),
                    format!(
                        "ferritin {} µg/L is below {}",
                        show(f),
                        show(c.dialysis_ferritin_below)
                    ),
                    format!(
                        "TSAT {}% is below {}%",
                        show(t),
                        show(c.dialysis_tsat_below)
                    ),
                ],
            );
        }
    } else if f >= c.dialysis_ferritin_below && inflamed_undecidable(ctx, plan, Some(t)) {
        // A raised CRP with a low TSAT: this ferritin decides nothing.
    } else {
        let ferritin_ok = f >= c.dialysis_ferritin_below;
        let reason = if ferritin_ok {
            format!(
                "ferritin {} µg/L is at or above {}",
                show(f),
                show(c.dialysis_ferritin_below)
            )
        } else {
            format!(
                "TSAT {}% is at or above {}%",
                show(t),
                show(c.dialysis_tsat_below)
            )
        };
        plan.step(
            "iron.not-indicated",
            "iron.not-indicated",
            Category::Treatment,
            &[("reason", format!("On dialysis, IV iron for RLS is given only when ferritin is below {} µg/L and TSAT below {}%; here {reason}.", show(c.dialysis_ferritin_below), show(c.dialysis_tsat_below)))],
            vec!["on dialysis".to_string(), reason],
        )
        .sources = vec!["aasm-2024".to_string()];
    }
}

fn not_indicated(plan: &mut Plan, p: &ProfileThresholds, reason: String, because: Vec<String>) {
    let step = plan.step(
        "iron.not-indicated",
        "iron.not-indicated",
        Category::Treatment,
        &[("reason", reason)],
        because,
    );
    step.sources.extend(p.sources.iter().cloned());
}

/// Why IV iron must not be suggested at all, if anything.
fn iv_blocked_reason(ctx: &Context) -> Option<String> {
    ctx.has_condition(ConditionRole::IronHypersensitivity)
        .then(|| "an earlier reaction to IV iron is recorded".to_string())
}

fn significance_words(ctx: &Context) -> String {
    match (ctx.severity.irls_total, ctx.record.symptoms.days_per_week) {
        (Some(t), _) => format!(
            "IRLS {t} is at least {}: clinically significant",
            ctx.common.irls_significant_from
        ),
        (None, Some(d)) => format!("symptoms on {d} days a week: clinically significant"),
        (None, None) => "severity unknown".to_string(),
    }
}

/// The iron decision under a profile, as comparable facts: step ids with the
/// oral schedule.
fn signature(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter(|s| s.id.starts_with("iron."))
        .map(|s| match &s.schedule {
            Some(schedule) => format!("{} ({schedule})", s.id),
            None => s.id.to_string(),
        })
        .collect()
}

/// Everything `decide` reads from a profile's thresholds, for this record's
/// panel. Two profiles with the same key decide the same steps, so only the
/// others need the full decision run again.
fn decision_key(ctx: &Context, p: &ProfileThresholds) -> Option<(Option<bool>, bool, bool, bool)> {
    let f = ctx.panel.current_ferritin()?;
    let t = ctx.panel.current_tsat();
    let child = ctx.pathway == Pathway::Pediatric;
    Some((
        p.iv_allowed(f, t),
        p.oral_indicated(f, t),
        child && f < p.pediatric_oral_below,
        child && p.pediatric_consider_at_most.is_some_and(|u| f <= u),
    ))
}

/// Adds `differences` to each iron step when another profile decides otherwise.
pub fn add_differences(ctx: &Context, plan: &mut Plan) {
    let knowledge = ctx.knowledge;
    let mine = signature(plan);
    if mine.is_empty() {
        return;
    }
    let my_key = decision_key(ctx, ctx.thresholds);
    let mut differences = Vec::new();
    for other in Profile::ALL.into_iter().filter(|p| *p != ctx.profile) {
        if decision_key(ctx, knowledge.profile(other)) == my_key {
            continue;
        }
        let mut scratch = Plan::new(knowledge, ctx.as_of);
        let thresholds = knowledge.profile(other);
        decide(ctx, thresholds, &mut scratch);
        let theirs = signature(&scratch);
        if theirs != mine {
            let says = if scratch.steps.iter().any(|s| s.id.starts_with("iron.")) {
                scratch
                    .steps
                    .iter()
                    .filter(|s| s.id.starts_with("iron."))
                    .map(|s| match &s.schedule {
                        Some(x) => format!("{} ({}; {x})", s.title, s.id),
                        None => format!("{} ({})", s.title, s.id),
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                "no iron step with these results".to_string()
            };
            differences.push(Difference {
                profile: other,
                says: format!("{}: {says}", thresholds.title),
            });
        }
    }
    for step in plan.steps.iter_mut().filter(|s| s.id.starts_with("iron.")) {
        step.differences = differences.clone();
    }
}

/// retest.iron — 56 days after an infusion with no panel since; 84 days after
/// starting oral iron; review.iv-response 6 weeks after an infusion whose
/// response is not recorded. Sources: irlssg-2018, earley-2018, rlsf-2021.
pub fn schedule(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let panel_date = ctx
        .panel
        .ferritin
        .filter(|_| ctx.panel.is_current())
        .map(|f| f.date);
    if let Some(last) = ctx.last_infusion() {
        let retest = last.date + Duration::days(c.iv_retest_days);
        let retested =
            panel_date.is_some_and(|d| d >= last.date + Duration::days(c.post_infusion_blind_days));
        // iron.iv-wait promises the retest on this date (RULES.md rule 3): a
        // panel drawn 4–6 weeks after the infusion does not replace it.
        if !retested || plan.has("iron.iv-wait") {
            plan.date(
                retest.max(ctx.as_of),
                "retest.iron",
                "retest.iron.after-iv",
                &[("date", last.date.to_string())],
            );
        }
        let review = last.date + Duration::days(c.iv_full_effect_days);
        if last.response.is_none() && review >= ctx.as_of {
            plan.date(
                review,
                "review.iv-response",
                "review.iv-response",
                &[("date", last.date.to_string())],
            );
        }
    }
    if let Some(course) = ctx.current_oral_course() {
        let retest = course.started + Duration::days(c.oral_trial_days);
        if panel_date.is_none_or(|d| d < retest) {
            plan.date(
                retest.max(ctx.as_of),
                "retest.iron",
                "retest.iron.after-oral",
                &[("date", course.started.to_string())],
            );
        }
    } else if ctx.undated_oral.is_empty() && plan.steps.iter().any(|s| s.id == "iron.oral") {
        plan.date(
            ctx.as_of + Duration::days(c.oral_trial_days),
            "retest.iron",
            "retest.iron.new-oral",
            &[],
        );
    }
}
