//! `GET /cds-services`: the services Willis offers and the FHIR data each
//! asks the EHR to prefetch.

use serde_json::{json, Map, Value};

/// The CDS Hooks specification version the answers follow (2.0 wire
/// semantics; advertised as 3.0 asks).
pub const SPEC_VERSION: &str = "2.0.1";

/// The LOINC codes of the results Willis reads: every code of
/// [`willis_fhir::codes::loinc_test`] (a test checks each maps).
pub const LOINC_CODES: [&str; 20] = [
    "2276-4",  // ferritin
    "2502-3",  // transferrin saturation
    "2498-4",  // iron
    "2500-7",  // TIBC
    "3034-6",  // transferrin
    "718-7",   // haemoglobin
    "1988-5",  // CRP
    "30522-7", // hs-CRP
    "62292-8", // 25-OH vitamin D (total)
    "1989-3",  // 25-OH vitamin D3
    "14635-7", // 25-OH vitamin D (molar)
    "2132-9",  // vitamin B12
    "2284-8",  // folate
    "2777-1",  // phosphate
    "2160-0",  // creatinine
    "33914-3", // eGFR (MDRD)
    "48642-3", // eGFR (non-black)
    "48643-1", // eGFR (black)
    "62238-1", // eGFR (CKD-EPI)
    "98979-8", // eGFR (CKD-EPI 2021)
];

/// The prefetch keys every service asks for; a call lacking one (after the
/// fetch from `fhirServer`) gives no card.
pub const PREFETCH_KEYS: [&str; 4] = ["patient", "observations", "medications", "conditions"];

/// The services.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    PatientView,
    OrderSelect,
}

impl Service {
    pub const ALL: [Service; 2] = [Service::PatientView, Service::OrderSelect];

    pub fn id(self) -> &'static str {
        match self {
            Service::PatientView => "willis-rls-patient-view",
            Service::OrderSelect => "willis-rls-order-select",
        }
    }

    pub fn hook(self) -> &'static str {
        match self {
            Service::PatientView => "patient-view",
            Service::OrderSelect => "order-select",
        }
    }

    pub fn by_id(id: &str) -> Option<Service> {
        Service::ALL.into_iter().find(|s| s.id() == id)
    }

    fn title(self) -> &'static str {
        match self {
            Service::PatientView => "Willis: restless legs syndrome care plan",
            Service::OrderSelect => "Willis: medicines that can worsen restless legs syndrome",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Service::PatientView => {
                "For a patient with **restless legs syndrome** (a coded diagnosis such as \
                 SNOMED CT 32914008 or ICD-10 G25.81), the guideline's next steps from Willis: \
                 iron studies and iron treatment judged against the RLS thresholds (not the \
                 laboratory's normal range), medicines that can worsen RLS, dopamine agonist \
                 risks, and first-line treatment. Each card cites its sources and shows the \
                 results it was based on. No card for a patient without RLS."
            }
            Service::OrderSelect => {
                "When a medicine is selected for a patient with **restless legs syndrome**, \
                 warns if it can worsen RLS (for example sedating antihistamines, \
                 dopamine-blocking anti-sickness medicines, many antidepressants) or is a \
                 dopamine agonist the patient does not already take, and names safer \
                 alternatives."
            }
        }
    }

    /// The prefetch templates, by key.
    pub fn prefetch(self) -> Map<String, Value> {
        let codes: Vec<String> = LOINC_CODES
            .iter()
            .map(|c| format!("http://loinc.org|{c}"))
            .collect();
        let mut p = Map::new();
        p.insert("patient".into(), json!("Patient/{{context.patientId}}"));
        p.insert(
            "observations".into(),
            json!(format!(
                "Observation?patient={{{{context.patientId}}}}&code={}&_sort=-date&_count=500",
                codes.join(",")
            )),
        );
        p.insert(
            "medications".into(),
            json!("MedicationRequest?patient={{context.patientId}}&_include=MedicationRequest:medication&_count=500"),
        );
        p.insert(
            "conditions".into(),
            json!("Condition?patient={{context.patientId}}&_count=500"),
        );
        p
    }

    pub fn describe(self) -> Value {
        json!({
            "hook": self.hook(),
            "id": self.id(),
            "title": self.title(),
            "description": self.description(),
            "prefetch": self.prefetch(),
            "version": SPEC_VERSION,
            "hookVersion": "1.0",
        })
    }
}

/// The discovery document.
pub fn services() -> Value {
    json!({ "services": Service::ALL.map(Service::describe) })
}
