//! What every rule needs to know, worked out once: the pathway, the diagnosis,
//! severity, and the iron panel the plan may act on.

use chrono::{Datelike, NaiveDate};

use crate::assessment::*;
pub use crate::interpret::TsatReading;
use crate::interpret::{paired_tsat, soon_after_infusion, tsat_series};
use crate::knowledge::{Common, ConditionRole, Effect, Knowledge, Profile, ProfileThresholds};
use crate::record::*;
use crate::units::LabTest;

pub struct Context<'a> {
    pub record: &'a Record,
    pub as_of: NaiveDate,
    pub profile: Profile,
    pub knowledge: &'static Knowledge,
    pub common: &'static Common,
    pub thresholds: &'static ProfileThresholds,
    /// Whole years on `as_of`, when the birth date is known.
    pub age: Option<u32>,
    pub pathway: Pathway,
    pub diagnosis: Diagnosis,
    pub severity: Severity,
    pub panel: Panel<'a>,
    /// Infusions on or before `as_of`, oldest first, however recorded: from
    /// `iron_treatments` and from IV iron products in `medications`.
    pub infusions: Vec<IvInfusion>,
    /// IV iron products in `medications` with no date: an infusion whose date
    /// is unknown, so no new infusion can be decided.
    pub undated_infusions: Vec<&'a Medication>,
    /// Oral iron courses started on or before `as_of`, oldest first, however
    /// recorded: from `iron_treatments` and from oral iron in `medications`.
    pub oral_courses: Vec<OralCourse>,
    /// Oral iron in `medications`, not stopped, with no start date: a current
    /// course of unknown length.
    pub undated_oral: Vec<&'a Medication>,
    /// RLS is recorded as a diagnosis made by a clinician.
    pub clinician_diagnosis: bool,
}

/// The newest ferritin that may be used, with its TSAT.
#[derive(Debug, Clone, Default)]
pub struct Panel<'a> {
    pub ferritin: Option<&'a LabResult>,
    pub tsat: Option<TsatReading<'a>>,
    /// Older than the staleness limit on `as_of`.
    pub stale: bool,
    /// Drawn before the latest infusion, so it says nothing about stores now.
    pub before_last_infusion: bool,
    /// Ferritins skipped because they were drawn within 4 weeks after an infusion.
    pub skipped_post_infusion: Vec<&'a LabResult>,
    /// A derived TSAT paired with the ferritin that reads above 100 %.
    pub implausible: Option<TsatReading<'a>>,
}

impl<'a> Panel<'a> {
    /// A panel that rules may act on: recent and taken after the last infusion.
    pub fn is_current(&self) -> bool {
        self.ferritin.is_some() && !self.stale && !self.before_last_infusion
    }

    /// Ferritin of a current panel, to one decimal as the assessment shows it,
    /// so that a rule never acts on a value that reads differently (999.96
    /// shown as 1000).
    pub fn current_ferritin(&self) -> Option<f64> {
        self.ferritin
            .filter(|_| self.is_current())
            .map(|l| round1(l.value))
    }

    /// TSAT of a current panel, to one decimal as the assessment shows it (a
    /// derived 44.97 % is 45 %: no iron).
    pub fn current_tsat(&self) -> Option<f64> {
        self.tsat
            .as_ref()
            .filter(|_| self.is_current())
            .map(|t| round1(t.percent))
    }

    pub fn status(&self) -> IronStatus {
        IronStatus {
            ferritin_ug_per_l: self.ferritin.map(|l| round1(l.value)),
            tsat_percent: self.tsat.as_ref().map(|t| round1(t.percent)),
            tsat_basis: self.tsat.as_ref().map(|t| t.basis.words().to_string()),
            measured_on: self.ferritin.map(|l| l.date),
            usable: self.is_current() && self.tsat.is_some(),
        }
    }
}

/// "ferritin 1000 ..." → "Ferritin 1000 ...": a sentence starts with a capital.
pub fn capitalise(mut s: String) -> String {
    if let Some(first) = s.get_mut(0..1) {
        first.make_ascii_uppercase();
    } else if let Some(c) = s.chars().next() {
        // A multi-byte first letter (rare: the texts are English).
        let upper: String = c.to_uppercase().collect();
        s.replace_range(..c.len_utf8(), &upper);
    }
    s
}

