//! The FHIR data of a call: the prefetch values the EHR sent, and what it
//! left out fetched from its `fhirServer`, put into one Bundle.
//!
//! Per key ([`PREFETCH_KEYS`]):
//! - a searchset Bundle: its entries' resources (an OperationOutcome among
//!   them is kept and later reported as skipped by the mapping, never fatal);
//!   a `next` link is followed;
//! - a single resource: that resource;
//! - `null`: no data;
//! - omitted, or an OperationOutcome in place of the data: fetched from
//!   `fhirServer` with `fhirAuthorization.access_token`.
//!
//! All fetches run together and share one budget ([`FETCH_BUDGET`]); each
//! follows at most [`MAX_PAGES`] pages; redirects are not followed, and a
//! `next` link outside `fhirServer` is refused, so the token goes nowhere
//! else. `fhirServer` must be https, except on a loopback address. When any
//! key stays unavailable the call gives no card (a plan made from half the
//! chart could ask for tests that were done): [`gather`] says why, without
//! the token.

use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinSet;
use willis_fhir::{Bundle, BundleEntry, Resource};

use super::discovery::{Service, PREFETCH_KEYS};
use super::hook::HookRequest;
use crate::Web;

/// The time all fetches of one call share.
pub const FETCH_BUDGET: Duration = Duration::from_secs(2);
/// The most pages read per key (the first one included).
pub const MAX_PAGES: usize = 5;
/// The largest page read from a FHIR server.
pub const MAX_PAGE_BYTES: usize = 8 * 1024 * 1024;

/// One key's data so far, and the URL still to read, if any.
struct Slot {
    key: &'static str,
    resources: Vec<Value>,
    fetch: Option<String>,
}

/// The resources of a prefetch value, and its `next` link.
fn unpack(value: Value) -> (Vec<Value>, Option<String>) {
    match value {
        Value::Object(mut object) => {
            if object.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
                return (vec![Value::Object(object)], None);
            }
            let next = object
                .get("link")
                .and_then(Value::as_array)
                .and_then(|links| {
                    links
                        .iter()
                        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))
                })
                .and_then(|l| l.get("url"))
                .and_then(Value::as_str)
                .map(str::to_string);
            let resources = match object.remove("entry") {
                Some(Value::Array(entries)) => entries
                    .into_iter()
                    .filter_map(|e| match e {
                        Value::Object(mut e) => e.remove("resource"),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            (resources, next)
        }
        _ => (Vec::new(), None),
    }
}

fn is_outcome(value: &Value) -> bool {
    value.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome")
}

/// Whether Willis may send the access token to this FHIR base URL.
pub fn check_server(base: &str) -> Result<(), String> {
    let url = reqwest::Url::parse(base).map_err(|e| format!("fhirServer is not a URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" => {
            let host = url.host_str().unwrap_or("");
            let ip = host.trim_start_matches('[').trim_end_matches(']');
            let loopback = host.eq_ignore_ascii_case("localhost")
                || ip
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback());
            if loopback {
                Ok(())
            } else {
                Err("fhirServer is plain http on a non-loopback address; only https is used".into())
            }
        }
        other => Err(format!(
            "fhirServer has scheme {other:?}; only https is used"
        )),
    }
}

/// The Bundle of everything the call's data holds, or why there is none.
/// The prefetch values are taken out of the request (not copied).
pub async fn gather(
    web: &Web,
    request: &mut HookRequest,
    service: Service,
) -> Result<Bundle, String> {
    let mut prefetch = std::mem::take(&mut request.prefetch);
    let templates = service.prefetch();
    let mut slots: Vec<Slot> = Vec::new();
    for key in PREFETCH_KEYS {
        let template = templates
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace("{{context.patientId}}", &request.patient_id);
        let slot = match prefetch.remove(key) {
            Some(Value::Null) => Slot {
                key,
                resources: Vec::new(),
                fetch: None,
            },
            Some(v) if is_outcome(&v) => Slot {
                key,
                resources: Vec::new(),
                fetch: Some(template),
            },
            Some(v) => {
                let (resources, next) = unpack(v);
                Slot {
                    key,
                    resources,
                    fetch: next,
                }
            }
            None => Slot {
                key,
                resources: Vec::new(),
                fetch: Some(template),
            },
        };
        slots.push(slot);
    }
    if slots.iter().any(|s| s.fetch.is_some()) {
        fetch_missing(web, request, &mut slots).await?;
    }
    let entry = slots
        .into_iter()
        .flat_map(|s| s.resources)
        .filter_map(|json| Resource::from_json(json).ok())
        .map(|resource| BundleEntry {
            full_url: None,
            resource: Some(resource),
        })
        .collect();
    Ok(Bundle {
        id: None,
        kind: Some("collection".into()),
        entry,
    })
}

