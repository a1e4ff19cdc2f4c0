//! The baseline for bench/screen.sh: read every line of the files and parse
//! it into a `serde_json::Value`, on one thread, doing nothing else.
//! `cargo run --release -p willis-screen --example bare_parse -- FILE...`

use std::io::{BufRead, BufReader};

fn main() {
    let mut lines = 0u64;
    let mut bad = 0u64;
    let mut buf = Vec::with_capacity(1 << 16);
    for path in std::env::args().skip(1) {
        let file = std::fs::File::open(&path).unwrap_or_else(|e| {
            eprintln!("{path}: {e}");
            std::process::exit(2)
        });
        let mut reader = BufReader::with_capacity(1 << 20, file);
        loop {
            buf.clear();
            match reader.read_until(b'\n', &mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    eprintln!("{path}: {e}");
                    std::process::exit(2)
                }
            }
            lines += 1;
            if serde_json::from_slice::<serde_json::Value>(buf.trim_ascii()).is_err() {
                bad += 1;
            }
        }
    }
    println!("{lines} lines, {bad} not JSON");
}
