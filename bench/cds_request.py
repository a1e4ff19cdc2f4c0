#!/usr/bin/env python3
"""Writes a realistic CDS Hooks patient-view request (JSON) to stdout, for
bench/cds.sh: an adult with restless legs syndrome (ICD-10 G25.81), a year of
monthly labs in mixed units (ferritin, TSAT, iron, haemoglobin, CRP), ten
medicines as MedicationRequests, and a few other conditions, all as prefetch.
Dates are relative to today, so the request is recent whenever it is made."""

import datetime
import json
import sys

PATIENT = "bench-patient-1"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def observation(n, code, display, value, unit, day):
    return {
        "fullUrl": f"https://ehr.example.org/fhir/Observation/obs-{n}",
        "resource": {
            "resourceType": "Observation",
            "id": f"obs-{n}",
            "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": code, "display": display}]},
            "subject": {"reference": f"Patient/{PATIENT}"},
            "effectiveDateTime": f"{day.isoformat()}T07:45:00-05:00",
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
        },
    }


def labs(today):
    entries = []
    n = 0
    for month in range(12):
        day = today - datetime.timedelta(days=30 * (12 - month) + 14)
        odd = month % 2 == 1
        ferritin = 22 + month * 2.5
        tsat = 14 + month * 0.8
        iron_ug_dl = 55 + month * 2
        rows = [
            ("2276-4", "Ferritin [Mass/volume] in Serum or Plasma",
             ferritin, "ug/L" if odd else "ng/mL"),
            ("2502-3", "Iron saturation [Mass Fraction] in Serum or Plasma", tsat, "%"),
            ("2498-4", "Iron [Mass/volume] in Serum or Plasma",
             round(iron_ug_dl * 0.179, 1) if odd else iron_ug_dl, "umol/L" if odd else "ug/dL"),
            ("718-7", "Hemoglobin [Mass/volume] in Blood",
             128 + month if odd else 12.8 + month / 10, "g/L" if odd else "g/dL"),
            ("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma",
             0.3 if odd else 3.0, "mg/dL" if odd else "mg/L"),
        ]
        for code, display, value, unit in rows:
            n += 1
            entries.append(observation(n, code, display, value, unit, day))
    return entries


MEDICINES = [
    ("36437", "sertraline", "Sertraline 50 mg tablet"),
    ("6809", "metformin", "Metformin 500 mg tablet"),
    ("29046", "lisinopril", "Lisinopril 10 mg tablet"),
    ("83367", "atorvastatin", "Atorvastatin 20 mg tablet"),
    ("10582", "levothyroxine", "Levothyroxine 50 microgram tablet"),
    ("7646", "omeprazole", "Omeprazole 20 mg capsule"),
    ("17767", "amlodipine", "Amlodipine 5 mg tablet"),
    ("25480", "gabapentin", "Gabapentin 300 mg capsule"),
    ("161", "acetaminophen", "Acetaminophen 500 mg tablet"),
    ("3498", "diphenhydramine", "Diphenhydramine 25 mg capsule"),
]


def medications(today):
    entries = []
    for i, (code, name, text) in enumerate(MEDICINES):
        started = today - datetime.timedelta(days=400 - 20 * i)
        entries.append({"resource": {
            "resourceType": "MedicationRequest",
            "id": f"med-{i + 1}",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [{"system": RXNORM, "code": code, "display": name}],
                "text": text},
            "subject": {"reference": f"Patient/{PATIENT}"},
            "authoredOn": started.isoformat(),
            "dosageInstruction": [{"text": "as directed"}],
        }})
    return entries


def condition(i, system, code, display):
    return {"resource": {
        "resourceType": "Condition",
        "id": f"cond-{i}",
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"}]},
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{PATIENT}"},
    }}


def searchset(entries):
    return {"resourceType": "Bundle", "type": "searchset", "total": len(entries),
            "entry": entries}


def main():
    today = datetime.date.today()
    request = {
        "hookInstance": "0d7a4c1e-3f0b-4b8e-9a51-6c2f1e8b7d90",
        "hook": "patient-view",
        "fhirServer": "https://ehr.example.org/fhir",
        "fhirAuthorization": {"access_token": "bench-token", "token_type": "Bearer",
                              "expires_in": 300, "scope": "user/*.read",
                              "subject": "willis-cds"},
        "context": {"userId": "Practitioner/bench", "patientId": PATIENT},
        "prefetch": {
            "patient": {"resourceType": "Patient", "id": PATIENT, "gender": "female",
                        "birthDate": "1968-09-30"},
            "observations": searchset(labs(today)),
            "medications": searchset(medications(today)),
            "conditions": searchset([
                condition(1, "http://hl7.org/fhir/sid/icd-10-cm", "G25.81",
                          "Restless legs syndrome"),
                condition(2, "http://snomed.info/sct", "44054006", "Type 2 diabetes mellitus"),
                condition(3, "http://hl7.org/fhir/sid/icd-10-cm", "I10", "Essential hypertension"),
                condition(4, "http://snomed.info/sct", "40930008", "Hypothyroidism"),
            ]),
        },
    }
    json.dump(request, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
