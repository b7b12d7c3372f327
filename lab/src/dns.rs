//! Just enough of the DNS wire format (RFC 1035) to ask for A or AAAA
//! records and read the addresses in the answer: the lab's own check that
//! its DNS server answers through a WAN. Pure: bytes in, bytes out.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::{Context, Result, bail, ensure};

/// The record type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryType {
    A,
    Aaaa,
}

impl QueryType {
    fn code(self) -> u16 {
        match self {
            QueryType::A => 1,
            QueryType::Aaaa => 28,
        }
    }
}

const CLASS_IN: u16 = 1;
/// Header flags of a query: recursion desired.
const FLAG_RD: u16 = 0x0100;
/// Header flag of a response.
const FLAG_QR: u16 = 0x8000;
const HEADER_LEN: usize = 12;

/// A standard query for `name` (`example.com`, with or without the final
/// dot) of type `qtype`, with message id `id`.
pub fn encode_query(id: u16, name: &str, qtype: QueryType) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(HEADER_LEN + name.len() + 6);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&FLAG_RD.to_be_bytes());
    // One question, no answer, authority or additional records.
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.trim_end_matches('.').split('.') {
        let len = u8::try_from(label.len())
            .ok()
            .filter(|l| (1..=63).contains(l));
        let len = len.with_context(|| format!("bad label {label:?} in {name:?}"))?;
        out.push(len);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    ensure!(
        out.len() - HEADER_LEN <= 255,
        "name {name:?} longer than 255 bytes"
    );
    out.extend_from_slice(&qtype.code().to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    Ok(out)
}

/// The A and AAAA addresses in the answer section of a response to the
/// query with message id `id`. Fails on a malformed message, another id,
/// or a response code other than NOERROR.
pub fn decode_answer(id: u16, msg: &[u8]) -> Result<Vec<IpAddr>> {
    let mut r = Reader { msg, pos: 0 };
    let got_id = r.u16()?;
    ensure!(
        got_id == id,
        "response id {got_id} does not match query id {id}"
    );
    let flags = r.u16()?;
    ensure!(flags & FLAG_QR != 0, "not a response (flags {flags:#06x})");
    let rcode = flags & 0x000f;
    ensure!(rcode == 0, "response code {rcode} ({})", rcode_name(rcode));
    let questions = r.u16()?;
    let answers = r.u16()?;
    r.skip(4)?; // authority and additional counts: not read
    for _ in 0..questions {
        r.skip_name()?;
        r.skip(4)?; // type, class
    }
    let mut addrs = Vec::new();
    for _ in 0..answers {
        r.skip_name()?;
        let rtype = r.u16()?;
        let class = r.u16()?;
        r.skip(4)?; // ttl
        let len = usize::from(r.u16()?);
        let data = r.take(len)?;
        match (rtype, class, data.len()) {
            (1, CLASS_IN, 4) => {
                let b: [u8; 4] = data.try_into().context("A record")?;
                addrs.push(IpAddr::V4(Ipv4Addr::from(b)));
            }
            (28, CLASS_IN, 16) => {
                let b: [u8; 16] = data.try_into().context("AAAA record")?;
                addrs.push(IpAddr::V6(Ipv6Addr::from(b)));
            }
            (1 | 28, CLASS_IN, n) => bail!("address record of type {rtype} with {n} bytes"),
            _ => {} // CNAME and others: not needed by the lab
        }
    }
    Ok(addrs)
}

fn rcode_name(rcode: u16) -> &'static str {
    match rcode {
        1 => "FORMERR",
        2 => "SERVFAIL",
        3 => "NXDOMAIN",
        4 => "NOTIMP",
        5 => "REFUSED",
        _ => "other",
    }
}

