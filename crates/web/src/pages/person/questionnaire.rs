//! `/people/{id}/questionnaire`: the five diagnostic criteria in plain words,
//! how often, when and where, red flags, sleep and the person's details.
//!
//! The IRLS item wording is licensed and never shown: only a total a
//! clinician gave is asked for.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use maud::html;
use willis_core::{PatientFile, RecordFile, SleepFile, SymptomsFile};
use willis_store::{Access, Payload, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

/// The five criteria in plain words, with the record field each answers
/// (the wording of `willis check`).
const CRITERIA: [(&str, &str); 5] = [
    (
        "urge_to_move",
        "Do you have an urge to move your legs, usually with unpleasant feelings in them (creeping, crawling, tingling, aching)?",
    ),
    (
        "worse_at_rest",
        "Does it start, or get worse, when you are resting — sitting or lying down?",
    ),
    (
        "relieved_by_movement",
        "Does moving (walking, stretching) relieve it, at least while you keep moving?",
    ),
    (
        "worse_evening_or_night",
        "Is it worse in the evening or at night than during the day (or only there then)?",
    ),
    (
        "not_explained_by_other_condition",
        "Is it something other than cramps, joint pain, swollen legs, or simply an uncomfortable position?",
    ),
];

const RED_FLAGS: [(&str, &str, Option<&str>); 3] = [
    ("one_sided", "Are the symptoms on one side of the body only?", None),
    (
        "weakness_or_numbness",
        "Do you also have weakness or numbness (not only the urge to move)?",
        None,
    ),
    (
        "impulse_control_problems",
        "Since starting a dopamine medicine, have you had new urges that are hard to control — gambling, shopping, eating, sex?",
        Some("Only if you take pramipexole, ropinirole, rotigotine or levodopa; otherwise leave it at “Not sure”."),
    ),
];

const SLEEP: [(&str, &str); 4] = [
    ("snoring", "Do you snore loudly most nights?"),
    (
        "witnessed_apneas",
        "Has anyone seen you stop breathing in your sleep?",
    ),
    (
        "excessive_daytime_sleepiness",
        "Do you often doze off in the day without meaning to?",
    ),
    (
        "limb_jerks_reported",
        "Has a bed partner noticed your legs jerking while you sleep?",
    ),
];

/// Field names whose messages go beside their input.
const KNOWN: [&str; 11] = [
    "days_per_week",
    "onset_time",
    "body_parts",
    "irls_total",
    "epworth",
    "birth_date",
    "sex",
    "pregnancy_weeks",
    "weight_kg",
    "dialysis",
    "irls_items",
];

fn irls_of(s: &SymptomsFile) -> Option<i64> {
    s.irls_total
        .or_else(|| s.irls_items.as_ref().map(|items| items.iter().sum()))
}

/// The form filled from the record.
fn prefill(r: &RecordFile) -> Fields {
    let mut f = Fields::default();
    let s = r.symptoms.clone().unwrap_or_default();
    for (name, known) in [
        ("urge_to_move", s.urge_to_move),
        ("worse_at_rest", s.worse_at_rest),
        ("relieved_by_movement", s.relieved_by_movement),
        ("worse_evening_or_night", s.worse_evening_or_night),
        (
            "not_explained_by_other_condition",
            s.not_explained_by_other_condition,
        ),
        ("one_sided", s.one_sided),
        ("weakness_or_numbness", s.weakness_or_numbness),
        ("impulse_control_problems", s.impulse_control_problems),
    ] {
        f.set(name, answer_value(known));
    }
    f.set_opt("days_per_week", s.days_per_week);
    f.set_opt("onset_time", s.onset_time.clone());
    for part in &s.body_parts {
        // The record format's other spellings, as the check boxes name them.
        let part = match part.trim().to_lowercase().as_str() {
            "leg" => "legs".to_string(),
            "arm" | "hand" | "hands" => "arms".to_string(),
            "body" | "torso" => "trunk".to_string(),
            other => other.to_string(),
        };
        f.push("body_parts", part);
    }
    f.set_opt("irls_total", irls_of(&s));
    let sl = r.sleep.clone().unwrap_or_default();
    for (name, known) in [
        ("snoring", sl.snoring),
        ("witnessed_apneas", sl.witnessed_apneas),
        (
            "excessive_daytime_sleepiness",
            sl.excessive_daytime_sleepiness,
        ),
        ("limb_jerks_reported", sl.limb_jerks_reported),
    ] {
        f.set(name, answer_value(known));
    }
    f.set_opt("epworth", sl.epworth);
    let p = r.patient.clone().unwrap_or_default();
    f.set_opt("birth_date", p.birth_date);
    f.set_opt(
        "sex",
        p.sex.map(|s| match s.trim().to_lowercase().as_str() {
            "f" | "female" => "female",
            "m" | "male" => "male",
            _ => "",
        }),
    );
    f.set_opt("pregnancy_weeks", p.pregnancy_weeks);
    if p.dialysis == Some(true) {
        f.set("dialysis", "yes");
    }
    f.set_opt("weight_kg", p.weight_kg.map(show_number));
    f
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = reader(&web, &c, id).await?;
    let r = record(&web, &c, id).await?;
    let f = prefill(&r);
    if who.access != Access::Write {
        return Ok(read_only(&c, &who, &f));
    }
    Ok(render(
        &web,
        &c,
        &who,
        id,
        &f,
        &Errors::default(),
        q.done.as_deref(),
    ))
}

/// The answers without a form, for a caller who may only read.
fn read_only(c: &Caller, who: &Authorized, f: &Fields) -> Response {
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let said = |name: &str| match f.get(name) {
        "yes" => "Yes",
        "no" => "No",
        _ => "Not sure",
    };
    let or_dash = |name: &str| {
        let v = f.get(name);
        if v.is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    let questions = CRITERIA
        .iter()
        .map(|(n, q)| (*n, *q))
        .chain(RED_FLAGS.iter().map(|(n, q, _)| (*n, *q)))
        .chain(SLEEP.iter().map(|(n, q)| (*n, *q)));
    let body = html! {
        h1 { "Questionnaire" }
        p.hint { "You may read this journal but not change it." }
        dl.answers {
            @for (name, question) in questions {
                dt { (question) } dd { (said(name)) }
            }
            dt { "Days a week with symptoms" } dd { (or_dash("days_per_week")) }
            dt { "Usual start" } dd { (or_dash("onset_time")) }
            dt { "Where" } dd { @let parts = f.all("body_parts"); (if parts.is_empty() { "—".to_string() } else { parts.join(", ") }) }
            dt { "IRLS total from a clinician" } dd { (or_dash("irls_total")) }
            dt { "Epworth total" } dd { (or_dash("epworth")) }
            dt { "Date of birth" } dd { (or_dash("birth_date")) }
            dt { "Sex" } dd { (or_dash("sex")) }
            dt { "Pregnancy weeks" } dd { (or_dash("pregnancy_weeks")) }
            dt { "Dialysis" } dd { (if f.has("dialysis", "yes") { "Yes" } else { "—" }) }
            dt { "Weight (kg)" } dd { (or_dash("weight_kg")) }
        }
    };
    page(layout("Questionnaire", Some(c), Some(&about), body))
}

fn render(
    web: &Web,
    c: &Caller,
    who: &Authorized,
    id: i64,
    f: &Fields,
    e: &Errors,
    done: Option<&str>,
) -> Response {
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let described = |id: &str, hint: Option<&str>| -> Option<String> {
        let parts: Vec<String> = hint
            .map(str::to_string)
            .into_iter()
            .chain(e.describe(id))
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    };
    let body = html! {
        h1 { "Questionnaire" }
        (notice(done))
        p.lead { "A few questions about your symptoms, in plain words. Answer what you can; “Not sure” is a fine answer." }
        (e.top())
        form method="post" action=(format!("/people/{id}/questionnaire")) {
            (csrf(c))
                section aria-labelledby="q-criteria" {
                    h2 #q-criteria { "The symptoms" }
                    @for (name, question) in CRITERIA { (yes_no(f, name, question, None)) }
                }
                section aria-labelledby="q-when" {
                    h2 #q-when { "How often, when and where" }
                    label for="days_per_week" { "On how many days a week do you have symptoms (0–7)?" }
                    input #days_per_week name="days_per_week" type="number" min="0" max="7" step="1"
                        inputmode="numeric" value=(f.get("days_per_week")) aria-describedby=[e.describe("days_per_week")];
                    (e.at("days_per_week"))
                    label for="onset_time" { "At what time do they usually start?" }
                    input #onset_time name="onset_time" type="time" value=(f.get("onset_time"))
                        aria-describedby=[e.describe("onset_time")];
                    (e.at("onset_time"))
                    (body_parts(f, "", "Where do you feel them?"))
                    (e.at("body_parts"))
                    label for="irls_total" { "IRLS total from a clinician (0–40), if you were given one" }
                    p.hint #irls_total-hint { "Leave it empty if nobody has scored the IRLS rating scale with you." }
                    input #irls_total name="irls_total" type="number" min="0" max="40" step="1" inputmode="numeric"
                        value=(f.get("irls_total")) aria-describedby=[described("irls_total", Some("irls_total-hint"))];
                    (e.at("irls_total"))
                }
                section aria-labelledby="q-flags" {
                    h2 #q-flags { "Things your doctor should know" }
                    @for (name, question, hint) in RED_FLAGS { (yes_no(f, name, question, hint)) }
                }
                section aria-labelledby="q-sleep" {
                    h2 #q-sleep { "Sleep" }
                    @for (name, question) in SLEEP { (yes_no(f, name, question, None)) }
                    label for="epworth" { "Epworth Sleepiness Scale total (0–24), if you have one" }
                    input #epworth name="epworth" type="number" min="0" max="24" step="1" inputmode="numeric"
                        value=(f.get("epworth")) aria-describedby=[e.describe("epworth")];
                    (e.at("epworth"))
                }
                section aria-labelledby="q-you" {
                    h2 #q-you { "About you" }
                    p.hint { "Age, sex, pregnancy, kidney dialysis and weight change which blood limits and treatments apply." }
                    label for="birth_date" { "Date of birth" }
                    input #birth_date name="birth_date" type="date" max=(web.today())
                        value=(f.get("birth_date")) aria-describedby=[e.describe("birth_date")];
                    (e.at("birth_date"))
                    label for="sex" { "Sex (for blood-result limits)" }
                    select #sex name="sex" aria-describedby=[e.describe("sex")] {
                        option value="" selected[f.get("sex").is_empty()] { "Other, or rather not say" }
                        option value="female" selected[f.get("sex") == "female"] { "Female" }
                        option value="male" selected[f.get("sex") == "male"] { "Male" }
                    }
                    (e.at("sex"))
                    label for="pregnancy_weeks" { "If pregnant: how many weeks?" }
                    input #pregnancy_weeks name="pregnancy_weeks" type="number" min="0" max="45" step="1"
                        inputmode="numeric" value=(f.get("pregnancy_weeks")) aria-describedby=[e.describe("pregnancy_weeks")];
                    (e.at("pregnancy_weeks"))
                    label for="dialysis" {
                        input #dialysis type="checkbox" name="dialysis" value="yes" checked[f.has("dialysis", "yes")];
                        "On kidney dialysis"
                    }
                    label for="weight_kg" { "Weight in kg, if you know it" }
                    input #weight_kg name="weight_kg" inputmode="decimal" value=(f.get("weight_kg"))
                        aria-describedby=[e.describe("weight_kg")];
                    (e.at("weight_kg"))
                }
            button #save-questionnaire type="submit" { "Save answers" }
        }
    };
    page(layout("Questionnaire", Some(c), Some(&about), body))
}

/// The sections the form describes, built on the current ones (fields the
/// form does not show are kept).
fn sections(f: &Fields, r: &RecordFile) -> Result<(SymptomsFile, SleepFile, PatientFile), Errors> {
    let mut errors = Errors::default();
    let mut check = |result: Result<Option<i64>, String>| match result {
        Ok(v) => v,
        Err(m) => {
            errors.add(&m, "", &KNOWN);
            None
        }
    };
    let days = check(form_integer("days_per_week", f.opt("days_per_week")));
    let irls = check(form_integer("irls_total", f.opt("irls_total")));
    let epworth = check(form_integer("epworth", f.opt("epworth")));
    let weeks = check(form_integer("pregnancy_weeks", f.opt("pregnancy_weeks")));
    let weight = match form_number("weight_kg", f.opt("weight_kg")) {
        Ok(v) => v,
        Err(m) => {
            errors.add(&m, "", &KNOWN);
            None
        }
    };
    if let Some(d) = f.opt("birth_date") {
        if chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_err() {
            errors.add(
                &format!("birth_date: {d:?} is not a date; use YYYY-MM-DD, such as 1970-05-31"),
                "",
                &KNOWN,
            );
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }

    let old = r.symptoms.clone().unwrap_or_default();
    let keep_items = irls == irls_of(&old);
    let symptoms = SymptomsFile {
        urge_to_move: answer(f.get("urge_to_move")),
        worse_at_rest: answer(f.get("worse_at_rest")),
        relieved_by_movement: answer(f.get("relieved_by_movement")),
        worse_evening_or_night: answer(f.get("worse_evening_or_night")),
        not_explained_by_other_condition: answer(f.get("not_explained_by_other_condition")),
        days_per_week: days,
        // A total left as it was keeps the clinician's item scores with it.
        irls_total: if keep_items { old.irls_total } else { irls },
        irls_items: if keep_items {
            old.irls_items.clone()
        } else {
            None
        },
        onset_time: f.opt("onset_time").map(|t| t.chars().take(5).collect()),
        body_parts: f.all("body_parts"),
        impulse_control_problems: answer(f.get("impulse_control_problems")),
        one_sided: answer(f.get("one_sided")),
        weakness_or_numbness: answer(f.get("weakness_or_numbness")),
        ..old
    };
    let old_sleep = r.sleep.clone().unwrap_or_default();
    let sleep = SleepFile {
        snoring: answer(f.get("snoring")),
        witnessed_apneas: answer(f.get("witnessed_apneas")),
        excessive_daytime_sleepiness: answer(f.get("excessive_daytime_sleepiness")),
        limb_jerks_reported: answer(f.get("limb_jerks_reported")),
        epworth,
        ..old_sleep
    };
    let old_patient = r.patient.clone().unwrap_or_default();
    let patient = PatientFile {
        birth_date: f.opt("birth_date").map(str::to_string),
        sex: f.opt("sex").map(str::to_string),
        pregnancy_weeks: weeks,
        // An unticked box keeps "not known" when nothing was said before.
        dialysis: if f.has("dialysis", "yes") {
            Some(true)
        } else if old_patient.dialysis.is_some() {
            Some(false)
        } else {
            None
        },
        weight_kg: weight,
    };
    Ok((symptoms, sleep, patient))
}

pub async fn save(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let r = record(&web, &c, id).await?;
    let (symptoms, sleep, patient) = match sections(&f, &r) {
        Ok(s) => s,
        Err(e) => return Ok(invalid(render(&web, &c, &who, id, &f, &e, None))),
    };
    let today = web.today();
    let mut facts = Vec::new();
    // Store only what changed; a section never given and left empty stays out.
    if r.symptoms.clone().unwrap_or_default() != symptoms {
        facts.push((today, Payload::Symptoms(symptoms)));
    }
    if r.sleep.clone().unwrap_or_default() != sleep {
        facts.push((today, Payload::Sleep(sleep)));
    }
    if r.patient.clone().unwrap_or_default() != patient {
        facts.push((today, Payload::Patient(patient)));
    }
    if facts.is_empty() {
        return Ok(done(
            &format!("/people/{id}/plan"),
            "Nothing changed in the answers.",
        ));
    }
    match web
        .pages()
        .append_many(c.user.id, PersonId(id), facts, web.clock())
        .await
    {
        Ok(_) => Ok(done(
            &format!("/people/{id}/plan"),
            "Answers saved; the plan below uses them.",
        )),
        Err(AppError::Invalid(m)) => {
            let e = Errors::from_message(&m, "", &KNOWN);
            Ok(invalid(render(&web, &c, &who, id, &f, &e, None)))
        }
        Err(other) => Err(other.into()),
    }
}
