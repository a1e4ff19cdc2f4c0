//! `willis serve`: the web app, the JSON API and (later) CDS Hooks, on the
//! default journal or the database `--db` names.

use std::net::SocketAddr;

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