pub fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// "45 µg/L", "12.5%": a value as the rules' reasons show it.
pub fn show(v: f64) -> String {
    // Integer arithmetic: float formatting with a precision is slow, and this
    // runs for every reason the rules give.
    let tenths = (v * 10.0).round();
    if !tenths.is_finite() || tenths.abs() >= 1e15 {
        return format!("{v}");
    }
    let tenths = tenths as i64;
    let sign = if tenths < 0 { "-" } else { "" };
    let (whole, tenth) = (tenths.abs() / 10, tenths.abs() % 10);
    if tenth == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{tenth}")
    }
}

impl<'a> Context<'a> {
    pub fn new(
        record: &'a Record,
        as_of: NaiveDate,
        profile: Profile,
        knowledge: &'static Knowledge,
    ) -> Context<'a> {
        let common = &knowledge.common;
        let age = record.patient.birth_date.and_then(|b| age_on(b, as_of));
        let pathway = pathway(record, age, common);
        let (infusions, undated_infusions) = iron_infusions(record, as_of);
        let (oral_courses, undated_oral) = oral_iron_courses(record, as_of);
        let panel = panel(record, as_of, common, &infusions);
        let clinician_diagnosis = record.has_condition_role(ConditionRole::RestlessLegs);
        Context {
            record,
            as_of,
            profile,
            knowledge,
            common,
            thresholds: knowledge.profile(profile),
            age,
            pathway,
            diagnosis: diagnosis(&record.symptoms, common, clinician_diagnosis),
            severity: severity(&record.symptoms, common),
            panel,
            infusions,
            undated_infusions,
            oral_courses,
            undated_oral,
            clinician_diagnosis,
        }
    }

    pub fn likely_rls(&self) -> bool {
        self.diagnosis.status == DiagnosisStatus::LikelyRls
    }

    pub fn significant(&self) -> bool {
        self.severity.clinically_significant == Some(true)
    }

    pub fn days_since(&self, day: NaiveDate) -> i64 {
        (self.as_of - day).num_days()
    }

    pub fn last_infusion(&self) -> Option<&IvInfusion> {
        self.infusions.last()
    }

    /// Pregnant: weeks given, or a pregnancy condition (weeks unknown).
    pub fn pregnant(&self) -> bool {
        self.pathway == Pathway::Pregnancy
    }

    /// Gestational weeks; `None` when pregnant with the weeks unknown.
    pub fn pregnancy_weeks(&self) -> Option<u8> {
        self.record.patient.pregnancy_weeks
    }

    /// The current oral iron course (newest), if any.
    pub fn current_oral_course(&self) -> Option<&OralCourse> {
        self.oral_courses
            .iter()
            .rev()
            .find(|o| o.current_on(self.as_of))
    }

    /// Oral iron is being taken now: a dated current course, or oral iron on
    /// the medicine list with no start date.
    pub fn taking_oral_iron(&self) -> bool {
        self.current_oral_course().is_some() || !self.undated_oral.is_empty()
    }

    /// An oral course failed (stopped or current) with `ineffective` or
    /// `side-effects`, however recorded: oral iron on the medicine list counts
    /// too, even stopped with no start date.
    pub fn oral_failed(&self) -> bool {
        self.oral_courses
            .iter()
            .any(|o| o.outcome.is_some_and(|x| x.failed()))
            || self.record.medications.iter().any(|m| {
                is_iron(m, "oral-iron")
                    && m.outcome.is_some_and(|x| x.failed())
                    && m.started.is_none_or(|s| s <= self.as_of)
            })
    }

    /// Current medicines with an ingredient of this effect.
    pub fn current_with(&self, effect: Effect) -> impl Iterator<Item = &'a Medication> + '_ {
        self.current_medications()
            .filter(move |m| m.has_effect(effect))
    }

    /// An infusion less than the full-effect interval (6 weeks) ago.
    pub fn in_infusion_wait(&self) -> bool {
        self.last_infusion()
            .is_some_and(|i| self.days_since(i.date) < self.common.iv_full_effect_days)
    }

    /// Medicines taken on `as_of`.
    pub fn current_medications(&self) -> impl Iterator<Item = &'a Medication> + '_ {
        self.record
            .medications
            .iter()
            .filter(move |m| m.current_on(self.as_of))
    }

    /// Medicines with this effect ever recorded up to `as_of` (current or past).
    pub fn medications_with(&self, effect: Effect) -> impl Iterator<Item = &'a Medication> + '_ {
        self.record
            .medications
            .iter()
            .filter(move |m| m.has_effect(effect) && m.started.is_none_or(|s| s <= self.as_of))
    }

    pub fn has_condition(&self, role: ConditionRole) -> bool {
        self.record.has_condition_role(role)
    }

    /// The newest result of a test on or before `as_of`.
    pub fn newest(&self, test: LabTest) -> Option<&'a LabResult> {
        self.record
            .labs
            .iter()
            .rfind(|l| l.test == test && l.date <= self.as_of)
    }

    /// Names the catalogues do not recognise.
    pub fn unrecognised(&self) -> Vec<String> {
        let meds = self
            .record
            .medications
            .iter()
            .filter(|m| m.resolved.is_none())
            .map(|m| format!("medicine {:?}", m.name));
        let conditions = self
            .record
            .conditions
            .iter()
            .filter(|c| c.known.is_none())
            .map(|c| format!("condition {:?}", c.name));
        meds.chain(conditions).collect()
    }

    /// An oral course of at least the trial length that is current or ended no
    /// more than `oral_recent_end_days` ago (RULES.md: iron done).
    pub fn recent_oral_trial_done(&self) -> bool {
        self.oral_courses.iter().any(|c| {
            let end = c.stopped.map_or(self.as_of, |s| s.min(self.as_of));
            (end - c.started).num_days() >= self.common.oral_trial_days
                && self.days_since(end) <= self.common.oral_recent_end_days
        })
    }
}

