//! The decoder for `mptcp_pm_events`. Event numbers collide with command
//! numbers (1 is both ADD_ADDR and `created`) and the attribute set is a
//! different one, so events never go through `PmMessage`.

use std::net::{IpAddr, SocketAddr};

use netlink_packet_core::{DecodeError, ErrorContext, NetlinkBuffer, NlasIterator};

use super::consts::*;
use super::nla::{be16_of, i32_of, ifindex, ipv4_of, ipv6_of, u8_of, u16_of, u32_of};
use crate::event::{Connection, Listener, PmEvent, Subflow};

/// Every event attribute, as far as it came.
#[derive(Default)]
struct Attrs {
    token: Option<u32>,
    loc_id: Option<u8>,
    rem_id: Option<u8>,
    saddr: Option<IpAddr>,
    daddr: Option<IpAddr>,
    sport: Option<u16>,
    dport: Option<u16>,
    backup: Option<u8>,
    error: Option<u8>,
    flags: Option<u16>,
    if_idx: Option<i32>,
    reset_reason: Option<u32>,
    reset_flags: Option<u32>,
    server_side: Option<u8>,
}

impl Attrs {
    /// Reads `buf`. Unknown attributes (and `family` and `timeout`, which
    /// nothing here needs: the address attribute says the family) are
    /// skipped; a known one of the wrong size is an error.
    fn parse(buf: &[u8]) -> Result<Attrs, DecodeError> {
        let mut a = Attrs::default();
        for nla in NlasIterator::new(buf) {
            let nla = nla?;
            match nla.kind() {
                EV_ATTR_TOKEN => a.token = Some(u32_of(&nla, "token")?),
                EV_ATTR_FAMILY => {
                    u16_of(&nla, "family")?;
                }
                EV_ATTR_LOC_ID => a.loc_id = Some(u8_of(&nla, "loc_id")?),
                EV_ATTR_REM_ID => a.rem_id = Some(u8_of(&nla, "rem_id")?),
                EV_ATTR_SADDR4 => a.saddr = Some(ipv4_of(&nla, "saddr4")?.into()),
                EV_ATTR_SADDR6 => a.saddr = Some(ipv6_of(&nla, "saddr6")?.into()),
                EV_ATTR_DADDR4 => a.daddr = Some(ipv4_of(&nla, "daddr4")?.into()),
                EV_ATTR_DADDR6 => a.daddr = Some(ipv6_of(&nla, "daddr6")?.into()),
                EV_ATTR_SPORT => a.sport = Some(be16_of(&nla, "sport")?),
                EV_ATTR_DPORT => a.dport = Some(be16_of(&nla, "dport")?),
                EV_ATTR_BACKUP => a.backup = Some(u8_of(&nla, "backup")?),
                EV_ATTR_ERROR => a.error = Some(u8_of(&nla, "error")?),
                EV_ATTR_FLAGS => a.flags = Some(u16_of(&nla, "flags")?),
                EV_ATTR_TIMEOUT => {
                    u32_of(&nla, "timeout")?;
                }
                EV_ATTR_IF_IDX => a.if_idx = Some(i32_of(&nla, "if_idx")?),
                EV_ATTR_RESET_REASON => a.reset_reason = Some(u32_of(&nla, "reset_reason")?),
                EV_ATTR_RESET_FLAGS => a.reset_flags = Some(u32_of(&nla, "reset_flags")?),
                EV_ATTR_SERVER_SIDE => a.server_side = Some(u8_of(&nla, "server_side")?),
                _ => {}
            }
        }
        Ok(a)
    }

    fn token(&self) -> Result<u32, DecodeError> {
        need(self.token, "token")
    }

    fn local(&self) -> Result<SocketAddr, DecodeError> {
        Ok(SocketAddr::new(
            need(self.saddr, "saddr")?,
            need(self.sport, "sport")?,
        ))
    }

    fn remote(&self) -> Result<SocketAddr, DecodeError> {
        Ok(SocketAddr::new(
            need(self.daddr, "daddr")?,
            need(self.dport, "dport")?,
        ))
    }

