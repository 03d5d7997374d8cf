//! Where `enrich` writes its records: standard output, or a file held under an OS lock for the
//! whole run (one run per output file), continued by `--resume` and rewritten in place by
//! `--retry-failed`.

use super::records::{may_have_passed, record_key, Client, Input, Record};
use crate::note;
use serde_json::Value;
use std::fs::File;
use std::io::{BufRead, Seek, Write};
use std::path::{Path, PathBuf};
use threatbind::Error;

/// Opens `path` for the run (created if missing, its content left as it is) and locks it; a
/// file another run holds is refused, naming that run's process where the system says it.
pub(crate) fn open_locked(path: &Path) -> Result<File, Error> {
    let flag = |e: std::io::Error| Error::config("--out", format!("{}: {e}", path.display()));
    // A run that ends by renaming a rewritten output over the path (--retry-failed) leaves the
    // lock on a file that is no longer the output: then the path is opened again (a few times
    // at most).
    let mut attempts = 0;
    loop {
        attempts += 1;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(flag)?;
        match lock(file, path)? {
            Some(file) => return Ok(file),
            None if attempts < 5 => continue,
            None => {
                return Err(Error::config(
                    "--out",
                    format!(
                        "{}: replaced while being opened, again and again",
                        path.display()
                    ),
                ))
            }
        }
    }
}

/// Locks `file`, opened at `path`; none when the path names another file by then.
fn lock(file: File, path: &Path) -> Result<Option<File>, Error> {
    let flag = |e: std::io::Error| Error::config("--out", format!("{}: {e}", path.display()));
    match file.try_lock() {
        Ok(()) => Ok(same_file(&file, path).then_some(file)),
        Err(std::fs::TryLockError::WouldBlock) => {
            let who = holder(&file)
                .map(|pid| format!("process {pid}"))
                .unwrap_or_else(|| "another process".to_owned());
            Err(Error::config(
                "--out",
                format!(
                    "{} is being written by another threatbind run ({who}): one run per output \
                     file; wait for it to end, or choose another --out",
                    path.display()
                ),
            ))
        }
        Err(std::fs::TryLockError::Error(e)) => Err(flag(e)),
    }
}

/// Whether `path` still names `file`.
fn same_file(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), std::fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

/// The process holding the lock of `file`, from the system's table of locks (`/proc/locks`,
/// Linux); none where there is no such table.
fn holder(file: &File) -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = file.metadata().ok()?;
        let (dev, ino) = (meta.dev(), meta.ino());
        let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
        let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
        let table = std::fs::read_to_string("/proc/locks").ok()?;
        let holders = |match_device: bool| -> Vec<u32> {
            table
                .lines()
                .filter_map(|line| entry(line, major, minor, ino, match_device))
                .collect()
        };
        // The device as the table writes it differs from stat's on some filesystems
        // (overlayfs, btrfs): then the inode alone, if one lock names it.
        let exact = holders(true);
        if let Some(pid) = exact.first() {
            return Some(*pid);
        }
        let by_inode = holders(false);
        (by_inode.len() == 1).then(|| by_inode[0])
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

/// The pid of one line of `/proc/locks` if it is a held lock of inode `ino` (on device
/// `major:minor` when `match_device`).
#[cfg(target_os = "linux")]
fn entry(line: &str, major: u64, minor: u64, ino: u64, match_device: bool) -> Option<u32> {
    // "1: FLOCK  ADVISORY  WRITE 4242 fe:00:10011106 0 EOF"; waiters have "->".
    let fields: Vec<&str> = line.split_whitespace().collect();
    if fields.get(1) == Some(&"->") || fields.len() < 6 {
        return None;
    }
    let mut place = fields[5].split(':');
    let (Some(maj), Some(min), Some(node)) = (place.next(), place.next(), place.next()) else {
        return None;
    };
    let device =
        u64::from_str_radix(maj, 16).ok()? == major && u64::from_str_radix(min, 16).ok()? == minor;
    let same = node.parse::<u64>().ok()? == ino && (device || !match_device);
    same.then(|| fields[4].parse().ok()).flatten()
}