impl<'a> Context<'a> {
    /// The recorded condition this dopaminergic medicine treats, when it is
    /// taken for another disease (Parkinson's disease, prolactinoma, ...).
    pub fn other_disease_for(&self, med: &Medication) -> Option<&'a str> {
        other_disease_for(self.record, med, self.knowledge)
    }

    /// Drawn within 4 weeks after an infusion (however recorded).
    pub fn in_blind_window(&self, day: NaiveDate) -> bool {
        soon_after_infusion(&self.infusions, day)
    }

    /// Every TSAT reading of [`tsat_series`] within the validity window and
    /// outside the post-infusion blind window.
    fn tsat_readings(&self) -> Vec<TsatReading<'a>> {
        let mut series = tsat_series(self.record, self.as_of);
        series.retain(|r| {
            self.days_since(r.date) <= self.common.lab_stale_after_days
                && !self.in_blind_window(r.date)
        });
        series
    }

    /// The TSATs that iron rule 1 looks at (2026.2): every TSAT in the
    /// validity window, given or derived, outside the 28 days after an
    /// infusion — so the one paired with the panel's ferritin, the newest one
    /// and any drawn on or after the panel's ferritin, and also one drawn
    /// before the ferritin that the pairing passed over. RULES.md lists the
    /// first three after "every TSAT in the validity window"; the list is read
    /// as examples, the safer reading (DESIGN.md, Never: "any iron when any
    /// usable TSAT >= 45 %"). Implausible derived values are included (see
    /// [`Context::implausible_tsats`]); rules comparing with 45 % leave them out.
    pub fn overload_tsats(&self) -> Vec<TsatReading<'a>> {
        let mut chosen = self.tsat_readings();
        if !self.panel.stale {
            chosen.extend(self.panel.tsat.iter().cloned());
            chosen.extend(self.panel.implausible.iter().cloned());
        }
        chosen
    }

    /// Derived TSATs above 100 % among those rule 1 looks at.
    ///
    /// Only the paired, the newest, and those drawn on or after the panel's
    /// ferritin: an impossible value that a later panel already repeated asks
    /// for nothing more (unlike a real TSAT >= 45 %, which always counts).
    pub fn implausible_tsats(&self) -> Vec<TsatReading<'a>> {
        let all = self.overload_tsats();
        let newest = all.iter().map(|r| r.date).max();
        let panel_day = self.panel.ferritin.map(|f| f.date);
        let paired = self.panel.implausible.as_ref().map(|t| t.percent);
        let mut out: Vec<TsatReading> = all
            .into_iter()
            .filter(|r| !r.plausible())
            .filter(|r| {
                Some(r.date) == newest
                    || panel_day.is_some_and(|d| r.date >= d)
                    || paired == Some(r.percent)
            })
            .collect();
        out.dedup_by(|a, b| a.date == b.date && a.percent == b.percent);
        out
    }

    /// The highest CRP above the acute-phase limit within 14 days of the
    /// panel's ferritin.
    pub fn acute_phase_crp(&self) -> Option<&'a LabResult> {
        let c = self.common;
        let ferritin = self.panel.ferritin?;
        self.record
            .labs
            .iter()
            .filter(|l| {
                l.test == LabTest::Crp
                    && l.date <= self.as_of
                    && (l.date - ferritin.date).num_days().abs() <= c.crp_pairing_days
            })
            .max_by(|a, b| a.value.total_cmp(&b.value))
            .filter(|l| l.value > c.crp_acute_phase_above)
    }

    /// The newest phosphate, when it is low and no older than the staleness limit.
    pub fn low_phosphate(&self) -> Option<&'a LabResult> {
        self.newest(LabTest::Phosphate).filter(|l| {
            l.value < self.common.phosphate_low_below
                && self.days_since(l.date) <= self.common.lab_stale_after_days
        })
    }

    /// The newest eGFR when it is below the kidney dosing limit.
    pub fn low_egfr(&self) -> Option<&'a LabResult> {
        self.newest(LabTest::Egfr)
            .filter(|l| l.value < self.common.egfr_renal_dosing_below)
    }
}

