//! `/people/{id}/iron`: iron infusions and oral iron courses.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use willis_core::IronTreatmentFile;
use willis_store::{Access, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

const IV: [&str; 4] = ["date", "product", "dose_mg", "response"];
const ORAL: [&str; 6] = [
    "product",
    "elemental_mg",
    "schedule",
    "started",
    "stopped",
    "outcome",
];

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

/// Both forms empty (oral course starting today).
fn blank(web: &Web) -> Fields {
    let mut f = Fields::default();
    f.set("oral-started", web.today().to_string());
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
    let body = html! {
        h1 { "Iron treatment" }
        (notice(done))
        (given(r))
        @if who.access == Access::Write {
            (e.top())
            (iv_form(web, c, id, f, e))
            (oral_form(web, c, id, f, e))
        } @else {
            p.hint { "You may read this journal but not change it." }
        }
    };
    page(layout("Iron treatment", Some(c), Some(&about), body))
}

fn given(r: &RecordFile) -> Markup {
    let mut infusions: Vec<&IronTreatmentFile> = r
        .iron_treatments
        .iter()
        .filter(|t| t.route == "iv")
        .collect();
    infusions.sort_by(|a, b| b.date.cmp(&a.date));
    let mut courses: Vec<&IronTreatmentFile> = r
        .iron_treatments
        .iter()
        .filter(|t| t.route == "oral")
        .collect();
    courses.sort_by(|a, b| b.started.cmp(&a.started));
    html! {
        h2 { "Infusions" }
        @if infusions.is_empty() {
            p { "No infusions recorded." }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "Date" } th scope="col" { "Product" } th scope="col" { "Dose" } th scope="col" { "Response" } } }
                tbody {
                    @for t in infusions {
                        tr {
                            td { (t.date.as_deref().map(show_date).unwrap_or_default()) }
                            td { (t.product.as_deref().unwrap_or("—")) }
                            td { @if let Some(d) = t.dose_mg { (show_number(d)) " mg" } @else { "—" } }
                            td { (match t.response.as_deref() { Some("improved") => "symptoms improved", Some("none") => "no change", Some(o) => o, None => "not known yet" }) }
                        }
                    }
                }
            } }
        }
        h2 { "Iron tablets or liquid" }
        @if courses.is_empty() {
            p { "No oral iron recorded." }
        } @else {
            div.table-wrap { table {
                thead { tr { th scope="col" { "From" } th scope="col" { "To" } th scope="col" { "Product" } th scope="col" { "Elemental iron" } th scope="col" { "How it went" } } }
                tbody {
                    @for t in courses {
                        tr {
                            td { (t.started.as_deref().map(show_date).unwrap_or_default()) }
                            td { (t.stopped.as_deref().map(show_date).unwrap_or_else(|| "still taking".into())) }
                            td { (t.product.as_deref().unwrap_or("—")) }
                            td { @if let Some(d) = t.elemental_mg { (show_number(d)) " mg" }
                                 @if let Some(s) = &t.schedule { " " (if s == "daily" { "daily" } else { "every other day" }) } }
                            td { (t.outcome.as_deref().map(outcome_label).unwrap_or("")) }
                        }
                    }
                }
            } }
        }
    }
}

fn iv_form(web: &Web, c: &Caller, id: i64, f: &Fields, e: &Errors) -> Markup {
    html! {
        h2 { "Add an infusion" }
        form.card method="post" action=(format!("/people/{id}/iron")) {
            (csrf(c))
            input type="hidden" name="route" value="iv";
            label for="iv-date" { "Date of the infusion" }
            input #iv-date name="date" type="date" required max=(web.today()) value=(f.get("iv-date"))
                aria-describedby=[e.describe("iv-date")];
            (e.at("iv-date"))
            label for="iv-product" { "Product (optional)" }
            input #iv-product name="product" maxlength="100" placeholder="e.g. ferric carboxymaltose (Ferinject)"
                value=(f.get("iv-product")) aria-describedby=[e.describe("iv-product")];
            (e.at("iv-product"))
            label for="iv-dose_mg" { "Dose in mg (optional)" }
            input #iv-dose_mg name="dose_mg" inputmode="decimal" value=(f.get("iv-dose_mg"))
                aria-describedby=[e.describe("iv-dose_mg")];
            (e.at("iv-dose_mg"))
            label for="iv-response" { "Did the symptoms improve afterwards?" }
            select #iv-response name="response" aria-describedby=[e.describe("iv-response")] {
                @for (value, text) in [("", "Not known yet"), ("improved", "Yes, they improved"), ("none", "No change")] {
                    option value=(value) selected[f.get("iv-response") == value] { (text) }
                }
            }
            (e.at("iv-response"))
            button #add-infusion type="submit" { "Add infusion" }
        }
    }
}

