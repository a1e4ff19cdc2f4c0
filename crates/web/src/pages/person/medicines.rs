//! `/people/{id}/medicines`: current and past medicines, each checked against
//! the catalogue (can it make RLS worse? is it a dopamine agonist?), a form to
//! add one (the catalogue's names as suggestions) and a stop form per open
//! course.

use std::collections::BTreeSet;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use willis_core::knowledge::Effect;
use willis_core::{Knowledge, MedicationFile};
use willis_store::{Access, Payload, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

const KNOWN: [&str; 5] = ["name", "dose", "started", "stopped", "outcome"];

/// Every name and brand of the catalogue, sorted.
fn catalogue() -> BTreeSet<&'static str> {
    let k = Knowledge::get();
    let mut names = BTreeSet::new();
    for m in &k.medicines {
        names.insert(m.name.as_str());
        names.extend(m.brands.iter().map(String::as_str));
    }
    for m in &k.combinations {
        names.insert(m.name.as_str());
        names.extend(m.brands.iter().map(String::as_str));
    }
    names
}

/// What the catalogue says about a medicine, in words.
fn flags(name: &str) -> Markup {
    let found = Knowledge::get().ingredients(name);
    html! {
        @for (generic, class) in &found {
            @match class.effect {
                Effect::Aggravates => {
                    div.flag.warning.caution role="note" {
                        p { strong { "Can make RLS worse" } " — " (generic) " (" (class.label) ")." }
                        @if let Some(alt) = &class.alternatives {
                            p { "Safer alternatives to ask about: " (alt) }
                        }
                    }
                }
                Effect::DopamineAgonist => {
                    p.flag { span.badge.agonist { "dopamine agonist" } " "
                        (generic) ": watch for augmentation (symptoms earlier in the day, stronger, or spreading)." }
                }
                _ => {}
            }
        }
    }
}

pub async fn show(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    let who = reader(&web, &c, id).await?;
    let r = record(&web, &c, id).await?;
    Ok(render(
        &web,
        &c,
        &who,
        id,
        &r,
        &blank(&web),
        &Errors::default(),
        q.done.as_deref(),
    ))
}

fn blank(web: &Web) -> Fields {
    let mut f = Fields::default();
    f.set("started", web.today().to_string());
    f
}