/// Infusions on or before `as_of` from `iron_treatments` and from IV iron
/// products in `medications` (on their `started` date, response unknown), and
/// the IV iron medicines whose date is not known.
/// Iron given up to a date, wherever the record wrote it: infusions and oral
/// courses from `iron_treatments`, and iron products on the medicine list
/// (a dated IV product is an infusion on its start date; a dated oral product
/// a course). Renderers (charts, letters) show this instead of reading the
/// record's own lists, so that iron written as a medicine is never invisible.
#[derive(Debug, Clone, PartialEq)]
pub struct IronGiven<'a> {
    /// Infusions on or before the date, oldest first.
    pub infusions: Vec<IvInfusion>,
    /// Oral courses started on or before the date, oldest first.
    pub oral_courses: Vec<OralCourse>,
    /// IV iron on the medicine list with no start date (it may be recent).
    pub undated_infusions: Vec<&'a Medication>,
    /// Current oral iron on the medicine list with no start date.
    pub undated_oral: Vec<&'a Medication>,
}

/// The recorded condition a dopaminergic medicine treats, when it is taken
/// for another disease (Parkinson's disease, prolactinoma, ...): then it is
/// not an RLS treatment (RULES.md, dopaminergic drugs taken for another
/// disease). Its label, from the catalogue.
pub fn other_disease_for<'k>(
    record: &Record,
    med: &Medication,
    knowledge: &'k Knowledge,
) -> Option<&'k str> {
    record.conditions.iter().find_map(|c| {
        let entry = knowledge.condition(&c.name)?;
        let treats = med.ingredients.iter().any(|(generic, class)| {
            (matches!(class.effect, Effect::DopamineAgonist | Effect::Levodopa))
                && entry
                    .treated_with
                    .iter()
                    .any(|t| t == generic || *t == class.id)
        });
        treats.then_some(entry.label.as_str())
    })
}

