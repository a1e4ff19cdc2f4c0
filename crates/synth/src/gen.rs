//! One patient's resources: demographics, conditions, visits with vital signs
//! and labs, medicines, and the unrelated resources around them.

use std::fmt::Write;

use chrono::{Days, NaiveDate};
use fastrand::Rng;

use crate::json::{coding, concept, D, N, Q};
use crate::out::TypeFiles;
use crate::{SynthError, SynthOptions};

/// The resource types written, in the manifest's order.
pub(crate) const TYPES: [&str; 10] = [
    "Patient",
    "Encounter",
    "Condition",
    "Observation",
    "MedicationRequest",
    "MedicationStatement",
    "MedicationAdministration",
    "Procedure",
    "Immunization",
    "AllergyIntolerance",
];
const PATIENT: usize = 0;
const ENCOUNTER: usize = 1;
const CONDITION: usize = 2;
const OBSERVATION: usize = 3;
const MED_REQUEST: usize = 4;
const MED_STATEMENT: usize = 5;
const MED_ADMIN: usize = 6;
const PROCEDURE: usize = 7;
const IMMUNIZATION: usize = 8;
const ALLERGY: usize = 9;

const LOINC: &str = "http://loinc.org";
const SNOMED: &str = "http://snomed.info/sct";
const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
const UCUM: &str = "http://unitsofmeasure.org";
const CVX: &str = "http://hl7.org/fhir/sid/cvx";
const CLINICAL: &str = "http://terminology.hl7.org/CodeSystem/condition-clinical";
const VERIFICATION: &str = "http://terminology.hl7.org/CodeSystem/condition-ver-status";
const OBS_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";

/// Counts kept over the whole export.
#[derive(Default)]
pub(crate) struct Stats {
    pub with_rls: u64,
    pub malformed: u64,
    pub blank: u64,
}

/// Buffers reused from one patient to the next.
#[derive(Default)]
pub(crate) struct Scratch {
    line: String,
    noise: String,
}

/// SplitMix64: spreads (seed, index, stream) over 64 bits.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn seed_for(seed: u64, index: u64, stream: u64) -> u64 {
    mix(mix(seed ^ 0x5749_4C4C_4953) ^ mix(index.wrapping_mul(4).wrapping_add(stream)))
}

/// A UUID-shaped (version 4 layout) id from two random words.
fn uuid(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        0x8000 | (b >> 48 & 0x3fff),
        b & 0xffff_ffff_ffff
    )
}

/// The id of patient `index`: a hash of (seed, index).
pub(crate) fn patient_id(seed: u64, index: u64) -> String {
    uuid(seed_for(seed, index, 2), seed_for(seed, index, 3))
}

// ---------------------------------------------------------------------------
// Small random helpers.

fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.f64() < p
}

fn normal(rng: &mut Rng) -> f64 {
    let u1 = 1.0 - rng.f64(); // (0, 1]
    let u2 = rng.f64();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

fn gauss(rng: &mut Rng, mean: f64, sd: f64, lo: f64, hi: f64) -> f64 {
    (mean + sd * normal(rng)).clamp(lo, hi)
}

fn lognormal(rng: &mut Rng, median: f64, sigma: f64, lo: f64, hi: f64) -> f64 {
    (median * (sigma * normal(rng)).exp()).clamp(lo, hi)
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> &'a T {
    &items[rng.usize(..items.len())]
}

/// An index chosen with the given weights.
fn weighted(rng: &mut Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.u32(..total.max(1));
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn days_before(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_sub_days(Days::new(n as u64)).unwrap_or(d)
    } else {
        d.checked_add_days(Days::new(n.unsigned_abs())).unwrap_or(d)
    }
}

fn days_after(d: NaiveDate, n: i64) -> NaiveDate {
    days_before(d, -n)
}

// ---------------------------------------------------------------------------
// The patient being written.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

impl Sex {
    fn gender(self) -> &'static str {
        match self {
            Sex::Female => "female",
            Sex::Male => "male",
            Sex::Other => "other",
            Sex::Unknown => "unknown",
        }
    }
    fn female(self) -> bool {
        self == Sex::Female
    }
}

/// A day with an encounter: labs and vital signs hang off it.
struct Visit {
    date: NaiveDate,
    encounter: String,
    hour: u32,
    minute: u32,
}

/// An IV iron infusion (it raises ferritin, and may lower phosphate).
struct Infusion {
    date: NaiveDate,
    carboxymaltose: bool,
}

struct Ctx<'a> {
    rng: Rng,
    noise: Rng,
    files: &'a mut [TypeFiles],
    stats: &'a mut Stats,
    line: &'a mut String,
    noise_line: &'a mut String,
    /// The end of the history.
    end: NaiveDate,
    pid: String,
    /// The offset this patient's health system writes on its times.
    offset: &'static str,
    /// The organisation and clinician named on encounters.
    org: usize,
    doctor: usize,
}

impl Ctx<'_> {
    fn id(&mut self) -> String {
        let (a, b) = (self.rng.u64(..), self.rng.u64(..));
        uuid(a, b)
    }

    /// Starts a resource line: `{"resourceType":…,"id":…,"meta":{…}`.
    fn start(&mut self, kind: usize, id: &str, updated: NaiveDate) {
        self.line.clear();
        let (h, m, s) = (self.rng.u32(6..23), self.rng.u32(..60), self.rng.u32(..60));
        let _ = write!(
            self.line,
            r#"{{"resourceType":"{}","id":"{id}","meta":{{"lastUpdated":"{}T{h:02}:{m:02}:{s:02}.{:03}Z"}}"#,
            TYPES[kind],
            D(updated.min(self.end)),
            self.rng.u32(..1000)
        );
    }

    /// Ends the line started with [`Ctx::start`] and writes it (with a noise
    /// line before it, now and then).
    fn emit(&mut self, kind: usize) -> Result<(), SynthError> {
        self.line.push('}');
        if self.noise.u32(..5000) == 0 {
            self.noise_line.clear();
            match self.noise.u32(..5) {
                0 | 1 => {
                    // Truncated: a prefix of the line (cut on a character boundary).
                    let mut cut = self.noise.usize(10..self.line.len() - 1);
                    while !self.line.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    self.noise_line.push_str(&self.line[..cut]);
                }
                2 => {
                    let _ = write!(self.noise_line, r#""{}""#, TYPES[kind]);
                }
                3 => {
                    let _ = write!(
                        self.noise_line,
                        r#"[{{"resourceType":"{}","id":"{:016x}"}}]"#,
                        TYPES[kind],
                        self.noise.u64(..)
                    );
                }
                _ => {
                    if self.noise.bool() {
                        self.noise_line.push_str("{}");
                    } else {
                        let _ = write!(
                            self.noise_line,
                            r#"{{"id":"{:016x}","status":"final"}}"#,
                            self.noise.u64(..)
                        );
                    }
                }
            }
            self.files[kind].line(self.noise_line, false)?;
            self.stats.malformed += 1;
        }
        if self.noise.u32(..20000) == 0 {
            self.files[kind].line("", false)?;
            self.stats.blank += 1;
        }
        self.files[kind].line(self.line, true)
    }

    /// `,"subject":{"reference":"Patient/…"}`
    fn subject(&mut self) {
        let _ = write!(
            self.line,
            r#","subject":{{"reference":"Patient/{}"}}"#,
            self.pid
        );
    }

    /// A dateTime on `date`: sometimes the date alone, mostly with a time and
    /// the system's offset.
    fn when(&mut self, date: NaiveDate, hour: u32, minute: u32) -> String {
        if chance(&mut self.rng, 0.15) {
            D(date).to_string()
        } else {
            format!("{}T{hour:02}:{minute:02}:00{}", D(date), self.offset)
        }
    }
}

// ---------------------------------------------------------------------------
// Tables.

const FAMILY: [&str; 48] = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Nakamura",
    "Okafor",
    "Janssen",
    "Peña",
    "Ødegaard",
];
const GIVEN_F: [&str; 24] = [
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Lisa",
    "Nancy",
    "Sandra",
    "Ashley",
    "Emily",
    "Olivia",
    "Sofia",
    "Zoë",
    "Amara",
    "Mei",
    "Fatima",
    "Ingrid",
    "Renée",
    "Chloe",
];
const GIVEN_M: [&str; 24] = [
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Steven", "Paul", "Andrew", "José", "Liam",
    "Noah", "Kenji", "Ahmed", "Lars", "Mateo",
];
const CITIES: [(&str, &str, &str); 12] = [
    ("Springfield", "MA", "01103"),
    ("Worcester", "MA", "01608"),
    ("Boston", "MA", "02118"),
    ("Lowell", "MA", "01852"),
    ("Cambridge", "MA", "02139"),
    ("Providence", "RI", "02903"),
    ("Hartford", "CT", "06103"),
    ("Albany", "NY", "12207"),
    ("Burlington", "VT", "05401"),
    ("Portland", "ME", "04101"),
    ("Manchester", "NH", "03101"),
    ("New Haven", "CT", "06510"),
];
const STREETS: [&str; 10] = [
    "Main St",
    "Oak Ave",
    "Maple Dr",
    "Cedar Ln",
    "Elm St",
    "Pine Rd",
    "Washington Blvd",
    "Lake View Ct",
    "Hillside Ave",
    "River Rd",
];
const ORGS: [&str; 6] = [
    "Riverside Community Health",
    "St. Anne's Medical Center",
    "Northgate Family Practice",
    "Lakeshore Sleep & Neurology Clinic",
    "Harbor Internal Medicine",
    "Valley General Hospital",
];
const DOCTORS: [&str; 10] = [
    "Dr. Alice Moreau",
    "Dr. Ben Okonkwo",
    "Dr. Carla Jiménez",
    "Dr. Dev Patel",
    "Dr. Erin Walsh",
    "Dr. Farid Haddad",
    "Dr. Grace Lindqvist",
    "Dr. Hiro Tanaka",
    "Dr. Ines Duarte",
    "Dr. Jonah Fischer",
];
const OFFSETS: [&str; 8] = [
    "-05:00", "-04:00", "-06:00", "-07:00", "Z", "+01:00", "+02:00", "+00:00",
];

/// A unit a lab result is written in: as printed, its UCUM code, the factor
/// from the test's canonical unit (willis-core's), the decimals, the weight
/// of the choice.
struct Unit(&'static str, &'static str, f64, usize, u32);

/// A lab test: LOINC codes (with displays) it is written with, a short text,
/// the units.
struct Lab {
    codes: &'static [(&'static str, &'static str)],
    text: &'static str,
    units: &'static [Unit],
}

