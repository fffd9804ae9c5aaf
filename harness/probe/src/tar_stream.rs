//! A tar read as it streams, entry by entry, as the engine writes one
//! (`docker export`, the archive endpoint): ustar and GNU headers, with the
//! PAX and GNU headers before an entry applied to it ([`pax`]).
//!
//! Its own, not tar-rs' reader, because tar-rs splits PAX records at
//! newlines, so that a legal file name holding one made the whole export
//! unreadable, and in raw mode it would lose the PAX `size` of a file
//! over 8 GiB, which the engine writes with a header size of 0.

use crate::pax::{self, Extended};
use std::io::{self, Read};

const BLOCK: u64 = 512;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    HardLink,
    Symlink,
    Directory,
    Other,
}

/// An entry's header, with what the headers before it said of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryHeader {
    pub kind: EntryKind,
    pub path: Vec<u8>,
    pub link: Vec<u8>,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    /// PAX records besides `path`, `linkpath`, `size`, `uid` and `gid`.
    pub extended: Extended,
}

/// A tar, read forwards once.
pub struct TarStream<R> {
    inner: R,
    /// Bytes of the current entry's data (and its padding) not yet read.
    unread: u64,
    padding: u64,
    ended: bool,
}

fn malformed(what: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("malformed tar: {what}"))
}

impl<R: Read> TarStream<R> {
    pub fn new(inner: R) -> Self {
        TarStream {
            inner,
            unread: 0,
            padding: 0,
            ended: false,
        }
    }

    /// The next entry's header; its data is then read through `self`.
    pub fn next_entry(&mut self) -> io::Result<Option<EntryHeader>> {
        let mut extended = Extended::default();
        let mut size_override = None;
        loop {
            self.skip_rest()?;
            let Some(block) = self.read_block()? else {
                return Ok(None);
            };
            let kind = block[156];
            match kind {
                b'x' | b'g' | b'L' | b'K' => {
                    let data = self.read_extension(number(&block[124..136])?)?;
                    match kind {
                        b'x' => extended.add_pax(&data).map_err(malformed)?,
                        b'L' => extended.path = Some(pax::gnu_long_name(&data)),
                        b'K' => extended.link_path = Some(pax::gnu_long_name(&data)),
                        // Global records: the engine writes none, and none we read applies to all.
                        _ => {}
                    }
                    size_override = extended.record("size").map(decimal).transpose()?;
                    continue;
                }
                _ => {}
            }
            let size = size_override.map_or_else(|| number(&block[124..136]), Ok)?;
            let header = self.entry_header(&block, kind, size, extended)?;
            self.unread = header.size;
            self.padding = (BLOCK - header.size % BLOCK) % BLOCK;
            if matches!(
                header.kind,
                EntryKind::HardLink | EntryKind::Symlink | EntryKind::Directory
            ) {
                // Their size field, if any, is not followed by data.
                self.unread = 0;
                self.padding = 0;
            }
            return Ok(Some(header));
        }
    }

    fn entry_header(
        &self,
        block: &[u8; 512],
        kind: u8,
        size: u64,
        mut extended: Extended,
    ) -> io::Result<EntryHeader> {
        let path = match extended.path.take() {
            Some(path) => path,
            None => ustar_path(block),
        };
        let link = extended
            .link_path
            .take()
            .unwrap_or_else(|| until_nul(&block[157..257]).to_vec());
        let uid = match extended.record("uid") {
            Some(uid) => decimal(uid)?,
            None => number(&block[108..116])?,
        };
        let gid = match extended.record("gid") {
            Some(gid) => decimal(gid)?,
            None => number(&block[116..124])?,
        };
        extended
            .records
            .retain(|(key, _)| !matches!(key.as_slice(), b"size" | b"uid" | b"gid"));
        Ok(EntryHeader {
            kind: match kind {
                b'0' | 0 | b'7' => EntryKind::File,
                b'1' => EntryKind::HardLink,
                b'2' => EntryKind::Symlink,
                b'5' => EntryKind::Directory,
                _ => EntryKind::Other,
            },
            path,
            link,
            mode: u32::try_from(number(&block[100..108])? & 0o7777)
                .map_err(|_| malformed("a mode out of range"))?,
            uid,
            gid,
            size,
            extended,
        })
    }

