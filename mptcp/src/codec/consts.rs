//! Numbers from the kernel's uapi headers `linux/mptcp_pm.h` (generated
//! from `Documentation/netlink/specs/mptcp_pm.yaml`) and `linux/mptcp.h`,
//! checked against bytes captured from kernel 6.18 (see `captures.rs`).

/// Generic netlink family name.
pub const FAMILY_NAME: &str = "mptcp_pm";
/// `MPTCP_PM_VER`: the version the kernel expects in the genl header.
pub const FAMILY_VERSION: u8 = 1;
/// Multicast group carrying the path manager's events.
pub const EVENTS_GROUP: &str = "mptcp_pm_events";

// Commands (`MPTCP_PM_CMD_*`). FLUSH_ADDRS (4) is deliberately absent: it
// removes every endpoint in the namespace, including ones this daemon does
// not own, and resets add_addr_accepted; the reconciler repairs endpoint by
// endpoint instead (DESIGN.md, "MPTCP semantics").
pub const CMD_ADD_ADDR: u8 = 1;
pub const CMD_DEL_ADDR: u8 = 2;
pub const CMD_GET_ADDR: u8 = 3;
pub const CMD_SET_LIMITS: u8 = 5;
pub const CMD_GET_LIMITS: u8 = 6;
pub const CMD_SET_FLAGS: u8 = 7;

// Top-level attributes (`MPTCP_PM_ATTR_*`).
pub const ATTR_ADDR: u16 = 1;
pub const ATTR_RCV_ADD_ADDRS: u16 = 2;
pub const ATTR_SUBFLOWS: u16 = 3;

// Attributes nested in ATTR_ADDR (`MPTCP_PM_ADDR_ATTR_*`).
pub const ADDR_ATTR_FAMILY: u16 = 1;
pub const ADDR_ATTR_ID: u16 = 2;
pub const ADDR_ATTR_ADDR4: u16 = 3;
pub const ADDR_ATTR_ADDR6: u16 = 4;
pub const ADDR_ATTR_PORT: u16 = 5;
pub const ADDR_ATTR_FLAGS: u16 = 6;
pub const ADDR_ATTR_IF_IDX: u16 = 7;

// Events (`enum mptcp_event_type`): the genl command number of a message
// on the events group. They collide with command numbers, hence their own
// decoder.
pub const EVENT_CREATED: u8 = 1;
pub const EVENT_ESTABLISHED: u8 = 2;
pub const EVENT_CLOSED: u8 = 3;
pub const EVENT_ANNOUNCED: u8 = 6;
pub const EVENT_REMOVED: u8 = 7;
pub const EVENT_SUB_ESTABLISHED: u8 = 10;
pub const EVENT_SUB_CLOSED: u8 = 11;
pub const EVENT_SUB_PRIORITY: u8 = 13;
pub const EVENT_LISTENER_CREATED: u8 = 15;
pub const EVENT_LISTENER_CLOSED: u8 = 16;

// Event attributes (`enum mptcp_event_attr`).
pub const EV_ATTR_TOKEN: u16 = 1;
pub const EV_ATTR_FAMILY: u16 = 2;
pub const EV_ATTR_LOC_ID: u16 = 3;
pub const EV_ATTR_REM_ID: u16 = 4;
pub const EV_ATTR_SADDR4: u16 = 5;
pub const EV_ATTR_SADDR6: u16 = 6;
pub const EV_ATTR_DADDR4: u16 = 7;
pub const EV_ATTR_DADDR6: u16 = 8;
pub const EV_ATTR_SPORT: u16 = 9;
pub const EV_ATTR_DPORT: u16 = 10;
pub const EV_ATTR_BACKUP: u16 = 11;
pub const EV_ATTR_ERROR: u16 = 12;
pub const EV_ATTR_FLAGS: u16 = 13;
pub const EV_ATTR_TIMEOUT: u16 = 14;
pub const EV_ATTR_IF_IDX: u16 = 15;
pub const EV_ATTR_RESET_REASON: u16 = 16;
pub const EV_ATTR_RESET_FLAGS: u16 = 17;
pub const EV_ATTR_SERVER_SIDE: u16 = 18;

/// `MPTCP_PM_EV_FLAG_DENY_JOIN_ID0` in the event `flags` attribute.
pub const EV_FLAG_DENY_JOIN_ID0: u16 = 1;
/// `MPTCP_PM_EV_FLAG_SERVER_SIDE` (6.17+; older kernels send
/// `MPTCP_ATTR_SERVER_SIDE` instead, newer ones send both).
pub const EV_FLAG_SERVER_SIDE: u16 = 2;

/// Address families as the kernel writes them.
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;

// Generic netlink controller (`linux/genetlink.h`).
pub const GENL_ID_CTRL: u16 = 0x10;
pub const CTRL_CMD_GETFAMILY: u8 = 3;
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;
pub const CTRL_ATTR_MCAST_GROUPS: u16 = 7;
pub const CTRL_ATTR_MCAST_GRP_NAME: u16 = 1;
pub const CTRL_ATTR_MCAST_GRP_ID: u16 = 2;

// Extended ACK (`linux/netlink.h`).
pub const NLM_F_CAPPED: u16 = 0x100;
pub const NLM_F_ACK_TLVS: u16 = 0x200;
pub const NLMSGERR_ATTR_MSG: u16 = 1;
