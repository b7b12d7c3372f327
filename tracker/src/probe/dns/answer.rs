//! The DNS probe's question and its judgement of an answer, built on
//! hickory-proto's `Message`. Pure: bytes in, verdict out.

use hickory_proto::op::{Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::{DNSClass, Name, RData, RecordType};

use crate::events::ErrorKind;

/// What a datagram means for the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// Not an answer to our query (garbage, another id, another question):
    /// keep waiting.
    Ignore,
    /// A real answer: NOERROR with a record of the asked type for the name.
    Pass,
    /// The server answered, but not with what was asked.
    Fail(ErrorKind),
}

/// The question a probe asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Question {
    name: Name,
    record_type: RecordType,
}

impl Question {
    /// `name` (with or without the final dot) of `record_type`; `None` if it
    /// is not a valid domain name.
    pub(super) fn new(name: &str, record_type: RecordType) -> Option<Question> {
        let mut name = Name::from_ascii(name).ok()?;
        name.set_fqdn(true);
        Some(Question { name, record_type })
    }

    /// The query with message id `id`, recursion desired.
    pub(super) fn encode(&self, id: u16) -> Option<Vec<u8>> {
        let mut m = Message::new(id, MessageType::Query, OpCode::Query);
        m.metadata.recursion_desired = true;
        m.add_query(Query::query(self.name.clone(), self.record_type));
        m.to_vec().ok()
    }