/// See [`IronGiven`].
pub fn iron_given(record: &Record, as_of: NaiveDate) -> IronGiven<'_> {
    let (infusions, undated_infusions) = iron_infusions(record, as_of);
    let (oral_courses, undated_oral) = oral_iron_courses(record, as_of);
    IronGiven {
        infusions,
        oral_courses,
        undated_infusions,
        undated_oral,
    }
}

fn iron_infusions(record: &Record, as_of: NaiveDate) -> (Vec<IvInfusion>, Vec<&Medication>) {
    let mut infusions: Vec<IvInfusion> = record
        .infusions
        .iter()
        .filter(|i| i.date <= as_of)
        .cloned()
        .collect();
    let mut undated = Vec::new();
    for med in record.medications.iter().filter(|m| is_iron(m, "iv-iron")) {
        match med.started {
            Some(day) if day <= as_of => {
                let recorded = infusions.iter().any(|i| i.date == day);
                if !recorded {
                    infusions.push(IvInfusion {
                        product: Some(med.name.clone()),
                        dose_mg: None,
                        date: day,
                        response: None,
                    });
                }
            }
            Some(_) => {}
            None => undated.push(med),
        }
    }
    infusions.sort_by_key(|i| i.date);
    (infusions, undated)
}

/// Oral iron courses started on or before `as_of` from `iron_treatments` and
/// from oral iron in `medications`, and the current oral iron medicines whose
/// start is not known.
fn oral_iron_courses(record: &Record, as_of: NaiveDate) -> (Vec<OralCourse>, Vec<&Medication>) {
    let mut courses: Vec<OralCourse> = record
        .oral_courses
        .iter()
        .filter(|c| c.started <= as_of)
        .cloned()
        .collect();
    let mut undated = Vec::new();
    for med in record
        .medications
        .iter()
        .filter(|m| is_iron(m, "oral-iron"))
    {
        match med.started {
            Some(day) if day <= as_of => courses.push(OralCourse {
                product: Some(med.name.clone()),
                elemental_mg: None,
                started: day,
                stopped: med.stopped,
                schedule: None,
                outcome: med.outcome,
            }),
            Some(_) => {}
            None if med.stopped.is_none_or(|s| s > as_of) => undated.push(med),
            None => {}
        }
    }
    courses.sort_by_key(|c| c.started);
    (courses, undated)
}

fn is_iron(med: &Medication, class_id: &str) -> bool {
    med.classes().any(|c| c.id == class_id)
}

