//! The screen over many files, in three passes with bounded memory.
//!
//! **Pass 0, candidates.** The files are read in chunks of whole lines (about
//! 4 MiB), one chunk at a time to each of `jobs` worker threads, which note
//! the patients with a Condition that may be RLS ([`crate::scan::rls_candidate`]:
//! only Condition lines that mention an RLS code or name are parsed). Memory:
//! the set of those patients' ids (about 7 % of patients).
//!
//! **Pass 1, partition.** The files are read again the same way; the workers
//! classify every line ([`crate::scan::classify`]). Lines no rule reads are
//! counted and dropped; a candidate's lines are appended, with their patient
//! id and origin, to one of `B` bucket files in a temporary folder, chosen by a
//! hash of the patient id, so all of one patient's lines land in one bucket
//! wherever they were in the input. Of everyone else only the id is written
//! (once a chunk), to count the patients. Memory: `jobs + 2` chunks, and a
//! 64 KiB buffer per bucket and worker.
//!
//! **Pass 2, assess.** The workers take one bucket at a time, read it whole,
//! and assess its candidates. Memory: `jobs` buckets at a time. `B` grows with
//! the input (one bucket per 16 MiB read, at least 16, at most 1024), so a
//! bucket stays near 16 MiB × the share of the candidates' lines, whatever the
//! export's size; the temporary folder needs room for those lines.
//!
//! Rows come out in bucket order, and by patient id within a bucket: the same
//! input gives the same report whatever `jobs` is.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use serde::Serialize;
use willis_core::{Profile, KNOWLEDGE_VERSION};
use willis_fhir::{BundleEntry, Resource};

use crate::measures::{MeasureResult, Totals};
use crate::patient::screen_resources;
use crate::row::Row;
use crate::scan::{classify, Line, Skip, MAX_LINE_BYTES};
use crate::{input, ScreenError};

/// What to screen, and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files or folders of NDJSON (plain or gzip), or Bulk Data manifests.
    pub paths: Vec<PathBuf>,
    /// The day the plans are made for: facts dated later are left out.
    pub as_of: NaiveDate,
    pub profile: Profile,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Where the temporary bucket files go (default: the system's).
    pub temp_dir: Option<PathBuf>,
    /// The number of buckets; `None`: from the input's size.
    pub buckets: Option<usize>,
}

/// Told as the screen goes; called from several threads.
pub trait Progress: Sync {
    /// Pass 0 starts (looking for patients who may have RLS): the files' total size.
    fn finding(&self, _total_bytes: u64) {}
    /// Pass 1 starts: the files' total size.
    fn reading(&self, _total_bytes: u64) {}
    /// Bytes of the files read so far, and `Patient` resources seen.
    fn read(&self, _bytes: u64, _patients: u64) {}
    /// Pass 2 starts, over this many buckets.
    fn assessing(&self, _buckets: u64) {}
    /// A bucket is done: buckets done so far, patients with RLS so far.
    fn assessed(&self, _buckets: u64, _patients_with_rls: u64) {}
    /// A line that is not a resource (as it is found).
    fn malformed(&self, _line: &Malformed) {}
}

/// No progress shown.
pub struct Quiet;
impl Progress for Quiet {}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Malformed {
    pub file: PathBuf,
    /// 1-based line number in the file (after decompression).
    pub line: u64,
    pub reason: String,
}

/// A patient with RLS whose record could not be assessed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotScreened {
    pub patient: String,
    pub reason: String,
}

/// Lines passed over, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Resource types no rule reads (Encounter, Procedure, …).
    pub other_types: u64,
    /// Observations with none of the codes the mapping reads.
    pub unread_observations: u64,
    pub operation_outcomes: u64,
    /// Resources of a type the plan reads with no `subject` patient.
    pub without_patient: u64,
    pub blank: u64,
}

/// How many malformed lines the summary lists (all are counted).
pub const MALFORMED_LISTED: usize = 1000;

