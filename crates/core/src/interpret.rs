//! What a renderer shows beside a result, decided once here so that the
//! plan, the chart and the letter cannot disagree:
//!
//! - [`tsat_series`]: every TSAT of a record, given by the lab or derived from
//!   iron with TIBC (or transferrin) drawn on the same day, with its basis and
//!   the labs it comes from. `assess` pairs the panel's TSAT from this series
//!   ([`paired_tsat`]); the iron chart draws it.
//! - [`interpret`]: a ferritin, TSAT or vitamin result against the RLS aim of
//!   the pathway under a guideline profile.
//! - [`iron_thresholds`]: the ferritin and TSAT values the iron rules compare
//!   against, for a chart's threshold lines.
//!
//! Every number comes from `knowledge/thresholds.toml`.

use chrono::NaiveDate;

use crate::assessment::Pathway;
use crate::knowledge::{Knowledge, Profile};
use crate::record::{IvInfusion, LabResult, Record};
use crate::units::LabTest;

/// Micromoles of iron that one gram of transferrin binds: TSAT from iron and
/// transferrin is iron (µmol/L) ÷ (transferrin (g/L) × 25.1) × 100.
pub const TRANSFERRIN_BINDS_UMOL_PER_G: f64 = 25.1;

/// Where a TSAT comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsatBasis {
    /// Reported by the laboratory.
    Given,
    /// Iron ÷ TIBC × 100, both drawn on the same day.
    IronAndTibc,
    /// Iron ÷ (transferrin × 25.1) × 100, both drawn on the same day.
    IronAndTransferrin,
}

impl TsatBasis {
    pub fn is_derived(self) -> bool {
        self != TsatBasis::Given
    }

    /// As `Assessment.iron.tsat_basis` writes it: `given`,
    /// `derived from iron and TIBC`, `derived from iron and transferrin`.
    pub fn words(self) -> &'static str {
        match self {
            TsatBasis::Given => "given",
            TsatBasis::IronAndTibc => "derived from iron and TIBC",
            TsatBasis::IronAndTransferrin => "derived from iron and transferrin",
        }
    }
}

/// One TSAT: its date, value (%), basis and the labs it comes from (the TSAT
/// itself, or iron then TIBC or transferrin).
#[derive(Debug, Clone, PartialEq)]
pub struct TsatReading<'a> {
    pub date: NaiveDate,
    pub percent: f64,
    pub basis: TsatBasis,
    pub inputs: Vec<&'a LabResult>,
}

impl TsatReading<'_> {
    pub fn derived(&self) -> bool {
        self.basis.is_derived()
    }

    /// A value that can be real: a given TSAT (its plausible range was
    /// checked on input), or a derived one not above `tsat_implausible_above`
    /// (100 %). An implausible one is reported by `assess`
    /// (`warn.labs-implausible`), never used, and not drawn.
    pub fn plausible(&self) -> bool {
        !self.derived()
            || (self.percent.is_finite()
                && self.percent <= Knowledge::get().common.tsat_implausible_above)
    }
}

/// TSAT from an iron result with TIBC (preferred) or transferrin, dated on
/// the iron's date; `None` without either. The caller chooses the labs: in
/// [`tsat_series`], drawn on the same day.
pub fn derive_tsat<'a>(
    iron: &'a LabResult,
    tibc: Option<&'a LabResult>,
    transferrin: Option<&'a LabResult>,
) -> Option<TsatReading<'a>> {
    if let Some(tibc) = tibc {
        return Some(TsatReading {
            date: iron.date,
            percent: iron.value / tibc.value * 100.0,
            basis: TsatBasis::IronAndTibc,
            inputs: vec![iron, tibc],
        });
    }
    let transferrin = transferrin?;
    Some(TsatReading {
        date: iron.date,
        percent: iron.value / (transferrin.value * TRANSFERRIN_BINDS_UMOL_PER_G) * 100.0,
        basis: TsatBasis::IronAndTransferrin,
        inputs: vec![iron, transferrin],
    })
}

/// Every TSAT of `record` on or before `as_of`, oldest first: each TSAT the
/// lab reported, and for each iron result on a day without a reported TSAT,
/// the TSAT derived with the first TIBC of that day, else the first
/// transferrin of that day. The one pairing rule: `assess` and the iron chart
/// both read TSAT from here. Implausible derived values are included
/// ([`TsatReading::plausible`] says which).
pub fn tsat_series(record: &Record, as_of: NaiveDate) -> Vec<TsatReading<'_>> {
    let labs = || record.labs.iter().filter(move |l| l.date <= as_of);
    let on = |test: LabTest, day: NaiveDate| labs().find(|l| l.test == test && l.date == day);
    let mut series: Vec<TsatReading> = labs()
        .filter(|l| l.test == LabTest::Tsat)
        .map(|l| TsatReading {
            date: l.date,
            percent: l.value,
            basis: TsatBasis::Given,
            inputs: vec![l],
        })
        .collect();
    for iron in labs().filter(|l| l.test == LabTest::Iron) {
        if on(LabTest::Tsat, iron.date).is_some() {
            continue;
        }
        let tibc = on(LabTest::Tibc, iron.date);
        let transferrin = on(LabTest::Transferrin, iron.date);
        series.extend(derive_tsat(iron, tibc, transferrin));
    }
    series.sort_by_key(|r| r.date);
    series
}

