//! CDS Hooks cards, and the patient-view service's cards from the
//! `Assessment`.
//!
//! patient-view gives cards only when the assessment counts the patient as
//! having RLS ([`clinical::has_rls`]):
//! 1. every warning, in the assessment's order, the indicator from its
//!    level (`danger` → critical, `caution` → warning, `info` → info);
//! 2. the plan's first [`MAX_STEPS`] steps (the plan puts first what to do
//!    first): `warning` for safety and referral steps, `info` otherwise;
//!    `meds.review-aggravating` is left out when its medicines already have
//!    their warning cards.
//!    `test.iron-panel` carries a suggestion to order the panel
//!    (ServiceRequests coded by LOINC).
//!
//! A card's summary is the title (under 140 characters, cut on a character
//! boundary with an ellipsis); its detail (GitHub markdown) holds the text,
//! the reasons, the iron panel the plan used, where other guidelines differ,
//! the sources and the disclaimer; its source links the first source cited.

use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;
use willis_core::{Assessment, Category, Level, Step, Warning};

use super::clinical::{self, guideline_label};
use super::discovery::Service;
use super::hook::HookRequest;
use super::prefetch;
use crate::Web;

/// The most plan steps shown as cards.
pub const MAX_STEPS: usize = 3;
/// A summary is shorter than this many characters.
pub const SUMMARY_LIMIT: usize = 140;
/// The code system of `source.topic`: the recommendation ids of DESIGN.md.
pub const TOPIC_SYSTEM: &str = "urn:willis:recommendation";

