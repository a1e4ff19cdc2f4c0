//! The quality measures of the screen: how often care departs from the
//! guideline, over the patients with RLS. Each measure counts a denominator
//! (the patients it applies to) and a numerator (those whose care departs);
//! lower is better. They read the assessment's ids and the record's facts
//! through willis-core; no rule of the plan is decided here.
//!
//! The measures follow what the sleep-medicine societies ask of RLS care:
//! assess iron status, treat low iron stores, assess augmentation on
//! dopaminergic drugs, review medicines that worsen RLS, and check phosphate
//! before ferric carboxymaltose is repeated.

use chrono::NaiveDate;
use serde::Serialize;
use willis_core::knowledge::Effect;
use willis_core::record::Medication;
use willis_core::units::LabTest;
use willis_core::{iron_given, other_disease_for, Assessment, Knowledge, Record};

/// A measure's definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Measure {
    /// Stable id, used as the key in the summary.
    pub id: &'static str,
    /// What the numerator counts.
    pub title: &'static str,
    /// Who is in the denominator.
    pub denominator: &'static str,
    /// Knowledge source ids (crates/core/knowledge/sources.toml).
    pub sources: &'static [&'static str],
}

/// Dopaminergic use for this long counts as long-term: augmentation comes at
/// about 8 % a year, 20 % after a mean of 2.7 years (Allen 2011, FACTS.md 5.2).
pub const LONG_DOPAMINERGIC_DAYS: i64 = 2 * 365;

/// "The past year" of the measures: a ferritin, iron given.
pub const RECENT_IRON_DAYS: i64 = 365;

/// Every measure, in the order of [`Hits`].
pub const MEASURES: [Measure; 6] = [
    Measure {
        id: "iron-status-not-assessed",
        title: "no ferritin result in the past year",
        denominator: "patients with RLS",
        sources: &["aasm-2024", "irlssg-2018"],
    },
    Measure {
        id: "low-iron-untreated",
        title: "iron is indicated and none was given in the past year (oral or IV)",
        denominator: "patients with RLS whose plan indicates iron (iron.oral, iron.iv, iron.iv-repeat)",
        sources: &["aasm-2024", "irlssg-2018"],
    },
    Measure {
        id: "iron-despite-overload",
        title: "oral iron taken now, or IV iron given on or after the panel that showed overload",
        denominator: "patients with RLS and iron overload (warn.iron-overload)",
        sources: &["irlssg-2018"],
    },
    Measure {
        id: "dopaminergic-augmentation-or-long-use",
        title: "augmentation suspected, or dopaminergic treatment for 2 years or more",
        denominator: "patients with RLS taking a dopamine agonist or levodopa for RLS (not for Parkinson's disease or a prolactinoma)",
        sources: &["allen-2011", "silber-2018", "aasm-2024"],
    },
    Measure {
        id: "aggravating-medicine",
        title: "a current medicine that can worsen RLS (warn.aggravating-medication)",
        denominator: "patients with RLS",
        sources: &["aasm-2024", "silber-2018"],
    },
    Measure {
        id: "iv-iron-repeated-without-phosphate",
        title: "no phosphate result since the first ferric carboxymaltose infusion",
        denominator: "patients with RLS given IV iron on two or more days, ferric carboxymaltose at least once",
        sources: &["wolf-2020", "ferinject-label"],
    },
];

/// One patient's part in each measure: (in the denominator, in the numerator).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Hits(pub [(bool, bool); MEASURES.len()]);