pub const SUMMARY_FORMAT: &str = "willis-screen-summary/1";

/// The screen's totals (`--summary`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub format: &'static str,
    pub as_of: NaiveDate,
    pub guideline: Profile,
    pub knowledge: &'static str,
    pub files: u64,
    pub bytes: u64,
    pub lines: u64,
    /// Distinct patients: with a `Patient` resource, or named by the
    /// subject of a resource the plan reads.
    pub patients: u64,
    /// Patients with a confirmed RLS diagnosis: one report row each.
    pub patients_with_rls: u64,
    pub malformed_lines: u64,
    /// The first [`MALFORMED_LISTED`] malformed lines, by file and line.
    pub malformed: Vec<Malformed>,
    pub skipped: Skipped,
    pub not_screened: Vec<NotScreened>,
    /// For each step and warning id, the patients whose plan has it.
    pub ids: BTreeMap<String, u64>,
    pub measures: Vec<MeasureResult>,
}

const CHUNK_BYTES: usize = 4 << 20;
const BUCKET_BUFFER: usize = 64 << 10;
const BYTES_PER_BUCKET: u64 = 16 << 20;
const MIN_BUCKETS: usize = 16;
const MAX_BUCKETS: usize = 1024;

/// Screens the files; `write` receives each row, in a stable order.
pub fn screen(
    opts: &Options,
    progress: &dyn Progress,
    write: &mut dyn FnMut(&Row) -> io::Result<()>,
) -> Result<Summary, ScreenError> {
    let files = input::files(&opts.paths)?;
    let mut total_bytes = 0;
    for f in &files {
        total_bytes += std::fs::metadata(f)
            .map_err(|error| ScreenError::Io {
                path: f.clone(),
                error,
            })?
            .len();
    }
    let jobs = opts.jobs.max(1);
    let buckets = opts.buckets.unwrap_or_else(|| {
        usize::try_from(total_bytes / BYTES_PER_BUCKET)
            .unwrap_or(MAX_BUCKETS)
            .clamp(MIN_BUCKETS, MAX_BUCKETS)
    });
    let temp = match &opts.temp_dir {
        Some(dir) => tempfile::Builder::new()
            .prefix("willis-screen-")
            .tempdir_in(dir),
        None => tempfile::Builder::new().prefix("willis-screen-").tempdir(),
    }
    .map_err(|error| ScreenError::Io {
        path: opts.temp_dir.clone().unwrap_or_else(std::env::temp_dir),
        error,
    })?;

    progress.finding(total_bytes);
    let candidates = find_candidates(&files, jobs, progress)?;
    progress.reading(total_bytes);
    let pass1 = partition(&files, temp.path(), buckets, jobs, &candidates, progress)?;
    progress.assessing(buckets as u64);
    let pass2 = assess_buckets(opts, &files, temp.path(), buckets, jobs, progress, write)?;

    let mut malformed = pass1.malformed;
    malformed.extend(pass2.malformed);
    let malformed_lines = malformed.len() as u64;
    malformed.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    malformed.truncate(MALFORMED_LISTED);
    Ok(Summary {
        format: SUMMARY_FORMAT,
        as_of: opts.as_of,
        guideline: opts.profile,
        knowledge: KNOWLEDGE_VERSION,
        files: files.len() as u64,
        bytes: total_bytes,
        lines: pass1.lines,
        patients: pass2.patients,
        patients_with_rls: pass2.rows,
        malformed_lines,
        malformed,
        skipped: pass1.skipped,
        not_screened: pass2.not_screened,
        ids: pass2.ids,
        measures: pass2.totals.results(),
    })
}

/// A run of whole lines of one file.
struct Chunk {
    file: u32,
    /// The line number of its first line.
    first_line: u64,
    data: Vec<u8>,
}

#[derive(Default)]
struct Pass1 {
    lines: u64,
    skipped: Skipped,
    malformed: Vec<Malformed>,
}

