//! The container log, `containers/<id>/ctr.log`, in podman's k8s-file
//! format: one line per output line,
//! `TIME STREAM F|P TEXT` (F: the line ended here, P: it continues in the
//! next entry), so stdout and stderr stay apart and every line keeps the
//! time it was written. Runs of one container append to the same file.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::error::{ContainerError, IoContext};
use crate::time::Timestamp;

/// The longest entry written; a longer line is split into partial entries.
const MAX_ENTRY: u64 = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// RFC 3339 with nanoseconds, as written.
    pub time: String,
    pub stream: Stream,
    /// The line goes on in the next entry of this stream.
    pub partial: bool,
    /// Without the newline.
    pub text: Vec<u8>,
}

impl LogEntry {
    fn parse(line: &[u8]) -> Option<LogEntry> {
        let mut parts = line.splitn(4, |b| *b == b' ');
        let time = std::str::from_utf8(parts.next()?).ok()?.to_owned();
        let stream = match parts.next()? {
            b"stdout" => Stream::Stdout,
            b"stderr" => Stream::Stderr,
            _ => return None,
        };
        let partial = match parts.next()? {
            b"F" => false,
            b"P" => true,
            _ => return None,
        };
        let text = parts.next().unwrap_or_default().to_vec();
        Some(LogEntry {
            time,
            stream,
            partial,
            text,
        })
    }
}

/// Shared by the monitor's two copying threads.
#[derive(Clone)]
pub struct LogWriter {
    file: Arc<Mutex<File>>,
}

impl LogWriter {
    pub fn open(path: &Path) -> Result<LogWriter, ContainerError> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ctx("open log", path)?;
        Ok(LogWriter {
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// One entry; `text` holds no newline.
    pub fn write(&self, stream: Stream, text: &[u8], partial: bool) -> std::io::Result<()> {
        let mut line = format!(
            "{} {} {} ",
            Timestamp::now(),
            stream.as_str(),
            if partial { "P" } else { "F" }
        )
        .into_bytes();
        line.extend_from_slice(text);
        line.push(b'\n');
        // A poisoned lock only means the other copier panicked mid-write;
        // the file is still fine to append to.
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        file.write_all(&line)
    }

    /// Copies `from` into the log until EOF, entry by entry.
    pub fn copy(&self, stream: Stream, mut from: impl Read) -> std::io::Result<()> {
        let mut lines = self.lines(stream);
        let mut buf = vec![0u8; 8192];
        loop {
            match from.read(&mut buf) {
                Ok(0) => return lines.finish(),
                Ok(n) => lines.push(&buf[..n])?,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Entries from output that arrives in chunks of any size.
    pub fn lines(&self, stream: Stream) -> Lines {
        Lines {
            log: self.clone(),
            stream,
            pending: Vec::new(),
        }
    }
}

/// Cuts a stream's chunks into entries: each line once it is complete, a
/// line longer than [`MAX_ENTRY`] in partial pieces, and what is left at
/// the end as a partial entry.
pub struct Lines {
    log: LogWriter,
    stream: Stream,
    pending: Vec<u8>,
}

impl Lines {
    pub fn push(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.pending.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(i) = self.pending[start..].iter().position(|b| *b == b'\n') {
            self.log
                .write(self.stream, &self.pending[start..start + i], false)?;
            start += i + 1;
        }
        let max = MAX_ENTRY as usize;
        while self.pending.len() - start >= max {
            self.log
                .write(self.stream, &self.pending[start..start + max], true)?;
            start += max;
        }
        self.pending.drain(..start);
        Ok(())
    }

    pub fn finish(self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.log.write(self.stream, &self.pending, true)
    }
}

/// Reads entries from byte `offset` on; returns them and the offset after
/// the last whole line (a line still being written is left for later).
pub fn read_from(path: &Path, offset: u64) -> Result<(Vec<LogEntry>, u64), ContainerError> {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), offset)),
        Err(e) => return Err(e).ctx("open log", path),
    };
    file.seek(SeekFrom::Start(offset)).ctx("read log", path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).ctx("read log", path)?;
    let whole = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let entries = bytes[..whole]
        .split(|b| *b == b'\n')
        .filter_map(LogEntry::parse)
        .collect();
    Ok((entries, offset + whole as u64))
}

/// The size of the log now: where a reader of only new output starts.
pub fn end_offset(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The last `n` lines of `entries` (a line may span partial entries).
pub fn tail(entries: Vec<LogEntry>, n: usize) -> Vec<LogEntry> {
    let mut lines = 0;
    let mut start = entries.len();
    for (i, e) in entries.iter().enumerate().rev() {
        if !e.partial {
            if lines == n {
                break;
            }
            lines += 1;
        }
        start = i;
    }
    entries.into_iter().skip(start).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_stay_apart_and_unfinished_lines_are_partial() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let log = LogWriter::open(&path).unwrap();
        log.copy(Stream::Stdout, &b"one\ntwo\nno newline"[..])
            .unwrap();
        log.copy(Stream::Stderr, &b"oops\n"[..]).unwrap();
        let (entries, end) = read_from(&path, 0).unwrap();
        let got: Vec<_> = entries
            .iter()
            .map(|e| {
                (
                    e.stream,
                    e.partial,
                    String::from_utf8_lossy(&e.text).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (Stream::Stdout, false, "one".to_owned()),
                (Stream::Stdout, false, "two".to_owned()),
                (Stream::Stdout, true, "no newline".to_owned()),
                (Stream::Stderr, false, "oops".to_owned()),
            ]
        );
        assert_eq!(end, end_offset(&path));
    }

    #[test]
    fn tail_counts_lines_not_entries() {
        let e = |text: &str, partial| LogEntry {
            time: String::new(),
            stream: Stream::Stdout,
            partial,
            text: text.into(),
        };
        let entries = vec![e("a", false), e("b1", true), e("b2", false), e("c", false)];
        let last2: Vec<_> = tail(entries.clone(), 2)
            .into_iter()
            .map(|e| e.text)
            .collect();
        assert_eq!(last2, [b"b1".to_vec(), b"b2".to_vec(), b"c".to_vec()]);
        assert!(tail(entries, 0).is_empty());
    }
}
