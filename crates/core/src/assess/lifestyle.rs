//! Lifestyle steps.

use super::context::{show, Context};
use super::plan::Plan;
use crate::assessment::Category;

/// lifestyle.triggers — alcohol ≥ 1 unit a week, caffeine ≥ 1 drink a day, or
/// smoking: name each. Sources: rlsf-2021, aasm-2024.
pub fn triggers(ctx: &Context, plan: &mut Plan) {
    let h = &ctx.record.habits;
    let mut found = Vec::new();
    let mut because = Vec::new();
    if let Some(units) = h.alcohol_units_per_week.filter(|u| *u >= 1.0) {
        found.push("alcohol");
        because.push(format!("alcohol {} units a week", show(units)));
    }
    if let Some(drinks) = h.caffeine_drinks_per_day.filter(|d| *d >= 1.0) {
        found.push("caffeine");
        because.push(format!("caffeine {} drinks a day", show(drinks)));
    }
    if h.smoker == Some(true) {
        found.push("smoking");
        because.push("smoker".to_string());
    }
    if found.is_empty() {
        return;
    }
    let list = found.join(", ");
    let step = plan.step(
        "lifestyle.triggers",
        "lifestyle.triggers",
        Category::Lifestyle,
        &[("list", list.clone())],
        because,
    );
    step.subject = Some(list);
}

/// lifestyle.sleep — for every likely RLS: regular sleep, daytime exercise,
/// engaging evening activity, massage, warm bath, stretching. Sources: rlsf-2021.
pub fn sleep(ctx: &Context, plan: &mut Plan) {
    if !ctx.likely_rls() {
        return;
    }
    plan.step(
        "lifestyle.sleep",
        "lifestyle.sleep",
        Category::Lifestyle,
        &[],
        vec!["all five diagnostic features are present".to_string()],
    );
}
