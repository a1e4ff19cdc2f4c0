//! Sleep: cues for a sleep study (RULES.md "Sleep", 2026.2).

use super::context::{show, Context};
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::ConditionRole;

/// refer.sleep-study — obstructive sleep apnoea cues (witnessed apnoeas, snoring
/// with daytime sleepiness, Epworth ≥ 11), or periodic limb movement cues (limb
/// jerks, PLMS index > 15/h adult, > 5/h child) when RLS criteria are not met.
/// With likely RLS, periodic limb movements are a supportive feature of RLS and
/// the text says so. Sources: aasm-2024.
pub fn sleep_study(ctx: &Context, plan: &mut Plan) {
    let mut because = osa_cues(ctx);
    let plm = plm_cues(ctx);
    let known_osa = ctx.has_condition(ConditionRole::SleepApnea);
    if known_osa {
        because.clear(); // already diagnosed: no study needed for it
    }
    let plmd_study = !plm.is_empty() && !ctx.likely_rls();
    if plmd_study {
        because.extend(plm.iter().cloned());
    }
    if because.is_empty() {
        return;
    }
    let key = if plmd_study {
        "refer.sleep-study.plmd"
    } else {
        "refer.sleep-study"
    };
    plan.step("refer.sleep-study", key, Category::Referral, &[], because);
}

/// A note for likely RLS with periodic limb movements: a supportive feature of
/// RLS, not a second disorder (added to lifestyle.sleep's reasons).
pub fn plm_note(ctx: &Context) -> Option<String> {
    (ctx.likely_rls() && !plm_cues(ctx).is_empty()).then(|| {
        "periodic limb movements in sleep are a supportive feature of RLS, not a second disorder"
            .to_string()
    })
}

fn osa_cues(ctx: &Context) -> Vec<String> {
    let s = &ctx.record.sleep;
    let mut cues = Vec::new();
    if s.witnessed_apneas == Some(true) {
        cues.push("pauses in breathing during sleep were seen".to_string());
    }
    if s.snoring == Some(true) && s.excessive_daytime_sleepiness == Some(true) {
        cues.push("snoring with daytime sleepiness".to_string());
    }
    if let Some(e) = s.epworth.filter(|e| *e >= ctx.common.epworth_sleepy_from) {
        cues.push(format!(
            "Epworth score {e} is at least {}",
            ctx.common.epworth_sleepy_from
        ));
    }
    cues
}

fn plm_cues(ctx: &Context) -> Vec<String> {
    let s = &ctx.record.sleep;
    let c = ctx.common;
    let mut cues = Vec::new();
    if s.limb_jerks_reported == Some(true) {
        cues.push("a bed partner sees the legs kick in sleep".to_string());
    }
    let child = ctx.age.is_some_and(|a| a < c.adult_age_years);
    let limit = if child {
        c.plms_index_child_above
    } else {
        c.plms_index_adult_above
    };
    if let Some(index) = s.plms_index.filter(|i| *i > limit) {
        cues.push(format!(
            "periodic limb movement index {}/h is above {}/h",
            show(index),
            show(limit)
        ));
    }
    cues
}