/// The TSAT that goes with a ferritin drawn on `ferritin_date`: from
/// `series`, the readings within `tsat_pairing_days` of it for which `usable`
/// holds; a reported TSAT before a derived one, then the closest, then the
/// newer.
pub fn paired_tsat<'a>(
    series: &[TsatReading<'a>],
    ferritin_date: NaiveDate,
    usable: impl Fn(&TsatReading<'a>) -> bool,
) -> Option<TsatReading<'a>> {
    let window = Knowledge::get().common.tsat_pairing_days;
    let distance = |r: &TsatReading| (r.date - ferritin_date).num_days().abs();
    series
        .iter()
        .filter(|r| distance(r) <= window && usable(r))
        .min_by_key(|r| (r.derived(), distance(r), std::cmp::Reverse(r.date)))
        .cloned()
}

/// Drawn within `post_infusion_blind_days` (28) from the day of one of
/// `infusions`: iron values then read falsely high, and the plan does not act
/// on them. The one rule for `assess` and for the chart's rings.
pub fn soon_after_infusion(infusions: &[IvInfusion], day: NaiveDate) -> bool {
    let window = Knowledge::get().common.post_infusion_blind_days;
    infusions
        .iter()
        .any(|i| (0..window).contains(&(day - i.date).num_days()))
}

/// A result against an RLS aim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Below,
    Within,
    Above,
}

/// The RLS aim a result is compared with, in the test's canonical unit:
/// from `low` (inclusive) up to `high` (exclusive); either end may be open.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RlsTarget {
    pub low: Option<f64>,
    pub high: Option<f64>,
    pub unit: &'static str,
}

/// What a result means for RLS care under a profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Interpretation {
    /// The aim compared against; `None` for a limit that is not an aim
    /// (vitamin deficiency).
    pub rls_target: Option<RlsTarget>,
    pub position: Position,
    /// The result needs attention (below the aim, or too high for iron).
    pub attention: bool,
    /// In plain words, lower case, e.g. "below the 75–100 µg/L that RLS
    /// guidelines aim for".
    pub words: String,
    /// Where the aim comes from.
    pub sources: Vec<String>,
}

