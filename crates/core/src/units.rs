//! Lab tests, the units each accepts, conversion to one canonical unit, and the
//! range of values that can be real.
//!
//! Conversion factors (molar masses) are in the project's interop notes; they match
//! the usual laboratory tables: vitamin D ng/mL × 2.496 = nmol/L, B12 pg/mL × 0.738 =
//! pmol/L, folate ng/mL × 2.266 = nmol/L, iron µg/dL × 0.1791 = µmol/L, phosphate
//! mg/dL × 0.3229 = mmol/L, creatinine mg/dL × 88.42 = µmol/L, haemoglobin
//! g/dL × 0.6206 = mmol/L.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A blood test Willis understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabTest {
    Ferritin,
    Tsat,
    Iron,
    Tibc,
    Transferrin,
    Hemoglobin,
    Crp,
    VitaminD,
    VitaminB12,
    Folate,
    Phosphate,
    Egfr,
    Creatinine,
}

impl LabTest {
    pub const ALL: [LabTest; 13] = [
        LabTest::Ferritin,
        LabTest::Tsat,
        LabTest::Iron,
        LabTest::Tibc,
        LabTest::Transferrin,
        LabTest::Hemoglobin,
        LabTest::Crp,
        LabTest::VitaminD,
        LabTest::VitaminB12,
        LabTest::Folate,
        LabTest::Phosphate,
        LabTest::Egfr,
        LabTest::Creatinine,
    ];