const FERRITIN: Lab = Lab {
    codes: &[("2276-4", "Ferritin [Mass/volume] in Serum or Plasma")],
    text: "Ferritin",
    units: &[
        Unit("ng/mL", "ng/mL", 1.0, 0, 45),
        Unit("ug/L", "ug/L", 1.0, 0, 30),
        Unit("µg/L", "ug/L", 1.0, 0, 20),
        Unit("pmol/L", "pmol/L", 2.247, 0, 5),
    ],
};
const TSAT: Lab = Lab {
    codes: &[(
        "2502-3",
        "Iron saturation [Mass Fraction] in Serum or Plasma",
    )],
    text: "Transferrin saturation",
    units: &[Unit("%", "%", 1.0, 0, 1)],
};
// Iron and TIBC: canonical µmol/L; 1 µg/dL = 0.1791 µmol/L.
const IRON: Lab = Lab {
    codes: &[("2498-4", "Iron [Mass/volume] in Serum or Plasma")],
    text: "Iron",
    units: &[
        Unit("ug/dL", "ug/dL", 1.0 / 0.1791, 0, 45),
        Unit("µg/dL", "ug/dL", 1.0 / 0.1791, 0, 15),
        Unit("umol/L", "umol/L", 1.0, 1, 30),
        Unit("µmol/L", "umol/L", 1.0, 1, 10),
    ],
};
const TIBC: Lab = Lab {
    codes: &[(
        "2500-7",
        "Iron binding capacity [Mass/volume] in Serum or Plasma",
    )],
    text: "TIBC",
    units: IRON.units,
};
const HEMOGLOBIN: Lab = Lab {
    codes: &[("718-7", "Hemoglobin [Mass/volume] in Blood")],
    text: "Hemoglobin",
    units: &[
        Unit("g/dL", "g/dL", 1.0, 1, 70),
        Unit("g/L", "g/L", 10.0, 0, 30),
    ],
};
const CRP: Lab = Lab {
    codes: &[
        (
            "1988-5",
            "C reactive protein [Mass/volume] in Serum or Plasma",
        ),
        (
            "30522-7",
            "C reactive protein [Mass/volume] in Serum or Plasma by High sensitivity method",
        ),
    ],
    text: "CRP",
    units: &[
        Unit("mg/L", "mg/L", 1.0, 1, 80),
        Unit("mg/dL", "mg/dL", 0.1, 2, 20),
    ],
};
const VITAMIN_D: Lab = Lab {
    codes: &[
        (
            "62292-8",
            "25-Hydroxyvitamin D2+25-Hydroxyvitamin D3 [Mass/volume] in Serum or Plasma",
        ),
        (
            "1989-3",
            "25-Hydroxyvitamin D3 [Mass/volume] in Serum or Plasma",
        ),
    ],
    text: "Vitamin D, 25-hydroxy",
    units: &[
        Unit("ng/mL", "ng/mL", 1.0, 0, 70),
        Unit("nmol/L", "nmol/L", 2.496, 0, 30),
    ],
};
const B12: Lab = Lab {
    codes: &[(
        "2132-9",
        "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma",
    )],
    text: "Vitamin B12",
    units: &[
        Unit("pg/mL", "pg/mL", 1.0, 0, 75),
        Unit("pmol/L", "pmol/L", 1.0 / 1.355, 0, 25),
    ],
};
const FOLATE: Lab = Lab {
    codes: &[("2284-8", "Folate [Mass/volume] in Serum or Plasma")],
    text: "Folate",
    units: &[
        Unit("ng/mL", "ng/mL", 1.0, 1, 75),
        Unit("nmol/L", "nmol/L", 2.266, 1, 25),
    ],
};
const PHOSPHATE: Lab = Lab {
    codes: &[("2777-1", "Phosphate [Mass/volume] in Serum or Plasma")],
    text: "Phosphate",
    units: &[
        Unit("mg/dL", "mg/dL", 1.0, 1, 70),
        Unit("mmol/L", "mmol/L", 1.0 / 3.097, 2, 30),
    ],
};
const CREATININE: Lab = Lab {
    codes: &[("2160-0", "Creatinine [Mass/volume] in Serum or Plasma")],
    text: "Creatinine",
    units: &[
        Unit("mg/dL", "mg/dL", 1.0 / 88.42, 2, 60),
        Unit("umol/L", "umol/L", 1.0, 0, 30),
        Unit("µmol/L", "umol/L", 1.0, 0, 10),
    ],
};
const EGFR: Lab = Lab {
    codes: &[
        (
            "33914-3",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum or Plasma by Creatinine-based formula (MDRD)",
        ),
        (
            "62238-1",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)",
        ),
        (
            "98979-8",
            "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI 2021)",
        ),
    ],
    text: "eGFR",
    units: &[
        Unit("mL/min/{1.73_m2}", "mL/min/{1.73_m2}", 1.0, 0, 70),
        Unit("mL/min/1.73m2", "mL/min/{1.73_m2}", 1.0, 0, 30),
    ],
};
// Labs the mapping does not read.
const HBA1C: Lab = Lab {
    codes: &[("4548-4", "Hemoglobin A1c/Hemoglobin.total in Blood")],
    text: "HbA1c",
    units: &[Unit("%", "%", 1.0, 1, 1)],
};
const CHOLESTEROL: Lab = Lab {
    codes: &[("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma")],
    text: "Cholesterol, total",
    units: &[Unit("mg/dL", "mg/dL", 1.0, 0, 1)],
};
const GLUCOSE: Lab = Lab {
    codes: &[("2345-7", "Glucose [Mass/volume] in Serum or Plasma")],
    text: "Glucose",
    units: &[Unit("mg/dL", "mg/dL", 1.0, 0, 1)],
};

/// A medicine: its generic name (one the catalogue knows), the RxNorm
/// ingredient code when the FHIR code table has it, product texts, dose texts.
struct Med {
    name: &'static str,
    rxnorm: Option<&'static str>,
    products: &'static [&'static str],
    doses: &'static [&'static str],
}

macro_rules! med {
    ($name:literal, $rx:expr, [$($p:literal),+], [$($d:literal),+]) => {
        Med { name: $name, rxnorm: $rx, products: &[$($p),+], doses: &[$($d),+] }
    };
}

const PRAMIPEXOLE: Med = med!(
    "pramipexole",
    Some("8123"),
    [
        "pramipexole 0.125 MG Oral Tablet",
        "pramipexole 0.25 MG Oral Tablet",
        "Mirapex 0.25 MG Oral Tablet"
    ],
    [
        "0.125 mg 2 hours before bedtime",
        "0.25 mg at bedtime",
        "0.5 mg at bedtime"
    ]
);
const ROPINIROLE: Med = med!(
    "ropinirole",
    Some("72302"),
    [
        "ropinirole 0.25 MG Oral Tablet",
        "ropinirole 1 MG Oral Tablet",
        "Requip 0.5 MG Oral Tablet"
    ],
    [
        "0.25 mg 1-3 hours before bedtime",
        "0.5 mg at bedtime",
        "1 mg at bedtime"
    ]
);
const ROTIGOTINE: Med = med!(
    "rotigotine",
    Some("54552"),
    [
        "rotigotine 1 MG/24HR Transdermal System",
        "Neupro 2 MG/24HR Transdermal System"
    ],
    ["apply one patch daily"]
);
const GABAPENTIN: Med = med!(
    "gabapentin",
    Some("25480"),
    [
        "gabapentin 300 MG Oral Capsule",
        "gabapentin 100 MG Oral Capsule",
        "Neurontin 300 MG Oral Capsule"
    ],
    [
        "300 mg in the evening",
        "600 mg at bedtime",
        "300 mg three times daily"
    ]
);
const PREGABALIN: Med = med!(
    "pregabalin",
    Some("187832"),
    ["pregabalin 75 MG Oral Capsule", "Lyrica 50 MG Oral Capsule"],
    ["75 mg at bedtime", "150 mg in the evening"]
);
const GABAPENTIN_ENACARBIL: Med = med!(
    "gabapentin enacarbil",
    None,
    [
        "gabapentin enacarbil 600 MG Extended Release Oral Tablet",
        "Horizant 600 MG Extended Release Oral Tablet"
    ],
    ["600 mg at 5 pm"]
);
const FERROUS_SULFATE: Med = med!(
    "ferrous sulfate",
    None,
    [
        "ferrous sulfate 325 MG Oral Tablet",
        "ferrous sulfate 324 MG Oral Tablet"
    ],
    ["325 mg every other day with vitamin C", "325 mg daily"]
);
const FERRIC_CARBOXYMALTOSE: Med = med!(
    "ferric carboxymaltose",
    None,
    [
        "ferric carboxymaltose 50 MG/ML Injectable Solution",
        "Injectafer 50 MG/ML Injectable Solution"
    ],
    ["750 mg IV infusion", "1000 mg IV infusion"]
);
const FERRIC_DERISOMALTOSE: Med = med!(
    "ferric derisomaltose",
    None,
    [
        "ferric derisomaltose 100 MG/ML Injectable Solution",
        "Monoferric 100 MG/ML Injectable Solution"
    ],
    ["1000 mg IV infusion"]
);
const IRON_SUCROSE: Med = med!(
    "iron sucrose",
    None,
    [
        "iron sucrose 20 MG/ML Injectable Solution",
        "Venofer 20 MG/ML Injectable Solution"
    ],
    ["100 mg IV during dialysis", "200 mg IV infusion"]
);
const OXYCODONE: Med = med!(
    "oxycodone",
    None,
    [
        "oxycodone 5 MG Oral Tablet",
        "12 HR oxycodone 10 MG Extended Release Oral Tablet"
    ],
    ["5 mg at bedtime", "10 mg at bedtime"]
);
const METHADONE: Med = med!(
    "methadone",
    None,
    ["methadone 5 MG Oral Tablet"],
    ["2.5 mg at bedtime", "5 mg at bedtime"]
);
const CLONAZEPAM: Med = med!(
    "clonazepam",
    None,
    [
        "clonazepam 0.5 MG Oral Tablet",
        "Klonopin 0.5 MG Oral Tablet"
    ],
    ["0.5 mg at bedtime"]
);

/// Medicines for RLS: the medicine and its share among RLS patients.
static RLS_MEDS: [(Med, f64); 10] = [
    (PRAMIPEXOLE, 0.25),
    (ROPINIROLE, 0.15),
    (ROTIGOTINE, 0.05),
    (GABAPENTIN, 0.20),
    (PREGABALIN, 0.10),
    (GABAPENTIN_ENACARBIL, 0.03),
    (FERROUS_SULFATE, 0.20),
    (OXYCODONE, 0.02),
    (METHADONE, 0.01),
    (CLONAZEPAM, 0.03),
];

