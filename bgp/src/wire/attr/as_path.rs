//! AS_PATH (type 2, RFC 4271 5.1.2) in 2- or 4-octet form, AS4_PATH
//! (type 17, RFC 6793) and the reconstruction of the real path from both
//! when the peer is an old (2-octet) speaker.
//!
//! Malformed AS_PATH (unknown segment type, empty segment, overrun):
//! treat-as-withdraw (RFC 7606 7.2). Malformed AS4_PATH, or one with
//! confederation segments: attribute discard (RFC 6793 6).

use serde::{Deserialize, Serialize};

use crate::wire::error::{EncodeError, Problem};
use crate::wire::open::AS_TRANS;
use crate::wire::reader::Reader;

/// An AS path: segments in order, nearest AS first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct AsPath {
    /// The segments.
    pub segments: Vec<AsSegment>,
}

/// One path segment.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AsSegment {
    /// Set or sequence, plain or confederation.
    pub kind: SegmentKind,
    /// The ASNs, at least one on the wire.
    pub asns: Vec<u32>,
}

/// The segment type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SegmentKind {
    /// 1: unordered, from aggregation.
    Set,
    /// 2: ordered.
    Sequence,
    /// 3: ordered, inside a confederation (RFC 5065).
    ConfedSequence,
    /// 4: unordered, inside a confederation (RFC 5065).
    ConfedSet,
}

impl SegmentKind {
    fn from_wire(v: u8) -> Option<SegmentKind> {
        Some(match v {
            1 => SegmentKind::Set,
            2 => SegmentKind::Sequence,
            3 => SegmentKind::ConfedSequence,
            4 => SegmentKind::ConfedSet,
            _ => return None,
        })
    }

    fn to_wire(self) -> u8 {
        match self {
            SegmentKind::Set => 1,
            SegmentKind::Sequence => 2,
            SegmentKind::ConfedSequence => 3,
            SegmentKind::ConfedSet => 4,
        }
    }

    fn is_confed(self) -> bool {
        matches!(self, SegmentKind::ConfedSequence | SegmentKind::ConfedSet)
    }

    /// How much a segment counts toward the path length (RFC 4271 9.1.2.2,
    /// RFC 5065 5.3): a set counts one, confederation segments nothing.
    fn weight(self, asns: usize) -> usize {
        match self {
            SegmentKind::Sequence => asns,
            SegmentKind::Set => usize::from(asns > 0),
            SegmentKind::ConfedSequence | SegmentKind::ConfedSet => 0,
        }
    }
}

impl AsPath {
    /// A path of one sequence; the empty path when `asns` is empty.
    pub fn from_sequence(asns: impl IntoIterator<Item = u32>) -> AsPath {
        let asns: Vec<u32> = asns.into_iter().collect();
        if asns.is_empty() {
            return AsPath::default();
        }
        AsPath {
            segments: vec![AsSegment {
                kind: SegmentKind::Sequence,
                asns,
            }],
        }
    }

    /// The length used in route selection.
    pub fn path_len(&self) -> usize {
        self.segments
            .iter()
            .fold(0usize, |n, s| n.saturating_add(s.kind.weight(s.asns.len())))
    }

    /// The neighbouring AS: first ASN of a leading AS_SEQUENCE.
    pub fn first_asn(&self) -> Option<u32> {
        let first = self.segments.first()?;
        match first.kind {
            SegmentKind::Sequence => first.asns.first().copied(),
            _ => None,
        }
    }

    /// Whether `asn` appears anywhere (loop detection).
    pub fn contains(&self, asn: u32) -> bool {
        self.segments.iter().any(|s| s.asns.contains(&asn))
    }

    /// Puts `asn` in front `times` times (our own AS on eBGP, or AS-path
    /// prepending to de-prefer).
    pub fn prepend(&mut self, asn: u32, times: usize) {
        if times == 0 {
            return;
        }
        match self.segments.first_mut() {
            Some(s) if s.kind == SegmentKind::Sequence => {
                s.asns.splice(0..0, std::iter::repeat_n(asn, times));
            }
            _ => self.segments.insert(
                0,
                AsSegment {
                    kind: SegmentKind::Sequence,
                    asns: vec![asn; times],
                },
            ),
        }
    }

