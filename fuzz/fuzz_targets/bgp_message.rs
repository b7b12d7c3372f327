//! Any bytes as a BGP message (under both AS widths) and as an UPDATE
//! body; what decodes must encode and decode to the same value when
//! 4-octet ASNs are negotiated (nothing is folded while decoding then).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mpwan_bgp::wire::{Message, Negotiated, Open, Update};

fuzz_target!(|data: &[u8]| {
    let four = Negotiated::FOUR_OCTET_AS;
    let two = Negotiated {
        four_octet_as: false,
        extended_messages: true,
    };
    for n in [&four, &two] {
        let _ = Message::frame_len(data, n);
        let _ = Update::decode(data, n);
    }
    let _ = Open::decode(data);
    let _ = Message::decode(data, &two);
    if let Ok(mut m) = Message::decode(data, &four) {
        if let Message::Update(u) = &mut m {
            u.discarded.clear();
        }
        let bytes = m.to_bytes(&four).expect("what decodes encodes");
        assert_eq!(Message::decode(&bytes, &four).as_ref(), Ok(&m));
    }
});