/// Medicines anyone may take, with their share among adults. The ones that
/// can worsen RLS first.
static POPULATION_MEDS: [(Med, f64); 16] = [
    (
        med!(
            "sertraline",
            Some("36437"),
            ["sertraline 50 MG Oral Tablet", "Zoloft 100 MG Oral Tablet"],
            ["50 mg daily", "100 mg daily"]
        ),
        0.050,
    ),
    (
        med!(
            "escitalopram",
            None,
            [
                "escitalopram 10 MG Oral Tablet",
                "Lexapro 10 MG Oral Tablet"
            ],
            ["10 mg daily"]
        ),
        0.040,
    ),
    (
        med!(
            "fluoxetine",
            Some("4493"),
            ["fluoxetine 20 MG Oral Capsule", "Prozac 20 MG Oral Capsule"],
            ["20 mg every morning"]
        ),
        0.025,
    ),
    (
        med!(
            "mirtazapine",
            None,
            ["mirtazapine 15 MG Oral Tablet"],
            ["15 mg at bedtime"]
        ),
        0.015,
    ),
    (
        med!(
            "amitriptyline",
            None,
            [
                "amitriptyline 10 MG Oral Tablet",
                "amitriptyline 25 MG Oral Tablet"
            ],
            ["10 mg at bedtime", "25 mg at bedtime"]
        ),
        0.020,
    ),
    (
        med!(
            "diphenhydramine",
            Some("3498"),
            [
                "diphenhydramine 25 MG Oral Capsule",
                "Benadryl 25 MG Oral Capsule"
            ],
            ["25 mg at bedtime as needed"]
        ),
        0.020,
    ),
    (
        med!(
            "metoclopramide",
            Some("6915"),
            [
                "metoclopramide 10 MG Oral Tablet",
                "Reglan 10 MG Oral Tablet"
            ],
            ["10 mg before meals"]
        ),
        0.008,
    ),
    (
        med!(
            "haloperidol",
            None,
            ["haloperidol 2 MG Oral Tablet"],
            ["2 mg twice daily"]
        ),
        0.002,
    ),
    (
        med!(
            "quetiapine",
            Some("51272"),
            ["quetiapine 25 MG Oral Tablet", "Seroquel 50 MG Oral Tablet"],
            ["25 mg at bedtime", "50 mg at bedtime"]
        ),
        0.010,
    ),
    (
        med!(
            "loratadine",
            None,
            ["loratadine 10 MG Oral Tablet", "Claritin 10 MG Oral Tablet"],
            ["10 mg daily"]
        ),
        0.030,
    ),
    (
        med!(
            "atorvastatin",
            None,
            [
                "atorvastatin 20 MG Oral Tablet",
                "atorvastatin 40 MG Oral Tablet",
                "Lipitor 10 MG Oral Tablet"
            ],
            ["20 mg daily", "40 mg at night"]
        ),
        0.150,
    ),
    (
        med!(
            "lisinopril",
            None,
            [
                "lisinopril 10 MG Oral Tablet",
                "lisinopril 20 MG Oral Tablet"
            ],
            ["10 mg daily", "20 mg daily"]
        ),
        0.0,
    ),
    (
        med!(
            "metformin",
            None,
            [
                "metformin hydrochloride 500 MG Oral Tablet",
                "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"
            ],
            ["500 mg twice daily", "1000 mg twice daily"]
        ),
        0.0,
    ),
    (
        med!(
            "omeprazole",
            None,
            [
                "omeprazole 20 MG Delayed Release Oral Capsule",
                "Prilosec 20 MG Delayed Release Oral Capsule"
            ],
            ["20 mg daily before breakfast"]
        ),
        0.080,
    ),
    (
        med!(
            "levothyroxine",
            None,
            [
                "levothyroxine 0.05 MG Oral Tablet",
                "Synthroid 0.1 MG Oral Tablet"
            ],
            ["50 mcg every morning", "100 mcg every morning"]
        ),
        0.050,
    ),
    (
        med!(
            "amlodipine",
            None,
            ["amlodipine 5 MG Oral Tablet", "Norvasc 10 MG Oral Tablet"],
            ["5 mg daily", "10 mg daily"]
        ),
        0.0,
    ),
];
const LISINOPRIL: usize = 11;
const METFORMIN: usize = 12;
const AMLODIPINE: usize = 15;
const LEVOTHYROXINE: usize = 14;
const SERTRALINE: usize = 0;

// ---------------------------------------------------------------------------
// Conditions.

/// How a condition is coded: SNOMED CT, ICD-10-CM, or both; display, text.
struct Cond {
    snomed: Option<(&'static str, &'static str)>,
    icd: Option<(&'static str, &'static str)>,
    text: &'static str,
}

const HYPERTENSION: Cond = Cond {
    snomed: Some((
        "38341003",
        "Hypertensive disorder, systemic arterial (disorder)",
    )),
    icd: Some(("I10", "Essential (primary) hypertension")),
    text: "Essential hypertension",
};
const DIABETES2: Cond = Cond {
    snomed: Some(("44054006", "Diabetes mellitus type 2 (disorder)")),
    icd: Some(("E11.9", "Type 2 diabetes mellitus without complications")),
    text: "Type 2 diabetes mellitus",
};
const CKD3: Cond = Cond {
    snomed: None,
    icd: Some(("N18.3", "Chronic kidney disease, stage 3 (moderate)")),
    text: "Chronic kidney disease stage 3",
};
const CKD3A: Cond = Cond {
    snomed: None,
    icd: Some(("N18.31", "Chronic kidney disease, stage 3a")),
    text: "CKD stage 3a",
};
const ESRD: Cond = Cond {
    snomed: Some(("46177005", "End-stage renal disease (disorder)")),
    icd: Some(("N18.6", "End stage renal disease")),
    text: "End stage renal disease",
};
const DIALYSIS: Cond = Cond {
    snomed: None,
    icd: Some(("Z99.2", "Dependence on renal dialysis")),
    text: "Dependence on renal dialysis",
};
const HEMOCHROMATOSIS: Cond = Cond {
    snomed: Some(("399187006", "Hereditary hemochromatosis (disorder)")),
    icd: Some(("E83.110", "Hereditary hemochromatosis")),
    text: "Hereditary hemochromatosis",
};
const IDA: Cond = Cond {
    snomed: Some(("87522002", "Iron deficiency anemia (disorder)")),
    icd: Some(("D50.9", "Iron deficiency anemia, unspecified")),
    text: "Iron deficiency anemia",
};
const PARKINSON: Cond = Cond {
    snomed: Some(("49049000", "Parkinson's disease (disorder)")),
    icd: Some(("G20", "Parkinson's disease")),
    text: "Parkinson's disease",
};
const OSA: Cond = Cond {
    snomed: Some(("78275009", "Obstructive sleep apnea syndrome (disorder)")),
    icd: Some(("G47.33", "Obstructive sleep apnea (adult) (pediatric)")),
    text: "Obstructive sleep apnea",
};
const RLS: Cond = Cond {
    snomed: Some(("32914008", "Restless legs (finding)")),
    icd: Some(("G25.81", "Restless legs syndrome")),
    text: "Restless legs syndrome",
};
const PREGNANCY_SCT: Cond = Cond {
    snomed: Some(("77386006", "Pregnancy (finding)")),
    icd: None,
    text: "Pregnancy",
};
const PREGNANCY_ICD: Cond = Cond {
    snomed: None,
    icd: Some((
        "Z34.90",
        "Encounter for supervision of normal pregnancy, unspecified, unspecified trimester",
    )),
    text: "Supervision of normal pregnancy",
};
/// Conditions the mapping does not know (by code), with their share.
const OTHER_CONDITIONS: [(Cond, f64); 10] = [
    (
        Cond {
            snomed: Some(("55822004", "Hyperlipidemia (disorder)")),
            icd: Some(("E78.5", "Hyperlipidemia, unspecified")),
            text: "Hyperlipidemia",
        },
        0.15,
    ),
    (
        Cond {
            snomed: Some(("195967001", "Asthma (disorder)")),
            icd: Some(("J45.909", "Unspecified asthma, uncomplicated")),
            text: "Asthma",
        },
        0.07,
    ),
    (
        Cond {
            snomed: Some(("235595009", "Gastroesophageal reflux disease (disorder)")),
            icd: Some((
                "K21.9",
                "Gastro-esophageal reflux disease without esophagitis",
            )),
            text: "GERD",
        },
        0.10,
    ),
    (
        Cond {
            snomed: Some(("279039007", "Low back pain (finding)")),
            icd: Some(("M54.50", "Low back pain, unspecified")),
            text: "Low back pain",
        },
        0.08,
    ),
    (
        Cond {
            snomed: Some(("35489007", "Depressive disorder (disorder)")),
            icd: Some(("F32.A", "Depression, unspecified")),
            text: "Depression",
        },
        0.08,
    ),
    (
        Cond {
            snomed: Some(("197480006", "Anxiety disorder (disorder)")),
            icd: Some(("F41.1", "Generalized anxiety disorder")),
            text: "Generalized anxiety disorder",
        },
        0.06,
    ),
    (
        Cond {
            snomed: Some(("61582004", "Allergic rhinitis (disorder)")),
            icd: Some(("J30.9", "Allergic rhinitis, unspecified")),
            text: "Allergic rhinitis",
        },
        0.08,
    ),
    (
        Cond {
            snomed: Some(("239873007", "Osteoarthritis of knee (disorder)")),
            icd: Some(("M17.11", "Unilateral primary osteoarthritis, right knee")),
            text: "Osteoarthritis of right knee",
        },
        0.05,
    ),
    (
        Cond {
            snomed: Some(("414916001", "Obesity (disorder)")),
            icd: Some(("E66.9", "Obesity, unspecified")),
            text: "Obesity",
        },
        0.09,
    ),
    (
        Cond {
            snomed: None,
            icd: Some(("Z87.891", "Personal history of nicotine dependence")),
            text: "History of nicotine dependence",
        },
        0.06,
    ),
];

/// How a Condition is coded this time.
#[derive(Clone, Copy)]
enum Coding {
    Both,
    Snomed,
    Icd,
    TextOnly,
}