#[allow(clippy::too_many_arguments)]
fn render(
    web: &Web,
    c: &Caller,
    who: &Authorized,
    id: i64,
    r: &RecordFile,
    f: &Fields,
    e: &Errors,
    done: Option<&str>,
) -> Response {
    let about = About {
        person: &who.person,
        access: who.access,
    };
    let writable = who.access == Access::Write;
    let today = web.today().to_string();
    let open = |m: &MedicationFile| m.stopped.as_deref().is_none_or(|s| s > today.as_str());
    let current: Vec<(usize, &MedicationFile)> = r
        .medications
        .iter()
        .enumerate()
        .filter(|(_, m)| open(m))
        .collect();
    let past: Vec<&MedicationFile> = r.medications.iter().filter(|m| !open(m)).collect();
    let body = html! {
        h1 { "Medicines" }
        (notice(done))
        @if !writable { p.hint { "You may read this journal but not change it." } }
        (e.top())
        h2 { "Taking now" }
        @if current.is_empty() {
            p { "No medicines recorded as taken now." }
        } @else {
            ul.courses {
                @for (i, m) in &current {
                    li.course {
                        p { strong { (m.name) } @if let Some(d) = &m.dose { " — " (d) }
                            @if let Some(s) = &m.started { " · since " (show_date(s)) }
                            @if let Some(o) = &m.outcome { " · " (outcome_label(o)) } }
                        (flags(&m.name))
                        @if writable && m.stopped.is_none() {
                            (stop_form(web, c, id, *i, m))
                        }
                    }
                }
            }
        }
        @if writable {
            h2 { "Add a medicine" }
            (add_form(web, c, id, f, e))
        }
        @if !past.is_empty() {
            h2 { "Taken before" }
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Medicine" } th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "How it went" } } }
                    tbody {
                        @for m in past {
                            tr {
                                td { (m.name) @if let Some(d) = &m.dose { " " (d) } (flags(&m.name)) }
                                td { (m.started.as_deref().map(show_date).unwrap_or_default()) }
                                td { (m.stopped.as_deref().map(show_date).unwrap_or_default()) }
                                td { (m.outcome.as_deref().map(outcome_label).unwrap_or("")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page(layout("Medicines", Some(c), Some(&about), body))
}

fn outcome_select(id: &str, current: &str) -> Markup {
    html! {
        select id=(id) name="outcome" {
            @for (value, text) in OUTCOMES {
                option value=(value) selected[current == value] { (text) }
            }
        }
    }
}

fn stop_form(web: &Web, c: &Caller, id: i64, i: usize, m: &MedicationFile) -> Markup {
    let p = format!("stop-{i}-");
    html! {
        details.stop {
            summary { "Stopped " (m.name) "?" }
            form.card method="post" action=(format!("/people/{id}/medicines/stop")) {
                (csrf(c))
                input type="hidden" name="name" value=(m.name);
                label for=(format!("{p}stopped")) { "Stopped on" }
                input id=(format!("{p}stopped")) name="stopped" type="date" required max=(web.today()) value=(web.today());
                label for=(format!("{p}outcome")) { "How did it go?" }
                (outcome_select(&format!("{p}outcome"), ""))
                button type="submit" { "Record the stop" }
            }
        }
    }
}

fn add_form(web: &Web, c: &Caller, id: i64, f: &Fields, e: &Errors) -> Markup {
    html! {
        form.card method="post" action=(format!("/people/{id}/medicines")) {
            (csrf(c))
            label for="medicine-name" { "Medicine" }
            p.hint #medicine-name-hint { "Generic or brand name; start typing to see the catalogue's names." }
            input #medicine-name name="name" list="catalogue" required autocomplete="off" maxlength="200"
                value=(f.get("name"))
                aria-describedby=(match e.describe("name") { Some(_) => "medicine-name-hint name-error", None => "medicine-name-hint" });
            datalist #catalogue {
                @for n in catalogue() { option value=(n) {} }
            }
            (e.at("name"))
            label for="dose" { "Dose (optional)" }
            input #dose name="dose" maxlength="100" placeholder="e.g. 0.25 mg at night" value=(f.get("dose"));
            label for="started" { "Started" }
            input #started name="started" type="date" max=(web.today()) value=(f.get("started"))
                aria-describedby=[e.describe("started")];
            (e.at("started"))
            label for="stopped" { "Stopped (leave empty if still taking it)" }
            input #stopped name="stopped" type="date" max=(web.today()) value=(f.get("stopped"))
                aria-describedby=[e.describe("stopped")];
            (e.at("stopped"))
            label for="outcome" { "How did it go?" }
            (outcome_select("outcome", f.get("outcome")))
            (e.at("outcome"))
            button #add-medicine type="submit" { "Add medicine" }
        }
    }
}

pub async fn save(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let today = web.today();
    let mut e = Errors::default();
    for field in ["started", "stopped"] {
        if let Err(m) = form_date(field, f.opt(field), today) {
            e.add(&m, "", &KNOWN);
        }
    }
    if e.is_empty() {
        let m = MedicationFile {
            name: f.get("name").trim().to_string(),
            dose: f.opt("dose").map(str::to_string),
            started: f.opt("started").map(str::to_string),
            stopped: f.opt("stopped").map(str::to_string),
            outcome: f.opt("outcome").map(str::to_string),
        };
        let name = m.name.clone();
        let result = match willis_app::facts::medication(m, today) {
            Ok(facts) => {
                web.pages()
                    .append_many(c.user.id, PersonId(id), facts, web.clock())
                    .await
            }
            Err(err) => Err(err),
        };
        match result {
            Ok(_) => {
                return Ok(done(
                    &format!("/people/{id}/medicines"),
                    &format!("Added {name}."),
                ))
            }
            Err(AppError::Invalid(m)) => e.add(&m, "", &KNOWN),
            Err(other) => return Err(other.into()),
        }
    }
    let r = record(&web, &c, id).await?;
    Ok(invalid(render(&web, &c, &who, id, &r, &f, &e, None)))
}

pub async fn stop(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let today = web.today();
    let name = f.get("name").trim().to_string();
    let result = match form_date("stopped", f.opt("stopped"), today) {
        Err(m) => Err(m),
        Ok(stopped) => {
            let fact = (
                stopped.unwrap_or(today),
                Payload::MedicationStop {
                    name: name.clone(),
                    outcome: f.opt("outcome").map(str::to_string),
                },
            );
            match web
                .pages()
                .append_many(c.user.id, PersonId(id), vec![fact], web.clock())
                .await
            {
                Ok(_) => Ok(()),
                Err(AppError::Invalid(m)) => Err(m),
                Err(other) => return Err(other.into()),
            }
        }
    };
    match result {
        Ok(()) => Ok(done(
            &format!("/people/{id}/medicines"),
            &format!("Recorded that {name} stopped."),
        )),
        Err(m) => {
            let e = Errors::from_message(&format!("Stopping {name}: {m}"), "", &[]);
            let r = record(&web, &c, id).await?;
            Ok(invalid(render(
                &web,
                &c,
                &who,
                id,
                &r,
                &blank(&web),
                &e,
                None,
            )))
        }
    }
}