/// A service's answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Answer {
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Clone, Serialize)]
pub struct Coding {
    pub system: String,
    pub code: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CardSource {
    pub label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic: Option<Coding>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<Value>,
    /// The resource a `delete` removes (`MedicationRequest/103`).
    #[serde(rename = "resourceId", skip_serializing_if = "Option::is_none")]
    pub resource_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    pub label: String,
    pub uuid: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_recommended: Option<bool>,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Card {
    pub uuid: String,
    pub summary: String,
    pub detail: String,
    pub indicator: Indicator,
    pub source: CardSource,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suggestions: Vec<Suggestion>,
    /// Present exactly when there are suggestions (the specification's rule).
    #[serde(skip_serializing_if = "Option::is_none")]
    selection_behavior: Option<&'static str>,
}

impl Card {
    pub fn new(summary: &str, detail: String, indicator: Indicator, source: CardSource) -> Card {
        Card {
            uuid: Uuid::new_v4().to_string(),
            summary: summary_of(summary),
            detail,
            indicator,
            source,
            suggestions: Vec::new(),
            selection_behavior: None,
        }
    }

    /// Adds a suggestion; the card then says how many may be chosen.
    pub fn suggest(&mut self, suggestion: Suggestion) {
        self.suggestions.push(suggestion);
        self.selection_behavior = Some("at-most-one");
    }

    pub fn suggestions(&self) -> &[Suggestion] {
        &self.suggestions
    }
}

/// `text` as a summary: under [`SUMMARY_LIMIT`] characters, cut on a
/// character boundary with an ellipsis when longer.
pub fn summary_of(text: &str) -> String {
    let text = text.trim();
    if text.chars().count() < SUMMARY_LIMIT {
        return text.to_string();
    }
    let kept: String = text.chars().take(SUMMARY_LIMIT - 2).collect();
    format!("{}…", kept.trim_end())
}

/// Text from the record (names as the EHR wrote them) made inert in markdown.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The card source: Willis and the guideline, linking the first of
/// `sources` the assessment has a URL for.
pub fn source_for(a: &Assessment, sources: &[String], id: &str, title: &str) -> CardSource {
    CardSource {
        label: format!("Willis ({})", guideline_label(a.guideline)),
        url: sources
            .iter()
            .find_map(|s| a.sources.get(s))
            .map(|s| s.url.clone())
            .filter(|u| !u.is_empty()),
        topic: Some(Coding {
            system: TOPIC_SYSTEM.into(),
            code: id.into(),
            display: Some(summary_of(title)),
        }),
    }
}

/// The markdown of a card: text, reasons, results, differences, sources,
/// disclaimer.
pub fn detail(
    a: &Assessment,
    text: &str,
    because: &[String],
    sources: &[String],
    with_iron: bool,
    extra: &[String],
) -> String {
    let mut md = escape_markdown(text.trim());
    if !because.is_empty() {
        md.push_str("\n\n**Why:**\n");
        for b in because {
            md.push_str(&format!("\n- {}", escape_markdown(b)));
        }
    }
    if with_iron {
        if let Some(line) = iron_line(a) {
            md.push_str(&format!("\n\n**Iron panel used:** {line}"));
        }
    }
    for e in extra {
        md.push_str("\n\n");
        md.push_str(e);
    }
    let cited: Vec<String> = sources
        .iter()
        .filter_map(|id| a.sources.get(id).map(|s| (id, s)))
        .map(|(id, s)| {
            if s.url.is_empty() {
                format!("- {} ({id})", escape_markdown(&s.citation))
            } else {
                format!("- [{}]({}) ({id})", escape_markdown(&s.citation), s.url)
            }
        })
        .collect();
    if !cited.is_empty() {
        md.push_str("\n\n**Sources:**\n\n");
        md.push_str(&cited.join("\n"));
    }
    md.push_str(&format!(
        "\n\n_{}_ (Willis {}, {}.)",
        escape_markdown(&a.disclaimer),
        escape_markdown(&a.knowledge),
        guideline_label(a.guideline)
    ));
    md
}

/// The iron panel the assessment decided from, in words.
fn iron_line(a: &Assessment) -> Option<String> {
    let i = &a.iron;
    if i.ferritin_ug_per_l.is_none() && i.tsat_percent.is_none() {
        return None;
    }
    let num = willis_report::letter::ranges::num;
    let mut parts = Vec::new();
    if let Some(f) = i.ferritin_ug_per_l {
        parts.push(format!("ferritin {} µg/L", num(f)));
    }
    if let Some(t) = i.tsat_percent {
        let basis = i
            .tsat_basis
            .as_deref()
            .map(|b| format!(" ({b})"))
            .unwrap_or_default();
        parts.push(format!("TSAT {} %{basis}", num(t)));
    }
    let mut line = parts.join(", ");
    if let Some(d) = i.measured_on {
        line.push_str(&format!(", measured on {d}"));
    }
    if !i.usable {
        line.push_str(" (not recent or complete enough to act on)");
    }
    Some(line)
}

fn warning_card(a: &Assessment, w: &Warning) -> Card {
    let indicator = match w.level {
        Level::Danger => Indicator::Critical,
        Level::Caution => Indicator::Warning,
        Level::Info => Indicator::Info,
    };
    let title = if w.title.is_empty() {
        &w.text
    } else {
        &w.title
    };
    let text = if w.detail.is_empty() {
        &w.text
    } else {
        &w.detail
    };
    Card::new(
        title,
        detail(a, text, &w.because, &w.sources, false, &[]),
        indicator,
        source_for(a, &w.sources, &w.id, title),
    )
}

fn step_card(a: &Assessment, s: &Step, request: &HookRequest) -> Card {
    let indicator = match s.category {
        Category::Safety | Category::Referral => Indicator::Warning,
        _ => Indicator::Info,
    };
    let mut extra = Vec::new();
    if let Some(due) = s.due.filter(|d| *d > a.as_of) {
        extra.push(format!("**Due:** {due}"));
    }
    if !s.differences.is_empty() {
        let lines: Vec<String> = s
            .differences
            .iter()
            .map(|d| format!("- {}: {}", d.profile, escape_markdown(&d.says)))
            .collect();
        extra.push(format!(
            "**Where the guidelines differ:**\n\n{}",
            lines.join("\n")
        ));
    }
    let with_iron = matches!(s.category, Category::Treatment | Category::Medicine)
        || s.id.starts_with("test.iron")
        || s.id.starts_with("refer.investigate-iron");
    let mut card = Card::new(
        &s.title,
        detail(a, &s.detail, &s.because, &s.sources, with_iron, &extra),
        indicator,
        source_for(a, &s.sources, &s.id, &s.title),
    );
    if s.id == "test.iron-panel" {
        card.suggest(iron_panel(request));
    }
    card
}

/// The iron panel's tests (LOINC code, name).
pub const IRON_PANEL: [(&str, &str); 4] = [
    ("2276-4", "Ferritin [Mass/volume] in Serum or Plasma"),
    ("2498-4", "Iron [Mass/volume] in Serum or Plasma"),
    (
        "2500-7",
        "Iron binding capacity [Mass/volume] in Serum or Plasma",
    ),
    (
        "2502-3",
        "Iron saturation [Mass Fraction] in Serum or Plasma",
    ),
];

/// "Order an iron panel": one draft ServiceRequest per test.
fn iron_panel(request: &HookRequest) -> Suggestion {
    let actions = IRON_PANEL
        .iter()
        .map(|(code, display)| {
            let mut resource = json!({
                "resourceType": "ServiceRequest",
                "status": "draft",
                "intent": "order",
                "category": [{"coding": [{
                    "system": "http://snomed.info/sct",
                    "code": "108252007",
                    "display": "Laboratory procedure"
                }]}],
                "code": {
                    "coding": [{"system": willis_fhir::system::LOINC, "code": code, "display": display}],
                    "text": display
                },
                "subject": {"reference": format!("Patient/{}", request.patient_id)},
                "note": [{"text": "Morning, fasting; no iron supplement for at least 24 hours before (restless legs syndrome work-up)."}]
            });
            if let Some(e) = &request.encounter_id {
                resource["encounter"] = json!({"reference": format!("Encounter/{e}")});
            }
            Action {
                kind: "create",
                description: format!("Order {display} (LOINC {code})"),
                resource: Some(resource),
                resource_id: None,
            }
        })
        .collect();
    Suggestion {
        label: "Order an iron panel (ferritin, iron, TIBC, transferrin saturation)".into(),
        uuid: Uuid::new_v4().to_string(),
        is_recommended: Some(true),
        actions,
    }
}

/// A step that only gathers warnings already shown as cards of their own:
/// `meds.review-aggravating` lists the medicines of the
/// `warn.aggravating-medication` warnings.
fn repeats_a_warning(a: &Assessment, s: &Step) -> bool {
    s.id == "meds.review-aggravating" && a.warning("warn.aggravating-medication").is_some()
}

/// The cards for an assessment (nothing when the patient has no RLS).
pub fn for_assessment(a: &Assessment, request: &HookRequest) -> Vec<Card> {
    if !clinical::has_rls(a) {
        return Vec::new();
    }
    let mut cards: Vec<Card> = a.warnings.iter().map(|w| warning_card(a, w)).collect();
    cards.extend(
        a.steps
            .iter()
            .filter(|s| !repeats_a_warning(a, s))
            .take(MAX_STEPS)
            .map(|s| step_card(a, s, request)),
    );
    cards
}

/// Logs why a call gave no card: the service, the hook instance and the
/// reason (never the token, never patient data).
pub fn log_no_cards(service: Service, request: &HookRequest, why: &str) {
    eprintln!(
        "willis serve: CDS {} call {}: no cards: {why}",
        service.id(),
        request
            .hook_instance
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(64)
            .collect::<String>()
    );
}

/// The patient-view service.
pub async fn patient_view(web: &Web, mut request: HookRequest) -> Answer {
    let service = Service::PatientView;
    let bundle = match prefetch::gather(web, &mut request, service).await {
        Ok(b) => b,
        Err(why) => {
            log_no_cards(service, &request, &why);
            return Answer::default();
        }
    };
    match clinical::assess_bundle(web, &bundle, &[]) {
        Ok((_, a)) => Answer {
            cards: for_assessment(&a, &request),
        },
        Err(why) => {
            log_no_cards(service, &request, &why);
            Answer::default()
        }
    }
}
