//! A blob's bytes counted on their way through a reader (push) or a writer
//! (pull), reported as progress at most every 256 KiB so events stay cheap.

use std::io::{self, Read, Seek, SeekFrom, Write};

use super::progress::{Progress, TransferEvent};
use crate::digest::Digest;

const REPORT_EVERY: u64 = 256 << 10;

pub(super) struct Counting<'a, T> {
    pub(super) inner: T,
    digest: &'a Digest,
    done: u64,
    reported: u64,
    progress: Progress<'a>,
}

impl<'a, T> Counting<'a, T> {
    pub(super) fn new(inner: T, digest: &'a Digest, progress: Progress<'a>) -> Self {
        Self {
            inner,
            digest,
            done: 0,
            reported: 0,
            progress,
        }
    }

    fn passed(&mut self, n: usize) {
        self.done += n as u64;
        if self.done - self.reported >= REPORT_EVERY {
            self.reported = self.done;
            (self.progress)(TransferEvent::Bytes {
                digest: *self.digest,
                done: self.done,
            });
        }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.passed(n);
        Ok(n)
    }
}

impl<W: Write> Write for Counting<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.passed(n);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A retry rewinds the source: progress starts over with it.
impl<R: Seek> Seek for Counting<'_, R> {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        let at = self.inner.seek(pos)?;
        self.done = at;
        self.reported = at;
        Ok(at)
    }
}
