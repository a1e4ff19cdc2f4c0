//! The Willis code system and extensions: the parts of a `willis-record/1` file
//! that FHIR has no standard home for (see the crate documentation for the
//! list). Written by [`crate::record_to_bundle`], read by
//! [`crate::bundle_to_record`]. None of these codes pretends to be LOINC or
//! SNOMED CT.

/// The Willis code system: `Observation.code` of the symptom questionnaire,
/// sleep, habits, dialysis and diary observations, their components, and the
/// iron-treatment category of a MedicationStatement.
pub const CODE_SYSTEM: &str = "https://willis-rls.org/fhir/CodeSystem/record";

/// The base of the Willis extension URLs.
pub const EXTENSION_BASE: &str = "https://willis-rls.org/fhir/StructureDefinition/";

/// Observation (lab) extension, `valueBoolean`: the blood was drawn fasting.
pub const EXT_FASTING: &str = "https://willis-rls.org/fhir/StructureDefinition/lab-fasting";
/// Observation (lab) extension, `valueBoolean`: the blood was drawn in the morning.
pub const EXT_MORNING: &str = "https://willis-rls.org/fhir/StructureDefinition/lab-morning";
/// MedicationStatement extension, `valueCode`: how a medicine or oral iron
/// course worked (`effective`, `ineffective`, `side-effects`).
pub const EXT_OUTCOME: &str = "https://willis-rls.org/fhir/StructureDefinition/outcome";
/// MedicationStatement (IV iron) extension, `valueCode`: `improved` or `none`.
pub const EXT_IRON_RESPONSE: &str = "https://willis-rls.org/fhir/StructureDefinition/iron-response";
/// Condition extension, `valueString`: the condition's name as the record
/// wrote it (an alias, or a name the catalogue does not know).
pub const EXT_RECORD_NAME: &str = "https://willis-rls.org/fhir/StructureDefinition/record-name";

/// `MedicationStatement.category` of an iron treatment (IV infusion or oral course).
pub const IRON_TREATMENT: &str = "iron-treatment";
/// `medicationCodeableConcept` of an iron treatment whose product is not recorded.
pub const IRON_UNSPECIFIED: &str = "iron";
/// One night of the symptom diary (`effectiveDateTime` = the night's date).
pub const DIARY_NIGHT: &str = "diary-night";
/// The ten IRLS item scores, as components `irls-item-1` … `irls-item-10`.
pub const IRLS_ITEMS: &str = "irls-items";
/// Prefix of the IRLS item components.
pub const IRLS_ITEM_PREFIX: &str = "irls-item-";
/// Gestational age in weeks (`valueQuantity`, `wk`).
pub const PREGNANCY_WEEKS: &str = "pregnancy-weeks";
/// A body part where symptoms are felt (`valueString`, as written); repeats.
pub const BODY_PART: &str = "body-part";

/// Diary components.
pub const SEVERITY: &str = "severity";
pub const ONSET_TIME: &str = "onset-time";
pub const SLEEP_HOURS: &str = "sleep-hours";

/// The value a Willis observation carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `valueBoolean`.
    Boolean,
    /// `valueInteger`.
    Integer,
    /// `valueTime` (`hh:mm:ss`).
    Time,
    /// `valueQuantity` with this UCUM code and printed unit.
    Quantity {
        ucum: &'static str,
        unit: &'static str,
    },
    /// `valueString`.
    Text,
}

/// Which section of the record a Willis observation belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Symptoms,
    Augmentation,
    Sleep,
    Habits,
    Patient,
}

