//! The order-select service: a warning when a medicine just selected for a
//! patient with RLS can worsen RLS, or is a dopamine agonist the patient does
//! not already take.
//!
//! - Only the draft MedicationRequests named in `context.selections` are read.
//! - The medicine is named by the FHIR mapping itself (RxNorm code, coded
//!   name, contained or referenced Medication), as for the chart.
//! - What the medicine does to RLS is the catalogue's
//!   ([`Knowledge::ingredients`], as on the web medicines page); whether the
//!   patient has RLS, and the warning's words, come from the `Assessment`
//!   (the chart alone, then the chart with the draft added as taken from
//!   today).
//! - The card names the medicine and the safer alternatives: the class's
//!   `alternatives` for a medicine that worsens RLS; for a dopamine agonist,
//!   the catalogue's alpha-2-delta ligands (the first-line medicines). It
//!   suggests removing the draft order (`delete` of the selection).

use serde_json::Value;
use uuid::Uuid;
use willis_core::knowledge::Effect;
use willis_core::{Assessment, Knowledge, Level, MedicationFile, Record};
use willis_fhir::{Bundle, BundleEntry, Resource};

use super::cards::{self, escape_markdown, Action, Answer, Card, Indicator, Suggestion};
use super::clinical;
use super::discovery::Service;
use super::hook::HookRequest;
use super::prefetch;
use crate::Web;

/// A selected draft MedicationRequest: its reference and the medicine's name.
#[derive(Debug, Clone)]
struct Draft {
    reference: String,
    name: String,
}

/// The selected draft MedicationRequests whose medicine the mapping names.
fn selected_drafts(request: &HookRequest) -> Vec<Draft> {
    let Some(bundle) = &request.draft_orders else {
        return Vec::new();
    };
    let entries: Vec<&Value> = bundle
        .get("entry")
        .and_then(Value::as_array)
        .map(|e| e.iter().filter_map(|e| e.get("resource")).collect())
        .unwrap_or_default();
    let medications: Vec<&Value> = entries
        .iter()
        .copied()
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("Medication"))
        .collect();
    let mut drafts = Vec::new();
    for resource in entries {
        if resource.get("resourceType").and_then(Value::as_str) != Some("MedicationRequest") {
            continue;
        }
        let Some(id) = resource.get("id").and_then(Value::as_str) else {
            continue;
        };
        let reference = format!("MedicationRequest/{id}");
        let selected = request
            .selections
            .iter()
            .any(|s| s == &reference || s.ends_with(&format!("/{reference}")));
        if !selected {
            continue;
        }
        if let Some(name) = medicine_name(resource, &medications) {
            drafts.push(Draft { reference, name });
        }
    }
    drafts
}

/// The medicine of a draft order, as the FHIR mapping names it: the order is
/// read as if active (the mapping leaves drafts out of a chart), with the
/// Medications of the draft Bundle beside it.
fn medicine_name(order: &Value, medications: &[&Value]) -> Option<String> {
    let mut order = order.clone();
    order["status"] = Value::String("active".into());
    let entry = std::iter::once(order)
        .chain(medications.iter().map(|m| (*m).clone()))
        .filter_map(|json| Resource::from_json(json).ok())
        .map(|resource| BundleEntry {
            full_url: None,
            resource: Some(resource),
        })
        .collect();
    let bundle = Bundle {
        id: None,
        kind: Some("collection".into()),
        entry,
    };
    willis_fhir::bundle_to_record(&bundle)
        .record
        .medications
        .into_iter()
        .next()
        .map(|m| m.name)
}

/// The catalogue's first-line medicines (alpha-2-delta ligands), by name.
fn first_line_medicines() -> Vec<&'static str> {
    let k = Knowledge::get();
    k.medicines
        .iter()
        .filter(|m| {
            k.classes
                .get(&m.class)
                .is_some_and(|c| c.effect == Effect::Alpha2Delta)
        })
        .map(|m| m.name.as_str())
        .collect()
}

/// Whether the patient takes a medicine with this ingredient today.
fn already_taking(record: &Record, generic: &str, today: chrono::NaiveDate) -> bool {
    record
        .medications
        .iter()
        .filter(|m| m.current_on(today))
        .any(|m| m.ingredients.iter().any(|(g, _)| g == generic))
}

