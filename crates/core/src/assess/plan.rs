//! Collects steps, warnings and dates as the rules fire, then orders them.

use std::collections::BTreeSet;

use chrono::NaiveDate;

use super::context::capitalise;
use crate::assessment::*;
use crate::knowledge::{fill, Knowledge};

pub struct Plan {
    knowledge: &'static Knowledge,
    as_of: NaiveDate,
    pub steps: Vec<Step>,
    pub warnings: Vec<Warning>,
    pub schedule: Vec<ScheduleItem>,
    pub missing: Vec<String>,
}

/// Where a step id sits in the plan: diagnosis and tests first, then referrals
/// and safety, triggers and vitamins, iron, drugs, lifestyle, follow-up.
fn rank(id: &str) -> u8 {
    match id {
        "diagnosis.confirm" => 0,
        _ if id.starts_with("test.") => 1,
        _ if id.starts_with("refer.") => 2,
        "meds.review-aggravating" | "augmentation.manage" => 3,
        "lifestyle.triggers" => 4,
        _ if id.starts_with("vitamin.") => 5,
        _ if id.starts_with("iron.") => 6,
        _ if id.starts_with("drug.") || id.starts_with("options.") => 7,
        "lifestyle.sleep" => 8,
        _ => 9,
    }
}

impl Plan {
    pub fn new(knowledge: &'static Knowledge, as_of: NaiveDate) -> Plan {
        Plan {
            knowledge,
            as_of,
            steps: Vec::new(),
            warnings: Vec::new(),
            schedule: Vec::new(),
            missing: Vec::new(),
        }
    }

    /// Adds a step whose words come from the text `key` (the id, or id.variant).
    pub fn step(
        &mut self,
        id: &str,
        key: &str,
        category: Category,
        values: &[(&str, String)],
        because: Vec<String>,
    ) -> &mut Step {
        let text = self.knowledge.text(key);
        self.steps.push(Step {
            id: RecId::new(id),
            category,
            title: fill(&text.title, values),
            detail: fill(&text.detail, values),
            because,
            sources: text.sources.clone(),
            due: Some(self.as_of),
            schedule: None,
            timing: None,
            subject: None,
            differences: Vec::new(),
        });
        self.steps.last_mut().expect("a step was just pushed")
    }

    pub fn warn(
        &mut self,
        id: &str,
        key: &str,
        level: Level,
        subject: Option<String>,
        values: &[(&str, String)],
        because: Vec<String>,
    ) -> &mut Warning {
        let text = self.knowledge.text(key);
        let title = fill(&text.title, values);
        let detail = fill(&text.detail, values);
        let sources = text.sources.clone();
        // "{name} can worsen RLS" → "can worsen RLS", from the template, so
        // that no renderer cuts a name off a sentence.
        let about_subject = subject
            .as_ref()
            .and_then(|_| text.title.strip_prefix("{name}"))
            .map(|rest| fill(rest.trim_start_matches([':', ' ']), values))
            .filter(|rest| !rest.is_empty());
        self.warnings.push(Warning {
            id: RecId::new(id),
            level,
            subject,
            text: capitalise(format!("{title}. {detail}")),
            title: capitalise(title),
            detail,
            about_subject,
            because,
            sources,
        });
        self.warnings.last_mut().expect("a warning was just pushed")
    }

    pub fn date(&mut self, date: NaiveDate, id: &str, key: &str, values: &[(&str, String)]) {
        let text = self.knowledge.text(key);
        let title = fill(&text.title, values);
        let detail = fill(&text.detail, values);
        if !self.schedule.iter().any(|s| s.id == id && s.date == date) {
            self.schedule.push(ScheduleItem {
                date,
                id: RecId::new(id),
                what: format!("{title}: {detail}"),
                title,
                detail,
            });
        }
    }

    pub fn note_missing(&mut self, what: impl Into<String>) {
        let what = what.into();
        if !self.missing.contains(&what) {
            self.missing.push(what);
        }
    }

    pub fn has(&self, id: &str) -> bool {
        self.steps.iter().any(|s| s.id == id) || self.warnings.iter().any(|w| w.id == id)
    }

    /// Orders steps, warnings and dates.
    pub fn finish(&mut self) {
        self.steps.sort_by_key(|s| rank(&s.id));
        self.warnings.sort_by_key(|w| std::cmp::Reverse(w.level));
        self.schedule
            .sort_by(|a, b| a.date.cmp(&b.date).then(a.id.cmp(&b.id)));
        for step in &mut self.steps {
            dedup(&mut step.sources);
        }
        for warning in &mut self.warnings {
            dedup(&mut warning.sources);
        }
    }

    pub fn cited_sources(&self) -> BTreeSet<&str> {
        let steps = self.steps.iter().flat_map(|s| &s.sources);
        let warnings = self.warnings.iter().flat_map(|w| &w.sources);
        steps.chain(warnings).map(String::as_str).collect()
    }
}

/// Drops repeated ids, keeping the first of each (lists are short: no set needed).
fn dedup(ids: &mut Vec<String>) {
    let mut i = 0;
    while i < ids.len() {
        if ids[..i].contains(&ids[i]) {
            ids.remove(i);
        } else {
            i += 1;
        }
    }
}
