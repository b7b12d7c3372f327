//! `PmMessage`: one `mptcp_pm` command or reply, the payload of a
//! `GenlMessage`. Parsing and emitting are symmetric, so a kernel reply
//! re-encodes to the bytes it came from.

use netlink_packet_core::{
    DecodeError, DefaultNla, Emitable, ErrorContext, NLA_F_NESTED, Nla, NlaBuffer, NlasIterator,
    Parseable, ParseableParametrized,
};
use netlink_packet_generic::{GenlFamily, GenlHeader};

use super::addr::AddrAttr;
use super::consts::*;
use super::nla::u32_of;

/// A path-manager command number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PmCommand {
    /// `MPTCP_PM_CMD_ADD_ADDR`.
    AddAddr,
    /// `MPTCP_PM_CMD_DEL_ADDR`.
    DelAddr,
    /// `MPTCP_PM_CMD_GET_ADDR` (one, or a dump).
    GetAddr,
    /// `MPTCP_PM_CMD_SET_LIMITS`.
    SetLimits,
    /// `MPTCP_PM_CMD_GET_LIMITS`.
    GetLimits,
    /// `MPTCP_PM_CMD_SET_FLAGS`.
    SetFlags,
    /// Any other number, seen in a message from the kernel (FLUSH_ADDRS,
    /// the userspace path manager's commands, newer ones).
    Other(u8),
}

impl From<u8> for PmCommand {
    fn from(n: u8) -> PmCommand {
        match n {
            CMD_ADD_ADDR => PmCommand::AddAddr,
            CMD_DEL_ADDR => PmCommand::DelAddr,
            CMD_GET_ADDR => PmCommand::GetAddr,
            CMD_SET_LIMITS => PmCommand::SetLimits,
            CMD_GET_LIMITS => PmCommand::GetLimits,
            CMD_SET_FLAGS => PmCommand::SetFlags,
            other => PmCommand::Other(other),
        }
    }
}

impl From<PmCommand> for u8 {
    fn from(cmd: PmCommand) -> u8 {
        match cmd {
            PmCommand::AddAddr => CMD_ADD_ADDR,
            PmCommand::DelAddr => CMD_DEL_ADDR,
            PmCommand::GetAddr => CMD_GET_ADDR,
            PmCommand::SetLimits => CMD_SET_LIMITS,
            PmCommand::GetLimits => CMD_GET_LIMITS,
            PmCommand::SetFlags => CMD_SET_FLAGS,
            PmCommand::Other(n) => n,
        }
    }
}

/// A top-level `MPTCP_PM_ATTR_*` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PmAttr {
    /// The endpoint nest.
    Addr(Vec<AddrAttr>),
    /// Limit of accepted ADD_ADDR announcements.
    RcvAddAddrs(u32),
    /// Limit of additional subflows.
    Subflows(u32),
    /// An attribute this crate does not use, kept as it came.
    Other(DefaultNla),
}

impl Nla for PmAttr {
    fn value_len(&self) -> usize {
        match self {
            PmAttr::Addr(attrs) => attrs.as_slice().buffer_len(),
            PmAttr::RcvAddAddrs(_) | PmAttr::Subflows(_) => 4,
            PmAttr::Other(nla) => nla.value_len(),
        }
    }

    fn kind(&self) -> u16 {
        match self {
            // iproute2 and the kernel both mark the nest.
            PmAttr::Addr(_) => ATTR_ADDR | NLA_F_NESTED,
            PmAttr::RcvAddAddrs(_) => ATTR_RCV_ADD_ADDRS,
            PmAttr::Subflows(_) => ATTR_SUBFLOWS,
            PmAttr::Other(nla) => nla.kind(),
        }
    }

    fn emit_value(&self, buffer: &mut [u8]) {
        match self {
            PmAttr::Addr(attrs) => attrs.as_slice().emit(buffer),
            PmAttr::RcvAddAddrs(v) | PmAttr::Subflows(v) => {
                buffer.copy_from_slice(&v.to_ne_bytes())
            }
            PmAttr::Other(nla) => nla.emit_value(buffer),
        }
    }
}

impl<'a> Parseable<NlaBuffer<&'a [u8]>> for PmAttr {
    fn parse(nla: &NlaBuffer<&'a [u8]>) -> Result<Self, DecodeError> {
        Ok(match nla.kind() {
            ATTR_ADDR => PmAttr::Addr(parse_all(nla.value()).context("in MPTCP_PM_ATTR_ADDR")?),
            ATTR_RCV_ADD_ADDRS => PmAttr::RcvAddAddrs(u32_of(nla, "rcv_add_addrs")?),
            ATTR_SUBFLOWS => PmAttr::Subflows(u32_of(nla, "subflows")?),
            _ => PmAttr::Other(DefaultNla::parse(nla)?),
        })
    }
}

/// Every attribute in `buf`; the first malformed one fails the whole.
pub(crate) fn parse_all<T>(buf: &[u8]) -> Result<Vec<T>, DecodeError>
where
    T: for<'a> Parseable<NlaBuffer<&'a [u8]>>,
{
    NlasIterator::new(buf)
        .map(|nla| nla.and_then(|nla| T::parse(&nla)))
        .collect()
}

/// One `mptcp_pm` message: a command number and its attributes in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PmMessage {
    /// The genl command.
    pub cmd: PmCommand,
    /// Its attributes, in wire order.
    pub attrs: Vec<PmAttr>,
}

impl GenlFamily for PmMessage {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }

    fn command(&self) -> u8 {
        self.cmd.into()
    }

    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for PmMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }

    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for PmMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        Ok(PmMessage {
            cmd: header.cmd.into(),
            attrs: parse_all(buf).with_context(|| format!("mptcp_pm command {}", header.cmd))?,
        })
    }
}