    /// A block, or `None` at the end: a block of zeros or no more bytes.
    fn read_block(&mut self) -> io::Result<Option<[u8; 512]>> {
        if self.ended {
            return Ok(None);
        }
        let mut block = [0u8; 512];
        let mut filled = 0;
        while filled < block.len() {
            match self.inner.read(&mut block[filled..])? {
                0 if filled == 0 => {
                    self.ended = true;
                    return Ok(None);
                }
                0 => return Err(malformed("a header cut short")),
                read => filled += read,
            }
        }
        if block.iter().all(|&byte| byte == 0) {
            self.ended = true;
            return Ok(None);
        }
        let stored = number(&block[148..156])?;
        let sum: u64 = block
            .iter()
            .enumerate()
            .map(|(at, &byte)| {
                if (148..156).contains(&at) {
                    u64::from(b' ')
                } else {
                    u64::from(byte)
                }
            })
            .sum();
        if stored != sum {
            return Err(malformed("a header whose checksum does not match"));
        }
        Ok(Some(block))
    }

    fn read_extension(&mut self, size: u64) -> io::Result<Vec<u8>> {
        let data = pax::read_data(&mut self.inner, size)?.map_err(malformed)?;
        if (data.len() as u64) < size {
            return Err(malformed("an extended header cut short"));
        }
        self.unread = 0;
        self.padding = (BLOCK - size % BLOCK) % BLOCK;
        self.skip_rest()?;
        Ok(data)
    }

    /// Skips what is left of the current entry's data, and its padding.
    fn skip_rest(&mut self) -> io::Result<()> {
        let rest = self.unread + self.padding;
        if rest > 0 {
            let skipped = io::copy(&mut (&mut self.inner).take(rest), &mut io::sink())?;
            if skipped < rest {
                return Err(malformed("an entry cut short"));
            }
        }
        self.unread = 0;
        self.padding = 0;
        Ok(())
    }
}

/// The current entry's data.
impl<R: Read> Read for TarStream<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.unread == 0 {
            return Ok(0);
        }
        let most = buf
            .len()
            .min(usize::try_from(self.unread).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buf[..most])?;
        if read == 0 {
            return Err(malformed("an entry cut short"));
        }
        self.unread -= read as u64;
        Ok(read)
    }
}

fn until_nul(field: &[u8]) -> &[u8] {
    field.split(|&byte| byte == 0).next().unwrap_or_default()
}

/// A ustar header's path: its prefix, `/`, its name (GNU headers keep
/// other fields where ustar keeps the prefix).
fn ustar_path(block: &[u8; 512]) -> Vec<u8> {
    let name = until_nul(&block[0..100]);
    let is_ustar = &block[257..263] == b"ustar\0";
    let prefix = until_nul(&block[345..500]);
    if is_ustar && !prefix.is_empty() {
        [prefix, b"/", name].concat()
    } else {
        name.to_vec()
    }
}

/// A numeric field: octal, padded with spaces or NULs, or base-256 (GNU)
/// when its first byte's high bit is set.
fn number(field: &[u8]) -> io::Result<u64> {
    if field.first().is_some_and(|&byte| byte & 0x80 != 0) {
        if field[0] & 0x40 != 0 {
            return Err(malformed("a negative number"));
        }
        let mut value: u64 = u64::from(field[0] & 0x3f);
        for &byte in &field[1..] {
            value = value
                .checked_mul(256)
                .and_then(|value| value.checked_add(u64::from(byte)))
                .ok_or_else(|| malformed("a number out of range"))?;
        }
        return Ok(value);
    }
    let digits: Vec<u8> = field
        .iter()
        .copied()
        .skip_while(|&byte| byte == b' ' || byte == 0)
        .take_while(|&byte| byte != b' ' && byte != 0)
        .collect();
    if digits.is_empty() {
        return Ok(0);
    }
    let text = std::str::from_utf8(&digits).map_err(|_| malformed("a number that is not octal"))?;
    u64::from_str_radix(text, 8).map_err(|_| malformed("a number that is not octal"))
}

