//! Typical adult laboratory reference ranges, for the letter's "typical
//! laboratory range" column only.
//!
//! Willis does not know the range printed by the person's own laboratory, and
//! no rule uses these numbers: they only let the letter say "in the typical
//! range, but below what RLS guidelines aim for". They are the usual adult
//! ranges of general laboratory tables, given in the unit the result was
//! reported in, so no conversion or rounding is involved. Ranges differ
//! between laboratories; the letter labels the column accordingly.

use willis_core::record::Sex;
use willis_core::units::LabTest;

/// A typical range in one unit: `low` and/or `high` bound (inclusive).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Where a value falls against a [`Range`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    Below,
    Within,
    Above,
}

impl Range {
    pub fn position(&self, value: f64) -> Position {
        match (self.low, self.high) {
            (Some(low), _) if value < low => Position::Below,
            (_, Some(high)) if value > high => Position::Above,
            _ => Position::Within,
        }
    }

    /// "15–150 µg/L", "below 5 mg/L", "90 or above".
    pub fn words(&self, unit: &str) -> String {
        match (self.low, self.high) {
            (Some(low), Some(high)) => format!("{}–{} {unit}", num(low), num(high)),
            (None, Some(high)) => format!("below {} {unit}", num(high)),
            (Some(low), None) => format!("{} {unit} or above", num(low)),
            (None, None) => String::new(),
        }
    }
}

/// A number as people write it: no trailing zeros.
pub fn num(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".to_string()
    } else {
        text.to_string()
    }
}

/// Which sex a row applies to; `Any` rows apply to everyone.
#[derive(Clone, Copy, PartialEq)]
enum Who {
    Any,
    Female,
    Male,
}