fn oral_form(web: &Web, c: &Caller, id: i64, f: &Fields, e: &Errors) -> Markup {
    html! {
        h2 { "Add iron tablets or liquid" }
        form.card method="post" action=(format!("/people/{id}/iron")) {
            (csrf(c))
            input type="hidden" name="route" value="oral";
            label for="oral-product" { "Product (optional)" }
            input #oral-product name="product" maxlength="100" placeholder="e.g. ferrous sulfate 200 mg"
                value=(f.get("oral-product")) aria-describedby=[e.describe("oral-product")];
            (e.at("oral-product"))
            label for="oral-elemental_mg" { "Elemental iron per dose, in mg (optional)" }
            p.hint #oral-elemental_mg-hint { "The packet says it, e.g. “65 mg iron”." }
            input #oral-elemental_mg name="elemental_mg" inputmode="decimal" value=(f.get("oral-elemental_mg"))
                aria-describedby=(match e.describe("oral-elemental_mg") { Some(d) => format!("oral-elemental_mg-hint {d}"), None => "oral-elemental_mg-hint".into() });
            (e.at("oral-elemental_mg"))
            label for="oral-schedule" { "How often" }
            select #oral-schedule name="schedule" {
                @for (value, text) in [("", "Not sure"), ("daily", "Every day"), ("alternate-day", "Every other day")] {
                    option value=(value) selected[f.get("oral-schedule") == value] { (text) }
                }
            }
            (e.at("oral-schedule"))
            label for="oral-started" { "Started" }
            input #oral-started name="started" type="date" max=(web.today()) value=(f.get("oral-started"))
                aria-describedby=[e.describe("oral-started")];
            (e.at("oral-started"))
            label for="oral-stopped" { "Stopped (leave empty if still taking it)" }
            input #oral-stopped name="stopped" type="date" max=(web.today()) value=(f.get("oral-stopped"))
                aria-describedby=[e.describe("oral-stopped")];
            (e.at("oral-stopped"))
            label for="oral-outcome" { "How did it go?" }
            select #oral-outcome name="outcome" {
                @for (value, text) in OUTCOMES {
                    option value=(value) selected[f.get("oral-outcome") == value] { (text) }
                }
            }
            (e.at("oral-outcome"))
            button #add-oral-iron type="submit" { "Add oral iron" }
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
    let posted = Fields::parse(&body)?;
    let today = web.today();
    let oral = posted.get("route") == "oral";
    let (prefix, known): (&str, &[&str]) = if oral { ("oral-", &ORAL) } else { ("iv-", &IV) };
    // The form as re-shown: the posted fields under their input ids.
    let mut f = blank(&web);
    for field in known {
        f.set(&format!("{prefix}{field}"), posted.get(field));
    }
    let mut e = Errors::default();
    let dates: &[&str] = if oral {
        &["started", "stopped"]
    } else {
        &["date"]
    };
    for field in dates {
        if let Err(m) = form_date(field, posted.opt(field), today) {
            e.add(&m, prefix, known);
        }
    }
    let numbers = [("dose_mg", !oral), ("elemental_mg", oral)];
    let mut values = [None, None];
    for (i, (field, used)) in numbers.iter().enumerate() {
        if *used {
            match form_number(field, posted.opt(field)) {
                Ok(v) => values[i] = v,
                Err(m) => e.add(&m, prefix, known),
            }
        }
    }
    if !oral && posted.opt("date").is_none() {
        e.add(
            "date: an infusion needs the date it was given",
            prefix,
            known,
        );
    }
    if e.is_empty() {
        let text = |field: &str| posted.opt(field).map(str::to_string);
        let t = if oral {
            IronTreatmentFile {
                route: "oral".into(),
                product: text("product"),
                elemental_mg: values[1],
                schedule: text("schedule"),
                started: text("started"),
                stopped: text("stopped"),
                outcome: text("outcome"),
                ..IronTreatmentFile::default()
            }
        } else {
            IronTreatmentFile {
                route: "iv".into(),
                product: text("product"),
                dose_mg: values[0],
                date: text("date"),
                response: text("response"),
                ..IronTreatmentFile::default()
            }
        };
        let result = match willis_app::facts::iron_treatment(t, today) {
            Ok(facts) => {
                web.pages()
                    .append_many(c.user.id, PersonId(id), facts, web.clock())
                    .await
            }
            Err(err) => Err(err),
        };
        match result {
            Ok(_) => {
                let what = if oral {
                    "Oral iron added."
                } else {
                    "Infusion added."
                };
                return Ok(done(&format!("/people/{id}/iron"), what));
            }
            Err(AppError::Invalid(m)) => e.add(&m, prefix, known),
            Err(other) => return Err(other.into()),
        }
    }
    let r = record(&web, &c, id).await?;
    Ok(invalid(render(&web, &c, &who, id, &r, &f, &e, None)))
}