/// Every single-valued Willis observation: (code, section, kind, display).
/// The code is the record field's name with `-` for `_`.
pub const FIELDS: &[(&str, Section, Kind, &str)] = &[
    (
        "urge-to-move",
        Section::Symptoms,
        Kind::Boolean,
        "Urge to move the legs, usually with unpleasant sensations",
    ),
    (
        "worse-at-rest",
        Section::Symptoms,
        Kind::Boolean,
        "Begins or worsens at rest",
    ),
    (
        "relieved-by-movement",
        Section::Symptoms,
        Kind::Boolean,
        "Relieved by movement",
    ),
    (
        "worse-evening-or-night",
        Section::Symptoms,
        Kind::Boolean,
        "Worse in the evening or at night",
    ),
    (
        "not-explained-by-other-condition",
        Section::Symptoms,
        Kind::Boolean,
        "Not explained by another condition",
    ),
    (
        "days-per-week",
        Section::Symptoms,
        Kind::Integer,
        "Days a week with symptoms",
    ),
    (
        "irls-total",
        Section::Symptoms,
        Kind::Integer,
        "IRLS total score (0-40)",
    ),
    (
        ONSET_TIME,
        Section::Symptoms,
        Kind::Time,
        "Usual time symptoms begin",
    ),
    (
        "impulse-control-problems",
        Section::Symptoms,
        Kind::Boolean,
        "New impulse control problems",
    ),
    (
        "one-sided",
        Section::Symptoms,
        Kind::Boolean,
        "Symptoms on one side only",
    ),
    (
        "weakness-or-numbness",
        Section::Symptoms,
        Kind::Boolean,
        "Weakness or numbness with the symptoms",
    ),
    (
        "augmentation-earlier-onset-hours",
        Section::Augmentation,
        Kind::Quantity {
            ucum: "h",
            unit: "h",
        },
        "Augmentation: symptoms begin this many hours earlier",
    ),
    (
        "augmentation-shorter-latency-at-rest",
        Section::Augmentation,
        Kind::Boolean,
        "Augmentation: symptoms come sooner at rest",
    ),
    (
        "augmentation-spread-to-other-body-parts",
        Section::Augmentation,
        Kind::Boolean,
        "Augmentation: spread to other body parts",
    ),
    (
        "augmentation-more-intense",
        Section::Augmentation,
        Kind::Boolean,
        "Augmentation: more intense",
    ),
    (
        "augmentation-shorter-relief-from-medicine",
        Section::Augmentation,
        Kind::Boolean,
        "Augmentation: shorter relief from medicine",
    ),
    ("snoring", Section::Sleep, Kind::Boolean, "Snoring"),
    (
        "witnessed-apneas",
        Section::Sleep,
        Kind::Boolean,
        "Witnessed pauses in breathing during sleep",
    ),
    (
        "excessive-daytime-sleepiness",
        Section::Sleep,
        Kind::Boolean,
        "Excessive daytime sleepiness",
    ),
    (
        "epworth",
        Section::Sleep,
        Kind::Integer,
        "Epworth Sleepiness Scale total (0-24)",
    ),
    (
        "limb-jerks-reported",
        Section::Sleep,
        Kind::Boolean,
        "Limb jerks in sleep reported",
    ),
    (
        "plms-index",
        Section::Sleep,
        Kind::Quantity {
            ucum: "/h",
            unit: "/h",
        },
        "Periodic limb movements in sleep per hour",
    ),
    (
        "alcohol-units-per-week",
        Section::Habits,
        Kind::Quantity {
            ucum: "/wk",
            unit: "units/week",
        },
        "Alcohol units a week",
    ),
    (
        "caffeine-drinks-per-day",
        Section::Habits,
        Kind::Quantity {
            ucum: "/d",
            unit: "drinks/day",
        },
        "Caffeinated drinks a day",
    ),
    ("smoker", Section::Habits, Kind::Boolean, "Smokes"),
    ("dialysis", Section::Patient, Kind::Boolean, "On dialysis"),
    (
        PREGNANCY_WEEKS,
        Section::Patient,
        Kind::Quantity {
            ucum: "wk",
            unit: "weeks",
        },
        "Gestational age in weeks",
    ),
];

/// The row of [`FIELDS`] for a code.
pub fn field(code: &str) -> Option<(&'static str, Section, Kind, &'static str)> {
    FIELDS.iter().copied().find(|(c, ..)| *c == code.trim())
}

/// The display written for any Willis code.
pub fn display(code: &str) -> &'static str {
    if let Some((.., d)) = field(code) {
        return d;
    }
    match code {
        IRON_TREATMENT => "Iron treatment (IV infusion or oral course)",
        IRON_UNSPECIFIED => "Iron (product not recorded)",
        DIARY_NIGHT => "Symptom diary: one night",
        IRLS_ITEMS => "IRLS item scores",
        BODY_PART => "Body part with symptoms",
        SEVERITY => "Severity (0-10)",
        SLEEP_HOURS => "Hours of sleep",
        _ => "",
    }
}