    fn connection(&self) -> Result<Connection, DecodeError> {
        let flags = self.flags.unwrap_or(0);
        Ok(Connection {
            token: self.token()?,
            local: self.local()?,
            remote: self.remote()?,
            server_side: flags & EV_FLAG_SERVER_SIDE != 0
                || self.server_side.is_some_and(|s| s != 0),
            deny_join_id0: flags & EV_FLAG_DENY_JOIN_ID0 != 0,
        })
    }

    fn subflow(&self) -> Result<Subflow, DecodeError> {
        Ok(Subflow {
            token: self.token()?,
            local_id: need(self.loc_id, "loc_id")?,
            remote_id: need(self.rem_id, "rem_id")?,
            local: self.local()?,
            remote: self.remote()?,
            backup: self.backup.is_some_and(|b| b != 0),
            ifindex: self.if_idx.and_then(ifindex),
            error: self.error.filter(|e| *e != 0),
            reset_reason: self.reset_reason,
            reset_flags: self.reset_flags,
        })
    }
}

fn need<T>(v: Option<T>, what: &str) -> Result<T, DecodeError> {
    v.ok_or_else(|| DecodeError::from(format!("missing attribute {what}")))
}

/// Decodes one event: `number` is the genl command of the message, `attrs`
/// the bytes after the genl header.
pub fn decode_event(number: u8, attrs: &[u8]) -> Result<PmEvent, DecodeError> {
    let a = Attrs::parse(attrs).with_context(|| format!("mptcp event {number}"))?;
    let event = match number {
        EVENT_CREATED => PmEvent::Created(a.connection()?),
        EVENT_ESTABLISHED => PmEvent::Established(a.connection()?),
        EVENT_CLOSED => PmEvent::Closed { token: a.token()? },
        EVENT_ANNOUNCED => PmEvent::Announced {
            token: a.token()?,
            remote_id: need(a.rem_id, "rem_id")?,
            addr: need(a.daddr, "daddr")?,
            port: a.dport.filter(|p| *p != 0),
        },
        EVENT_REMOVED => PmEvent::Removed {
            token: a.token()?,
            remote_id: need(a.rem_id, "rem_id")?,
        },
        EVENT_SUB_ESTABLISHED => PmEvent::SubEstablished(a.subflow()?),
        EVENT_SUB_CLOSED => PmEvent::SubClosed(a.subflow()?),
        EVENT_SUB_PRIORITY => PmEvent::SubPriority(a.subflow()?),
        EVENT_LISTENER_CREATED => PmEvent::ListenerCreated(Listener { local: a.local()? }),
        EVENT_LISTENER_CLOSED => PmEvent::ListenerClosed(Listener { local: a.local()? }),
        number => PmEvent::Unknown { number },
    };
    Ok(event)
}

/// Decodes every event in one datagram from the events socket. Messages
/// of another type than `family_id` (none are expected) are skipped. A
/// malformed message yields an error in its place; the rest still decode,
/// except after a broken netlink header, which hides where the next
/// message starts.
pub fn decode_datagram(datagram: &[u8], family_id: u16) -> Vec<Result<PmEvent, DecodeError>> {
    let mut events = Vec::new();
    let mut rest = datagram;
    while !rest.is_empty() {
        let msg = match NetlinkBuffer::new_checked(rest) {
            Ok(msg) => msg,
            Err(e) => {
                events.push(Err(e));
                break;
            }
        };
        let len = usize::try_from(msg.length()).unwrap_or(usize::MAX);
        if msg.message_type() == family_id {
            events.push(match msg.payload() {
                [cmd, _version, _, _, attrs @ ..] => decode_event(*cmd, attrs),
                short => Err(DecodeError::from(format!(
                    "event message with a {}-byte genl header",
                    short.len()
                ))),
            });
        }
        // Messages are 4-byte aligned; the last one may end the datagram
        // without its padding.
        let next = len.checked_add(3).map_or(usize::MAX, |l| l & !3);
        rest = rest.get(next..).unwrap_or(&[]);
    }
    events
}