/// The warning card for one draft, if it needs one.
fn card_for(web: &Web, chart: &Bundle, record: &Record, draft: &Draft) -> Option<Card> {
    let today = web.today();
    let found = Knowledge::get().ingredients(&draft.name);
    let aggravating = found.iter().find(|(_, c)| c.effect == Effect::Aggravates);
    let agonist = found
        .iter()
        .find(|(g, c)| c.effect == Effect::DopamineAgonist && !already_taking(record, g, today));
    let (generic, class, warning_id) = match (aggravating, agonist) {
        (Some((g, c)), _) => (*g, *c, "warn.aggravating-medication"),
        (None, Some((g, c))) => (*g, *c, "warn.dopamine-agonist-risk"),
        (None, None) => return None,
    };
    let added = MedicationFile {
        name: draft.name.clone(),
        dose: None,
        started: Some(today.to_string()),
        stopped: None,
        outcome: None,
    };
    let (_, with_draft) = clinical::assess_bundle(web, chart, &[added]).ok()?;
    let warning = with_draft
        .warnings
        .iter()
        .find(|w| w.id == warning_id && w.subject.as_deref() == Some(draft.name.as_str()));
    let alternatives = match class.effect {
        Effect::DopamineAgonist => Some(format!(
            "first-line medicines for RLS are the alpha-2-delta ligands ({}); they seldom cause augmentation",
            first_line_medicines().join(", ")
        )),
        _ => class.alternatives.clone(),
    };
    Some(build_card(
        &with_draft,
        draft,
        generic,
        &class.label,
        class.effect,
        &class.sources,
        warning,
        alternatives,
    ))
}

#[allow(clippy::too_many_arguments)]
fn build_card(
    a: &Assessment,
    draft: &Draft,
    generic: &str,
    class_label: &str,
    effect: Effect,
    class_sources: &[String],
    warning: Option<&willis_core::Warning>,
    alternatives: Option<String>,
) -> Card {
    let name = &draft.name;
    let summary = match effect {
        Effect::DopamineAgonist => {
            format!("{name} is a dopamine agonist: in RLS it can cause augmentation; consider safer options")
        }
        _ => format!("{name} can worsen restless legs syndrome; consider a safer alternative"),
    };
    let indicator = match warning.map(|w| w.level) {
        Some(Level::Danger) => Indicator::Critical,
        _ => Indicator::Warning,
    };
    // The warning's reasons say "taken now"; the order line below says what
    // is true here, so they are left out.
    let (text, sources, id) = match warning {
        Some(w) => (w.text.clone(), w.sources.clone(), w.id.to_string()),
        None => (
            format!("{name} ({generic}) is a {class_label}."),
            class_sources.to_vec(),
            "order-select".to_string(),
        ),
    };
    let mut extra = vec![format!(
        "**Ordered:** {} ({}, {})",
        escape_markdown(name),
        escape_markdown(generic),
        escape_markdown(class_label)
    )];
    // Named once: the warning's own text may already name them.
    if let Some(alt) = alternatives
        .as_ref()
        .filter(|alt| !text.contains(alt.as_str()))
    {
        extra.push(format!("**Safer alternatives:** {}", escape_markdown(alt)));
    }
    let detail = cards::detail(a, &text, &[], &sources, false, &extra);
    let mut card = Card::new(
        &summary,
        detail,
        indicator,
        cards::source_for(a, &sources, &id, &summary),
    );
    card.suggest(Suggestion {
        label: format!("Remove the draft order for {name}"),
        uuid: Uuid::new_v4().to_string(),
        is_recommended: None,
        actions: vec![Action {
            kind: "delete",
            description: format!("Remove the draft order for {name}"),
            resource: None,
            resource_id: Some(draft.reference.clone()),
        }],
    });
    card
}

/// The order-select service.
pub async fn order_select(web: &Web, mut request: HookRequest) -> Answer {
    let service = Service::OrderSelect;
    let drafts = selected_drafts(&request);
    if drafts.is_empty() {
        return Answer::default();
    }
    let chart = match prefetch::gather(web, &mut request, service).await {
        Ok(b) => b,
        Err(why) => {
            cards::log_no_cards(service, &request, &why);
            return Answer::default();
        }
    };
    let (record, assessment) = match clinical::assess_bundle(web, &chart, &[]) {
        Ok(r) => r,
        Err(why) => {
            cards::log_no_cards(service, &request, &why);
            return Answer::default();
        }
    };
    if !clinical::has_rls(&assessment) {
        return Answer::default();
    }
    Answer {
        cards: drafts
            .iter()
            .filter_map(|d| card_for(web, &chart, &record, d))
            .collect(),
    }
}