/// A cursor over a message that fails instead of reading past its end.
struct Reader<'a> {
    msg: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.msg.len());
        let end = end.with_context(|| format!("message truncated at byte {}", self.pos))?;
        let out = &self.msg[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn skip(&mut self, n: usize) -> Result<()> {
        self.take(n).map(drop)
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Skips a name in place: labels up to the root, or up to a
    /// compression pointer (which ends the name where it stands).
    fn skip_name(&mut self) -> Result<()> {
        loop {
            let len = self.u8()?;
            match len {
                0 => return Ok(()),
                1..=63 => self.skip(usize::from(len))?,
                0xc0..=0xff => return self.skip(1),
                _ => bail!("bad label length {len:#04x} at byte {}", self.pos - 1),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    // Answers of the lab's dnsmasq 2.90 to queries with id 0x1234, as
    // captured: example.com A, example.com AAAA, and a name it does not
    // hold (REFUSED: it has no upstream).
    const CAPTURED_A: &str = "123485800001000100000000076578616d706c6503636f6d0000010001\
                              c00c00010001000000000004cb007150";
    const CAPTURED_AAAA: &str = "123485800001000100000000076578616d706c6503636f6d00001c0001\
                                 c00c001c000100000000001020010db8011300000000000000000080";
    const CAPTURED_REFUSED: &str =
        "123481850001000000000000076e6f746865726507696e76616c69640000010001";

    #[test]
    fn query_is_encoded_as_rfc1035_says() {
        let q = encode_query(0x1234, "example.com.", QueryType::Aaaa).unwrap();
        let mut want = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(b"\x07example\x03com\x00\x00\x1c\x00\x01");
        assert_eq!(q, want);
        assert_eq!(
            encode_query(1, "example.com", QueryType::Aaaa).unwrap()[2..],
            want[2..]
        );
        // dnsmasq echoes the question: the captured answers start with it.
        let a = encode_query(0x1234, "example.com", QueryType::A).unwrap();
        assert_eq!(hex(CAPTURED_A)[12..a.len()], a[12..]);
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(encode_query(1, "a..b", QueryType::A).is_err());
        assert!(encode_query(1, &"x".repeat(64), QueryType::A).is_err());
        let long = vec!["y".repeat(63); 5].join(".");
        assert!(encode_query(1, &long, QueryType::A).is_err());
    }

    #[test]
    fn captured_answers_are_read() {
        let v4: IpAddr = "203.0.113.80".parse().unwrap();
        let v6: IpAddr = "2001:db8:113::80".parse().unwrap();
        assert_eq!(decode_answer(0x1234, &hex(CAPTURED_A)).unwrap(), [v4]);
        assert_eq!(decode_answer(0x1234, &hex(CAPTURED_AAAA)).unwrap(), [v6]);
        let e = decode_answer(0x1234, &hex(CAPTURED_REFUSED))
            .unwrap_err()
            .to_string();
        assert!(e.contains("REFUSED"), "{e}");
    }

    #[test]
    fn other_records_and_uncompressed_names_are_skipped() {
        // Built by hand: a CNAME first, then an AAAA whose owner name is
        // written out instead of compressed.
        let mut m = 9u16.to_be_bytes().to_vec();
        m.extend_from_slice(&[0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0]);
        m.extend_from_slice(b"\x07example\x03com\x00\x00\x1c\x00\x01");
        m.extend_from_slice(&[0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0, 9, 0, 2, 0xc0, 0x0c]);
        m.extend_from_slice(b"\x07example\x03com\x00\x00\x1c\x00\x01\x00\x00\x00\x09\x00\x10");
        m.extend_from_slice(&"2001:db8:113::80".parse::<Ipv6Addr>().unwrap().octets());
        let ip: IpAddr = "2001:db8:113::80".parse().unwrap();
        assert_eq!(decode_answer(9, &m).unwrap(), [ip]);
    }

    #[test]
    fn wrong_id_non_responses_and_truncation_fail() {
        let full = hex(CAPTURED_AAAA);
        assert!(decode_answer(0x1235, &full).is_err());
        for cut in 0..full.len() {
            assert!(decode_answer(0x1234, &full[..cut]).is_err(), "cut at {cut}");
        }
        let mut query = full.clone();
        query[2] &= 0x7f; // QR cleared: a query, not a response
        assert!(decode_answer(0x1234, &query).is_err());
        let mut bad_label = full;
        bad_label[12] = 0x40; // a label length that is neither 0..=63 nor a pointer
        assert!(decode_answer(0x1234, &bad_label).is_err());
    }
}