/// Writes a Condition.
#[allow(clippy::too_many_arguments)]
fn condition(
    c: &mut Ctx,
    cond: &Cond,
    coding_as: Coding,
    onset: NaiveDate,
    clinical: &str,
    verification: &str,
    abated: Option<NaiveDate>,
    text: &str,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(CONDITION, &id, onset);
    c.line.push_str(r#","clinicalStatus":{"coding":["#);
    coding(c.line, CLINICAL, clinical, &capital(clinical));
    c.line.push_str(r#"]},"verificationStatus":{"coding":["#);
    coding(c.line, VERIFICATION, verification, &capital(verification));
    let category = if chance(&mut c.rng, 0.7) {
        ("problem-list-item", "Problem List Item")
    } else {
        ("encounter-diagnosis", "Encounter Diagnosis")
    };
    c.line.push_str(r#"]},"category":[{"coding":["#);
    coding(
        c.line,
        "http://terminology.hl7.org/CodeSystem/condition-category",
        category.0,
        category.1,
    );
    c.line.push_str(r#"]}],"code":{"#);
    let (sct, icd) = match coding_as {
        Coding::Both => (cond.snomed, cond.icd),
        Coding::Snomed if cond.snomed.is_some() => (cond.snomed, None),
        Coding::Icd if cond.icd.is_some() => (None, cond.icd),
        // The condition has no code in the system asked for: what it has.
        Coding::Snomed | Coding::Icd => (cond.snomed, cond.icd),
        Coding::TextOnly => (None, None),
    };
    if sct.is_some() || icd.is_some() {
        c.line.push_str(r#""coding":["#);
        if let Some((code, display)) = sct {
            coding(c.line, SNOMED, code, display);
        }
        if let Some((code, display)) = icd {
            if sct.is_some() {
                c.line.push(',');
            }
            coding(c.line, ICD10CM, code, display);
        }
        c.line.push_str("],");
    }
    let _ = write!(c.line, r#""text":{}}}"#, Q(text));
    c.subject();
    let _ = write!(c.line, r#","onsetDateTime":"{}""#, D(onset));
    if let Some(a) = abated {
        let _ = write!(c.line, r#","abatementDateTime":"{}""#, D(a));
    }
    let recorded = days_after(onset, c.rng.i64(0..60)).min(c.end);
    let _ = write!(c.line, r#","recordedDate":"{}""#, D(recorded));
    c.emit(CONDITION)
}

fn capital(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (i, ch) in s.chars().enumerate() {
        if i == 0 {
            out.extend(ch.to_uppercase());
        } else if ch == '-' {
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    out
}

/// A Condition coded in the common way for that source.
fn plain_condition(c: &mut Ctx, cond: &Cond, onset: NaiveDate) -> Result<(), SynthError> {
    let how = match weighted(&mut c.rng, &[40, 30, 30]) {
        0 => Coding::Both,
        1 => Coding::Snomed,
        _ => Coding::Icd,
    };
    condition(c, cond, how, onset, "active", "confirmed", None, cond.text)
}

// ---------------------------------------------------------------------------
// Observations.

/// Writes a lab result (or an unrelated quantity observation).
#[allow(clippy::too_many_arguments)]
fn quantity_obs(
    c: &mut Ctx,
    lab: &Lab,
    category: (&str, &str),
    visit: &Visit,
    date: NaiveDate,
    canonical: f64,
    status: &str,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(OBSERVATION, &id, days_after(date, 1));
    let _ = write!(c.line, r#","status":"{status}","category":[{{"coding":["#);
    coding(c.line, OBS_CATEGORY, category.0, category.1);
    c.line.push_str(r#"]}],"code":"#);
    let (code, display) = *pick(&mut c.rng, lab.codes);
    concept(c.line, LOINC, code, display, lab.text);
    c.subject();
    let _ = write!(
        c.line,
        r#","encounter":{{"reference":"Encounter/{}"}}"#,
        visit.encounter
    );
    let when = c.when(date, visit.hour, visit.minute);
    let _ = write!(c.line, r#","effectiveDateTime":"{when}""#);
    if category == LAB {
        // When the result was released: a few hours later.
        let issued_hour = (visit.hour + 2 + c.rng.u32(..4)).min(23);
        let offset = if c.offset == "+00:00" { "Z" } else { c.offset };
        let _ = write!(
            c.line,
            r#","issued":"{}T{issued_hour:02}:{:02}:00{}""#,
            D(date),
            c.rng.u32(..60),
            offset
        );
    }
    let weights: Vec<u32> = lab.units.iter().map(|u| u.4).collect();
    let unit = &lab.units[weighted(&mut c.rng, &weights)];
    let value = canonical * unit.2;
    let _ = write!(
        c.line,
        r#","valueQuantity":{{"value":{},"unit":{},"system":"{UCUM}","code":{}}}"#,
        N(value, unit.3),
        Q(unit.0),
        Q(unit.1)
    );
    c.emit(OBSERVATION)
}

const LAB: (&str, &str) = ("laboratory", "Laboratory");
const VITALS: (&str, &str) = ("vital-signs", "Vital Signs");

/// The status of a lab result: mostly final.
fn lab_status(rng: &mut Rng) -> &'static str {
    match weighted(rng, &[955, 20, 8, 7, 10]) {
        0 => "final",
        1 => "amended",
        2 => "corrected",
        3 => "entered-in-error",
        _ => "preliminary",
    }
}

fn lab(
    c: &mut Ctx,
    lab: &Lab,
    visit: &Visit,
    date: NaiveDate,
    canonical: f64,
) -> Result<(), SynthError> {
    let status = lab_status(&mut c.rng);
    quantity_obs(c, lab, LAB, visit, date, canonical, status)
}

/// Blood pressure with its two components.
fn blood_pressure(
    c: &mut Ctx,
    visit: &Visit,
    systolic: f64,
    diastolic: f64,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(OBSERVATION, &id, visit.date);
    c.line
        .push_str(r#","status":"final","category":[{"coding":["#);
    coding(c.line, OBS_CATEGORY, VITALS.0, VITALS.1);
    c.line.push_str(r#"]}],"code":"#);
    concept(
        c.line,
        LOINC,
        "85354-9",
        "Blood pressure panel with all children optional",
        "Blood pressure",
    );
    c.subject();
    let _ = write!(
        c.line,
        r#","encounter":{{"reference":"Encounter/{}"}}"#,
        visit.encounter
    );
    let when = c.when(visit.date, visit.hour, visit.minute);
    let _ = write!(c.line, r#","effectiveDateTime":"{when}","component":["#);
    for (i, (code, display, v)) in [
        ("8480-6", "Systolic blood pressure", systolic),
        ("8462-4", "Diastolic blood pressure", diastolic),
    ]
    .into_iter()
    .enumerate()
    {
        if i > 0 {
            c.line.push(',');
        }
        c.line.push_str(r#"{"code":"#);
        concept(c.line, LOINC, code, display, display);
        let _ = write!(
            c.line,
            r#","valueQuantity":{{"value":{},"unit":"mm[Hg]","system":"{UCUM}","code":"mm[Hg]"}}}}"#,
            N(v, 0)
        );
    }
    c.line.push(']');
    c.emit(OBSERVATION)
}

/// An Observation with a coded answer (smoking status, pregnancy status).
fn coded_obs(
    c: &mut Ctx,
    code: (&str, &str, &str),
    category: (&str, &str),
    date: NaiveDate,
    answer: (&str, &str, &str),
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(OBSERVATION, &id, date);
    c.line
        .push_str(r#","status":"final","category":[{"coding":["#);
    coding(c.line, OBS_CATEGORY, category.0, category.1);
    c.line.push_str(r#"]}],"code":"#);
    concept(c.line, LOINC, code.0, code.1, code.2);
    c.subject();
    let (h, m) = (c.rng.u32(8..17), c.rng.u32(..60));
    let when = c.when(date, h, m);
    let _ = write!(
        c.line,
        r#","effectiveDateTime":"{when}","valueCodeableConcept":"#
    );
    concept(c.line, answer.0, answer.1, answer.2, answer.2);
    c.emit(OBSERVATION)
}

// ---------------------------------------------------------------------------
// Medicines.

/// A course of a medicine: when it started, when it ended (if it did).
struct Course<'m> {
    med: &'m Med,
    start: NaiveDate,
    end: Option<NaiveDate>,
}

/// Writes a course as MedicationRequest(s) and/or a MedicationStatement.
fn course(c: &mut Ctx, course: &Course) -> Result<(), SynthError> {
    let med = course.med;
    let product = *pick(&mut c.rng, med.products);
    let dose = *pick(&mut c.rng, med.doses);
    let form = weighted(&mut c.rng, &[45, 35, 20]);
    if form <= 1 {
        // Requests: one, and for a long course a few renewals.
        let last = course.end.unwrap_or(c.end);
        let span = (last - course.start).num_days().max(1);
        let renewals = if span > 700 { c.rng.i64(1..3) } else { 0 };
        for k in 0..=renewals {
            let authored = days_after(course.start, span * k / (renewals + 1));
            let is_last = k == renewals;
            let (status, validity_end) = match (is_last, course.end) {
                (false, _) => (
                    "completed",
                    days_after(course.start, span * (k + 1) / (renewals + 1)),
                ),
                (true, Some(e)) => (
                    if chance(&mut c.rng, 0.5) {
                        "completed"
                    } else {
                        "stopped"
                    },
                    e,
                ),
                (true, None) => ("active", days_after(authored, 365)),
            };
            let status = match c.rng.u32(..200) {
                0 => "cancelled",
                1 => "draft",
                2 => "entered-in-error",
                3 => "on-hold",
                _ => status,
            };
            request(c, med, product, dose, authored, status, validity_end)?;
        }
    }
    if form != 1 {
        statement(c, med, product, dose, course)?;
    }
    Ok(())
}

fn medication_concept(c: &mut Ctx, med: &Med, product: &str) {
    c.line.push_str(r#","medicationCodeableConcept":{"#);
    if let Some(rx) = med.rxnorm {
        c.line.push_str(r#""coding":["#);
        coding(c.line, RXNORM, rx, med.name);
        c.line.push_str("],");
    }
    let _ = write!(c.line, r#""text":{}}}"#, Q(product));
}

fn request(
    c: &mut Ctx,
    med: &Med,
    product: &str,
    dose: &str,
    authored: NaiveDate,
    status: &str,
    validity_end: NaiveDate,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(MED_REQUEST, &id, authored);
    let intent = if c.rng.u32(..100) == 0 {
        "plan"
    } else {
        "order"
    };
    let _ = write!(c.line, r#","status":"{status}","intent":"{intent}""#);
    medication_concept(c, med, product);
    c.subject();
    let _ = write!(
        c.line,
        r#","authoredOn":"{}","requester":{{"display":{}}},"dosageInstruction":[{{"text":{}}}],"dispenseRequest":{{"validityPeriod":{{"start":"{}","end":"{}"}},"numberOfRepeatsAllowed":{},"quantity":{{"value":{},"unit":"each"}}}}"#,
        D(authored),
        Q(DOCTORS[c.doctor]),
        Q(dose),
        D(authored),
        D(validity_end.max(authored)),
        c.rng.u32(0..6),
        30 * c.rng.u32(1..4)
    );
    c.emit(MED_REQUEST)
}

fn statement(
    c: &mut Ctx,
    med: &Med,
    product: &str,
    dose: &str,
    course: &Course,
) -> Result<(), SynthError> {
    let id = c.id();
    let asserted = course
        .end
        .map(|e| days_after(e, c.rng.i64(0..30)))
        .unwrap_or_else(|| days_after(course.start, c.rng.i64(0..200)))
        .min(c.end);
    c.start(MED_STATEMENT, &id, asserted);
    let status = match (course.end, c.rng.u32(..200)) {
        (_, 0) => "entered-in-error",
        (_, 1) => "not-taken",
        (_, 2) => "unknown",
        (Some(_), n) if n % 2 == 0 => "completed",
        (Some(_), _) => "stopped",
        (None, _) => "active",
    };
    let _ = write!(c.line, r#","status":"{status}""#);
    medication_concept(c, med, product);
    c.subject();
    let _ = write!(
        c.line,
        r#","effectivePeriod":{{"start":"{}""#,
        D(course.start)
    );
    if let Some(e) = course.end {
        let _ = write!(c.line, r#","end":"{}""#, D(e));
    }
    let _ = write!(
        c.line,
        r#"}},"dateAsserted":"{}","informationSource":{{"display":{}}},"dosage":[{{"text":{}}}]"#,
        D(asserted),
        Q(DOCTORS[c.doctor]),
        Q(dose)
    );
    c.emit(MED_STATEMENT)
}

/// An IV iron infusion: the administration, and the order for it.
fn infusion(c: &mut Ctx, med: &Med, date: NaiveDate) -> Result<(), SynthError> {
    let product = *pick(&mut c.rng, med.products);
    let mg = match med.name {
        "ferric carboxymaltose" => *pick(&mut c.rng, &[750.0, 750.0, 1000.0, 500.0]),
        "iron sucrose" => *pick(&mut c.rng, &[100.0, 200.0]),
        _ => *pick(&mut c.rng, &[1000.0, 500.0]),
    };
    let dose = format!("{} mg IV infusion", N(mg, 0));
    request(c, med, product, &dose, date, "completed", date)?;
    let id = c.id();
    c.start(MED_ADMIN, &id, date);
    c.line.push_str(r#","status":"completed""#);
    medication_concept(c, med, product);
    c.subject();
    let (h, m) = (c.rng.u32(8..16), c.rng.u32(..60));
    let when = c.when(date, h, m);
    let _ = write!(
        c.line,
        r#","effectiveDateTime":"{when}","dosage":{{"text":{},"route":"#,
        Q(&dose)
    );
    concept(c.line, SNOMED, "47625008", "Intravenous route", "IV");
    let _ = write!(
        c.line,
        r#","dose":{{"value":{},"unit":"mg","system":"{UCUM}","code":"mg"}}}}"#,
        N(mg, 0)
    );
    c.emit(MED_ADMIN)
}

// ---------------------------------------------------------------------------
// The unrelated resources.

const ENCOUNTER_TYPES: [(&str, &str, &str); 6] = [
    ("AMB", "185349003", "Encounter for check up (procedure)"),
    ("AMB", "185345009", "Encounter for symptom (procedure)"),
    ("AMB", "390906007", "Follow-up encounter (procedure)"),
    (
        "AMB",
        "162673000",
        "General examination of patient (procedure)",
    ),
    ("EMER", "50849002", "Emergency room admission (procedure)"),
    (
        "IMP",
        "183452005",
        "Emergency hospital admission (procedure)",
    ),
];

fn encounter(c: &mut Ctx, v: &Visit) -> Result<(), SynthError> {
    c.start(ENCOUNTER, &v.encounter, v.date);
    let (class, code, display) = ENCOUNTER_TYPES[weighted(&mut c.rng, &[40, 20, 25, 10, 4, 1])];
    let class_name = match class {
        "AMB" => "ambulatory",
        "EMER" => "emergency",
        _ => "inpatient encounter",
    };
    c.line.push_str(r#","status":"finished","class":"#);
    coding(
        c.line,
        "http://terminology.hl7.org/CodeSystem/v3-ActCode",
        class,
        class_name,
    );
    c.line.push_str(r#","type":["#);
    concept(c.line, SNOMED, code, display, display);
    c.line.push(']');
    c.subject();
    let minutes = 15 + 15 * c.rng.u32(..4);
    let end_min = v.minute + minutes;
    let end_date = if class == "IMP" {
        days_after(v.date, c.rng.i64(1..5)).min(c.end)
    } else {
        v.date
    };
    let _ = write!(
        c.line,
        r#","participant":[{{"individual":{{"reference":"Practitioner/pr-{:03}","display":{}}}}}],"period":{{"start":"{}T{:02}:{:02}:00{}","end":"{}T{:02}:{:02}:00{}"}},"serviceProvider":{{"reference":"Organization/org-{}","display":{}}}"#,
        c.doctor,
        Q(DOCTORS[c.doctor]),
        D(v.date),
        v.hour,
        v.minute,
        c.offset,
        D(end_date),
        (v.hour + end_min / 60).min(23),
        end_min % 60,
        c.offset,
        c.org,
        Q(ORGS[c.org])
    );
    c.emit(ENCOUNTER)
}

fn procedure(
    c: &mut Ctx,
    code: &str,
    display: &str,
    date: NaiveDate,
    encounter: Option<&str>,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(PROCEDURE, &id, date);
    c.line.push_str(r#","status":"completed","code":"#);
    concept(c.line, SNOMED, code, display, display);
    c.subject();
    if let Some(e) = encounter {
        let _ = write!(c.line, r#","encounter":{{"reference":"Encounter/{e}"}}"#);
    }
    let (h, m) = (c.rng.u32(7..17), c.rng.u32(..60));
    let _ = write!(
        c.line,
        r#","performedPeriod":{{"start":"{}T{h:02}:{m:02}:00{}","end":"{}T{:02}:{m:02}:00{}"}},"performer":[{{"actor":{{"display":{}}}}}]"#,
        D(date),
        c.offset,
        D(date),
        h + 1,
        c.offset,
        Q(DOCTORS[c.doctor])
    );
    c.emit(PROCEDURE)
}

const VACCINES: [(&str, &str); 5] = [
    ("140", "Influenza, seasonal, injectable, preservative free"),
    ("208", "SARS-COV-2 (COVID-19) vaccine, mRNA, spike protein, LNP, preservative free, 30 mcg/0.3mL dose"),
    ("115", "Tdap"),
    ("33", "pneumococcal polysaccharide vaccine, 23 valent"),
    ("187", "zoster vaccine recombinant"),
];

fn immunization(c: &mut Ctx, vaccine: (&str, &str), date: NaiveDate) -> Result<(), SynthError> {
    let id = c.id();
    c.start(IMMUNIZATION, &id, date);
    c.line.push_str(r#","status":"completed","vaccineCode":"#);
    concept(c.line, CVX, vaccine.0, vaccine.1, vaccine.1);
    let _ = write!(
        c.line,
        r#","patient":{{"reference":"Patient/{}"}},"occurrenceDateTime":"{}","primarySource":true,"lotNumber":"{}{:05}","route":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration","code":"IM","display":"Injection, intramuscular"}}]}}"#,
        c.pid,
        D(date),
        ["EK", "FJ", "GH", "LT"][c.rng.usize(..4)],
        c.rng.u32(..100_000)
    );
    c.emit(IMMUNIZATION)
}

const ALLERGIES: [(&str, &str, &str, &str); 5] = [
    (
        "91936005",
        "Allergy to penicillin (finding)",
        "medication",
        "Hives",
    ),
    (
        "91935009",
        "Allergy to peanut (finding)",
        "food",
        "Anaphylaxis",
    ),
    (
        "300916003",
        "Latex allergy (finding)",
        "environment",
        "Contact dermatitis",
    ),
    (
        "418689008",
        "Allergy to grass pollen (finding)",
        "environment",
        "Sneezing",
    ),
    (
        "294505008",
        "Allergy to sulfonamide (finding)",
        "medication",
        "Rash",
    ),
];

fn allergy(
    c: &mut Ctx,
    which: (&str, &str, &str, &str),
    date: NaiveDate,
) -> Result<(), SynthError> {
    let id = c.id();
    c.start(ALLERGY, &id, date);
    c.line.push_str(r#","clinicalStatus":{"coding":["#);
    coding(
        c.line,
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
        "active",
        "Active",
    );
    c.line.push_str(r#"]},"verificationStatus":{"coding":["#);
    coding(
        c.line,
        "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification",
        "confirmed",
        "Confirmed",
    );
    let criticality = if which.3 == "Anaphylaxis" {
        "high"
    } else {
        "low"
    };
    let _ = write!(
        c.line,
        r#"]}},"type":"allergy","category":["{}"],"criticality":"{criticality}","code":"#,
        which.2
    );
    concept(c.line, SNOMED, which.0, which.1, which.1);
    let _ = write!(
        c.line,
        r#","patient":{{"reference":"Patient/{}"}},"recordedDate":"{}","reaction":[{{"manifestation":[{{"text":{}}}]}}]"#,
        c.pid,
        D(date),
        Q(which.3)
    );
    c.emit(ALLERGY)
}

// ---------------------------------------------------------------------------
// The patient.

/// Writes every resource of patient `index`.
pub(crate) fn patient(
    opts: &SynthOptions,
    index: u64,
    files: &mut [TypeFiles],
    scratch: &mut Scratch,
    stats: &mut Stats,
) -> Result<(), SynthError> {
    let mut rng = Rng::with_seed(seed_for(opts.seed, index, 0));
    let offset = OFFSETS[weighted(&mut rng, &[30, 20, 12, 8, 14, 8, 4, 4])];
    let org = rng.usize(..ORGS.len());
    let doctor = rng.usize(..DOCTORS.len());
    let mut c = Ctx {
        rng,
        noise: Rng::with_seed(seed_for(opts.seed, index, 1)),
        files,
        stats,
        line: &mut scratch.line,
        noise_line: &mut scratch.noise,
        end: opts.reference_date,
        pid: patient_id(opts.seed, index),
        offset,
        org,
        doctor,
    };
    let end = c.end;

    // Who.
    let age: i64 = if chance(&mut c.rng, 0.12) {
        c.rng.i64(5..18)
    } else {
        // Mostly 30 to 80: the mean of three uniform draws, spread over 18-95.
        let u = (c.rng.f64() + c.rng.f64() + c.rng.f64()) / 3.0;
        18 + (u * 78.0) as i64
    };
    let child = age < 18;
    let sex = match weighted(&mut c.rng, &[510, 485, 3, 2]) {
        0 => Sex::Female,
        1 => Sex::Male,
        2 => Sex::Other,
        _ => Sex::Unknown,
    };
    let birth = days_before(end, age * 365 + c.rng.i64(0..365) + age / 4);
    let history = (age * 365).min(6 * 365);

    // What they have.
    let rls = if child {
        chance(&mut c.rng, 0.015)
    } else if sex.female() {
        chance(&mut c.rng, 0.09)
    } else {
        chance(&mut c.rng, 0.06)
    };
    let pregnant = sex.female() && (16..=45).contains(&age) && chance(&mut c.rng, 0.065);
    let old = age >= 60;
    let hypertension = !child
        && chance(
            &mut c.rng,
            if age < 40 {
                0.08
            } else if age < 60 {
                0.30
            } else {
                0.55
            },
        );
    let diabetes = !child
        && chance(
            &mut c.rng,
            if old {
                0.20
            } else if age >= 40 {
                0.10
            } else {
                0.02
            },
        );
    let esrd = age >= 40 && chance(&mut c.rng, 0.005);
    let ckd = !esrd && !child && chance(&mut c.rng, if old { 0.08 } else { 0.015 });
    let hemochromatosis = !child && chance(&mut c.rng, 0.004);
    let ida = !hemochromatosis
        && chance(
            &mut c.rng,
            if rls {
                0.10
            } else if sex.female() {
                0.04
            } else {
                0.015
            },
        );
    let parkinson = old && chance(&mut c.rng, 0.01);
    let osa = !child && chance(&mut c.rng, if sex == Sex::Male { 0.08 } else { 0.04 });

    // Iron status: a baseline ferritin (µg/L) and TSAT (%).
    let mut ferritin_base = match sex {
        _ if child => lognormal(&mut c.rng, 35.0, 0.6, 3.0, 400.0),
        Sex::Female if age < 50 => lognormal(&mut c.rng, 45.0, 0.8, 2.0, 900.0),
        Sex::Female => lognormal(&mut c.rng, 80.0, 0.75, 4.0, 1200.0),
        _ => lognormal(&mut c.rng, 110.0, 0.7, 5.0, 1500.0),
    };
    if rls {
        ferritin_base *= 0.8;
    }
    if ida {
        ferritin_base = lognormal(&mut c.rng, 10.0, 0.5, 1.0, 40.0);
    }
    if hemochromatosis {
        ferritin_base = lognormal(&mut c.rng, 800.0, 0.6, 200.0, 6000.0);
    }
    if esrd {
        ferritin_base = lognormal(&mut c.rng, 450.0, 0.5, 80.0, 2500.0);
    }
    let tsat_base = if hemochromatosis {
        gauss(&mut c.rng, 62.0, 14.0, 35.0, 98.0)
    } else if ferritin_base < 30.0 {
        gauss(&mut c.rng, 14.0, 6.0, 2.0, 60.0)
    } else {
        gauss(&mut c.rng, 27.0, 8.5, 5.0, 85.0)
    };
    let tibc_base = gauss(
        &mut c.rng,
        if ferritin_base < 30.0 { 72.0 } else { 58.0 },
        8.0,
        35.0,
        100.0,
    );

    // Patient.
    let female_name = sex.female() || (!matches!(sex, Sex::Male) && c.rng.bool());
    let given = if female_name {
        *pick(&mut c.rng, &GIVEN_F)
    } else {
        *pick(&mut c.rng, &GIVEN_M)
    };
    let family = *pick(&mut c.rng, &FAMILY);
    let (city, state, zip) = *pick(&mut c.rng, &CITIES);
    let pid = c.pid.clone();
    let updated = days_before(end, c.rng.i64(0..history.max(1)));
    c.start(PATIENT, &pid, updated);
    let _ = write!(
        c.line,
        r#","identifier":[{{"type":{{"coding":[{{"system":"http://terminology.hl7.org/CodeSystem/v2-0203","code":"MR","display":"Medical Record Number"}}]}},"system":"https://synth.willis.invalid/mrn","value":"MRN{:08}"}}],"name":[{{"use":"official","family":{},"given":[{}]}}],"telecom":[{{"system":"phone","value":"555-{:03}-{:04}","use":"home"}}],"gender":"{}","birthDate":"{}","address":[{{"line":["{} {}"],"city":{},"state":"{state}","postalCode":"{zip}","country":"US"}}]"#,
        index % 100_000_000,
        Q(family),
        Q(given),
        c.rng.u32(200..1000),
        c.rng.u32(..10_000),
        sex.gender(),
        D(birth),
        c.rng.u32(1..2000),
        *pick(&mut c.rng, &STREETS),
        Q(city)
    );
    if !child {
        let (code, display) = *pick(
            &mut c.rng,
            &[
                ("M", "Married"),
                ("S", "Never Married"),
                ("D", "Divorced"),
                ("W", "Widowed"),
            ],
        );
        c.line.push_str(r#","maritalStatus":{"coding":["#);
        coding(
            c.line,
            "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus",
            code,
            display,
        );
        c.line.push_str("]}");
    }
    c.emit(PATIENT)?;

    // Conditions.
    let onset_in = |rng: &mut Rng, max_years: i64| -> NaiveDate {
        let max = (max_years * 365).min((age - 3).max(1) * 365);
        days_before(end, rng.i64(30..max.max(31)))
    };
    let mut rls_onset = end;
    if rls {
        rls_onset = onset_in(&mut c.rng, 12);
        let how = match weighted(&mut c.rng, &[45, 25, 25, 5]) {
            0 => Coding::Both,
            1 => Coding::Snomed,
            2 => Coding::Icd,
            _ => Coding::TextOnly,
        };
        let text = match how {
            Coding::TextOnly => "Restless legs syndrome",
            _ => *pick(
                &mut c.rng,
                &[
                    "Restless legs syndrome",
                    "RLS",
                    "Willis-Ekbom disease",
                    "Restless legs",
                ],
            ),
        };
        condition(
            &mut c,
            &RLS,
            how,
            rls_onset,
            "active",
            "confirmed",
            None,
            text,
        )?;
        c.stats.with_rls += 1;
        if chance(&mut c.rng, 0.12) {
            // A second, provisional entry from another encounter.
            let v = *pick(&mut c.rng, &["provisional", "unconfirmed", "differential"]);
            let onset = days_before(rls_onset, c.rng.i64(30..400));
            condition(
                &mut c,
                &RLS,
                Coding::Snomed,
                onset,
                "active",
                v,
                None,
                RLS.text,
            )?;
        }
    } else if !child && chance(&mut c.rng, 0.015) {
        // An RLS entry that does not count: not confirmed, refuted, entered in
        // error, or resolved.
        let onset = onset_in(&mut c.rng, 6);
        let how = if c.rng.bool() {
            Coding::Both
        } else {
            Coding::Icd
        };
        match c.rng.u32(..5) {
            0 | 1 => condition(
                &mut c,
                &RLS,
                how,
                onset,
                "active",
                "unconfirmed",
                None,
                RLS.text,
            )?,
            2 => condition(
                &mut c, &RLS, how, onset, "active", "refuted", None, RLS.text,
            )?,
            3 => condition(
                &mut c,
                &RLS,
                how,
                onset,
                "active",
                "entered-in-error",
                None,
                RLS.text,
            )?,
            _ => {
                let abated = days_after(onset, c.rng.i64(30..200)).min(end);
                condition(
                    &mut c,
                    &RLS,
                    how,
                    onset,
                    "resolved",
                    "confirmed",
                    Some(abated),
                    RLS.text,
                )?
            }
        }
    }
    if hypertension {
        let onset = onset_in(&mut c.rng, 15);
        plain_condition(&mut c, &HYPERTENSION, onset)?;
    }
    if diabetes {
        let onset = onset_in(&mut c.rng, 12);
        plain_condition(&mut c, &DIABETES2, onset)?;
    }
    if ckd {
        let onset = onset_in(&mut c.rng, 8);
        let which = if c.rng.bool() { &CKD3 } else { &CKD3A };
        plain_condition(&mut c, which, onset)?;
    }
    if esrd {
        let onset = onset_in(&mut c.rng, 6);
        plain_condition(&mut c, &ESRD, onset)?;
        condition(
            &mut c,
            &DIALYSIS,
            Coding::Icd,
            onset,
            "active",
            "confirmed",
            None,
            DIALYSIS.text,
        )?;
    }
    if hemochromatosis {
        let onset = onset_in(&mut c.rng, 10);
        plain_condition(&mut c, &HEMOCHROMATOSIS, onset)?;
    }
    if ida {
        let onset = onset_in(&mut c.rng, 5);
        if chance(&mut c.rng, 0.3) {
            let abated = days_after(onset, c.rng.i64(60..300)).min(end);
            condition(
                &mut c,
                &IDA,
                Coding::Icd,
                onset,
                "resolved",
                "confirmed",
                Some(abated),
                IDA.text,
            )?;
        } else {
            plain_condition(&mut c, &IDA, onset)?;
        }
    }
    if parkinson {
        let onset = onset_in(&mut c.rng, 8);
        plain_condition(&mut c, &PARKINSON, onset)?;
    }
    if osa {
        let onset = onset_in(&mut c.rng, 8);
        plain_condition(&mut c, &OSA, onset)?;
    }
    let mut depression = false;
    if !child {
        for (i, (cond, share)) in OTHER_CONDITIONS.iter().enumerate() {
            if chance(&mut c.rng, *share) {
                depression |= i == 4 || i == 5;
                let onset = onset_in(&mut c.rng, 10);
                plain_condition(&mut c, cond, onset)?;
            }
        }
    }
    // Pregnancy: current (recent), or a past one that has ended.
    let mut weeks = 0;
    // Whether the pregnancy is shown by a status Observation (always, when
    // there is no Condition).
    let mut pregnancy_status = false;
    if pregnant {
        weeks = c.rng.i64(5..39);
        let onset = days_before(end, (weeks - 4).max(1) * 7);
        let how = weighted(&mut c.rng, &[50, 30, 20]);
        pregnancy_status = how == 2 || chance(&mut c.rng, 0.6);
        match how {
            0 => condition(
                &mut c,
                &PREGNANCY_SCT,
                Coding::Snomed,
                onset,
                "active",
                "confirmed",
                None,
                PREGNANCY_SCT.text,
            )?,
            1 => condition(
                &mut c,
                &PREGNANCY_ICD,
                Coding::Icd,
                onset,
                "active",
                "confirmed",
                None,
                PREGNANCY_ICD.text,
            )?,
            _ => {} // only the status Observation below
        }
    } else if sex.female() && (20..=50).contains(&age) && chance(&mut c.rng, 0.05) {
        let onset = days_before(end, c.rng.i64(700..2000));
        let abated = days_after(onset, 250);
        condition(
            &mut c,
            &PREGNANCY_ICD,
            Coding::Icd,
            onset,
            "resolved",
            "confirmed",
            Some(abated),
            PREGNANCY_ICD.text,
        )?;
    }

    // Medicines, decided before the labs: iron changes ferritin.
    let mut infusions: Vec<Infusion> = Vec::new();
    let mut courses: Vec<Course> = Vec::new();
    let mut oral_iron: Option<(NaiveDate, Option<NaiveDate>)> = None;
    let course_dates =
        |rng: &mut Rng, after: NaiveDate, ongoing: f64| -> (NaiveDate, Option<NaiveDate>) {
            let earliest = after.max(days_before(end, 8 * 365));
            let span = (end - earliest).num_days().max(30);
            let start = days_after(earliest, rng.i64(0..span - 14));
            if chance(rng, ongoing) {
                (start, None)
            } else {
                let left = (end - start).num_days().max(2);
                (
                    start,
                    Some(
                        days_after(start, rng.i64(1..left))
                            .min(days_before(end, 1))
                            .max(start),
                    ),
                )
            }
        };
    if rls {
        for (med, share) in RLS_MEDS.iter() {
            if child && med.name != "ferrous sulfate" && med.name != "gabapentin" {
                continue;
            }
            if chance(&mut c.rng, *share) {
                let ongoing = if med.name == "ferrous sulfate" {
                    0.35
                } else {
                    0.65
                };
                let (start, stop) = course_dates(&mut c.rng, rls_onset, ongoing);
                if med.name == "ferrous sulfate" {
                    oral_iron = Some((start, stop));
                }
                courses.push(Course {
                    med,
                    start,
                    end: stop,
                });
            }
        }
        if !child && chance(&mut c.rng, 0.08) {
            let med = if chance(&mut c.rng, 0.7) {
                &FERRIC_CARBOXYMALTOSE
            } else {
                &FERRIC_DERISOMALTOSE
            };
            let n = weighted(&mut c.rng, &[50, 30, 15, 5]) + 1;
            let mut date = days_before(end, c.rng.i64(60..history.max(61)));
            for _ in 0..n {
                if date >= end {
                    break;
                }
                infusions.push(Infusion {
                    date,
                    carboxymaltose: med.name == "ferric carboxymaltose",
                });
                infusion(&mut c, med, date)?;
                date = days_after(date, c.rng.i64(90..540));
            }
        }
    } else if ida && chance(&mut c.rng, 0.6) {
        let (start, stop) = course_dates(&mut c.rng, days_before(end, history), 0.3);
        oral_iron = Some((start, stop));
        courses.push(Course {
            med: &FERROUS_SULFATE,
            start,
            end: stop,
        });
    } else if ida && chance(&mut c.rng, 0.2) {
        let date = days_before(end, c.rng.i64(30..history.max(31)));
        infusions.push(Infusion {
            date,
            carboxymaltose: true,
        });
        infusion(&mut c, &FERRIC_CARBOXYMALTOSE, date)?;
    } else if !child && chance(&mut c.rng, 0.012) {
        let (start, stop) = course_dates(&mut c.rng, days_before(end, history), 0.4);
        courses.push(Course {
            med: &FERROUS_SULFATE,
            start,
            end: stop,
        });
    }
    if esrd && chance(&mut c.rng, 0.6) {
        let mut date = days_before(end, c.rng.i64(30..history.max(31)));
        while date < end {
            infusions.push(Infusion {
                date,
                carboxymaltose: false,
            });
            infusion(&mut c, &IRON_SUCROSE, date)?;
            date = days_after(date, c.rng.i64(60..240));
        }
    }
    if !child {
        for (i, (med, share)) in POPULATION_MEDS.iter().enumerate() {
            let p = match i {
                LISINOPRIL if hypertension => 0.45,
                AMLODIPINE if hypertension => 0.35,
                METFORMIN if diabetes => 0.8,
                LEVOTHYROXINE if sex.female() => share * 1.6,
                SERTRALINE..=4 if depression => share * 5.0,
                10 if old => 0.3,
                _ => *share,
            };
            if chance(&mut c.rng, p) {
                let (start, stop) = course_dates(&mut c.rng, days_before(end, 10 * 365), 0.7);
                courses.push(Course {
                    med,
                    start,
                    end: stop,
                });
            }
        }
    }
    for k in &courses {
        course(&mut c, k)?;
    }

    // Visits.
    let mut n_visits = 1 + weighted(&mut c.rng, &[50, 28, 12, 6, 3, 1]) as i64;
    if rls {
        n_visits += c.rng.i64(1..4);
    }
    if child {
        n_visits = n_visits.min(3);
    }
    let mut visits: Vec<Visit> = Vec::new();
    for _ in 0..n_visits {
        let date = days_before(end, c.rng.i64(0..history.max(1)));
        let encounter = c.id();
        visits.push(Visit {
            date,
            encounter,
            hour: c.rng.u32(7..17),
            minute: c.rng.u32(..60),
        });
    }
    // A check on iron after each infusion, for many.
    for inf in &infusions {
        if chance(&mut c.rng, 0.6) {
            let date = days_after(inf.date, c.rng.i64(14..100));
            if date <= end {
                let encounter = c.id();
                visits.push(Visit {
                    date,
                    encounter,
                    hour: c.rng.u32(7..17),
                    minute: c.rng.u32(..60),
                });
            }
        }
    }
    let ferritin_on = |date: NaiveDate, rng: &mut Rng| -> f64 {
        let mut f = ferritin_base * (0.2 * normal(rng)).exp();
        if let Some((start, stop)) = oral_iron {
            if date >= start && stop.is_none_or(|s| date <= s) {
                f *= 1.5;
            }
        }
        for inf in &infusions {
            let months = (date - inf.date).num_days() as f64 / 30.4;
            if months >= 0.0 {
                f += 450.0 * (-months / 8.0).exp();
            }
        }
        f.clamp(1.0, 20_000.0)
    };
    let tsat_on = |date: NaiveDate, rng: &mut Rng| -> f64 {
        let mut t = tsat_base + 4.0 * normal(rng);
        for inf in &infusions {
            let months = (date - inf.date).num_days() as f64 / 30.4;
            if months >= 0.0 {
                t += 12.0 * (-months / 4.0).exp();
            }
        }
        t.clamp(2.0, 98.0)
    };
    for (vi, v) in visits.iter().enumerate() {
        encounter(&mut c, v)?;
        // Vital signs.
        if chance(&mut c.rng, 0.4) {
            let systolic = gauss(
                &mut c.rng,
                112.0 + 0.4 * age as f64 + if hypertension { 14.0 } else { 0.0 },
                11.0,
                85.0,
                210.0,
            );
            let diastolic = gauss(
                &mut c.rng,
                74.0 + if hypertension { 8.0 } else { 0.0 },
                8.0,
                45.0,
                125.0,
            );
            blood_pressure(&mut c, v, systolic, diastolic)?;
            let hr = gauss(&mut c.rng, 72.0, 10.0, 45.0, 140.0);
            if chance(&mut c.rng, 0.5) {
                quantity_obs(&mut c, &HEART_RATE, VITALS, v, v.date, hr, "final")?;
            }
            let height = if child {
                (80.0 + 6.5 * age as f64) + 5.0 * normal(&mut c.rng)
            } else if female_name {
                gauss(&mut c.rng, 163.0, 6.5, 140.0, 190.0)
            } else {
                gauss(&mut c.rng, 176.0, 7.0, 150.0, 205.0)
            };
            let bmi = if child {
                gauss(&mut c.rng, 17.5, 2.5, 12.0, 30.0)
            } else {
                lognormal(&mut c.rng, 27.0, 0.17, 16.0, 55.0)
            };
            let weight = bmi * (height / 100.0).powi(2);
            quantity_obs(&mut c, &BODY_WEIGHT, VITALS, v, v.date, weight, "final")?;
            if chance(&mut c.rng, 0.2) {
                quantity_obs(&mut c, &HEIGHT, VITALS, v, v.date, height, "final")?;
                quantity_obs(&mut c, &BMI, VITALS, v, v.date, bmi, "final")?;
            }
        }
        // Labs: the first visit always has some.
        let since_fcm = infusions
            .iter()
            .filter(|i| i.carboxymaltose)
            .map(|i| (v.date - i.date).num_days())
            .filter(|d| (0..=100).contains(d))
            .min();
        let iron_p = if rls || ida || !infusions.is_empty() {
            0.7
        } else if child {
            0.1
        } else {
            0.2
        };
        let iron_panel = chance(&mut c.rng, iron_p) || (vi == 0 && rls);
        if iron_panel {
            let f = ferritin_on(v.date, &mut c.rng);
            lab(&mut c, &FERRITIN, v, v.date, f)?;
            let t = tsat_on(v.date, &mut c.rng);
            let tsat_day = if chance(&mut c.rng, 0.1) {
                days_after(v.date, c.rng.i64(1..4)).min(end)
            } else {
                v.date
            };
            match weighted(&mut c.rng, &[40, 30, 30]) {
                0 => lab(&mut c, &TSAT, v, tsat_day, t)?,
                which => {
                    let tibc = (tibc_base + 5.0 * normal(&mut c.rng)).clamp(30.0, 110.0);
                    let iron = (t / 100.0 * tibc).max(1.0);
                    lab(&mut c, &IRON, v, v.date, iron)?;
                    lab(&mut c, &TIBC, v, v.date, tibc)?;
                    if which == 2 {
                        lab(&mut c, &TSAT, v, tsat_day, iron / tibc * 100.0)?;
                    }
                }
            }
        }
        // The first visit always has a lab.
        if chance(&mut c.rng, 0.35) || (vi == 0 && !iron_panel) {
            let mean = if child {
                13.0
            } else if female_name {
                13.3
            } else {
                14.9
            } - if ida { 2.5 } else { 0.0 }
                - if ckd { 1.2 } else { 0.0 }
                - if esrd { 3.0 } else { 0.0 }
                - if pregnant { 1.0 } else { 0.0 };
            let hb = gauss(&mut c.rng, mean, 1.1, 6.0, 19.5);
            lab(&mut c, &HEMOGLOBIN, v, v.date, hb)?;
        }
        if chance(
            &mut c.rng,
            if ckd || esrd {
                0.9
            } else if child {
                0.1
            } else {
                0.25
            },
        ) {
            let creat_mgdl = if esrd {
                gauss(&mut c.rng, 6.5, 1.5, 3.0, 14.0)
            } else if ckd {
                gauss(&mut c.rng, 1.6, 0.3, 1.1, 3.0)
            } else if female_name {
                gauss(&mut c.rng, 0.75, 0.13, 0.4, 1.3)
            } else {
                gauss(&mut c.rng, 0.95, 0.16, 0.5, 1.5)
            };
            lab(&mut c, &CREATININE, v, v.date, creat_mgdl * 88.42)?;
            let egfr_p = if ckd || esrd { 0.95 } else { 0.7 };
            let egfr = if esrd {
                gauss(&mut c.rng, 9.0, 3.0, 3.0, 14.0)
            } else if ckd {
                gauss(&mut c.rng, 45.0, 8.0, 30.0, 59.0)
            } else {
                gauss(&mut c.rng, 118.0 - 0.8 * age as f64, 12.0, 60.0, 140.0)
            };
            if chance(&mut c.rng, egfr_p) {
                lab(&mut c, &EGFR, v, v.date, egfr)?;
            }
        }
        let phosphate_p = if since_fcm.is_some() {
            0.55
        } else if ckd || esrd {
            0.6
        } else {
            0.08
        };
        if chance(&mut c.rng, phosphate_p) {
            let p = if since_fcm.is_some() && chance(&mut c.rng, 0.5) {
                gauss(&mut c.rng, 2.0, 0.45, 0.7, 3.0)
            } else if esrd {
                gauss(&mut c.rng, 5.8, 1.2, 3.0, 10.0)
            } else {
                gauss(&mut c.rng, 3.5, 0.5, 2.3, 4.8)
            };
            lab(&mut c, &PHOSPHATE, v, v.date, p)?;
        }
        let vitamin_p = if rls { 0.3 } else { 0.07 };
        if chance(&mut c.rng, if iron_panel { 0.35 } else { 0.12 }) {
            let crp = lognormal(&mut c.rng, 1.8, 1.0, 0.1, 250.0);
            lab(&mut c, &CRP, v, v.date, crp)?;
        }
        if chance(&mut c.rng, vitamin_p) {
            let d = gauss(&mut c.rng, 28.0, 10.0, 4.0, 95.0);
            lab(&mut c, &VITAMIN_D, v, v.date, d)?;
        }
        if chance(&mut c.rng, vitamin_p * 0.8) {
            let b12 = lognormal(&mut c.rng, 420.0, 0.35, 90.0, 2000.0);
            lab(&mut c, &B12, v, v.date, b12)?;
        }
        if chance(&mut c.rng, vitamin_p * 0.6) {
            let folate = lognormal(&mut c.rng, 11.0, 0.4, 2.0, 24.0);
            lab(&mut c, &FOLATE, v, v.date, folate)?;
        }
        // Labs no rule reads.
        if chance(
            &mut c.rng,
            if diabetes {
                0.9
            } else if child {
                0.03
            } else {
                0.1
            },
        ) {
            let a1c = if diabetes {
                gauss(&mut c.rng, 7.3, 1.0, 5.5, 13.0)
            } else {
                gauss(&mut c.rng, 5.4, 0.3, 4.3, 6.4)
            };
            quantity_obs(&mut c, &HBA1C, LAB, v, v.date, a1c, "final")?;
        }
        if !child && chance(&mut c.rng, 0.12) {
            let chol = gauss(&mut c.rng, 195.0, 38.0, 100.0, 350.0);
            quantity_obs(&mut c, &CHOLESTEROL, LAB, v, v.date, chol, "final")?;
        }
        if chance(&mut c.rng, 0.12) {
            let glucose = if diabetes {
                gauss(&mut c.rng, 150.0, 35.0, 70.0, 400.0)
            } else {
                gauss(&mut c.rng, 94.0, 11.0, 65.0, 140.0)
            };
            quantity_obs(&mut c, &GLUCOSE, LAB, v, v.date, glucose, "final")?;
        }
        // A blood draw, now and then recorded as a procedure.
        if chance(&mut c.rng, 0.25) {
            let e = v.encounter.clone();
            procedure(
                &mut c,
                "82078001",
                "Collection of blood specimen for laboratory (procedure)",
                v.date,
                Some(&e),
            )?;
        }
    }
    if !child && chance(&mut c.rng, 0.6) {
        let answer = match weighted(&mut c.rng, &[60, 25, 15]) {
            0 => ("266919005", "Never smoker"),
            1 => ("8517006", "Ex-smoker"),
            _ => ("449868002", "Smokes tobacco daily"),
        };
        let date = days_before(end, c.rng.i64(0..history.max(1)));
        coded_obs(
            &mut c,
            (
                "72166-2",
                "Tobacco smoking status",
                "Tobacco smoking status",
            ),
            ("social-history", "Social History"),
            date,
            (SNOMED, answer.0, answer.1),
        )?;
    }
    // Pregnancy status.
    const STATUS: (&str, &str, &str) = ("82810-3", "Pregnancy status", "Pregnancy status");
    let survey = ("survey", "Survey");
    if pregnancy_status {
        let date = days_before(end, c.rng.i64(0..(weeks * 7 - 28).clamp(1, 60)));
        coded_obs(
            &mut c,
            STATUS,
            survey,
            date,
            (SNOMED, "77386006", "Pregnant"),
        )?;
    } else if !pregnant && sex.female() && (16..=50).contains(&age) && chance(&mut c.rng, 0.1) {
        let date = days_before(end, c.rng.i64(0..history.max(1)));
        coded_obs(
            &mut c,
            STATUS,
            survey,
            date,
            (SNOMED, "60001007", "Not pregnant"),
        )?;
    }

    // Unrelated resources.
    if osa && chance(&mut c.rng, 0.6) || rls && chance(&mut c.rng, 0.15) {
        let date = days_before(end, c.rng.i64(30..history.max(31)));
        procedure(
            &mut c,
            "60554003",
            "Polysomnography (procedure)",
            date,
            None,
        )?;
    }
    if esrd {
        let mut date = days_before(end, c.rng.i64(30..history.max(31)));
        while date < end {
            procedure(&mut c, "302497006", "Hemodialysis (procedure)", date, None)?;
            date = days_after(date, c.rng.i64(20..60));
        }
    }
    if old && chance(&mut c.rng, 0.15) {
        let date = days_before(end, c.rng.i64(30..history.max(31)));
        procedure(&mut c, "73761001", "Colonoscopy (procedure)", date, None)?;
    }
    if !child && chance(&mut c.rng, 0.1) {
        let date = days_before(end, c.rng.i64(0..history.max(1)));
        procedure(
            &mut c,
            "29303009",
            "Electrocardiographic procedure (procedure)",
            date,
            None,
        )?;
    }
    // Influenza most autumns for some, and now and then another vaccine.
    let flu_years = if chance(&mut c.rng, 0.3) {
        (history / 365).clamp(1, 3)
    } else {
        0
    };
    for y in 0..flu_years {
        if chance(&mut c.rng, 0.7) {
            let date = days_before(end, 60 + y * 365 + c.rng.i64(0..90));
            immunization(&mut c, VACCINES[0], date)?;
        }
    }
    for vaccine in &VACCINES[1..] {
        if chance(&mut c.rng, 0.08) {
            let date = days_before(end, c.rng.i64(0..history.max(1)));
            immunization(&mut c, *vaccine, date)?;
        }
    }
    for a in &ALLERGIES {
        if chance(&mut c.rng, 0.05) {
            let date = days_before(end, c.rng.i64(0..history.max(1)));
            allergy(&mut c, *a, date)?;
        }
    }
    Ok(())
}

const HEART_RATE: Lab = Lab {
    codes: &[("8867-4", "Heart rate")],
    text: "Heart rate",
    units: &[Unit("beats/minute", "/min", 1.0, 0, 1)],
};
const BODY_WEIGHT: Lab = Lab {
    codes: &[("29463-7", "Body weight")],
    text: "Body weight",
    units: &[Unit("kg", "kg", 1.0, 1, 1)],
};
const HEIGHT: Lab = Lab {
    codes: &[("8302-2", "Body height")],
    text: "Body height",
    units: &[Unit("cm", "cm", 1.0, 1, 1)],
};
const BMI: Lab = Lab {
    codes: &[("39156-5", "Body mass index (BMI) [Ratio]")],
    text: "BMI",
    units: &[Unit("kg/m2", "kg/m2", 1.0, 1, 1)],
};

/// The error file's lines: resources the "server" could not export.
pub(crate) fn outcomes(opts: &SynthOptions) -> Vec<String> {
    let mut rng = Rng::with_seed(seed_for(opts.seed, u64::MAX, 0));
    let mut lines = Vec::new();
    let n = 2 + rng.usize(..2);
    for k in 0..n {
        let id = uuid(rng.u64(..), rng.u64(..));
        let (severity, code, text) = match k {
            0 => (
                "error",
                "processing",
                format!(
                    "Observation/{} could not be exported: the stored resource failed validation",
                    uuid(rng.u64(..), rng.u64(..))
                ),
            ),
            1 => (
                "warning",
                "too-costly",
                "DocumentReference resources were not exported: attachments over 10 MB were left out"
                    .to_string(),
            ),
            _ => (
                "error",
                "exception",
                "a timeout occurred reading the Procedure partition 7; it was retried and exported"
                    .to_string(),
            ),
        };
        lines.push(format!(
            r#"{{"resourceType":"OperationOutcome","id":"{id}","issue":[{{"severity":"{severity}","code":"{code}","diagnostics":{}}}]}}"#,
            Q(&text)
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patient_ids_depend_on_seed_and_index() {
        assert_eq!(patient_id(1, 5), patient_id(1, 5));
        assert_ne!(patient_id(1, 5), patient_id(1, 6));
        assert_ne!(patient_id(1, 5), patient_id(2, 5));
        let id = patient_id(7, 0);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
    }

    #[test]
    fn weighted_choice_respects_zero_weights() {
        let mut rng = Rng::with_seed(3);
        for _ in 0..1000 {
            assert_ne!(weighted(&mut rng, &[5, 0, 5]), 1);
        }
    }
}