    /// The name used in record files.
    pub fn name(self) -> &'static str {
        match self {
            LabTest::Ferritin => "ferritin",
            LabTest::Tsat => "tsat",
            LabTest::Iron => "iron",
            LabTest::Tibc => "tibc",
            LabTest::Transferrin => "transferrin",
            LabTest::Hemoglobin => "hemoglobin",
            LabTest::Crp => "crp",
            LabTest::VitaminD => "vitamin_d",
            LabTest::VitaminB12 => "vitamin_b12",
            LabTest::Folate => "folate",
            LabTest::Phosphate => "phosphate",
            LabTest::Egfr => "egfr",
            LabTest::Creatinine => "creatinine",
        }
    }

    /// A name for people.
    pub fn label(self) -> &'static str {
        match self {
            LabTest::Ferritin => "ferritin",
            LabTest::Tsat => "TSAT",
            LabTest::Iron => "serum iron",
            LabTest::Tibc => "TIBC",
            LabTest::Transferrin => "transferrin",
            LabTest::Hemoglobin => "haemoglobin",
            LabTest::Crp => "CRP",
            LabTest::VitaminD => "vitamin D (25-OH)",
            LabTest::VitaminB12 => "vitamin B12",
            LabTest::Folate => "folate",
            LabTest::Phosphate => "phosphate",
            LabTest::Egfr => "eGFR",
            LabTest::Creatinine => "creatinine",
        }
    }

    /// The unit every value of this test is stored and compared in.
    pub fn canonical_unit(self) -> &'static str {
        self.units()[0].0
    }

    /// Accepted unit spellings (after normalisation) and the factor that turns a
    /// value in that unit into the canonical unit. The first entry is canonical.
    fn units(self) -> &'static [(&'static str, f64)] {
        match self {
            LabTest::Ferritin => &[("µg/L", 1.0), ("ng/mL", 1.0)],
            LabTest::Tsat => &[("%", 1.0)],
            LabTest::Iron | LabTest::Tibc => &[("µmol/L", 1.0), ("µg/dL", 0.1791)],
            LabTest::Transferrin => &[("g/L", 1.0), ("mg/dL", 0.01)],
            LabTest::Hemoglobin => &[("g/dL", 1.0), ("g/L", 0.1), ("mmol/L", 1.0 / 0.6206)],
            LabTest::Crp => &[("mg/L", 1.0), ("mg/dL", 10.0)],
            LabTest::VitaminD => &[("ng/mL", 1.0), ("nmol/L", 1.0 / 2.496), ("µg/L", 1.0)],
            LabTest::VitaminB12 => &[("pg/mL", 1.0), ("pmol/L", 1.355), ("ng/L", 1.0)],
            LabTest::Folate => &[("ng/mL", 1.0), ("nmol/L", 1.0 / 2.266), ("µg/L", 1.0)],
            LabTest::Phosphate => &[("mg/dL", 1.0), ("mmol/L", 3.097)],
            LabTest::Egfr => &[("mL/min/1.73m2", 1.0)],
            LabTest::Creatinine => &[("µmol/L", 1.0), ("mg/dL", 88.42)],
        }
    }

    /// The accepted units, for error messages: "ng/mL, µg/L or ug/L".
    pub fn accepted_units(self) -> String {
        let mut names: Vec<String> = Vec::new();
        for (unit, _) in self.units() {
            names.push((*unit).to_string());
            if unit.contains('µ') {
                names.push(unit.replace('µ', "u"));
            }
        }
        match names.len() {
            1 => names.remove(0),
            n => format!("{} or {}", names[..n - 1].join(", "), names[n - 1]),
        }
    }

    /// Values (canonical unit) that a real result can take. Anything outside is a
    /// typing mistake or a unit mix-up, and is refused.
    pub fn plausible_range(self) -> (f64, f64) {
        match self {
            LabTest::Ferritin => (0.0, 100_000.0),
            LabTest::Tsat => (0.0, 100.0),
            LabTest::Iron => (0.0, 200.0),
            LabTest::Tibc => (1.0, 250.0),
            LabTest::Transferrin => (0.05, 10.0),
            LabTest::Hemoglobin => (1.0, 25.0),
            LabTest::Crp => (0.0, 1000.0),
            LabTest::VitaminD => (0.0, 400.0),
            LabTest::VitaminB12 => (0.0, 50_000.0),
            LabTest::Folate => (0.0, 200.0),
            LabTest::Phosphate => (0.1, 25.0),
            LabTest::Egfr => (0.0, 250.0),
            LabTest::Creatinine => (5.0, 5000.0),
        }
    }

    /// Converts `value` given in `unit` to the canonical unit.
    pub fn to_canonical(self, value: f64, unit: &str) -> Result<f64, UnitError> {
        let wanted = normalise_unit(unit);
        self.units()
            .iter()
            .find(|(u, _)| *u == wanted)
            .map(|(_, factor)| value * factor)
            .ok_or_else(|| UnitError {
                test: self,
                unit: unit.to_string(),
            })
    }

    /// Converts a canonical value back to `unit` (used for display and round trips).
    pub fn from_canonical(self, value: f64, unit: &str) -> Result<f64, UnitError> {
        let wanted = normalise_unit(unit);
        self.units()
            .iter()
            .find(|(u, _)| *u == wanted)
            .map(|(_, factor)| value / factor)
            .ok_or_else(|| UnitError {
                test: self,
                unit: unit.to_string(),
            })
    }
}

impl fmt::Display for LabTest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for LabTest {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        let key = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        let alias = match key.as_str() {
            "transferrin_saturation" | "tsat_percent" => "tsat",
            "haemoglobin" | "hb" | "hgb" => "hemoglobin",
            "vitamin_d_25_oh" | "25_oh_vitamin_d" | "25ohd" | "vit_d" => "vitamin_d",
            "b12" | "cobalamin" | "vit_b12" => "vitamin_b12",
            "folic_acid" | "serum_folate" => "folate",
            "c_reactive_protein" => "crp",
            "serum_iron" => "iron",
            other => other,
        };
        LabTest::ALL
            .into_iter()
            .find(|t| t.name() == alias)
            .ok_or(())
    }
}

/// A unit that is not one of a test's accepted units.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitError {
    pub test: LabTest,
    pub unit: String,
}

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not a unit for {}; use {}",
            self.unit,
            self.test.name(),
            self.test.accepted_units()
        )
    }
}