/// (test, unit as normalised by `units::normalise_unit`, who, low, high).
type Row = (LabTest, &'static str, Who, Option<f64>, Option<f64>);

const TABLE: &[Row] = &[
    (
        LabTest::Ferritin,
        "µg/L",
        Who::Female,
        Some(15.0),
        Some(150.0),
    ),
    (
        LabTest::Ferritin,
        "µg/L",
        Who::Male,
        Some(15.0),
        Some(200.0),
    ),
    (
        LabTest::Ferritin,
        "ng/mL",
        Who::Female,
        Some(15.0),
        Some(150.0),
    ),
    (
        LabTest::Ferritin,
        "ng/mL",
        Who::Male,
        Some(15.0),
        Some(200.0),
    ),
    (LabTest::Tsat, "%", Who::Any, Some(20.0), Some(50.0)),
    (LabTest::Iron, "µmol/L", Who::Any, Some(10.0), Some(30.0)),
    (LabTest::Iron, "µg/dL", Who::Any, Some(60.0), Some(170.0)),
    (LabTest::Tibc, "µmol/L", Who::Any, Some(45.0), Some(72.0)),
    (LabTest::Tibc, "µg/dL", Who::Any, Some(250.0), Some(400.0)),
    (LabTest::Transferrin, "g/L", Who::Any, Some(2.0), Some(3.6)),
    (
        LabTest::Transferrin,
        "mg/dL",
        Who::Any,
        Some(200.0),
        Some(360.0),
    ),
    (
        LabTest::Hemoglobin,
        "g/dL",
        Who::Female,
        Some(12.0),
        Some(15.5),
    ),
    (
        LabTest::Hemoglobin,
        "g/dL",
        Who::Male,
        Some(13.5),
        Some(17.5),
    ),
    (
        LabTest::Hemoglobin,
        "g/L",
        Who::Female,
        Some(120.0),
        Some(155.0),
    ),
    (
        LabTest::Hemoglobin,
        "g/L",
        Who::Male,
        Some(135.0),
        Some(175.0),
    ),
    (
        LabTest::Hemoglobin,
        "mmol/L",
        Who::Female,
        Some(7.4),
        Some(9.6),
    ),
    (
        LabTest::Hemoglobin,
        "mmol/L",
        Who::Male,
        Some(8.4),
        Some(10.9),
    ),
    (LabTest::Crp, "mg/L", Who::Any, None, Some(5.0)),
    (LabTest::Crp, "mg/dL", Who::Any, None, Some(0.5)),
    (LabTest::VitaminD, "ng/mL", Who::Any, Some(20.0), Some(50.0)),
    (LabTest::VitaminD, "µg/L", Who::Any, Some(20.0), Some(50.0)),
    (
        LabTest::VitaminD,
        "nmol/L",
        Who::Any,
        Some(50.0),
        Some(125.0),
    ),
    (
        LabTest::VitaminB12,
        "pg/mL",
        Who::Any,
        Some(200.0),
        Some(900.0),
    ),
    (
        LabTest::VitaminB12,
        "ng/L",
        Who::Any,
        Some(200.0),
        Some(900.0),
    ),
    (
        LabTest::VitaminB12,
        "pmol/L",
        Who::Any,
        Some(148.0),
        Some(664.0),
    ),
    (LabTest::Folate, "ng/mL", Who::Any, Some(3.0), Some(17.0)),
    (LabTest::Folate, "µg/L", Who::Any, Some(3.0), Some(17.0)),
    (LabTest::Folate, "nmol/L", Who::Any, Some(6.8), Some(38.5)),
    (LabTest::Phosphate, "mmol/L", Who::Any, Some(0.8), Some(1.5)),
    (LabTest::Phosphate, "mg/dL", Who::Any, Some(2.5), Some(4.5)),
    (LabTest::Egfr, "mL/min/1.73m2", Who::Any, Some(90.0), None),
    (
        LabTest::Creatinine,
        "µmol/L",
        Who::Female,
        Some(45.0),
        Some(90.0),
    ),
    (
        LabTest::Creatinine,
        "µmol/L",
        Who::Male,
        Some(60.0),
        Some(110.0),
    ),
    (
        LabTest::Creatinine,
        "mg/dL",
        Who::Female,
        Some(0.5),
        Some(1.0),
    ),
    (
        LabTest::Creatinine,
        "mg/dL",
        Who::Male,
        Some(0.7),
        Some(1.2),
    ),
];

/// The typical adult range of `test` in `unit` (normalised) for a person of
/// `sex`. When the range depends on sex and the sex is unknown, the widest
/// range of the two is given.
pub fn typical(test: LabTest, unit: &str, sex: Option<Sex>) -> Option<Range> {
    let rows: Vec<_> = TABLE
        .iter()
        .filter(|(t, u, _, _, _)| *t == test && *u == unit)
        .collect();
    let wanted = match sex {
        Some(Sex::Female) => Who::Female,
        Some(Sex::Male) => Who::Male,
        None => Who::Any,
    };
    if let Some((.., low, high)) = rows
        .iter()
        .find(|(_, _, who, _, _)| *who == wanted || *who == Who::Any)
    {
        return Some(Range {
            low: *low,
            high: *high,
        });
    }
    // Sex unknown and the range depends on it: the union of both.
    let low = rows
        .iter()
        .filter_map(|r| r.3)
        .min_by(|a, b| a.total_cmp(b));
    let high = rows
        .iter()
        .filter_map(|r| r.4)
        .max_by(|a, b| a.total_cmp(b));
    (!rows.is_empty()).then_some(Range { low, high })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_accepted_unit_has_a_range() {
        for test in LabTest::ALL {
            let units = test.accepted_units();
            for unit in units
                .split([',', ' '])
                .filter(|u| u.contains('/') || *u == "%")
            {
                let unit = willis_core::units::normalise_unit(unit);
                assert!(
                    typical(test, &unit, Some(Sex::Female)).is_some(),
                    "{test} in {unit}"
                );
            }
        }
    }

    #[test]
    fn ferritin_depends_on_sex_and_widens_when_unknown() {
        let f = typical(LabTest::Ferritin, "µg/L", Some(Sex::Female)).unwrap();
        assert_eq!(f.words("µg/L"), "15–150 µg/L");
        let m = typical(LabTest::Ferritin, "ng/mL", Some(Sex::Male)).unwrap();
        assert_eq!(m.words("ng/mL"), "15–200 ng/mL");
        let any = typical(LabTest::Ferritin, "µg/L", None).unwrap();
        assert_eq!(any.words("µg/L"), "15–200 µg/L");
        assert_eq!(f.position(45.0), Position::Within);
        assert_eq!(f.position(10.0), Position::Below);
        assert_eq!(f.position(151.0), Position::Above);
    }

    #[test]
    fn open_ranges_read_naturally() {
        let crp = typical(LabTest::Crp, "mg/L", None).unwrap();
        assert_eq!(crp.words("mg/L"), "below 5 mg/L");
        let egfr = typical(LabTest::Egfr, "mL/min/1.73m2", None).unwrap();
        assert_eq!(egfr.words("mL/min/1.73m2"), "90 mL/min/1.73m2 or above");
        assert_eq!(num(1.50), "1.5");
        assert_eq!(num(120.0), "120");
    }
}
