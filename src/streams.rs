//! The process's standard streams as plain files, in place of std's
//! `Stdout`, `Stdin` and `Stderr`, whose locks, line buffer and exit-time
//! flush cost the binary about 1.3 KB that calc does not use: it writes
//! whole lines, one at a time, from one thread.
//!
//! Safety argument, the one unsafe call here besides the allocator's:
//! `File::from_raw_fd` needs an open descriptor that nothing else owns.
//! - Open: std's start-up on Linux polls descriptors 0, 1 and 2 and opens
//!   /dev/null on any that is closed, before `main` runs.
//! - Not owned: the `File` is never dropped (`ManuallyDrop`), so the
//!   descriptor is never closed, and std's own handles, which calc does not
//!   use, could still use it.

use std::fs::File;
use std::io::{self, Read, Write};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, RawFd};

/// One of descriptors 0, 1 and 2, as a file that is never closed.
///
/// Writes are line-buffered: a line, formatted in pieces, leaves in one
/// `write` call when its newline comes. The reader sees the same bytes, in
/// the same order, as from std's line-buffered stdout and unbuffered stderr
/// (which wrote an error message in several pieces), since calc writes only
/// whole lines and ends each before it writes to the other stream.
pub struct Stream {
    file: ManuallyDrop<File>,
    /// Output not yet written: the current line.
    line: Vec<u8>,
}

impl Stream {
    fn on(descriptor: RawFd) -> Stream {
        // SAFETY: see the module's argument; `descriptor` is 0, 1 or 2.
        #[allow(unsafe_code)]
        let file = unsafe { File::from_raw_fd(descriptor) };
        Stream {
            file: ManuallyDrop::new(file),
            line: Vec::new(),
        }
    }
}

pub fn stdin() -> Stream {
    Stream::on(0)
}

pub fn stdout() -> Stream {
    Stream::on(1)
}

pub fn stderr() -> Stream {
    Stream::on(2)
}

impl Read for Stream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        self.file.read(buffer)
    }
}

impl Write for Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(bytes);
        if bytes.ends_with(b"\n") {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A stop signal waits for the line (see `stop.rs`).
        let written = crate::stop::whole(|| self.file.write_all(&self.line));
        self.line.clear();
        written
    }
}