/// Maps the spellings people and labs use onto one form: `ug/l`, `mcg/L` and
/// `μg/L` (Greek mu) all become `µg/L`; `percent` becomes `%`.
pub fn normalise_unit(unit: &str) -> String {
    let compact: String = unit.split_whitespace().collect();
    let lower = compact
        .replace('μ', "µ") // Greek small mu to micro sign
        .to_lowercase();
    let lower = lower
        .strip_prefix("mcg")
        .map(|rest| format!("µg{rest}"))
        .unwrap_or(lower);
    let lower = if lower.starts_with("ug") || lower.starts_with("umol") {
        format!("µ{}", &lower[1..])
    } else {
        lower
    };
    match lower.as_str() {
        "%" | "percent" | "pct" => "%".into(),
        "µg/l" => "µg/L".into(),
        "ng/ml" => "ng/mL".into(),
        "µmol/l" => "µmol/L".into(),
        "µg/dl" => "µg/dL".into(),
        "g/l" => "g/L".into(),
        "mg/dl" => "mg/dL".into(),
        "g/dl" => "g/dL".into(),
        "mmol/l" => "mmol/L".into(),
        "mg/l" => "mg/L".into(),
        "nmol/l" => "nmol/L".into(),
        "pg/ml" => "pg/mL".into(),
        "pmol/l" => "pmol/L".into(),
        "ng/l" => "ng/L".into(),
        "ml/min/1.73m2" | "ml/min/1.73m²" | "ml/min/{1.73_m2}" | "ml/min" => {
            "mL/min/1.73m2".into()
        }
        _ => compact,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ferritin_spellings_are_one_unit() {
        for u in [
            "ng/mL", "µg/L", "ug/L", "mcg/L", "μg/L", "NG/ML", " ug / l ",
        ] {
            assert_eq!(LabTest::Ferritin.to_canonical(45.0, u), Ok(45.0), "{u}");
        }
    }

    #[test]
    fn unknown_unit_names_what_is_accepted() {
        let err = LabTest::Ferritin
            .to_canonical(1.0, "mg/furlong")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"mg/furlong\" is not a unit for ferritin; use µg/L, ug/L or ng/mL"
        );
    }

    #[test]
    fn every_test_round_trips_through_every_unit() {
        for test in LabTest::ALL {
            for (unit, _) in test.units() {
                let canonical = test.to_canonical(12.5, unit).unwrap();
                let back = test.from_canonical(canonical, unit).unwrap();
                assert!((back - 12.5).abs() < 1e-9, "{test} {unit}");
            }
        }
    }

    #[test]
    fn known_conversions() {
        let close = |a: f64, b: f64| (a - b).abs() < 0.01;
        assert!(close(
            LabTest::VitaminD.to_canonical(50.0, "nmol/L").unwrap(),
            20.03
        ));
        assert!(close(
            LabTest::VitaminB12.to_canonical(148.0, "pmol/L").unwrap(),
            200.54
        ));
        assert!(close(
            LabTest::Folate.to_canonical(6.8, "nmol/L").unwrap(),
            3.0
        ));
        assert!(close(
            LabTest::Iron.to_canonical(100.0, "ug/dL").unwrap(),
            17.91
        ));
        assert!(close(
            LabTest::Tibc.to_canonical(300.0, "µg/dL").unwrap(),
            53.73
        ));
        assert!(close(
            LabTest::Transferrin.to_canonical(250.0, "mg/dL").unwrap(),
            2.5
        ));
        assert!(close(
            LabTest::Hemoglobin.to_canonical(120.0, "g/L").unwrap(),
            12.0
        ));
        assert!(close(
            LabTest::Hemoglobin.to_canonical(7.45, "mmol/L").unwrap(),
            12.0
        ));
        assert!(close(LabTest::Crp.to_canonical(0.6, "mg/dL").unwrap(), 6.0));
        assert!(close(
            LabTest::Phosphate.to_canonical(1.0, "mmol/L").unwrap(),
            3.097
        ));
        assert!(close(
            LabTest::Creatinine.to_canonical(1.0, "mg/dL").unwrap(),
            88.42
        ));
    }

    #[test]
    fn test_names_and_aliases_parse() {
        assert_eq!("vitamin_d".parse(), Ok(LabTest::VitaminD));
        assert_eq!("Haemoglobin".parse(), Ok(LabTest::Hemoglobin));
        assert_eq!("transferrin-saturation".parse(), Ok(LabTest::Tsat));
        assert_eq!("potassium".parse::<LabTest>(), Err(()));
    }
}