fn bucket_of(patient: &str, buckets: usize) -> usize {
    // SipHash with fixed keys: the same bucket for the same id on every run.
    let hash = BuildHasherDefault::<DefaultHasher>::default().hash_one(patient);
    (hash % buckets as u64) as usize
}

fn bucket_path(dir: &Path, bucket: usize) -> PathBuf {
    dir.join(format!("bucket-{bucket:04}.tsv"))
}

/// Pass 0: the patients with a Condition that may be RLS.
fn find_candidates(
    files: &[PathBuf],
    jobs: usize,
    progress: &dyn Progress,
) -> Result<HashSet<String>, ScreenError> {
    let (send, receive) = sync_channel::<Chunk>(jobs + 1);
    let receive = Mutex::new(receive);
    let read_bytes = Arc::new(AtomicU64::new(0));
    let (read_result, found) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                s.spawn(|| {
                    let mut found = HashSet::new();
                    loop {
                        let chunk = {
                            let r = receive.lock().expect("the chunk queue lock was poisoned");
                            r.recv()
                        };
                        let Ok(chunk) = chunk else { break };
                        for (_, line) in lines_of(&chunk) {
                            if let Some(patient) = crate::scan::rls_candidate(line) {
                                found.insert(patient);
                            }
                        }
                    }
                    found
                })
            })
            .collect();
        let read_result = read_chunks(files, &send, &read_bytes, progress);
        drop(send);
        let found: Vec<HashSet<String>> = workers
            .into_iter()
            .map(|w| w.join().expect("a candidate worker panicked"))
            .collect();
        (read_result, found)
    });
    read_result?;
    Ok(found.into_iter().flatten().collect())
}

/// The lines of a chunk with their numbers. A chunk ends with a newline,
/// except a file's last line may not.
fn lines_of(chunk: &Chunk) -> impl Iterator<Item = (u64, &[u8])> {
    let body = chunk.data.strip_suffix(b"\n").unwrap_or(&chunk.data);
    let ends = memchr::memchr_iter(b'\n', body).chain(std::iter::once(body.len()));
    let mut start = 0;
    (chunk.first_line..).zip(ends.map(move |end| {
        let line = &body[start..end];
        start = end + 1;
        line
    }))
}

fn partition(
    files: &[PathBuf],
    dir: &Path,
    buckets: usize,
    jobs: usize,
    candidates: &HashSet<String>,
    progress: &dyn Progress,
) -> Result<Pass1, ScreenError> {
    let mut writers = Vec::with_capacity(buckets);
    for b in 0..buckets {
        let path = bucket_path(dir, b);
        let file = File::create(&path).map_err(|error| ScreenError::Io { path, error })?;
        writers.push(Mutex::new(BufWriter::with_capacity(BUCKET_BUFFER, file)));
    }
    let (send, receive) = sync_channel::<Chunk>(jobs + 1);
    let receive = Mutex::new(receive);
    let read_bytes = Arc::new(AtomicU64::new(0));
    let patients_seen = AtomicU64::new(0);

    let (read_result, worker_results) = std::thread::scope(|s| {
        let workers: Vec<_> = (0..jobs)
            .map(|_| {
                s.spawn(|| {
                    partition_worker(
                        &receive,
                        files,
                        &writers,
                        candidates,
                        &patients_seen,
                        &read_bytes,
                        progress,
                    )
                })
            })
            .collect();
        let read_result = read_chunks(files, &send, &read_bytes, progress);
        drop(send);
        let results: Vec<_> = workers
            .into_iter()
            .map(|w| w.join().expect("a partition worker panicked"))
            .collect();
        (read_result, results)
    });
    read_result?;
    let mut pass1 = Pass1::default();
    for r in worker_results {
        let r = r?;
        pass1.lines += r.lines;
        pass1.skipped.other_types += r.skipped.other_types;
        pass1.skipped.unread_observations += r.skipped.unread_observations;
        pass1.skipped.operation_outcomes += r.skipped.operation_outcomes;
        pass1.skipped.without_patient += r.skipped.without_patient;
        pass1.skipped.blank += r.skipped.blank;
        pass1.malformed.extend(r.malformed);
    }
    for (b, w) in writers.into_iter().enumerate() {
        let mut w = w.into_inner().expect("a bucket writer lock was poisoned");
        w.flush().map_err(|error| ScreenError::Io {
            path: bucket_path(dir, b),
            error,
        })?;
    }
    Ok(pass1)
}

