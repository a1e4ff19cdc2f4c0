//! `/people/{id}/results`: blood results in the units the lab printed.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use willis_core::units::LabTest;
use willis_core::LabFile;
use willis_store::{Access, PersonId};

use super::*;
use crate::auth::PageCaller;
use crate::pages::{csrf, layout, notice, page, About, PageResult};

const KNOWN: [&str; 5] = ["test", "value", "unit", "date", "fasting"];

/// The accepted spellings of a test's units ("µg/L, ug/L or ng/mL").
fn units_of(test: LabTest) -> Vec<String> {
    test.accepted_units()
        .replace(" or ", ", ")
        .split(", ")
        .map(str::to_string)
        .collect()
}

/// Every accepted unit with the tests it is used for.
fn unit_list() -> BTreeMap<String, Vec<&'static str>> {
    let mut all: BTreeMap<String, Vec<&'static str>> = BTreeMap::new();
    for t in LabTest::ALL {
        for u in units_of(t) {
            all.entry(u).or_default().push(t.label());
        }
    }
    all
}

/// A test's name for people, capitalised.
fn label(test: &str) -> String {
    let l = test.parse::<LabTest>().map(|t| t.label()).unwrap_or(test);
    let mut chars = l.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
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
    let mut f = Fields::default();
    f.set("date", web.today().to_string());
    Ok(render(
        &web,
        &c,
        &who,
        id,
        &r,
        &f,
        &Errors::default(),
        q.done.as_deref(),
    ))
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
        h1 { "Blood results" }
        (notice(done))
        @if done.is_some() {
            p { a href=(format!("/people/{id}/plan")) { "See the plan with this result" } }
        }
        @if who.access == Access::Write {
            (e.top())
            (form(web, c, id, f, e))
        } @else {
            p.hint { "You may read this journal but not change it." }
        }
        (table(r))
    };
    page(layout("Blood results", Some(c), Some(&about), body))
}

fn form(web: &Web, c: &Caller, id: i64, f: &Fields, e: &Errors) -> Markup {
    html! {
        form.card method="post" action=(format!("/people/{id}/results")) {
            (csrf(c))
            p.hint { "Type the result exactly as the lab's report prints it, with its unit." }
            label for="test" { "Test" }
            select #test name="test" aria-describedby=[e.describe("test")] {
                @for t in LabTest::ALL {
                    option value=(t.name()) selected[f.get("test") == t.name()] { (label(t.name())) }
                }
            }
            (e.at("test"))
            label for="value" { "Value" }
            input #value name="value" inputmode="decimal" required autocomplete="off"
                value=(f.get("value")) aria-describedby=[e.describe("value")];
            (e.at("value"))
            label for="unit" { "Unit" }
            p.hint #unit-hint { "As printed, such as ng/mL, µg/L or %." }
            input #unit name="unit" list="units" required autocomplete="off" autocapitalize="off"
                value=(f.get("unit"))
                aria-describedby=(match e.describe("unit") { Some(d) => format!("unit-hint {d}"), None => "unit-hint".into() });
            datalist #units {
                @for (unit, tests) in unit_list() {
                    option value=(unit) { (tests.join(", ")) }
                }
            }
            (e.at("unit"))
            label for="date" { "Date of the blood test" }
            input #date name="date" type="date" required max=(web.today()) value=(f.get("date"))
                aria-describedby=[e.describe("date")];
            (e.at("date"))
            div.choices {
                label for="fasting" {
                    input #fasting type="checkbox" name="fasting" value="yes" checked[f.has("fasting", "yes")];
                    "Taken fasting"
                }
                label for="morning" {
                    input #morning type="checkbox" name="morning" value="yes" checked[f.has("morning", "yes")];
                    "Taken in the morning"
                }
            }
            details {
                summary { "Units Willis accepts for each test" }
                dl {
                    @for t in LabTest::ALL {
                        dt { (label(t.name())) } dd { (t.accepted_units()) }
                    }
                }
            }
            button #add-result type="submit" { "Add result" }
        }
    }
}

fn table(r: &RecordFile) -> Markup {
    let mut labs: Vec<&LabFile> = r.labs.iter().collect();
    labs.sort_by(|a, b| b.date.cmp(&a.date));
    html! {
        h2 { "Results so far" }
        @if labs.is_empty() {
            p { "No results yet." }
        } @else {
            div.table-wrap {
                table {
                    thead { tr { th scope="col" { "Date" } th scope="col" { "Test" } th scope="col" { "Result" } th scope="col" { "Notes" } } }
                    tbody {
                        @for l in labs {
                            tr {
                                td { time datetime=(l.date) { (show_date(&l.date)) } }
                                td { (label(&l.test)) }
                                td { (show_number(l.value)) " " (l.unit) }
                                td {
                                    @let notes: Vec<&str> = [
                                        (l.fasting == Some(true)).then_some("fasting"),
                                        (l.morning == Some(true)).then_some("morning"),
                                    ].into_iter().flatten().collect();
                                    (notes.join(", "))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The lab the form describes, or the messages of what is wrong.
fn lab_of(f: &Fields, web: &Web) -> Result<LabFile, Errors> {
    let mut errors = Errors::default();
    let test = f.opt("test").unwrap_or("");
    let test = match test.parse::<LabTest>() {
        Ok(t) => t.name().to_string(),
        Err(()) => {
            errors.add(
                &format!("test: choose a test from the list ({test:?} is not one)"),
                "",
                &KNOWN,
            );
            String::new()
        }
    };
    let value = match f.opt("value") {
        None => {
            errors.add("value: type the result's number", "", &KNOWN);
            0.0
        }
        some => match form_number("value", some) {
            Ok(v) => v.unwrap_or(0.0),
            Err(m) => {
                errors.add(&m, "", &KNOWN);
                0.0
            }
        },
    };
    let unit = f.opt("unit").unwrap_or("").to_string();
    if unit.is_empty() {
        errors.add(
            "unit: type the unit printed beside the value, such as ng/mL",
            "",
            &KNOWN,
        );
    }
    let date = f
        .opt("date")
        .map(str::to_string)
        .unwrap_or_else(|| web.today().to_string());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(LabFile {
        test,
        value,
        unit,
        date,
        fasting: f.has("fasting", "yes").then_some(true),
        morning: f.has("morning", "yes").then_some(true),
    })
}

pub async fn save(
    State(web): State<Web>,
    PageCaller(c): PageCaller,
    Path(id): Path<i64>,
    body: Bytes,
) -> PageResult {
    let who = writer(&web, &c, id).await?;
    let f = Fields::parse(&body)?;
    let stored = match lab_of(&f, &web) {
        Err(e) => Err(e),
        Ok(lab) => {
            let summary = format!(
                "Saved: {} {} {} on {}.",
                label(&lab.test),
                f.get("value").trim(),
                lab.unit,
                show_date(&lab.date)
            );
            let result = match willis_app::facts::lab(lab) {
                Ok(fact) => {
                    web.pages()
                        .append_many(c.user.id, PersonId(id), vec![fact], web.clock())
                        .await
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(_) => Ok(summary),
                Err(AppError::Invalid(m)) => Err(Errors::from_message(&m, "", &KNOWN)),
                Err(other) => return Err(other.into()),
            }
        }
    };
    match stored {
        Ok(summary) => Ok(done(&format!("/people/{id}/results"), &summary)),
        Err(e) => {
            let r = record(&web, &c, id).await?;
            Ok(invalid(render(&web, &c, &who, id, &r, &f, &e, None)))
        }
    }
}
