//! The files: one resource type per file, a new file (`Type.2.ndjson`, ...)
//! whenever the current one would pass the size limit, plain or gzip.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::SynthError;

/// Where the lines of one file go.
enum Sink {
    Plain(BufWriter<File>),
    Gzip(Box<GzEncoder<BufWriter<File>>>),
}

impl Sink {
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(bytes),
            Sink::Gzip(w) => w.write_all(bytes),
        }
    }

    fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Plain(mut w) => w.flush(),
            Sink::Gzip(w) => w.finish()?.flush(),
        }
    }
}

/// A file written: its path, the resources in it, its size on disk.
#[derive(Debug, Clone)]
pub(crate) struct Part {
    pub path: PathBuf,
    pub count: u64,
    pub bytes: u64,
}

/// The files of one resource type.
pub(crate) struct TypeFiles {
    kind: &'static str,
    dir: PathBuf,
    gzip: bool,
    max_bytes: u64,
    done: Vec<Part>,
    /// The file being written, its uncompressed size so far and its resources.
    current: Option<(Sink, PathBuf, u64, u64)>,
    pub lines: u64,
}

impl TypeFiles {
    pub fn new(kind: &'static str, dir: &Path, gzip: bool, max_bytes: u64) -> TypeFiles {
        TypeFiles {
            kind,
            dir: dir.to_path_buf(),
            gzip,
            max_bytes,
            done: Vec::new(),
            current: None,
            lines: 0,
        }
    }

    fn file_name(&self, part: Option<usize>) -> String {
        let ext = if self.gzip { "ndjson.gz" } else { "ndjson" };
        match part {
            None => format!("{}.{ext}", self.kind),
            Some(n) => format!("{}.{n}.{ext}", self.kind),
        }
    }

    /// Writes one line (without its `\n`); `resource` says whether it holds a
    /// resource (counted in the manifest) or is noise.
    pub fn line(&mut self, text: &str, resource: bool) -> Result<(), SynthError> {
        let len = text.len() as u64 + 1;
        // The size limit is on the uncompressed bytes, so that plain and gzip
        // output split at the same lines.
        let full = matches!(&self.current, Some((_, _, size, _)) if *size > 0 && size + len > self.max_bytes);
        if full {
            self.close()?;
        }
        if self.current.is_none() {
            self.open()?;
        }
        let (sink, path, size, count) = self.current.as_mut().expect("a file was just opened");
        sink.write_all(text.as_bytes())
            .and_then(|_| sink.write_all(b"\n"))
            .map_err(|e| SynthError::io(path, e))?;
        *size += len;
        if resource {
            *count += 1;
        }
        self.lines += 1;
        Ok(())
    }

    fn open(&mut self) -> Result<(), SynthError> {
        // The first file is `Type.ndjson`; when a second is needed, the first
        // becomes `Type.1.ndjson`.
        let name = match self.done.len() {
            0 => self.file_name(None),
            n => self.file_name(Some(n + 1)),
        };
        let path = self.dir.join(name);
        let file = File::create_new(&path).map_err(|e| SynthError::io(&path, e))?;
        let buffered = BufWriter::with_capacity(1 << 18, file);
        let sink = if self.gzip {
            Sink::Gzip(Box::new(GzEncoder::new(buffered, Compression::fast())))
        } else {
            Sink::Plain(buffered)
        };
        self.current = Some((sink, path, 0, 0));
        Ok(())
    }

    fn close(&mut self) -> Result<(), SynthError> {
        let Some((sink, mut path, _, count)) = self.current.take() else {
            return Ok(());
        };
        sink.finish().map_err(|e| SynthError::io(&path, e))?;
        if self.done.is_empty() {
            // A second file follows: the first one takes its number.
            let numbered = self.dir.join(self.file_name(Some(1)));
            if numbered.exists() {
                return Err(SynthError::io(
                    &numbered,
                    std::io::Error::new(std::io::ErrorKind::AlreadyExists, "file exists"),
                ));
            }
            std::fs::rename(&path, &numbered).map_err(|e| SynthError::io(&numbered, e))?;
            path = numbered;
        }
        let bytes = std::fs::metadata(&path)
            .map_err(|e| SynthError::io(&path, e))?
            .len();
        self.done.push(Part { path, count, bytes });
        Ok(())
    }

    /// Closes the last file and gives every file written, in order.
    pub fn finish(mut self) -> Result<Vec<Part>, SynthError> {
        if let Some((sink, path, _, count)) = self.current.take() {
            sink.finish().map_err(|e| SynthError::io(&path, e))?;
            let bytes = std::fs::metadata(&path)
                .map_err(|e| SynthError::io(&path, e))?
                .len();
            self.done.push(Part { path, count, bytes });
        }
        Ok(self.done)
    }
}