/// Reads every file into chunks of whole lines and sends them on. A line
/// longer than [`MAX_LINE_BYTES`] is cut off and sent as its start only (the
/// classifier reports it; the rest of it is skipped, not held in memory).
fn read_chunks(
    files: &[PathBuf],
    send: &std::sync::mpsc::SyncSender<Chunk>,
    read_bytes: &Arc<AtomicU64>,
    progress: &dyn Progress,
) -> Result<(), ScreenError> {
    for (index, path) in files.iter().enumerate() {
        let io = |error| ScreenError::Io {
            path: path.clone(),
            error,
        };
        let mut reader = input::open(path, Arc::clone(read_bytes)).map_err(io)?;
        let mut line = 1u64;
        let mut carry: Vec<u8> = Vec::new();
        let mut skipping_long_line = false;
        loop {
            let mut data = std::mem::take(&mut carry);
            data.reserve(CHUNK_BYTES + 64 * 1024);
            let start = data.len();
            let mut eof = false;
            // Read at least a little more than what was carried over (a long
            // line is carried until its end is found).
            let target = CHUNK_BYTES.max(start + (256 << 10));
            while data.len() < target {
                let len = data.len();
                data.resize(len + 256 * 1024, 0);
                let n = loop {
                    match reader.read(&mut data[len..]) {
                        Ok(n) => break n,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                        Err(e) => return Err(io(e)),
                    }
                };
                data.truncate(len + n);
                if n == 0 {
                    eof = true;
                    break;
                }
            }
            if skipping_long_line {
                // Drop the rest of a line already reported as too long.
                match memchr::memchr(b'\n', &data[start..]) {
                    Some(at) => {
                        data.drain(..start + at + 1);
                        line += 1;
                        skipping_long_line = false;
                    }
                    None => {
                        data.truncate(start);
                        if eof {
                            break;
                        }
                        carry = data;
                        continue;
                    }
                }
            }
            let cut = if eof {
                data.len()
            } else {
                match memchr::memrchr(b'\n', &data) {
                    Some(at) => at + 1,
                    None if data.len() > MAX_LINE_BYTES => {
                        skipping_long_line = true;
                        data.len()
                    }
                    None => {
                        carry = data;
                        continue;
                    }
                }
            };
            carry = data[cut..].to_vec();
            data.truncate(cut);
            let lines_in = memchr::memchr_iter(b'\n', &data).count() as u64;
            let first_line = line;
            line += lines_in;
            if !data.is_empty()
                && send
                    .send(Chunk {
                        file: index as u32,
                        first_line,
                        data,
                    })
                    .is_err()
            {
                // A worker stopped on an error; it is reported from there.
                return Ok(());
            }
            progress.read(read_bytes.load(Ordering::Relaxed), 0);
            if eof {
                break;
            }
        }
    }
    Ok(())
}

struct Worker1 {
    lines: u64,
    skipped: Skipped,
    malformed: Vec<Malformed>,
}

