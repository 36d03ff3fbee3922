//! Classic pcap captures: writing frames (microsecond timestamps,
//! Ethernet link type) as `ovs-ofctl parse-pcap`, tcpdump and Wireshark
//! read them, and reading captures (either byte order, micro- or
//! nanosecond timestamps, any link type).

use std::io::{self, Write};

const MAGIC: u32 = 0xa1b2_c3d4;
const VERSION: (u16, u16) = (2, 4);
const SNAPLEN: u32 = 65535;
pub const LINKTYPE_ETHERNET: u32 = 1;
pub const LINKTYPE_RAW: u32 = 101;
pub const LINKTYPE_IPV4: u32 = 228;
pub const LINKTYPE_IPV6: u32 = 229;
/// The file header's length, and each record header's.
const FILE_HEADER: usize = 24;
const RECORD_HEADER: usize = 16;

/// Why a capture could not be read.
#[derive(Debug, thiserror::Error)]
pub enum PcapError {
    #[error("{0}: not a pcap file (bad magic number)")]
    Magic(String),
    #[error("{0}: truncated at byte {1}")]
    Truncated(String, usize),
    #[error("{0}: unsupported link type {1} ({2} only)")]
    LinkType(String, u32, &'static str),
}

/// A captured frame, borrowed from the capture's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Captured<'a> {
    /// Microseconds since the Unix epoch.
    pub time_us: u64,
    pub data: &'a [u8],
}

/// A capture: its link type and its frames in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capture<'a> {
    pub link_type: u32,
    pub records: Vec<Captured<'a>>,
}

/// Reads the capture in `bytes`; `name` (its file) names it in errors.
pub fn read<'a>(name: &str, bytes: &'a [u8]) -> Result<Capture<'a>, PcapError> {
    let word = |at: usize, le: bool| -> Result<u32, PcapError> {
        let b: [u8; 4] = bytes
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| PcapError::Truncated(name.to_string(), at))?;
        Ok(if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        })
    };
    let (le, nanos) = match word(0, true)? {
        0xa1b2_c3d4 => (true, false),
        0xa1b2_3c4d => (true, true),
        0xd4c3_b2a1 => (false, false),
        0x4d3c_b2a1 => (false, true),
        _ => return Err(PcapError::Magic(name.to_string())),
    };
    let link_type = word(20, le)?;
    let mut records = Vec::new();
    let mut at = FILE_HEADER;
    while at < bytes.len() {
        let (secs, frac, len) = (word(at, le)?, word(at + 4, le)?, word(at + 8, le)? as usize);
        let start = at + RECORD_HEADER;
        let data = bytes
            .get(start..start.saturating_add(len))
            .ok_or_else(|| PcapError::Truncated(name.to_string(), at))?;
        let frac_us = u64::from(frac) / if nanos { 1000 } else { 1 };
        records.push(Captured {
            time_us: u64::from(secs) * 1_000_000 + frac_us,
            data,
        });
        at = start + len;
    }
    Ok(Capture { link_type, records })
}

/// A transmitted frame and when, in microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time_us: u64,
    pub frame: Vec<u8>,
}

/// Writes the file header and `records` to `out`.
pub fn write<W: Write>(mut out: W, records: &[Record]) -> io::Result<()> {
    write_header(&mut out)?;
    for record in records {
        write_record(&mut out, record.time_us, &record.frame)?;
    }
    Ok(())
}

/// Writes a capture's file header (Ethernet frames).
pub fn write_header<W: Write>(out: &mut W) -> io::Result<()> {
    out.write_all(&MAGIC.to_le_bytes())?;
    out.write_all(&VERSION.0.to_le_bytes())?;
    out.write_all(&VERSION.1.to_le_bytes())?;
    out.write_all(&0i32.to_le_bytes())?; // GMT offset
    out.write_all(&0u32.to_le_bytes())?; // timestamp accuracy
    out.write_all(&SNAPLEN.to_le_bytes())?;
    out.write_all(&LINKTYPE_ETHERNET.to_le_bytes())
}

/// Writes one record: `frame`, sent at `time_us` (since the Unix epoch).
pub fn write_record<W: Write>(out: &mut W, time_us: u64, frame: &[u8]) -> io::Result<()> {
    let len = u32::try_from(frame.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
    let secs = u32::try_from(time_us / 1_000_000).unwrap_or(u32::MAX);
    let micros = (time_us % 1_000_000) as u32;
    out.write_all(&secs.to_le_bytes())?;
    out.write_all(&micros.to_le_bytes())?;
    out.write_all(&len.min(SNAPLEN).to_le_bytes())?;
    out.write_all(&len.to_le_bytes())?;
    out.write_all(frame.get(..SNAPLEN as usize).unwrap_or(frame))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_frame_makes_a_header_and_a_record() {
        let mut out = Vec::new();
        let rec = Record {
            time_us: 2_000_003,
            frame: vec![1, 2, 3],
        };
        write(&mut out, &[rec]).unwrap();
        assert_eq!(out.len(), 24 + 16 + 3);
        assert_eq!(&out[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&out[24..28], &2u32.to_le_bytes());
        assert_eq!(&out[28..32], &3u32.to_le_bytes());
        assert_eq!(&out[40..], &[1, 2, 3]);
    }

    #[test]
    fn what_is_written_reads_back() {
        let records = [
            Record {
                time_us: 1_500_000_000_123_456,
                frame: vec![1, 2, 3],
            },
            Record {
                time_us: 7,
                frame: vec![9; 70],
            },
        ];
        let mut out = Vec::new();
        write(&mut out, &records).unwrap();
        let capture = read("x", &out).unwrap();
        assert_eq!(capture.link_type, LINKTYPE_ETHERNET);
        let back: Vec<(u64, Vec<u8>)> = capture
            .records
            .iter()
            .map(|r| (r.time_us, r.data.to_vec()))
            .collect();
        assert_eq!(
            back,
            [(1_500_000_000_123_456, vec![1, 2, 3]), (7, vec![9; 70])]
        );
    }

    #[test]
    fn big_endian_nanosecond_captures_read() {
        let mut file = Vec::new();
        file.extend_from_slice(&0xa1b2_3c4du32.to_be_bytes());
        file.extend_from_slice(&[0, 2, 0, 4]);
        file.extend_from_slice(&[0; 12]);
        file.extend_from_slice(&LINKTYPE_RAW.to_be_bytes());
        for v in [3u32, 5_000, 2, 2] {
            file.extend_from_slice(&v.to_be_bytes());
        }
        file.extend_from_slice(&[0x45, 0]);
        let capture = read("x", &file).unwrap();
        assert_eq!(capture.link_type, LINKTYPE_RAW);
        assert_eq!(
            capture.records,
            [Captured {
                time_us: 3_000_005,
                data: &[0x45, 0]
            }]
        );
    }

    #[test]
    fn bad_and_cut_captures_are_errors() {
        assert!(matches!(read("x", &[0; 24]), Err(PcapError::Magic(_))));
        assert!(matches!(
            read("x", &[0xd4, 0xc3]),
            Err(PcapError::Truncated(_, 0))
        ));
        let mut out = Vec::new();
        write(
            &mut out,
            &[Record {
                time_us: 0,
                frame: vec![1; 10],
            }],
        )
        .unwrap();
        out.truncate(out.len() - 1);
        assert!(matches!(read("x", &out), Err(PcapError::Truncated(_, 24))));
    }
}