/// What an earlier run left: how many whole records, how many of them failed in a way that
/// may have passed (what `--retry-failed` redoes), and how many hold a failure at all.
#[derive(Default)]
pub(crate) struct Earlier {
    pub kept: usize,
    pub may_have_passed: usize,
    pub failed: usize,
}

/// Continues from an earlier run's output: reads its records one by one, each checked against
/// the next input line as written and against this run's providers and profiles (`expected`,
/// in order), streamed, so memory stays flat however long the run; cuts a torn last line (one
/// a kill left without its newline, or that is not a whole record) and says how many records
/// are kept. The input is left at the first line still to do.
pub(crate) fn resume_from(
    file: &File,
    path: &Path,
    input_path: &Path,
    expected: &[(&str, Option<&str>)],
    lines: &mut impl Iterator<Item = std::io::Result<Input>>,
) -> Result<Earlier, Error> {
    let flag = |e: std::io::Error| Error::config("--out", format!("{}: {e}", path.display()));
    let mut reader = std::io::BufReader::new(file);
    (&*file).rewind().map_err(flag)?;
    let (mut earlier, mut keep) = (Earlier::default(), 0u64);
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line).map_err(flag)?;
        if n == 0 {
            break;
        }
        if !line.ends_with(b"\n") {
            // What a kill left of the last record: cut below and redone.
            break;
        }
        let kept = earlier.kept;
        // A whole line that is no record: not an output of enrich, or damaged; nothing of it
        // is cut.
        let parsed: Value = serde_json::from_slice(&line).map_err(|_| {
            Error::config(
                "--resume",
                format!(
                    "line {} of {} is not a record of enrich: not this input's output, or damaged \
                     (nothing was changed)",
                    kept + 1,
                    path.display()
                ),
            )
        })?;
        let (written, results) = record_key(&parsed).map_err(|why| {
            Error::config(
                "--resume",
                format!(
                    "line {} of {} {why} (nothing was changed)",
                    kept + 1,
                    path.display()
                ),
            )
        })?;
        if results != expected {
            let shown = |pairs: &[(&str, Option<&str>)]| {
                pairs
                    .iter()
                    .map(|(provider, profile)| match profile {
                        Some(profile) => format!("{provider} ({profile})"),
                        None => (*provider).to_owned(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(Error::config(
                "--resume",
                format!(
                    "record {} of {} has results of {}, but this run asks {}: resume with the \
                     --provider and --profile of the run that wrote it (nothing was changed)",
                    kept + 1,
                    path.display(),
                    shown(&results),
                    shown(expected)
                ),
            ));
        }
        let input = match lines.next() {
            Some(Ok(input)) => input,
            Some(Err(e)) => {
                return Err(Error::config(
                    "--input",
                    format!("{}: {e}", input_path.display()),
                ))
            }
            None => {
                return Err(Error::config(
                    "--resume",
                    format!(
                        "{} has more records than the input has indicators",
                        path.display()
                    ),
                ))
            }
        };
        if input.written != written {
            return Err(Error::config(
                "--resume",
                format!(
                    "record {} of {} is for {written:?}, but input line {} is {:?}: not the output of this input",
                    kept + 1,
                    path.display(),
                    input.line,
                    input.written
                ),
            ));
        }
        if may_have_passed(&parsed) {
            earlier.may_have_passed += 1;
        }
        if parsed.get("ok") != Some(&Value::Bool(true)) {
            earlier.failed += 1;
        }
        earlier.kept += 1;
        keep += n as u64;
    }
    let length = file.metadata().map_err(flag)?.len();
    if keep < length {
        note(&format!(
            "enrich: {} bytes after record {} are not a whole record (a torn last line): redone",
            length - keep,
            earlier.kept
        ));
        file.set_len(keep).map_err(flag)?;
    }
    Ok(earlier)
}

/// The header row of `--out-format csv`.
pub(crate) const CSV_HEADER: &str =
    "line,input,indicator,type,provider,profile,time,ok,error,verdict,score";

/// The vendor's score in `answer` (JSON text) where the provider's spec maps one (`x-stix`'s
/// `confidence`: the score's path in the item at `items`), as the vendor wrote it.
fn score(client: &Client, answer: &str) -> String {
    let Some(stix) = &client.provider.op.stix else {
        return String::new();
    };
    let Some(confidence) = &stix.confidence else {
        return String::new();
    };
    let Ok(body) = serde_json::from_str::<Value>(answer) else {
        return String::new();
    };
    let item = threatbind::answer::lookup(&body, &stix.items);
    match item.and_then(|item| threatbind::answer::lookup(item, &confidence.path)) {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(text)) => text.clone(),
        _ => String::new(),
    }
}

/// The rows of `--out-format csv` for `record`: one per result, in the clients' order. The
/// error column is the status (if any), the code and the detail; the score is the vendor's
/// where its spec maps one (`x-stix` `confidence`); the verdict is empty (no spec maps one).
pub(crate) fn csv_rows(record: &Record, clients: &[Client]) -> Result<String, Error> {
    let mut rows = Vec::with_capacity(record.results.len());
    for (looked, client) in record.results.iter().zip(clients) {
        let error = match &looked.outcome {
            Ok(_) => String::new(),
            Err((status, code, detail)) => match status {
                Some(status) if code != &status.to_string() => {
                    format!("{status} {code}: {detail}")
                }
                Some(status) => format!("{status}: {detail}"),
                None => format!("{code}: {detail}"),
            },
        };
        let fields = [
            record.line.to_string(),
            record.written.clone(),
            record.normal.indicator.clone(),
            record
                .normal
                .kind
                .map_or(String::new(), |k| k.as_str().to_owned()),
            client.provider.name().to_owned(),
            client.profile.clone().unwrap_or_default(),
            looked.time.clone(),
            looked.outcome.is_ok().to_string(),
            error,
            String::new(),
            looked
                .outcome
                .as_ref()
                .map(|answer| score(client, answer))
                .unwrap_or_default(),
        ];
        rows.push(crate::output::csv_record(&fields)?);
    }
    Ok(rows.join("\n"))
}

/// The records of the file at `path`, lazily, one line each (newline included).
pub(crate) fn old_records(path: &Path) -> std::io::Result<impl Iterator<Item = String>> {
    let mut reader = std::io::BufReader::new(File::open(path)?);
    Ok(std::iter::from_fn(move || {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(n) if n > 0 && line.ends_with('\n') => Some(line),
            _ => None,
        }
    }))
}