fn partition_worker(
    receive: &Mutex<Receiver<Chunk>>,
    files: &[PathBuf],
    writers: &[Mutex<BufWriter<File>>],
    candidates: &HashSet<String>,
    patients_seen: &AtomicU64,
    read_bytes: &AtomicU64,
    progress: &dyn Progress,
) -> Result<Worker1, ScreenError> {
    let buckets = writers.len();
    let mut buffers: Vec<Vec<u8>> = vec![Vec::new(); buckets];
    let mut out = Worker1 {
        lines: 0,
        skipped: Skipped::default(),
        malformed: Vec::new(),
    };
    let flush = |b: usize, buf: &mut Vec<u8>| -> Result<(), ScreenError> {
        let mut w = writers[b]
            .lock()
            .expect("a bucket writer lock was poisoned");
        w.write_all(buf).map_err(|error| ScreenError::Io {
            path: PathBuf::from(format!("bucket {b} of the temporary folder")),
            error,
        })?;
        buf.clear();
        Ok(())
    };
    loop {
        let chunk = {
            let r = receive.lock().expect("the chunk queue lock was poisoned");
            r.recv()
        };
        let Ok(chunk) = chunk else { break };
        let mut patients = 0u64;
        // Of a patient who cannot have RLS, the id once a chunk.
        let mut others: HashSet<String> = HashSet::new();
        for (this, line) in lines_of(&chunk) {
            out.lines += 1;
            // A line of a patient who cannot have RLS, in the plain shape:
            // only the id is noted, without a parse.
            if let Some((kind, patient)) = crate::scan::quick_key(line) {
                if !candidates.contains(patient) {
                    if kind == crate::scan::Kind::Patient {
                        patients += 1;
                    }
                    if !others.contains(patient) {
                        let b = bucket_of(patient, buckets);
                        let buf = &mut buffers[b];
                        buf.extend_from_slice(b"K\t");
                        buf.extend_from_slice(patient.as_bytes());
                        buf.extend_from_slice(b"\t0\t0\t\n");
                        others.insert(patient.to_string());
                        if buf.len() >= BUCKET_BUFFER {
                            flush(b, buf)?;
                        }
                    }
                    continue;
                }
            }
            match classify(line) {
                Line::Blank => out.skipped.blank += 1,
                Line::Skip(why) => match why {
                    Skip::OtherType => out.skipped.other_types += 1,
                    Skip::UnreadObservation => out.skipped.unread_observations += 1,
                    Skip::OperationOutcome => out.skipped.operation_outcomes += 1,
                    Skip::NoPatient => out.skipped.without_patient += 1,
                },
                Line::Malformed(reason) => {
                    let m = Malformed {
                        file: files[chunk.file as usize].clone(),
                        line: this,
                        reason,
                    };
                    progress.malformed(&m);
                    out.malformed.push(m);
                }
                Line::Keep {
                    kind,
                    patient,
                    rls_hint,
                } => {
                    if patient
                        .bytes()
                        .any(|b| b == b'\t' || b == b'\n' || b == b'\r')
                    {
                        let m = Malformed {
                            file: files[chunk.file as usize].clone(),
                            line: this,
                            reason: "the patient id holds a tab or a line break".to_string(),
                        };
                        progress.malformed(&m);
                        out.malformed.push(m);
                        continue;
                    }
                    if kind == crate::scan::Kind::Patient {
                        patients += 1;
                    }
                    let b = bucket_of(&patient, buckets);
                    let buf = &mut buffers[b];
                    if !candidates.contains(&patient) {
                        if !others.contains(&patient) {
                            buf.extend_from_slice(b"K\t");
                            buf.extend_from_slice(patient.as_bytes());
                            buf.extend_from_slice(b"\t0\t0\t\n");
                            others.insert(patient);
                        }
                        if buf.len() >= BUCKET_BUFFER {
                            flush(b, buf)?;
                        }
                        continue;
                    }
                    let tag = match (kind, rls_hint) {
                        (crate::scan::Kind::Patient, _) => b'P',
                        (_, true) => b'R',
                        _ => b'L',
                    };
                    buf.push(tag);
                    buf.push(b'\t');
                    buf.extend_from_slice(patient.as_bytes());
                    buf.push(b'\t');
                    buf.extend_from_slice(itoa::Buffer::new().format(chunk.file).as_bytes());
                    buf.push(b'\t');
                    buf.extend_from_slice(itoa::Buffer::new().format(this).as_bytes());
                    buf.push(b'\t');
                    buf.extend_from_slice(crate::scan::trimmed(line));
                    buf.push(b'\n');
                    if buf.len() >= BUCKET_BUFFER {
                        flush(b, buf)?;
                    }
                }
            }
        }
        let seen = patients_seen.fetch_add(patients, Ordering::Relaxed) + patients;
        progress.read(read_bytes.load(Ordering::Relaxed), seen);
    }
    for (b, buf) in buffers.iter_mut().enumerate() {
        if !buf.is_empty() {
            flush(b, buf)?;
        }
    }
    Ok(out)
}