/// Whole years between `birth` and `day`; `None` if born after `day`.
pub fn age_on(birth: NaiveDate, day: NaiveDate) -> Option<u32> {
    let mut years = day.year() - birth.year();
    if (day.month(), day.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// Pathway, first match wins: pregnancy, dialysis, pediatric, adult.
/// Sources: picchietti-2015, aasm-2024 (ESRD), irlssg-2018 (children).
fn pathway(record: &Record, age: Option<u32>, common: &Common) -> Pathway {
    if record.patient.pregnancy_weeks.is_some()
        || record.has_condition_role(ConditionRole::Pregnancy)
    {
        Pathway::Pregnancy
    } else if record.patient.dialysis == Some(true)
        || record.has_condition_role(ConditionRole::EndStageKidney)
    {
        Pathway::Dialysis
    } else if age.is_some_and(|a| a < common.adult_age_years) {
        Pathway::Pediatric
    } else {
        Pathway::Adult
    }
}

/// IRLSSG 2014: all five criteria → likely RLS; any "no" → not met; else
/// incomplete. A diagnosis recorded by a clinician (condition
/// `restless-legs-syndrome`) counts as likely RLS unless a criterion is "no".
fn diagnosis(symptoms: &Symptoms, common: &Common, clinician_diagnosis: bool) -> Diagnosis {
    let named = symptoms.criteria.named();
    let unmet: Vec<String> = named
        .iter()
        .filter(|(_, v)| *v == Some(false))
        .map(|(n, _)| n.to_string())
        .collect();
    let unknown: Vec<String> = named
        .iter()
        .filter(|(_, v)| v.is_none())
        .map(|(n, _)| n.to_string())
        .collect();
    let status = if !unmet.is_empty() {
        DiagnosisStatus::CriteriaNotMet
    } else if clinician_diagnosis {
        DiagnosisStatus::LikelyRls
    } else if !unknown.is_empty() {
        DiagnosisStatus::Incomplete
    } else {
        DiagnosisStatus::LikelyRls
    };
    let course = symptoms.days_per_week.map(|d| {
        if d >= common.chronic_persistent_days_per_week {
            "chronic-persistent".to_string()
        } else {
            "intermittent".to_string()
        }
    });
    // A clinician's diagnosis asks for none of the criteria.
    let unknown = if clinician_diagnosis && unmet.is_empty() {
        Vec::new()
    } else {
        unknown
    };
    Diagnosis {
        status,
        unmet,
        unknown,
        course,
        recorded_by_clinician: clinician_diagnosis,
    }
}

/// IRLS bands (irls-2003): 0 none, 1–10 mild, 11–20 moderate, 21–30 severe,
/// 31–40 very severe. Significant: IRLS ≥ 11, or without IRLS ≥ 2 days a week.
fn severity(symptoms: &Symptoms, common: &Common) -> Severity {
    let band = symptoms.irls_total.map(|t| match t {
        0 => SeverityBand::None,
        1..=10 => SeverityBand::Mild,
        11..=20 => SeverityBand::Moderate,
        21..=30 => SeverityBand::Severe,
        _ => SeverityBand::VerySevere,
    });
    let clinically_significant = match (symptoms.irls_total, symptoms.days_per_week) {
        (Some(t), _) => Some(t >= common.irls_significant_from),
        (None, Some(d)) => Some(d >= common.chronic_persistent_days_per_week),
        (None, None) => None,
    };
    Severity {
        irls_total: symptoms.irls_total,
        band,
        clinically_significant,
    }
}

/// The newest ferritin on or before `as_of` that was not drawn within the
/// post-infusion blind window, with a TSAT from within the pairing window.
fn panel<'a>(
    record: &'a Record,
    as_of: NaiveDate,
    common: &Common,
    infusions: &[IvInfusion],
) -> Panel<'a> {
    let in_blind_window = |day: NaiveDate| soon_after_infusion(infusions, day);
    let known = |test: LabTest| {
        record
            .labs
            .iter()
            .filter(move |l| l.test == test && l.date <= as_of)
    };
    let mut skipped = Vec::new();
    let mut ferritin = None;
    for lab in known(LabTest::Ferritin).rev() {
        if in_blind_window(lab.date) {
            skipped.push(lab);
        } else {
            ferritin = Some(lab);
            break;
        }
    }
    let Some(f) = ferritin else {
        return Panel {
            skipped_post_infusion: skipped,
            ..Panel::default()
        };
    };
    let series = tsat_series(record, as_of);
    let paired = paired_tsat(&series, f.date, |r| !in_blind_window(r.date));
    // A derived TSAT above 100 % cannot be real: it is reported, never used.
    let (tsat, implausible) = match paired {
        Some(t) if !t.plausible() => (None, Some(t)),
        other => (other, None),
    };
    Panel {
        implausible,
        ferritin: Some(f),
        tsat,
        stale: (as_of - f.date).num_days() > common.lab_stale_after_days,
        before_last_infusion: infusions.last().is_some_and(|i| f.date < i.date),
        skipped_post_infusion: skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::{capitalise, show};

    #[test]
    fn capitalise_first_letter() {
        assert_eq!(capitalise("ferritin".into()), "Ferritin");
        assert_eq!(capitalise("élan".into()), "Élan");
        assert_eq!(capitalise(String::new()), "");
    }

    #[test]
    fn show_rounds_to_one_decimal() {
        assert_eq!(show(45.0), "45");
        assert_eq!(show(17.74), "17.7");
        assert_eq!(show(17.75), "17.8");
        assert_eq!(show(299.96), "300");
        assert_eq!(show(0.04), "0");
        assert_eq!(show(-2.5), "-2.5");
    }
}