/// Where records go.
pub(crate) enum Sink {
    /// Standard output.
    Stdout(std::io::StdoutLock<'static>),
    /// The locked output file, written at its end.
    File(File),
    /// `--retry-failed`: a new file beside the output, which replaces it when the run ends
    /// however it ends (see [`Rewrite`]).
    Rewrite(Rewrite),
}

impl Sink {
    /// The locked `file` at `path`: emptied, or (resuming) written after its records.
    pub fn file(file: File, path: &Path, resume: bool) -> Result<Self, Error> {
        let flag = |e: std::io::Error| Error::config("--out", format!("{}: {e}", path.display()));
        if !resume {
            file.set_len(0).map_err(flag)?;
        }
        (&file).seek(std::io::SeekFrom::End(0)).map_err(flag)?;
        Ok(Sink::File(file))
    }

    /// Writes one record and its newline, at once.
    pub fn write(&mut self, record: &str) -> std::io::Result<()> {
        let mut line = String::with_capacity(record.len() + 1);
        line.push_str(record.trim_end_matches('\n'));
        line.push('\n');
        match self {
            Sink::Stdout(out) => out.write_all(line.as_bytes()).and_then(|()| out.flush()),
            Sink::File(file) => file.write_all(line.as_bytes()),
            Sink::Rewrite(rewrite) => rewrite.write(line.as_bytes()),
        }
    }