#[derive(Default)]
struct Pass2 {
    patients: u64,
    rows: u64,
    malformed: Vec<Malformed>,
    not_screened: Vec<NotScreened>,
    ids: BTreeMap<String, u64>,
    totals: Totals,
}

type BucketOutcome = Result<BucketResult, ScreenError>;

struct BucketResult {
    patients: u64,
    rows: Vec<Row>,
    malformed: Vec<Malformed>,
    not_screened: Vec<NotScreened>,
    ids: HashMap<String, u64>,
    totals: Totals,
}

fn assess_buckets(
    opts: &Options,
    files: &[PathBuf],
    dir: &Path,
    buckets: usize,
    jobs: usize,
    progress: &dyn Progress,
    write: &mut dyn FnMut(&Row) -> io::Result<()>,
) -> Result<Pass2, ScreenError> {
    let next = AtomicUsize::new(0);
    let (send, receive) = sync_channel::<(usize, BucketOutcome)>(jobs * 2);
    std::thread::scope(|s| {
        for _ in 0..jobs {
            let send = send.clone();
            let next = &next;
            s.spawn(move || loop {
                let b = next.fetch_add(1, Ordering::Relaxed);
                if b >= buckets {
                    break;
                }
                let result = assess_bucket(opts, files, &bucket_path(dir, b));
                let failed = result.is_err();
                if send.send((b, result)).is_err() || failed {
                    // Stop taking buckets after an error; the others finish theirs.
                    next.store(buckets, Ordering::Relaxed);
                    break;
                }
            });
        }
        drop(send);
        // Rows are written in bucket order; results that arrive early wait.
        let mut pending: BTreeMap<usize, BucketResult> = BTreeMap::new();
        let mut due = 0usize;
        let mut pass2 = Pass2::default();
        let mut error: Option<ScreenError> = None;
        for (b, result) in receive {
            match result {
                Ok(r) => {
                    pending.insert(b, r);
                }
                Err(e) => {
                    error.get_or_insert(e);
                    continue;
                }
            }
            while let Some(r) = pending.remove(&due) {
                due += 1;
                if error.is_some() {
                    continue;
                }
                for row in &r.rows {
                    if let Err(e) = write(row) {
                        error = Some(ScreenError::Output(e));
                        break;
                    }
                }
                pass2.patients += r.patients;
                pass2.rows += r.rows.len() as u64;
                pass2.malformed.extend(r.malformed);
                pass2.not_screened.extend(r.not_screened);
                for (id, n) in r.ids {
                    *pass2.ids.entry(id).or_default() += n;
                }
                pass2.totals.merge(&r.totals);
                progress.assessed(due as u64, pass2.rows);
            }
            if error.is_some() {
                next.store(buckets, Ordering::Relaxed);
            }
        }
        match error {
            Some(e) => Err(e),
            None => Ok(pass2),
        }
    })
}

