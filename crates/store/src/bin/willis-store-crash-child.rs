//! Test helper for the crash-safety test: `willis-store-crash-child URL PERSON USER`
//! appends diary entries to PERSON's journal until it is killed, printing each
//! entry's id on its own line only after `append` has returned (committed).

use std::io::Write;
use std::process::ExitCode;

use chrono::{Duration, NaiveDate};
use willis_core::DiaryFile;
use willis_store::{open, NewEntry, Payload, PersonId, Store, UserId};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(url), Some(person), Some(user)) = (
        args.first(),
        args.get(1).and_then(|a| a.parse().ok()),
        args.get(2).and_then(|a| a.parse().ok()),
    ) else {
        eprintln!("usage: willis-store-crash-child URL PERSON_ID USER_ID");
        return ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(url, PersonId(person), UserId(user))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(url: &str, person: PersonId, user: UserId) -> Result<(), Box<dyn std::error::Error>> {
    let store = open(url).await?;
    let first = NaiveDate::from_ymd_opt(2020, 1, 1).ok_or("bad start date")?;
    let mut stdout = std::io::stdout().lock();
    for i in 0i64.. {
        let night = DiaryFile {
            severity: Some(i % 11),
            ..DiaryFile::default()
        };
        let entry = store
            .append(NewEntry::new(
                person,
                user,
                first + Duration::days(i % 3650),
                Payload::Diary(night),
            ))
            .await?;
        writeln!(stdout, "{}", entry.id)?;
        stdout.flush()?;
    }
    Ok(())
}