/// `value` (canonical unit) of `test` against the RLS aim of `pathway` under
/// `profile`. Ferritin: adults and pregnancy 75–100 µg/L (below or at 75:
/// below; under 100: the lower edge), children the profile's
/// `pediatric_oral_below`, dialysis `dialysis_ferritin_below`. TSAT: at or
/// above `tsat_never_iron_from` no iron; below the AASM 2024 floor (20 %)
/// below the aim; children have no TSAT aim. Vitamins D, B12 and folate:
/// low below their deficiency limit. `None` for other tests, and for a
/// child's TSAT below the no-iron limit.
pub fn interpret(
    test: LabTest,
    value: f64,
    pathway: Pathway,
    profile: Profile,
) -> Option<Interpretation> {
    let k = Knowledge::get();
    let c = &k.common;
    let p = k.profile(profile);
    let aim_sources = || k.text("test.iron-panel").sources.clone();
    let unit = test.canonical_unit();
    let at = |low: Option<f64>, high: Option<f64>| Some(RlsTarget { low, high, unit });
    let make = |rls_target, position, attention, words: String, sources| Interpretation {
        rls_target,
        position,
        attention,
        words,
        sources,
    };
    Some(match test {
        LabTest::Ferritin => match pathway {
            Pathway::Pediatric => {
                let aim = p.pediatric_oral_below;
                let target = at(Some(aim), None);
                if value < aim {
                    make(
                        target,
                        Position::Below,
                        true,
                        format!(
                            "below the {} µg/L that RLS guidelines aim for in children",
                            num(aim)
                        ),
                        aim_sources(),
                    )
                } else {
                    make(
                        target,
                        Position::Within,
                        false,
                        format!(
                            "at or above the {} µg/L that RLS guidelines aim for in children",
                            num(aim)
                        ),
                        aim_sources(),
                    )
                }
            }
            Pathway::Dialysis => {
                let limit = c.dialysis_ferritin_below;
                let target = at(Some(limit), None);
                if value < limit {
                    make(
                        target,
                        Position::Below,
                        true,
                        format!(
                            "below {} µg/L: on dialysis, RLS guidelines suggest IV iron when TSAT is also below {} %",
                            num(limit),
                            num(c.dialysis_tsat_below)
                        ),
                        aim_sources(),
                    )
                } else {
                    make(
                        target,
                        Position::Within,
                        false,
                        format!(
                            "at or above the {} µg/L used for RLS on dialysis",
                            num(limit)
                        ),
                        aim_sources(),
                    )
                }
            }
            Pathway::Adult | Pathway::Pregnancy => {
                let (low, high) = (c.oral_alternate_day_above, c.oral_continue_below);
                let band = format!("{}–{} µg/L", num(low), num(high));
                let target = at(Some(low), Some(high));
                if value <= low {
                    make(
                        target,
                        Position::Below,
                        true,
                        format!("below the {band} that RLS guidelines aim for"),
                        aim_sources(),
                    )
                } else if value < high {
                    make(
                        target,
                        Position::Within,
                        true,
                        format!("at the lower edge of the {band} that RLS guidelines aim for"),
                        aim_sources(),
                    )
                } else {
                    make(
                        target,
                        Position::Above,
                        false,
                        format!("above the {band} that RLS guidelines aim for"),
                        aim_sources(),
                    )
                }
            }
        },
        LabTest::Tsat => {
            let never = c.tsat_never_iron_from;
            // The TSAT floor the guidelines name: AASM 2024's "TSAT below
            // 20 %" trigger for iron, which the dialysis rule shares.
            let floor = k
                .profile(Profile::Aasm2024)
                .oral_also_when_tsat_below
                .unwrap_or(c.dialysis_tsat_below);
            let target = at(Some(floor), Some(never));
            if value >= never {
                make(
                    target,
                    Position::Above,
                    true,
                    format!(
                        "at or above {} %: RLS guidelines advise no iron",
                        num(never)
                    ),
                    aim_sources(),
                )
            } else if pathway == Pathway::Pediatric {
                // The paediatric rules use ferritin only; no TSAT aim is claimed.
                return None;
            } else if value < floor {
                let who = if pathway == Pathway::Dialysis {
                    "RLS guidelines on dialysis"
                } else {
                    "RLS guidelines"
                };
                make(
                    target,
                    Position::Below,
                    true,
                    format!("below the {} % that {who} aim for", num(floor)),
                    aim_sources(),
                )
            } else {
                make(
                    target,
                    Position::Within,
                    false,
                    format!(
                        "meets the RLS aim ({} % or more; no iron at {} % or more)",
                        num(floor),
                        num(never)
                    ),
                    aim_sources(),
                )
            }
        }
        LabTest::VitaminD | LabTest::VitaminB12 | LabTest::Folate => {
            let (limit, key) = match test {
                LabTest::VitaminD => (c.vitamin_d_low_below, "vitamin.d"),
                LabTest::VitaminB12 => (c.vitamin_b12_low_below, "vitamin.b12"),
                _ => (c.folate_low_below, "vitamin.folate"),
            };
            let sources = k.text(key).sources.clone();
            if value < limit {
                make(
                    None,
                    Position::Below,
                    true,
                    format!("low: below {} {unit}", num(limit)),
                    sources,
                )
            } else {
                make(
                    None,
                    Position::Within,
                    false,
                    format!("not low ({} {unit} or more)", num(limit)),
                    sources,
                )
            }
        }
        _ => return None,
    })
}

/// The ferritin (µg/L) and TSAT (%) values the iron rules compare against,
/// ascending, for a chart's threshold lines.
#[derive(Debug, Clone, PartialEq)]
pub struct IronThresholds {
    pub ferritin: Vec<f64>,
    pub tsat: Vec<f64>,
}

/// Every profile's oral and IV ferritin limits, the alternate-day and "oral
/// stops helping" ferritin, every profile's TSAT limits for IV and oral iron,
/// and the TSAT at which iron is never given (today: ferritin 75, 100, 300;
/// TSAT 20, 45).
pub fn iron_thresholds() -> IronThresholds {
    let k = Knowledge::get();
    let mut ferritin = vec![
        k.common.oral_alternate_day_above,
        k.common.oral_continue_below,
    ];
    let mut tsat = vec![k.common.tsat_never_iron_from];
    for p in k.profiles.values() {
        ferritin.push(p.iv_ferritin_below);
        ferritin.push(p.oral_ferritin_at_most);
        tsat.extend(p.iv_also_when_tsat_below);
        tsat.extend(p.oral_also_when_tsat_below);
    }
    for list in [&mut ferritin, &mut tsat] {
        list.retain(|v| v.is_finite());
        list.sort_by(f64::total_cmp);
        list.dedup();
    }
    IronThresholds { ferritin, tsat }
}

/// "75", "17.7": a number in words.
fn num(value: f64) -> String {
    crate::assess::show(value)
}