/// A PAX record's decimal number.
fn decimal(value: &[u8]) -> io::Result<u64> {
    std::str::from_utf8(value)
        .ok()
        .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|digits| digits.parse().ok())
        .ok_or_else(|| malformed("a PAX number that is not one"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar as the engine writes one: a PAX header naming a file with a
    /// newline and a capability, the file, a hard link, a directory.
    fn archive() -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        let mut file = tar::Header::new_ustar();
        file.set_size(10);
        file.set_mode(0o4755);
        file.set_uid(1000);
        file.set_gid(1001);
        file.set_entry_type(tar::EntryType::Regular);
        builder
            .append_pax_extensions([
                ("path", "x/first\nsecond-é".as_bytes()),
                ("SCHILY.xattr.security.capability", &[1, 2, 3][..]),
            ])
            .expect("PAX records");
        builder
            .append_data(&mut file, "x/first", &b"two lines\n"[..])
            .expect("a file");
        let mut link = tar::Header::new_ustar();
        link.set_entry_type(tar::EntryType::Link);
        builder
            .append_link(&mut link, "x/second", "x/first")
            .expect("a link");
        let mut folder = tar::Header::new_gnu();
        folder.set_entry_type(tar::EntryType::Directory);
        folder.set_mode(0o1777);
        builder
            .append_data(&mut folder, "tmp/", io::empty())
            .expect("a directory");
        builder.into_inner().expect("an archive")
    }

    #[test]
    fn a_name_holding_a_newline_and_its_records_are_read_whole() {
        let bytes = archive();
        let mut stream = TarStream::new(bytes.as_slice());
        let file = stream.next_entry().expect("readable").expect("a file");
        assert_eq!(file.path, "x/first\nsecond-é".as_bytes());
        assert_eq!(
            (file.kind, file.mode, file.uid, file.gid, file.size),
            (EntryKind::File, 0o4755, 1000, 1001, 10)
        );
        assert_eq!(
            file.extended.record("SCHILY.xattr.security.capability"),
            Some(&[1, 2, 3][..])
        );
        let mut content = String::new();
        stream.read_to_string(&mut content).expect("its data");
        assert_eq!(content, "two lines\n");
        let link = stream.next_entry().expect("readable").expect("a link");
        assert_eq!(
            (link.kind, link.path.as_slice(), link.link.as_slice()),
            (EntryKind::HardLink, &b"x/second"[..], &b"x/first"[..])
        );
        let folder = stream.next_entry().expect("readable").expect("a directory");
        assert_eq!(
            (folder.kind, folder.path.as_slice(), folder.mode),
            (EntryKind::Directory, &b"tmp/"[..], 0o1777)
        );
        assert_eq!(stream.next_entry().expect("readable"), None);
    }

    #[test]
    fn an_entry_whose_data_is_left_unread_is_skipped() {
        let bytes = archive();
        let mut stream = TarStream::new(bytes.as_slice());
        stream.next_entry().expect("readable");
        let second = stream.next_entry().expect("readable").expect("the link");
        assert_eq!(second.kind, EntryKind::HardLink);
    }

    #[test]
    fn a_pax_size_replaces_the_headers_size() {
        let mut builder = tar::Builder::new(Vec::new());
        builder
            .append_pax_extensions([("size", &b"3"[..])])
            .expect("PAX");
        let mut file = tar::Header::new_ustar();
        file.set_size(3);
        file.set_entry_type(tar::EntryType::Regular);
        builder
            .append_data(&mut file, "big", &b"abc"[..])
            .expect("a file");
        let mut bytes = builder.into_inner().expect("an archive");
        // The header's size as the engine writes it for a file over 8 GiB: 0.
        let header_at = 1024;
        bytes[header_at + 124..header_at + 136].copy_from_slice(b"00000000000\0");
        let sum: u32 = bytes[header_at..header_at + 512]
            .iter()
            .enumerate()
            .map(|(at, &byte)| {
                if (148..156).contains(&at) {
                    32
                } else {
                    u32::from(byte)
                }
            })
            .sum();
        bytes[header_at + 148..header_at + 156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let mut stream = TarStream::new(bytes.as_slice());
        let file = stream.next_entry().expect("readable").expect("a file");
        assert_eq!(file.size, 3);
        let mut content = String::new();
        stream.read_to_string(&mut content).expect("its data");
        assert_eq!(content, "abc");
    }

    #[test]
    fn a_bad_checksum_is_malformed() {
        let mut bytes = archive();
        bytes[0] ^= 1;
        let error = TarStream::new(bytes.as_slice())
            .next_entry()
            .expect_err("malformed");
        assert!(error.to_string().contains("checksum"), "{error}");
    }

    #[test]
    fn numbers_are_octal_or_base_256() {
        assert_eq!(number(b"0000644\0").expect("octal"), 0o644);
        assert_eq!(number(b"   644 \0").expect("octal"), 0o644);
        assert_eq!(
            number(&[0x80, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0]).expect("base-256"),
            2 << 32
        );
        assert!(number(b"0009\0").is_err());
    }
}
