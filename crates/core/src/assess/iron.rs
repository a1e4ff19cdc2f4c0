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
use crate::record::{IvInfusion, IvResponse};
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
    // A recent TSAT without a ferritin beside it still forbids iron.
    let lone_tsat = || {
        let blind_until = |i: &&IvInfusion| i.date + Duration::days(c.post_infusion_blind_days);
        ctx.newest(LabTest::Tsat)
            .filter(|l| ctx.days_since(l.date) <= c.lab_stale_after_days)
            .filter(|l| {
                ctx.last_infusion()
                    .as_ref()
                    .is_none_or(|i| l.date >= blind_until(i))
            })
            .map(|l| round1(l.value))
    };
    let tsat = ctx.panel.current_tsat().or_else(lone_tsat);
    if let Some(t) = tsat.filter(|t| *t >= c.tsat_never_iron_from) {
        reasons.push(format!(
            "TSAT {}% is at or above {}%",
            show(t),
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
    if let Some(last) = ctx.last_infusion() {
        let days = ctx.days_since(last.date);
        if days < c.iv_full_effect_days {
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
            return;
        }
    }

    let (Some(f), Some(t)) = (ferritin, tsat) else {
        return; // no current, complete panel: test.iron-panel asks for one
    };
    let reading = format!("ferritin {} µg/L and TSAT {}%", show(f), show(t));
    let iv_blocked = iv_blocked_reason(ctx);

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
                if days >= c.iv_repeat_min_days && fell && ctx.significant() && iv_blocked.is_none()
                {
                    let fcm = ctx.infusions.iter().any(|i| i.is_ferric_carboxymaltose());
                    let step = plan.step(
                        "iron.iv-repeat",
                        "iron.iv-repeat",
                        Category::Treatment,
                        &[("ferritin", show(f))],
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
                    if fcm {
                        plan.step(
                            "test.phosphate",
                            "test.phosphate",
                            Category::Test,
                            &[],
                            vec!["an earlier infusion was ferric carboxymaltose".to_string()],
                        );
                        plan.warn(
                            "warn.fcm-hypophosphatemia",
                            "warn.fcm-hypophosphatemia",
                            Level::Caution,
                            Some("ferric carboxymaltose".to_string()),
                            &[],
                            vec!["an earlier infusion was ferric carboxymaltose".to_string()],
                        );
                    }
                }
            }
            Some(IvResponse::None) => {}
        }
    }

    // Rule 5: no earlier infusion → IV iron for clinically significant RLS.
    let oral_failed = ctx
        .record
        .oral_courses
        .iter()
        .filter(|o| o.started <= ctx.as_of)
        .any(|o| o.outcome.is_some_and(|x| x.failed()));
    if !iv_considered {
        match (ctx.significant(), &iv_blocked) {
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
                if ctx.oral_trial_done() && f <= p.oral_ferritin_at_most {
                    because.push(format!(
                        "ferritin is still at or below {} after at least {} days of oral iron",
                        show(p.oral_ferritin_at_most),
                        c.oral_trial_days
                    ));
                }
                let step = plan.step("iron.iv", "iron.iv", Category::Treatment, &[], because);
                step.sources.extend(p.sources.iter().cloned());
                if ctx.has_condition(ConditionRole::ActiveInfection) {
                    step.detail.push_str(" An active infection is recorded: the infusion is usually put off until it has cleared.");
                    step.sources.push("rlsf-2021".into());
                }
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
    let current = ctx
        .record
        .oral_courses
        .iter()
        .rev()
        .find(|o| o.current_on(ctx.as_of));
    if let Some(course) = current {
        if f < c.oral_continue_below {
            let alternate = f > c.oral_alternate_day_above;
            let (key, schedule) = if alternate {
                ("iron.oral.alternate-day", "alternate-day")
            } else {
                ("iron.oral.continue", "daily")
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
            step.schedule = Some(schedule.to_string());
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
        step.schedule = Some("daily".to_string());
        step.sources.extend(p.sources.iter().cloned());
    }
}

/// Pregnancy (picchietti-2015): oral iron below 75 µg/L; IV only from week 14,
/// only below 30 µg/L, after oral iron failed or was not tolerated, and (as for
/// all IV iron) with clinically significant RLS. Before
/// week 14, warn.iv-iron-first-trimester where IV iron would otherwise be
/// considered.
fn pregnancy(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    let c = ctx.common;
    let (Some(f), Some(t)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    let weeks = ctx.record.patient.pregnancy_weeks.unwrap_or_default();
    let first_trimester = weeks < c.iv_iron_from_pregnancy_week;
    let oral_failed = ctx
        .record
        .oral_courses
        .iter()
        .any(|o| o.started <= ctx.as_of && o.outcome.is_some_and(|x| x.failed()));
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
        step.schedule = Some("daily".to_string());
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
                &[("weeks", weeks.to_string())],
                vec![format!(
                    "{weeks} weeks pregnant: before week {}",
                    c.iv_iron_from_pregnancy_week
                )],
            );
        }
    } else if pregnancy_iv && iv_blocked_reason(ctx).is_none() {
        plan.step(
            "iron.iv",
            "iron.iv.pregnancy",
            Category::Treatment,
            &[],
            vec![
                format!(
                    "{weeks} weeks pregnant (from week {})",
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

/// Children (aasm-2024, rlsf-pediatric-2015): oral iron below 50 µg/L, dosed by
/// weight (about 3 mg/kg/day) by the child's doctor; rlsf-2021 may consider
/// 50–75. Never IV iron or an adult dose from Willis.
fn pediatric(ctx: &Context, p: &ProfileThresholds, plan: &mut Plan) {
    let c = ctx.common;
    let (Some(f), Some(_)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    let dose = ctx
        .record
        .patient
        .weight_kg
        .map(|w| {
            format!(
                " (for {} kg, about {} mg a day)",
                show(w),
                show((w * c.pediatric_mg_per_kg).round())
            )
        })
        .unwrap_or_default();
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
        step.schedule = Some("daily".to_string());
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
        step.schedule = Some("daily".to_string());
        step.sources.extend(p.sources.iter().cloned());
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

/// Dialysis (aasm-2024): IV iron sucrose with the renal team when ferritin is
/// below 200 µg/L and TSAT below 20 %, and RLS is clinically significant.
fn dialysis(ctx: &Context, plan: &mut Plan) {
    let c = ctx.common;
    let (Some(f), Some(t)) = (ctx.panel.current_ferritin(), ctx.panel.current_tsat()) else {
        return;
    };
    if f < c.dialysis_ferritin_below && t < c.dialysis_tsat_below {
        // RULES.md: IV iron needs clinically significant RLS, in every pathway.
        if ctx.severity.clinically_significant.is_none() {
            plan.note_missing(SIGNIFICANCE_MISSING);
        }
        if iv_blocked_reason(ctx).is_none() && ctx.significant() {
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
            None => s.id.clone(),
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
                profile: other.id().to_string(),
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
        if !retested {
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
    if let Some(course) = ctx
        .record
        .oral_courses
        .iter()
        .rev()
        .find(|o| o.current_on(ctx.as_of))
    {
        let retest = course.started + Duration::days(c.oral_trial_days);
        if panel_date.is_none_or(|d| d < retest) {
            plan.date(
                retest.max(ctx.as_of),
                "retest.iron",
                "retest.iron.after-oral",
                &[("date", course.started.to_string())],
            );
        }
    } else if plan.steps.iter().any(|s| s.id == "iron.oral") {
        plan.date(
            ctx.as_of + Duration::days(c.oral_trial_days),
            "retest.iron",
            "retest.iron.new-oral",
            &[],
        );
    }
}
