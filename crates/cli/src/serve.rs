//! `willis serve`: the web app, the JSON API and CDS Hooks, on the default
//! journal or the database `--db` names.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context as _};

use crate::tracker::{default_db_url, DbArgs};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub addr: SocketAddr,
    /// The address people reach the app at, when it sits behind a proxy that
    /// terminates TLS (https://… turns on Secure cookies and HSTS).
    #[arg(long, value_name = "URL", env = "WILLIS_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Do not let new people create accounts (existing accounts still sign in).
    #[arg(long)]
    pub no_signup: bool,
    /// Answer CDS Hooks calls from the EHRs this file trusts:
    /// {"issuers": [{"iss": "...", "jwks": {...}} or {"iss": "...", "jwks_url": "..."}]}.
    /// Without it (or --cds-insecure-no-auth) every CDS Hooks call is refused.
    #[arg(long, value_name = "FILE", conflicts_with = "cds_insecure_no_auth")]
    pub cds_trust: Option<PathBuf>,
    /// Answer CDS Hooks calls from anyone, unauthenticated: for local trials
    /// with test data only, never with real patients.
    #[arg(long)]
    pub cds_insecure_no_auth: bool,
}

/// The warning `--cds-insecure-no-auth` prints at start.
pub const INSECURE_WARNING: &str = "\
************************************************************************
WARNING: --cds-insecure-no-auth: CDS Hooks calls are NOT authenticated.
Anyone who can reach this server can send it patient data and read the
advice. Use this only for local trials with test data, never with real
patients. In production use --cds-trust FILE.
************************************************************************";

/// Who may call the CDS Hooks services; a trust file is read and checked
/// now, before anything listens.
fn cds_auth(args: &ServeArgs) -> anyhow::Result<willis_web::cds::CdsAuth> {
    use willis_web::cds::{jwt, CdsAuth};
    if let Some(path) = &args.cds_trust {
        let trust = jwt::Trust::from_file(path)
            .map_err(|e| anyhow::anyhow!("--cds-trust {}: {e}", path.display()))?;
        return Ok(CdsAuth::Trusted(Arc::new(jwt::Verifier::new(trust))));
    }
    if args.cds_insecure_no_auth {
        eprintln!("{INSECURE_WARNING}");
        return Ok(CdsAuth::InsecureNoAuth);
    }
    Ok(CdsAuth::Off)
}

pub fn run(args: &ServeArgs, db: &DbArgs) -> anyhow::Result<()> {
    if let Some(url) = &args.public_url {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            bail!("--public-url: {url:?} is not an http:// or https:// address");
        }
    }
    let url = match db.db.as_deref() {
        Some(url) if !url.is_empty() => url.to_string(),
        _ => default_db_url()?,
    };
    let config = willis_web::Config {
        public_url: args
            .public_url
            .clone()
            .map(|u| u.trim_end_matches('/').to_string()),
        signup: !args.no_signup,
        cds: cds_auth(args)?,
        today: match std::env::var(crate::clock::TODAY_VAR) {
            Ok(t) if !t.trim().is_empty() => Some(crate::clock::today()?),
            _ => None,
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let web = willis_web::Web::open(&url, config)
            .await
            .with_context(|| format!("cannot open the journal at {url}"))?;
        willis_web::serve(web, args.addr)
            .await
            .with_context(|| format!("cannot serve on {}", args.addr))
    })
}
