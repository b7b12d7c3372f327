//! A minimal MRT writer (RFC 6396, TABLE_DUMP_V2) for IPv4 unicast routes,
//! so that a benchmark can load hundreds of thousands of prefixes into
//! gobgpd with one `gobgp mrt inject global FILE` instead of one CLI call
//! per prefix.
//!
//! The file holds one PEER_INDEX_TABLE (one peer) and one RIB_IPV4_UNICAST
//! record per prefix, each with one entry carrying ORIGIN IGP, an empty
//! AS_PATH (the route looks locally originated, as a configured
//! announcement does) and NEXT_HOP.

use std::io::Write;
use std::net::Ipv4Addr;
use std::path::Path;

use anyhow::{Context, Result, ensure};

/// MRT type TABLE_DUMP_V2.
const TABLE_DUMP_V2: u16 = 13;
/// Its subtype PEER_INDEX_TABLE.
const PEER_INDEX_TABLE: u16 = 1;
/// Its subtype RIB_IPV4_UNICAST.
const RIB_IPV4_UNICAST: u16 = 2;
/// Peer type bit: the peer's AS is 4 octets.
const PEER_AS4: u8 = 0b10;
/// Well-known transitive attribute flags.
const WELL_KNOWN: u8 = 0x40;

/// One IPv4 prefix: address and length.
pub type V4Prefix = (Ipv4Addr, u8);

/// The peer the routes were "learned from": gobgp uses it as the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MrtPeer {
    pub router_id: Ipv4Addr,
    pub address: Ipv4Addr,
    pub asn: u32,
}

/// Writes `prefixes` as a TABLE_DUMP_V2 file at `path`, all with next hop
/// `next_hop`, learned from `peer`, stamped with `timestamp` (Unix
/// seconds).
pub fn write_table_dump_v2(
    path: &Path,
    peer: MrtPeer,
    next_hop: Ipv4Addr,
    prefixes: &[V4Prefix],
    timestamp: u32,
) -> Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    let mut body = Vec::with_capacity(64);
    peer_index(peer, &mut body);
    record(&mut out, timestamp, PEER_INDEX_TABLE, &body)?;
    for (seq, prefix) in prefixes.iter().enumerate() {
        body.clear();
        let seq = u32::try_from(seq).context("more than 2^32 prefixes")?;
        rib_entry(seq, *prefix, next_hop, timestamp, &mut body)?;
        record(&mut out, timestamp, RIB_IPV4_UNICAST, &body)?;
    }
    out.flush()
        .with_context(|| format!("writing {}", path.display()))
}

/// The PEER_INDEX_TABLE body: collector id, empty view name, one peer.
fn peer_index(peer: MrtPeer, body: &mut Vec<u8>) {
    body.extend(peer.router_id.octets());
    body.extend(0u16.to_be_bytes());
    body.extend(1u16.to_be_bytes());
    body.push(PEER_AS4);
    body.extend(peer.router_id.octets());
    body.extend(peer.address.octets());
    body.extend(peer.asn.to_be_bytes());
}

/// One RIB_IPV4_UNICAST body with one entry from peer index 0.
fn rib_entry(
    seq: u32,
    (addr, len): V4Prefix,
    next_hop: Ipv4Addr,
    originated: u32,
    body: &mut Vec<u8>,
) -> Result<()> {
    ensure!(len <= 32, "prefix length {len} is over 32");
    body.extend(seq.to_be_bytes());
    body.push(len);
    let octets = usize::from(len).div_ceil(8);
    body.extend(addr.octets().iter().take(octets));
    body.extend(1u16.to_be_bytes());
    body.extend(0u16.to_be_bytes());
    body.extend(originated.to_be_bytes());
    let attrs: [u8; 14] = {
        let nh = next_hop.octets();
        [
            WELL_KNOWN, 1, 1, 0, // ORIGIN IGP
            WELL_KNOWN, 2, 0, // AS_PATH, empty
            WELL_KNOWN, 3, 4, nh[0], nh[1], nh[2], nh[3], // NEXT_HOP
        ]
    };
    body.extend(u16::try_from(attrs.len())?.to_be_bytes());
    body.extend(attrs);
    Ok(())
}

/// Writes one MRT record: common header and `body`.
fn record(out: &mut impl Write, timestamp: u32, subtype: u16, body: &[u8]) -> Result<()> {
    out.write_all(&timestamp.to_be_bytes())?;
    out.write_all(&TABLE_DUMP_V2.to_be_bytes())?;
    out.write_all(&subtype.to_be_bytes())?;
    out.write_all(&u32::try_from(body.len())?.to_be_bytes())?;
    out.write_all(body)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_have_the_rfc_6396_layout() {
        let dir = std::env::temp_dir().join(format!("mpwan-mrt-{}", crate::run_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.mrt");
        let peer = MrtPeer {
            router_id: Ipv4Addr::new(192, 0, 2, 9),
            address: Ipv4Addr::new(10, 0, 0, 9),
            asn: 65009,
        };
        let prefixes = [
            (Ipv4Addr::new(20, 0, 1, 0), 24),
            (Ipv4Addr::new(21, 0, 0, 0), 9),
        ];
        write_table_dump_v2(&path, peer, Ipv4Addr::new(10, 0, 0, 1), &prefixes, 7).unwrap();
        let b = std::fs::read(&path).unwrap();
        // Peer index: header 12 + 4 + 2 + 2 + 1 + 4 + 4 + 4.
        assert_eq!(&b[..12], &[0, 0, 0, 7, 0, 13, 0, 1, 0, 0, 0, 21]);
        assert_eq!(&b[12 + 8..12 + 9], &[PEER_AS4]);
        assert_eq!(&b[12 + 17..12 + 21], &65009u32.to_be_bytes());
        let first = &b[33..];
        // RIB entry: seq 4, len 1, 3 octets, count 2, entry 2+4+2+14.
        assert_eq!(&first[..12], &[0, 0, 0, 7, 0, 13, 0, 2, 0, 0, 0, 32]);
        assert_eq!(&first[12..20], &[0, 0, 0, 0, 24, 20, 0, 1]);
        assert_eq!(&first[28..30], &[0, 14]);
        assert_eq!(&first[40..44], &[10, 0, 0, 1]);
        let second = &first[44..];
        // A /9 takes two octets of address.
        assert_eq!(&second[8..12], &[0, 0, 0, 31]);
        assert_eq!(&second[16..19], &[9, 21, 0]);
        assert_eq!(second.len(), 12 + 31);
        assert!(write_table_dump_v2(&path, peer, peer.address, &[(peer.address, 33)], 0).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
