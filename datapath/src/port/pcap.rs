//! Writing frames as a classic pcap capture (microsecond timestamps,
//! Ethernet link type), which `ovs-ofctl parse-pcap`, tcpdump and
//! Wireshark read.

use std::io::{self, Write};

const MAGIC: u32 = 0xa1b2_c3d4;
const VERSION: (u16, u16) = (2, 4);
const SNAPLEN: u32 = 65535;
const LINKTYPE_ETHERNET: u32 = 1;

/// A transmitted frame and when, in microseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub time_us: u64,
    pub frame: Vec<u8>,
}

/// Writes the file header and `records` to `out`.
pub fn write<W: Write>(mut out: W, records: &[Record]) -> io::Result<()> {
    out.write_all(&MAGIC.to_le_bytes())?;
    out.write_all(&VERSION.0.to_le_bytes())?;
    out.write_all(&VERSION.1.to_le_bytes())?;
    out.write_all(&0i32.to_le_bytes())?; // GMT offset
    out.write_all(&0u32.to_le_bytes())?; // timestamp accuracy
    out.write_all(&SNAPLEN.to_le_bytes())?;
    out.write_all(&LINKTYPE_ETHERNET.to_le_bytes())?;
    for record in records {
        let len = u32::try_from(record.frame.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame too long"))?;
        let secs = u32::try_from(record.time_us / 1_000_000).unwrap_or(u32::MAX);
        let micros = (record.time_us % 1_000_000) as u32;
        out.write_all(&secs.to_le_bytes())?;
        out.write_all(&micros.to_le_bytes())?;
        out.write_all(&len.min(SNAPLEN).to_le_bytes())?;
        out.write_all(&len.to_le_bytes())?;
        let kept = record
            .frame
            .get(..SNAPLEN as usize)
            .unwrap_or(&record.frame);
        out.write_all(kept)?;
    }
    Ok(())
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
}