    /// Ends the output: a rewrite takes the output's name (see [`Rewrite`]); the error says
    /// why it could not, the earlier records then left as they were.
    pub fn finish(self) -> std::io::Result<()> {
        match self {
            Sink::Rewrite(mut rewrite) => rewrite.end(),
            _ => Ok(()),
        }
    }
}

/// The rewrite of an output by `--retry-failed`: the records, redone or kept, go to a new file
/// beside it; the old file stays whole and locked meanwhile. When the run ends, however it ends
/// (done, interrupted, stopped by a failure, out of time), the old records not reached yet are
/// copied after the new ones and the new file takes the old one's name, so the output is always
/// a whole, ordered prefix of the input that `--resume` continues. If that fails, the new file
/// is removed and the old one left as it was.
pub(crate) struct Rewrite {
    new: File,
    new_path: PathBuf,
    path: PathBuf,
    written: usize,
    kept: usize,
    /// The length of the new file's whole records.
    length: u64,
    /// Ended: nothing left for `Drop` to do.
    ended: bool,
    // The old file, whose lock holds off other runs until the new one replaces it.
    _old: File,
}

impl Rewrite {
    pub fn new(old: File, path: &Path, kept: usize) -> Result<Self, Error> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let new_path = path.with_file_name(format!(".{name}.retry-{}", std::process::id()));
        let flag =
            |e: std::io::Error| Error::config("--out", format!("{}: {e}", new_path.display()));
        let new = File::create(&new_path).map_err(flag)?;
        if let Ok(meta) = old.metadata() {
            let _ = new.set_permissions(meta.permissions());
        }
        // Locked before it takes the output's name: a run that opens the output then waits
        // for this one to end, as it would have on the old file.
        new.try_lock()
            .map_err(|e| flag(std::io::Error::other(e.to_string())))?;
        Ok(Self {
            new,
            new_path,
            path: path.to_owned(),
            written: 0,
            kept,
            length: 0,
            ended: false,
            _old: old,
        })
    }

    /// Writes one whole line; after a failed write the file is cut back to its whole records.
    fn write(&mut self, line: &[u8]) -> std::io::Result<()> {
        match self.new.write_all(line) {
            Ok(()) => {
                self.written += 1;
                self.length += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self
                    .new
                    .set_len(self.length)
                    .and_then(|()| self.new.seek(std::io::SeekFrom::Start(self.length)));
                Err(e)
            }
        }
    }

    /// Copies the old records not reached, then renames; on failure removes the new file.
    fn end(&mut self) -> std::io::Result<()> {
        self.ended = true;
        let result = self.replace();
        if result.is_err() {
            let _ = std::fs::remove_file(&self.new_path);
        }
        result
    }

    fn replace(&mut self) -> std::io::Result<()> {
        if self.written < self.kept {
            for line in old_records(&self.path)?
                .skip(self.written)
                .take(self.kept - self.written)
            {
                self.new.write_all(line.as_bytes())?;
            }
        }
        self.new.sync_all()?;
        std::fs::rename(&self.new_path, &self.path)
    }
}

impl Drop for Rewrite {
    /// A run that ends without [`Sink::finish`] (`--max-time` dropped it) still leaves a whole
    /// output.
    fn drop(&mut self) {
        if self.ended {
            return;
        }
        if let Err(e) = self.end() {
            note(&format!(
                "error: --retry-failed: {} could not replace {} ({e}); the earlier records are left as they were",
                self.new_path.display(),
                self.path.display()
            ));
        }
    }
}