    /// Decodes an AS_PATH (`four_octet` per the session) or, with
    /// `four_octet` true, an AS4_PATH.
    pub(crate) fn decode(value: &[u8], four_octet: bool) -> Result<AsPath, Problem> {
        let width = if four_octet { 4 } else { 2 };
        let mut r = Reader::new(value);
        let mut segments = Vec::new();
        while !r.is_empty() {
            let (Some(kind), Some(count)) = (r.u8(), r.u8()) else {
                return Err(Problem::Segment);
            };
            let kind = SegmentKind::from_wire(kind).ok_or(Problem::Segment)?;
            if count == 0 {
                return Err(Problem::Segment);
            }
            let bytes = r.take(usize::from(count) * width).ok_or(Problem::Segment)?;
            let asns = if four_octet {
                bytes
                    .chunks_exact(4)
                    .map(|c| c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
                    .collect()
            } else {
                bytes
                    .chunks_exact(2)
                    .map(|c| c.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
                    .collect()
            };
            segments.push(AsSegment { kind, asns });
        }
        Ok(AsPath { segments })
    }

    /// Decodes an AS4_PATH: malformed, or holding confederation segments
    /// (which RFC 6793 forbids in it), means it is discarded.
    pub(crate) fn decode_as4(value: &[u8]) -> Result<AsPath, Problem> {
        let path = AsPath::decode(value, true)?;
        if path.segments.iter().any(|s| s.kind.is_confed()) {
            return Err(Problem::Segment);
        }
        Ok(path)
    }

    /// Appends the value. In 2-octet form, ASNs above 65535 become
    /// AS_TRANS. Sequences longer than 255 are split; sets cannot be.
    pub(crate) fn encode(&self, out: &mut Vec<u8>, four_octet: bool) -> Result<(), EncodeError> {
        for s in &self.segments {
            let is_set = matches!(s.kind, SegmentKind::Set | SegmentKind::ConfedSet);
            if is_set && s.asns.len() > 255 {
                return Err(EncodeError::AsSetTooLong(s.asns.len()));
            }
            for chunk in s.asns.chunks(255) {
                out.push(s.kind.to_wire());
                out.push(u8::try_from(chunk.len()).unwrap_or(u8::MAX));
                for &asn in chunk {
                    if four_octet {
                        out.extend(asn.to_be_bytes());
                    } else {
                        out.extend(u16::try_from(asn).unwrap_or(AS_TRANS).to_be_bytes());
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether the 2-octet form loses information, so an AS4_PATH must
    /// go along (RFC 6793 4.2.2).
    pub(crate) fn needs_as4(&self) -> bool {
        self.segments
            .iter()
            .any(|s| s.asns.iter().any(|&a| a > 0xffff))
    }

    /// The AS4_PATH to send next to a 2-octet AS_PATH: the path without
    /// confederation segments.
    pub(crate) fn as4_part(&self) -> AsPath {
        AsPath {
            segments: self
                .segments
                .iter()
                .filter(|s| !s.kind.is_confed())
                .cloned()
                .collect(),
        }
    }

    /// RFC 6793 4.2.3: the real path from an old speaker's AS_PATH and
    /// AS4_PATH. If AS_PATH counts fewer ASNs than AS4_PATH, AS4_PATH is
    /// ignored; otherwise the leading ASNs AS4_PATH lacks are kept from
    /// AS_PATH and AS4_PATH follows.
    pub(crate) fn merge_as4(self, as4: AsPath) -> AsPath {
        let (n2, n4) = (self.path_len(), as4.path_len());
        if n2 < n4 {
            return self;
        }
        let mut keep = n2 - n4;
        let mut segments = Vec::with_capacity(self.segments.len() + as4.segments.len());
        for s in self.segments {
            if keep == 0 && !s.kind.is_confed() {
                break;
            }
            match s.kind {
                SegmentKind::Sequence if s.asns.len() > keep => {
                    segments.push(AsSegment {
                        kind: s.kind,
                        asns: s.asns.into_iter().take(keep).collect(),
                    });
                    keep = 0;
                }
                kind => {
                    keep = keep.saturating_sub(kind.weight(s.asns.len()));
                    segments.push(s);
                }
            }
        }
        segments.extend(as4.segments);
        // Adjacent sequences left by the cut are one segment on the wire.
        let mut merged: Vec<AsSegment> = Vec::with_capacity(segments.len());
        for s in segments {
            match merged.last_mut() {
                Some(last)
                    if last.kind == SegmentKind::Sequence && s.kind == SegmentKind::Sequence =>
                {
                    last.asns.extend(s.asns);
                }
                _ => merged.push(s),
            }
        }
        AsPath { segments: merged }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(asns: &[u32]) -> AsSegment {
        AsSegment {
            kind: SegmentKind::Sequence,
            asns: asns.to_vec(),
        }
    }

    fn set(asns: &[u32]) -> AsSegment {
        AsSegment {
            kind: SegmentKind::Set,
            asns: asns.to_vec(),
        }
    }

    fn round_trip(p: &AsPath, four: bool) -> Vec<u8> {
        let mut v = Vec::new();
        p.encode(&mut v, four).expect("encodes");
        assert_eq!(AsPath::decode(&v, four).as_ref(), Ok(p));
        v
    }

    #[test]
    fn encodings() {
        let p = AsPath {
            segments: vec![seq(&[65001, 65002]), set(&[1, 2])],
        };
        assert_eq!(
            round_trip(&p, true),
            [
                2, 2, 0, 0, 0xfd, 0xe9, 0, 0, 0xfd, 0xea, 1, 2, 0, 0, 0, 1, 0, 0, 0, 2
            ]
        );
        assert_eq!(
            round_trip(&p, false),
            [2, 2, 0xfd, 0xe9, 0xfd, 0xea, 1, 2, 0, 1, 0, 2]
        );
        round_trip(&AsPath::default(), true);
        let confed = AsPath {
            segments: vec![
                AsSegment {
                    kind: SegmentKind::ConfedSequence,
                    asns: vec![64512],
                },
                seq(&[7]),
            ],
        };
        round_trip(&confed, true);
        assert_eq!(confed.path_len(), 1);
        assert_eq!(confed.first_asn(), None);
    }

    #[test]
    fn as_trans_in_two_octet_form() {
        let p = AsPath::from_sequence([4_200_000_000, 65001]);
        let mut v = Vec::new();
        p.encode(&mut v, false).expect("encodes");
        assert_eq!(v, [2, 2, 0x5b, 0xa0, 0xfd, 0xe9]);
        assert!(p.needs_as4());
        assert!(!AsPath::from_sequence([65001]).needs_as4());
    }

    #[test]
    fn long_sequences_split_sets_refused() {
        let long = AsPath::from_sequence(1..=300);
        let mut v = Vec::new();
        long.encode(&mut v, true).expect("encodes");
        let back = AsPath::decode(&v, true).expect("decodes");
        assert_eq!(back.segments.len(), 2);
        assert_eq!(back.path_len(), 300);
        let big_set = AsPath {
            segments: vec![set(&(1..=256).collect::<Vec<_>>())],
        };
        assert_eq!(
            big_set.encode(&mut v, true),
            Err(EncodeError::AsSetTooLong(256))
        );
    }

    #[test]
    fn malformed() {
        assert_eq!(
            AsPath::decode(&[2, 0], true),
            Err(Problem::Segment),
            "empty segment"
        );
        assert_eq!(
            AsPath::decode(&[5, 1, 0, 1], false),
            Err(Problem::Segment),
            "unknown type"
        );
        assert_eq!(
            AsPath::decode(&[2, 2, 0, 1, 0], false),
            Err(Problem::Segment),
            "overrun"
        );
        assert_eq!(
            AsPath::decode(&[2], false),
            Err(Problem::Segment),
            "half a header"
        );
        assert_eq!(
            AsPath::decode_as4(&[3, 1, 0, 0, 0, 1]),
            Err(Problem::Segment),
            "confed in AS4_PATH"
        );
    }

    #[test]
    fn helpers() {
        let mut p = AsPath::from_sequence([65002]);
        p.prepend(65001, 2);
        assert_eq!(p, AsPath::from_sequence([65001, 65001, 65002]));
        let mut q = AsPath {
            segments: vec![set(&[1, 2])],
        };
        q.prepend(9, 1);
        assert_eq!(q.segments[0], seq(&[9]));
        assert_eq!(q.path_len(), 2);
        assert!(q.contains(2) && !q.contains(3));
        assert_eq!(q.first_asn(), Some(9));
        let mut e = AsPath::default();
        e.prepend(5, 1);
        assert_eq!(e.first_asn(), Some(5));
    }

    #[test]
    fn rfc6793_reconstruction() {
        // An old speaker (65002) prepended itself to a path from a new one.
        let as_path = AsPath::from_sequence([65002, 23456, 65010]);
        let as4 = AsPath::from_sequence([4_200_000_000, 65010]);
        assert_eq!(
            as_path.merge_as4(as4),
            AsPath::from_sequence([65002, 4_200_000_000, 65010])
        );
        // AS4_PATH longer than AS_PATH: ignored.
        let short = AsPath::from_sequence([23456]);
        assert_eq!(
            short.clone().merge_as4(AsPath::from_sequence([1, 2])),
            short
        );
        // A set in front counts one.
        let with_set = AsPath {
            segments: vec![set(&[1, 2]), seq(&[23456])],
        };
        let merged = with_set.merge_as4(AsPath::from_sequence([4_200_000_000]));
        assert_eq!(merged.segments, [set(&[1, 2]), seq(&[4_200_000_000])]);
    }
}