    /// Judges `bytes`, received in reply to the query with id `id`.
    pub(super) fn judge(&self, id: u16, bytes: &[u8]) -> Verdict {
        let Ok(m) = Message::from_vec(bytes) else {
            return Verdict::Ignore;
        };
        let meta = &m.metadata;
        if meta.id != id || meta.message_type != MessageType::Response {
            return Verdict::Ignore;
        }
        let [q] = m.queries.as_slice() else {
            return Verdict::Ignore;
        };
        // Name comparison is case-insensitive (RFC 4343).
        if q.name != self.name || q.query_type != self.record_type || q.query_class != DNSClass::IN
        {
            return Verdict::Ignore;
        }
        if meta.response_code != ResponseCode::NoError {
            return Verdict::Fail(ErrorKind::BadAnswer);
        }
        // Follow CNAMEs from the asked name: a resolver answering
        // www.example.com with a CNAME and the target's A record answers
        // the question. Each pass adds a name or stops, so this ends.
        let mut names = vec![self.name.clone()];
        loop {
            let next = m.answers.iter().find_map(|r| match &r.data {
                RData::CNAME(target) if names.contains(&r.name) && !names.contains(&target.0) => {
                    Some(target.0.clone())
                }
                _ => None,
            });
            match next {
                Some(n) => names.push(n),
                None => break,
            }
        }
        let answered = m.answers.iter().any(|r| {
            r.record_type() == self.record_type
                && r.dns_class == DNSClass::IN
                && names.contains(&r.name)
        });
        if answered {
            Verdict::Pass
        } else {
            Verdict::Fail(ErrorKind::BadAnswer)
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

    fn question() -> Question {
        Question::new("example.com", RecordType::A).unwrap()
    }

    /// Captured from dnsmasq 2.90 (`--no-resolv --address=/example.com/1.2.3.4
    /// --address=/nx.example.com/`), asked for example.com A with id 0x1234.
    fn dnsmasq_answer() -> Vec<u8> {
        hex(concat!(
            "123485800001000100000000076578616d706c6503636f6d0000010001",
            "c00c0001000100000000000401020304"
        ))
    }

    /// The same dnsmasq asked for nx.example.com A: NXDOMAIN.
    fn dnsmasq_nxdomain() -> Vec<u8> {
        hex("123481830001000000000000026e78076578616d706c6503636f6d0000010001")
    }

    /// The same dnsmasq asked for example.org A, which it has no upstream
    /// for: REFUSED.
    fn dnsmasq_refused() -> Vec<u8> {
        hex("123481850001000000000000076578616d706c65036f72670000010001")
    }

    #[test]
    fn the_query_is_a_plain_recursive_question() {
        let q = question().encode(0x1234).unwrap();
        assert_eq!(
            q,
            hex("123401000001000000000000076578616d706c6503636f6d0000010001")
        );
    }

    #[test]
    fn a_real_answer_passes() {
        assert_eq!(question().judge(0x1234, &dnsmasq_answer()), Verdict::Pass);
        // Names compare without regard to case.
        let upper = Question::new("EXAMPLE.com.", RecordType::A).unwrap();
        assert_eq!(upper.judge(0x1234, &dnsmasq_answer()), Verdict::Pass);
    }

    #[test]
    fn strays_are_ignored() {
        let q = question();
        assert_eq!(
            q.judge(0x1235, &dnsmasq_answer()),
            Verdict::Ignore,
            "another id"
        );
        assert_eq!(q.judge(0x1234, b"\x12\x34garbage"), Verdict::Ignore);
        let query = q.encode(0x1234).unwrap();
        assert_eq!(
            q.judge(0x1234, &query),
            Verdict::Ignore,
            "a query, not a response"
        );
        let other = Question::new("example.org", RecordType::A).unwrap();
        assert_eq!(
            other.judge(0x1234, &dnsmasq_answer()),
            Verdict::Ignore,
            "another name"
        );
        let aaaa = Question::new("example.com", RecordType::AAAA).unwrap();
        assert_eq!(
            aaaa.judge(0x1234, &dnsmasq_answer()),
            Verdict::Ignore,
            "another type"
        );
    }

    #[test]
    fn error_codes_and_empty_answers_fail() {
        let nx = Question::new("nx.example.com", RecordType::A).unwrap();
        assert_eq!(
            nx.judge(0x1234, &dnsmasq_nxdomain()),
            Verdict::Fail(ErrorKind::BadAnswer)
        );
        let org = Question::new("example.org", RecordType::A).unwrap();
        assert_eq!(
            org.judge(0x1234, &dnsmasq_refused()),
            Verdict::Fail(ErrorKind::BadAnswer)
        );
        // NOERROR without an answer record (NODATA): the NXDOMAIN with its
        // response code cleared.
        let mut nodata = dnsmasq_nxdomain();
        nodata[3] = 0x80;
        assert_eq!(
            nx.judge(0x1234, &nodata),
            Verdict::Fail(ErrorKind::BadAnswer)
        );
    }

    #[test]
    fn cname_chains_are_followed_and_records_for_other_names_are_not_answers() {
        use hickory_proto::rr::Record;
        use hickory_proto::rr::rdata::{A, CNAME};
        let www = Name::from_ascii("www.example.com.").unwrap();
        let cdn = Name::from_ascii("x.cdn.example.net.").unwrap();
        let q = Question::new("www.example.com", RecordType::A).unwrap();
        let answer = |records: Vec<Record>| {
            let mut m = Message::new(9, MessageType::Response, OpCode::Query);
            m.add_query(Query::query(www.clone(), RecordType::A));
            for r in records {
                m.add_answer(r);
            }
            m.to_vec().unwrap()
        };
        let cname = Record::from_rdata(www.clone(), 60, RData::CNAME(CNAME(cdn.clone())));
        let a_cdn = Record::from_rdata(cdn.clone(), 60, RData::A(A::new(192, 0, 2, 1)));
        let a_other = Record::from_rdata(
            Name::from_ascii("evil.example.").unwrap(),
            60,
            RData::A(A::new(192, 0, 2, 1)),
        );
        assert_eq!(
            q.judge(9, &answer(vec![cname.clone(), a_cdn])),
            Verdict::Pass
        );
        assert_eq!(
            q.judge(9, &answer(vec![cname])),
            Verdict::Fail(ErrorKind::BadAnswer)
        );
        assert_eq!(
            q.judge(9, &answer(vec![a_other])),
            Verdict::Fail(ErrorKind::BadAnswer)
        );
    }
}
