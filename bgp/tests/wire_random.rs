//! Property test: decoding arbitrary bytes never panics, and whatever
//! decodes re-encodes to something that decodes the same. Deterministic
//! (a fixed-seed xorshift), bounded (a fixed number of iterations, about
//! a second in a debug build). The cargo-fuzz target in /work/main/fuzz
//! explores the same entry points without bounds.

use mpwan_bgp::wire::*;

/// xorshift64*: small, deterministic, good enough to shake a parser.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n.max(1)).unwrap_or(1)).unwrap_or(0)
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Real frames (see wire_captured.rs) and a few of our own as seeds.
fn seeds() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = [
        "ffffffffffffffffffffffffffffffff005d0104fde8005ac000020240023e0200490402766d0001040001000101040002000141040000fde8400a40780001010000020100470e00010100000e1000020100000e100506000100010002",
        "ffffffffffffffffffffffffffffffff004c02000000314001010240020602010000fde8400304c00002028004040000000ac00804fde80064c0200c0000fde80000000100000002180a0a00",
        "ffffffffffffffffffffffffffffffff0043020000002c4001010240020602010000fde8800e1c0002011020010db8000000000000000000000002003020010db80010",
        "ffffffffffffffffffffffffffffffff001d0200000006800f03000201",
        "ffffffffffffffffffffffffffffffff00200306020a6d7077616e2074657374",
        "ffffffffffffffffffffffffffffffff0044020000002d900e001c0002011020010db8000000000000000000000002003020010db800204001010040020602010000fde8",
    ]
    .iter()
    .map(|s| hex(s))
    .collect();
    let n = Negotiated::FOUR_OCTET_AS;
    let rr = Message::RouteRefresh(RouteRefresh::request(Family::IPV6_UNICAST));
    v.push(rr.to_bytes(&n).expect("encodes"));
    let hard = Message::Notification(Notification::hard_reset(
        &Notification::administrative_shutdown("x"),
    ));
    v.push(hard.to_bytes(&n).expect("encodes"));
    let u = Update {
        withdrawn: vec!["10.1.0.0/16".parse().expect("prefix")],
        mp_unreach: Some(MpUnreach {
            family: Family::IPV6_UNICAST,
            withdrawn: MpNlri::Prefixes(vec!["2001:db8::/32".parse().expect("prefix")]),
        }),
        attributes: Attributes {
            aggregator: Some(Aggregator {
                asn: 4_200_000_000,
                address: [192, 0, 2, 1].into(),
            }),
            as_path: Some(AsPath::from_sequence([4_200_000_000, 65001])),
            atomic_aggregate: true,
            other: vec![RawAttribute {
                flags: 0xe0,
                type_code: 200,
                value: vec![1; 3],
            }],
            ..Attributes::default()
        },
        ..Update::default()
    };
    v.push(Message::Update(u.clone()).to_bytes(&n).expect("encodes"));
    v.push(
        Message::Update(u)
            .to_bytes(&Negotiated::default())
            .expect("encodes"),
    );
    v
}

/// Sets the header length to the frame's length, so the body decoders run.
fn fix_length(frame: &mut [u8]) {
    if let (Ok(len), Some(slot)) = (u16::try_from(frame.len()), frame.get_mut(16..18)) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut f = seed.to_vec();
    for _ in 0..=rng.below(4) {
        match rng.below(4) {
            0 if !f.is_empty() => {
                let i = rng.below(f.len());
                f[i] = rng.byte();
            }
            1 if !f.is_empty() => {
                let i = rng.below(f.len());
                f.truncate(i);
            }
            2 => {
                let i = rng.below(f.len() + 1);
                f.insert(i, rng.byte());
            }
            _ if f.len() > 20 => {
                // Perturb a byte past the header, where lengths live.
                let i = 19 + rng.below(f.len() - 19);
                f[i] = f[i].wrapping_add(1 + rng.byte() % 3);
            }
            _ => {}
        }
    }
    if rng.below(4) != 0 {
        fix_length(&mut f);
    }
    f
}

/// Decodes under `n`; what decodes must survive encode and decode again.
/// Returns whether it decoded.
fn check(frame: &[u8], n: &Negotiated) -> bool {
    let _ = Message::frame_len(frame, n);
    let Ok(m) = Message::decode(frame, n) else {
        return false;
    };
    let _ = format!("{m:?}");
    if let Message::Notification(note) = &m {
        let _ = note.to_string();
        let _ = note.hard_reset_cause();
    }
    if let Message::Update(u) = &m {
        let _ = u.is_end_of_rib();
    }
    // With 4-octet ASNs nothing is folded while decoding, so the value
    // must come back exactly (minus the decoder's notes).
    if !n.four_octet_as {
        return true;
    }
    let mut m = m;
    if let Message::Update(u) = &mut m {
        u.discarded.clear();
    }
    let bytes = m
        .to_bytes(n)
        .unwrap_or_else(|e| panic!("{m:?} decoded but does not encode: {e}"));
    match Message::decode(&bytes, n) {
        Ok(again) => assert_eq!(again, m, "frame {frame:02x?}"),
        Err(e) => panic!("re-encoded {m:?} does not decode: {e}, frame {frame:02x?}"),
    }
    true
}

#[test]
fn mutated_real_frames_never_panic() {
    let seeds = seeds();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let both = [Negotiated::FOUR_OCTET_AS, Negotiated::default()];
    let mut decoded = 0usize;
    for i in 0..60_000 {
        let seed = &seeds[i % seeds.len()];
        let frame = mutate(&mut rng, seed);
        for n in &both {
            decoded += usize::from(check(&frame, n));
        }
    }
    eprintln!("{decoded} of 120000 mutated frames decoded");
    // The mutations must leave enough valid messages for the re-encoding
    // property to mean something.
    assert!(decoded > 5_000, "only {decoded} decoded");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x0123_4567_89ab_cdef);
    let both = [
        Negotiated::FOUR_OCTET_AS,
        Negotiated {
            four_octet_as: false,
            extended_messages: true,
        },
    ];
    for _ in 0..30_000 {
        let len = rng.below(120);
        let mut body: Vec<u8> = (0..len).map(|_| rng.byte()).collect();
        for n in &both {
            let _ = Update::decode(&body, n);
        }
        let _ = Open::decode(&body);
        let _ = Notification::decode(&body);
        let _ = RouteRefresh::decode(&body);
        // And as a whole frame of each type, header made valid.
        let kind = 1 + rng.byte() % 5;
        let mut frame = vec![0xff; 16];
        frame.extend([0, 0, kind]);
        frame.append(&mut body);
        fix_length(&mut frame);
        for n in &both {
            check(&frame, n);
        }
    }
}