impl Hits {
    /// The measures for one patient with RLS.
    pub fn of(record: &Record, a: &Assessment, as_of: NaiveDate) -> Hits {
        let days_before = |d: NaiveDate| (as_of - d).num_days();
        let within_year = |d: NaiveDate| (0..RECENT_IRON_DAYS).contains(&days_before(d));
        let given = iron_given(record, as_of);

        let ferritin_this_year = record
            .labs
            .iter()
            .any(|l| l.test == LabTest::Ferritin && within_year(l.date));

        let iron_this_year = given.infusions.iter().any(|i| within_year(i.date))
            || given
                .oral_courses
                .iter()
                .any(|c| c.current_on(as_of) || c.stopped.is_some_and(within_year))
            || !given.undated_infusions.is_empty()
            || !given.undated_oral.is_empty();
        let iron_indicated = ["iron.oral", "iron.iv", "iron.iv-repeat"]
            .iter()
            .any(|id| a.step(id).is_some());

        let overload = a.warning("warn.iron-overload").is_some();
        let iron_after_overload = given.oral_courses.iter().any(|c| c.current_on(as_of))
            || !given.undated_oral.is_empty()
            || !given.undated_infusions.is_empty()
            || given.infusions.iter().any(|i| match a.iron.measured_on {
                Some(panel) => i.date >= panel,
                None => within_year(i.date),
            });

        let knowledge = Knowledge::get();
        let dopaminergic = |m: &&Medication| {
            (m.has_effect(Effect::DopamineAgonist) || m.has_effect(Effect::Levodopa))
                && other_disease_for(record, m, knowledge).is_none()
        };
        let on_dopaminergic = record
            .medications
            .iter()
            .filter(dopaminergic)
            .any(|m| m.current_on(as_of));
        // Renewed orders are one treatment: from the first start on record.
        let first_start = record
            .medications
            .iter()
            .filter(dopaminergic)
            .filter_map(|m| m.started)
            .min();
        let long_use = first_start.is_some_and(|s| days_before(s) >= LONG_DOPAMINERGIC_DAYS);

        let mut infusion_days: Vec<NaiveDate> = given.infusions.iter().map(|i| i.date).collect();
        infusion_days.dedup();
        let first_fcm = given
            .infusions
            .iter()
            .filter(|i| i.is_ferric_carboxymaltose())
            .map(|i| i.date)
            .min();
        let repeated_fcm = infusion_days.len() >= 2 && first_fcm.is_some();
        let phosphate_since = first_fcm.is_some_and(|first| {
            record
                .labs
                .iter()
                .any(|l| l.test == LabTest::Phosphate && l.date >= first && l.date <= as_of)
        });

        Hits([
            (true, !ferritin_this_year),
            (iron_indicated, iron_indicated && !iron_this_year),
            (overload, overload && iron_after_overload),
            (
                on_dopaminergic,
                on_dopaminergic && (a.warning("warn.augmentation-suspected").is_some() || long_use),
            ),
            (true, a.warning("warn.aggravating-medication").is_some()),
            (repeated_fcm, repeated_fcm && !phosphate_since),
        ])
    }
}

/// A measure's totals over the screen.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MeasureResult {
    pub id: &'static str,
    pub title: &'static str,
    pub numerator: u64,
    pub denominator: u64,
    /// `numerator / denominator` in %, one decimal; `None` with no denominator.
    pub percent: Option<f64>,
    pub denominator_is: &'static str,
    pub sources: &'static [&'static str],
}

/// Running totals of every measure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals(pub [(u64, u64); MEASURES.len()]);

impl Totals {
    pub fn add(&mut self, hits: &Hits) {
        for ((num, den), (in_den, in_num)) in self.0.iter_mut().zip(hits.0) {
            *den += u64::from(in_den);
            *num += u64::from(in_num);
        }
    }

    pub fn merge(&mut self, other: &Totals) {
        for ((num, den), (n, d)) in self.0.iter_mut().zip(other.0) {
            *num += n;
            *den += d;
        }
    }

    pub fn results(&self) -> Vec<MeasureResult> {
        MEASURES
            .iter()
            .zip(self.0)
            .map(|(m, (numerator, denominator))| MeasureResult {
                id: m.id,
                title: m.title,
                numerator,
                denominator,
                percent: (denominator > 0)
                    .then(|| (numerator as f64 * 1000.0 / denominator as f64).round() / 10.0),
                denominator_is: m.denominator,
                sources: m.sources,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_is_in_the_knowledge() {
        let knowledge = willis_core::Knowledge::get();
        for m in MEASURES {
            for s in m.sources {
                assert!(knowledge.sources.contains_key(*s), "{}: {s}", m.id);
            }
        }
    }

    #[test]
    fn percent_is_rounded_and_absent_without_a_denominator() {
        let mut t = Totals::default();
        t.0[0] = (1, 3);
        let r = t.results();
        assert_eq!(r[0].percent, Some(33.3));
        assert_eq!(r[1].percent, None);
    }
}
