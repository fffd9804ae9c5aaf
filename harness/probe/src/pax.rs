//! The headers a tar puts before an entry to say more of it than its own
//! header holds: PAX extended records (`x`) and GNU long names (`L`, `K`),
//! read as the formats say, so that any legal name reads back whole.
//!
//! A PAX record is `LENGTH KEY=VALUE\n`, LENGTH counting the whole record:
//! a value may hold newlines (a file name may), so records are read by
//! their length, never split at newlines as tar-rs' `pax_extensions` does
//! ("malformed pax extension" on a file named `first\nsecond-é`,
//! 2026-12-07).

use std::io::Read;

/// The most bytes of extended headers read for one entry: a name is at
/// most 4,096 bytes to Linux, a capability 24, and an image's author could
/// otherwise make the reader hold gigabytes.
pub const MAX_EXTENDED_HEADER_BYTES: u64 = 1 << 20;

/// What extended headers say of the entry that follows them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Extended {
    pub path: Option<Vec<u8>>,
    pub link_path: Option<Vec<u8>>,
    /// The value of each record other than `path` and `linkpath`.
    pub records: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Why extended headers cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    TooLong { bytes: u64 },
    Record { at: usize },
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::TooLong { bytes } => write!(
                f,
                "an extended header of {bytes} bytes, past the bound of {MAX_EXTENDED_HEADER_BYTES}"
            ),
            Malformed::Record { at } => {
                write!(f, "a PAX record at byte {at} whose length does not hold it")
            }
        }
    }
}

impl Extended {
    /// Takes the records of a PAX `x` header's data.
    pub fn add_pax(&mut self, data: &[u8]) -> Result<(), Malformed> {
        for (key, value) in pax_records(data)? {
            match key {
                b"path" => self.path = Some(value.to_vec()),
                b"linkpath" => self.link_path = Some(value.to_vec()),
                _ => self.records.push((key.to_vec(), value.to_vec())),
            }
        }
        Ok(())
    }

    /// The value of the record `key`, if there is one.
    pub fn record(&self, key: &str) -> Option<&[u8]> {
        self.records
            .iter()
            .find(|(name, _)| name == key.as_bytes())
            .map(|(_, value)| value.as_slice())
    }
}

/// A GNU long name's data: the name, up to its NUL.
pub fn gnu_long_name(data: &[u8]) -> Vec<u8> {
    data.split(|&byte| byte == 0)
        .next()
        .unwrap_or_default()
        .to_vec()
}

/// An extended header's data, read whole within the bound.
pub fn read_data(reader: &mut impl Read, size: u64) -> std::io::Result<Result<Vec<u8>, Malformed>> {
    if size > MAX_EXTENDED_HEADER_BYTES {
        return Ok(Err(Malformed::TooLong { bytes: size }));
    }
    let mut data = Vec::with_capacity(size as usize);
    reader.take(size).read_to_end(&mut data)?;
    Ok(Ok(data))
}

/// One PAX record: its key and its value.
pub type Record<'a> = (&'a [u8], &'a [u8]);

/// The records of PAX data, each read by its length.
pub fn pax_records(data: &[u8]) -> Result<Vec<Record<'_>>, Malformed> {
    let mut records = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let rest = &data[at..];
        let malformed = Malformed::Record { at };
        let space = rest
            .iter()
            .position(|&byte| byte == b' ')
            .ok_or(malformed.clone())?;
        let length: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .ok_or(malformed.clone())?;
        if length <= space + 1 || length > rest.len() || rest[length - 1] != b'\n' {
            return Err(malformed);
        }
        let body = &rest[space + 1..length - 1];
        let equals = body
            .iter()
            .position(|&byte| byte == b'=')
            .ok_or(malformed)?;
        records.push((&body[..equals], &body[equals + 1..]));
        at += length;
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_holding_a_newline_is_read_by_its_length() {
        let data = "26 path=x/first\nsecond-é\n19 linkpath=target\n";
        let mut extended = Extended::default();
        extended.add_pax(data.as_bytes()).expect("two records");
        assert_eq!(
            extended.path.as_deref(),
            Some("x/first\nsecond-é".as_bytes())
        );
        assert_eq!(extended.link_path.as_deref(), Some(&b"target"[..]));
    }

    #[test]
    fn a_record_whose_length_does_not_hold_it_is_malformed() {
        assert_eq!(
            pax_records(b"9 path=abc\n"),
            Err(Malformed::Record { at: 0 })
        );
        assert_eq!(
            pax_records(b"99 path=a\n"),
            Err(Malformed::Record { at: 0 })
        );
        assert_eq!(pax_records(b"x path=a\n"), Err(Malformed::Record { at: 0 }));
        assert_eq!(
            pax_records(b"10 path=a\n3 x"),
            Err(Malformed::Record { at: 10 })
        );
    }

    #[test]
    fn a_long_name_ends_at_its_nul() {
        assert_eq!(gnu_long_name(b"a/long/name\0\0\0"), b"a/long/name");
    }

    #[test]
    fn an_extended_header_past_the_bound_is_not_read() {
        let read = read_data(&mut std::io::empty(), MAX_EXTENDED_HEADER_BYTES + 1).expect("no I/O");
        assert_eq!(
            read,
            Err(Malformed::TooLong {
                bytes: MAX_EXTENDED_HEADER_BYTES + 1
            })
        );
    }
}
