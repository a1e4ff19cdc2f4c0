//! Augmentation on a dopaminergic drug, from the questionnaire and from the trend
//! of the diary's onset times.

use chrono::{Duration, NaiveDate, NaiveTime, Timelike};

use super::context::{capitalise, show, Context};
use super::plan::Plan;
use crate::assessment::*;
use crate::knowledge::Effect;
use crate::record::{BodyPart, DiaryEntry, Medication};

/// Signs from the questionnaire (mpi-2007 criterion C): onset ≥ 4 h earlier, or
/// 2–4 h earlier with shorter latency at rest, spread, more intensity or shorter
/// relief.
fn from_questionnaire(ctx: &Context) -> Vec<String> {
    let c = ctx.common;
    let a = &ctx.record.symptoms.augmentation;
    let Some(hours) = a.earlier_onset_hours else {
        return Vec::new();
    };
    let others: Vec<&str> = [
        (a.shorter_latency_at_rest, "symptoms come on sooner at rest"),
        (
            a.spread_to_other_body_parts,
            "symptoms spread to other body parts",
        ),
        (a.more_intense, "symptoms are more intense"),
        (
            a.shorter_relief_from_medicine,
            "each dose relieves for a shorter time",
        ),
    ]
    .into_iter()
    .filter(|(v, _)| *v == Some(true))
    .map(|(_, words)| words)
    .collect();
    if hours >= c.augmentation_onset_strong_hours {
        vec![format!(
            "symptoms start {} hours earlier than before (at least {})",
            show(hours),
            show(c.augmentation_onset_strong_hours)
        )]
    } else if hours >= c.augmentation_onset_moderate_hours && !others.is_empty() {
        let mut signs = vec![format!(
            "symptoms start {} hours earlier than before",
            show(hours)
        )];
        signs.extend(others.into_iter().map(String::from));
        signs
    } else {
        Vec::new()
    }
}

/// Hours after 06:00, so that an onset after midnight counts as later than one
/// in the evening, and one in the afternoon as earlier.
fn evening_hours(t: NaiveTime) -> f64 {
    let h = t.hour() as f64 + t.minute() as f64 / 60.0;
    if h < 6.0 {
        h + 24.0
    } else {
        h
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn window(diary: &[DiaryEntry], from: NaiveDate, to: NaiveDate) -> Vec<&DiaryEntry> {
    diary
        .iter()
        .filter(|d| d.date >= from && d.date <= to && d.onset_time.is_some())
        .collect()
}

/// Signs from the diary: the median onset of the last 14 diary days is ≥ 4 h
/// earlier than in the first 14 days after the drug started (≥ 7 entries in
/// each), or 2–4 h earlier with arms or trunk newly affected.
fn from_diary(ctx: &Context, drug: &Medication) -> Vec<String> {
    let c = ctx.common;
    let Some(started) = drug.started else {
        return Vec::new();
    };
    let diary: Vec<DiaryEntry> = ctx
        .record
        .diary
        .iter()
        .filter(|d| d.date <= ctx.as_of)
        .cloned()
        .collect();
    let Some(last_day) = diary.last().map(|d| d.date) else {
        return Vec::new();
    };
    let span = Duration::days(c.diary_window_days - 1);
    let first_end = started + span;
    let last_start = last_day - span;
    if last_start <= first_end {
        return Vec::new(); // the windows would overlap
    }
    let first = window(&diary, started, first_end);
    let last = window(&diary, last_start, last_day);
    if first.len() < c.diary_window_min_entries || last.len() < c.diary_window_min_entries {
        return Vec::new();
    }
    let onset = |w: &[&DiaryEntry]| {
        median(
            w.iter()
                .filter_map(|d| d.onset_time)
                .map(evening_hours)
                .collect(),
        )
    };
    let shift = onset(&first) - onset(&last);
    let parts = |w: &[&DiaryEntry], p: BodyPart| w.iter().any(|d| d.body_parts.contains(&p));
    let new_parts: Vec<&str> = [BodyPart::Arms, BodyPart::Trunk]
        .into_iter()
        .filter(|p| parts(&last, *p) && !parts(&first, *p))
        .map(|p| p.name())
        .collect();
    let trend = format!(
        "diary: median onset {} hours earlier in the last {} days (to {last_day}) than in the first {} days on {} (from {started})",
        show(shift),
        c.diary_window_days,
        c.diary_window_days,
        drug.name
    );
    if shift >= c.augmentation_onset_strong_hours {
        vec![trend]
    } else if shift >= c.augmentation_onset_moderate_hours && !new_parts.is_empty() {
        vec![
            trend,
            format!("diary: {} newly affected", new_parts.join(" and ")),
        ]
    } else {
        Vec::new()
    }
}

/// warn.augmentation-suspected + augmentation.manage — on a current dopamine
/// agonist or levodopa taken for RLS (not for another disease) with augmentation signs from the questionnaire or diary.
/// Returns whether augmentation is suspected. Sources: mpi-2007, irlssg-2016.
pub fn check(ctx: &Context, plan: &mut Plan) -> bool {
    let drugs: Vec<&Medication> = ctx
        .current_medications()
        .filter(|m| m.has_effect(Effect::DopamineAgonist) || m.has_effect(Effect::Levodopa))
        // A drug taken for another disease (Parkinson's, prolactinoma) is not an
        // RLS treatment to switch: wearing-off can look like augmentation.
        .filter(|m| ctx.other_disease_for(m).is_none())
        .collect();
    if drugs.is_empty() {
        return false;
    }
    let mut signs = from_questionnaire(ctx);
    for drug in &drugs {
        signs.extend(from_diary(ctx, drug));
    }
    if signs.is_empty() {
        return false;
    }
    let names = drugs
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    plan.warn(
        "warn.augmentation-suspected",
        "warn.augmentation-suspected",
        Level::Danger,
        Some(names.clone()),
        &[
            ("name", names.clone()),
            ("reasons", capitalise(signs.join("; "))),
        ],
        signs.clone(),
    );
    let step = plan.step(
        "augmentation.manage",
        "augmentation.manage",
        Category::Safety,
        &[("names", names.clone())],
        signs,
    );
    step.subject = Some(names);
    true
}
