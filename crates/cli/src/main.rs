use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = willis_cli::Cli::parse();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match willis_cli::run(cli, &mut out, willis_cli::colour_wanted()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
