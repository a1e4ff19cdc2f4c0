//! Finding the NDJSON files to read, and reading them plain or gzipped.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

use crate::ScreenError;

/// The files behind the paths given: a file as it is (a Bulk Data
/// `manifest.json` stands for the files its `output` lists), a folder for its
/// `*.ndjson`, `*.ndjson.gz`, `*.jsonl` and `*.jsonl.gz` files (sorted by
/// name; sub-folders are not entered). Each file once, in the order given.
pub fn files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ScreenError> {
    let mut out: Vec<PathBuf> = Vec::new();
    let push = |p: PathBuf, out: &mut Vec<PathBuf>| {
        if !out.contains(&p) {
            out.push(p);
        }
    };
    if paths.is_empty() {
        return Err(ScreenError::Input(
            "no input: give one or more NDJSON files or folders".to_string(),
        ));
    }
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|e| ScreenError::Io {
            path: path.clone(),
            error: e,
        })?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| ScreenError::Io {
                    path: path.clone(),
                    error: e,
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && is_ndjson_name(p))
                .collect();
            if found.is_empty() {
                return Err(ScreenError::Input(format!(
                    "{}: no .ndjson, .ndjson.gz, .jsonl or .jsonl.gz files in this folder",
                    path.display()
                )));
            }
            found.sort();
            for p in found {
                push(p, &mut out);
            }
        } else if let Some(listed) = manifest_outputs(path)? {
            for p in listed {
                push(p, &mut out);
            }
        } else {
            push(path.clone(), &mut out);
        }
    }
    Ok(out)
}

fn is_ndjson_name(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    [".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// The files a Bulk Data manifest lists in `output` (relative to the
/// manifest, or `file://` URLs); `None` when the file is not a manifest.
fn manifest_outputs(path: &Path) -> Result<Option<Vec<PathBuf>>, ScreenError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if !name.ends_with(".json") {
        return Ok(None);
    }
    let io = |error| ScreenError::Io {
        path: path.to_path_buf(),
        error,
    };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > 64 * 1024 * 1024 {
        return Ok(None);
    }
    let text = std::fs::read_to_string(path).map_err(io)?;
    let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(None);
    };
    let Some(output) = value.get("output").and_then(|o| o.as_array()) else {
        return Ok(None);
    };
    let base = path.parent().unwrap_or(Path::new("."));
    let mut files = Vec::new();
    for (i, item) in output.iter().enumerate() {
        let url = item.get("url").and_then(|u| u.as_str()).ok_or_else(|| {
            ScreenError::Input(format!("{}: output[{i}] has no \"url\"", path.display()))
        })?;
        let local = if let Some(p) = url.strip_prefix("file://") {
            PathBuf::from(p)
        } else if url.contains("://") {
            return Err(ScreenError::Input(format!(
                "{}: output[{i}].url {url:?} is remote; download the export first and give the folder",
                path.display()
            )));
        } else {
            base.join(url)
        };
        files.push(local);
    }
    Ok(Some(files))
}

/// Counts the bytes read from the file itself (before decompression), for
/// progress against the files' sizes.
pub struct Counted<R> {
    inner: R,
    pub read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens a file for reading, decompressing it when it is gzip (told by its
/// first bytes, not its name). The counter counts the bytes of the file.
pub fn open(path: &Path, counter: Arc<AtomicU64>) -> io::Result<Box<dyn Read + Send>> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = io::Cursor::new(magic[..got].to_vec());
    let counted = Counted {
        inner: head.chain(file),
        read: counter,
    };
    if got == 2 && magic == [0x1f, 0x8b] {
        Ok(Box::new(MultiGzDecoder::new(BufReader::with_capacity(
            1 << 20,
            counted,
        ))))
    } else {
        Ok(Box::new(counted))
    }
}