async fn fetch_missing(web: &Web, request: &HookRequest, slots: &mut [Slot]) -> Result<(), String> {
    let wanted: Vec<&str> = slots
        .iter()
        .filter(|s| s.fetch.is_some())
        .map(|s| s.key)
        .collect();
    let Some(base) = request.fhir_server.clone() else {
        return Err(format!(
            "prefetch {} missing and no fhirServer to fetch from",
            wanted.join(", ")
        ));
    };
    check_server(&base)?;
    let client = web.cds().client().clone();
    let mut tasks = JoinSet::new();
    for (i, slot) in slots.iter().enumerate() {
        let Some(path) = slot.fetch.clone() else {
            continue;
        };
        let url = if path.starts_with("https://") || path.starts_with("http://") {
            path
        } else {
            format!("{base}/{path}")
        };
        let (client, base, token) = (client.clone(), base.clone(), request.access_token.clone());
        tasks.spawn(async move { (i, read_pages(&client, &base, url, token.as_deref()).await) });
    }
    let collect = async {
        let mut results = Vec::new();
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(r) => results.push(r),
                Err(e) => return Err(format!("a fetch failed: {e}")),
            }
        }
        Ok(results)
    };
    let results = match tokio::time::timeout(FETCH_BUDGET, collect).await {
        Ok(r) => r?,
        Err(_) => {
            return Err(format!(
                "the FHIR server did not answer for {} within {} s",
                wanted.join(", "),
                FETCH_BUDGET.as_secs()
            ))
        }
    };
    for (i, result) in results {
        let slot = &mut slots[i];
        let resources = result.map_err(|e| format!("prefetch {}: {e}", slot.key))?;
        slot.resources.extend(resources);
        slot.fetch = None;
    }
    Ok(())
}

/// Reads a search (following `next`) or a read; a read that finds nothing
/// (404, 410) is no data.
async fn read_pages(
    client: &reqwest::Client,
    base: &str,
    first: String,
    token: Option<&str>,
) -> Result<Vec<Value>, String> {
    let mut resources = Vec::new();
    let mut url = Some(first);
    let mut pages = 0;
    while let Some(current) = url.take() {
        if pages == MAX_PAGES {
            eprintln!(
                "willis serve: CDS: stopped after {MAX_PAGES} pages of one search; the rest is not read"
            );
            break;
        }
        pages += 1;
        if !(current.starts_with(&format!("{base}/")) || current.starts_with(&format!("{base}?"))) {
            return Err("a next link leads outside fhirServer; not followed".into());
        }
        let mut call = client
            .get(&current)
            .header(reqwest::header::ACCEPT, "application/fhir+json");
        if let Some(token) = token {
            call = call.bearer_auth(token);
        }
        let mut response = call.send().await.map_err(|e| describe(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
            return Ok(resources);
        }
        if !status.is_success() {
            return Err(format!("the FHIR server answered HTTP {}", status.as_u16()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > MAX_PAGE_BYTES {
                return Err(format!(
                    "a page is larger than {} MiB",
                    MAX_PAGE_BYTES / 1024 / 1024
                ));
            }
            body.extend_from_slice(&chunk);
        }
        let json: Value = serde_json::from_slice(&body)
            .map_err(|e| format!("the FHIR server's answer is not JSON ({e})"))?;
        let (more, next) = unpack(json);
        resources.extend(more);
        url = next;
    }
    Ok(resources)
}

/// A transport error in words, without the URL (its query names the patient).
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "the FHIR server timed out".into()
    } else if e.is_connect() {
        "cannot connect to the FHIR server".into()
    } else if e.is_body() || e.is_decode() {
        "the FHIR server's answer broke off".into()
    } else {
        "the call to the FHIR server failed".into()
    }
}