fn assess_bucket(
    opts: &Options,
    files: &[PathBuf],
    path: &Path,
) -> Result<BucketResult, ScreenError> {
    let data = std::fs::read(path).map_err(|error| ScreenError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let lines = || bucket_lines(&data);
    let mut patients: HashSet<&[u8]> = HashSet::new();
    let mut candidates: HashSet<&[u8]> = HashSet::new();
    for BucketLine { tag, patient, .. } in lines() {
        patients.insert(patient);
        if tag == b'R' {
            candidates.insert(patient);
        }
    }
    let mut by_patient: BTreeMap<&[u8], Vec<BucketLine>> = BTreeMap::new();
    for line in lines() {
        if candidates.contains(line.patient) {
            by_patient.entry(line.patient).or_default().push(line);
        }
    }
    let mut result = BucketResult {
        patients: patients.len() as u64,
        rows: Vec::new(),
        malformed: Vec::new(),
        not_screened: Vec::new(),
        ids: HashMap::new(),
        totals: Totals::default(),
    };
    for (patient, mut resources) in by_patient {
        // The order of their text, as `screen_lines` has it: the same plan
        // whatever files and threads the lines came through.
        resources.sort_by(|a, b| a.json.cmp(b.json));
        let mut entry = Vec::with_capacity(resources.len());
        for BucketLine {
            file, line, json, ..
        } in resources
        {
            match Resource::from_slice(json) {
                Ok(resource) => entry.push(BundleEntry {
                    full_url: None,
                    resource: Some(resource),
                }),
                Err(e) => result.malformed.push(Malformed {
                    file: number(file)
                        .and_then(|f| files.get(f as usize))
                        .cloned()
                        .unwrap_or_default(),
                    line: number(line).unwrap_or(0),
                    reason: format!("not a FHIR resource: {e}"),
                }),
            }
        }
        let patient = String::from_utf8_lossy(patient).into_owned();
        match screen_resources(entry, opts.as_of, opts.profile) {
            Ok(Some(screened)) => {
                // A plan can hold an id more than once (one warning per
                // medicine): count the patient once.
                let ids: HashSet<&String> = screened.row.ids.iter().collect();
                for id in ids {
                    *result.ids.entry(id.clone()).or_default() += 1;
                }
                result.totals.add(&screened.measures);
                let mut row = screened.row;
                // The bucket's key is the id every resource referenced.
                row.patient = patient;
                result.rows.push(row);
            }
            Ok(None) => {}
            Err(e) => result.not_screened.push(NotScreened {
                patient,
                reason: e.to_string(),
            }),
        }
    }
    Ok(result)
}

/// A line of a bucket file: `tag \t patient \t file \t line \t json`.
struct BucketLine<'a> {
    /// `P` a Patient, `R` a Condition that may be RLS, `L` anything else of
    /// a candidate; `K` only the id of a patient who is not one (no JSON).
    tag: u8,
    patient: &'a [u8],
    /// Index of the input file, and the line's number in it (digits, read
    /// only when a line must be reported).
    file: &'a [u8],
    line: &'a [u8],
    json: &'a [u8],
}

/// The lines of a bucket file.
fn bucket_lines(data: &[u8]) -> impl Iterator<Item = BucketLine<'_>> {
    let mut start = 0;
    memchr::memchr_iter(b'\n', data)
        .map(move |end| {
            let line = &data[start..end];
            start = end + 1;
            line
        })
        .filter_map(bucket_fields)
}

fn bucket_fields(line: &[u8]) -> Option<BucketLine<'_>> {
    let mut rest = line;
    let mut next = || {
        let at = memchr::memchr(b'\t', rest)?;
        let field = &rest[..at];
        rest = &rest[at + 1..];
        Some(field)
    };
    let tag = *next()?.first()?;
    let patient = next()?;
    let file = next()?;
    let line_no = next()?;
    Some(BucketLine {
        tag,
        patient,
        file,
        line: line_no,
        json: rest,
    })
}

fn number(digits: &[u8]) -> Option<u64> {
    std::str::from_utf8(digits).ok()?.parse().ok()
}
