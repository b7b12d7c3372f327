//! Bytes captured from the kernel, each next to the command that made it.
//!
//! Kernel 6.18.44 (x86_64, so host-order integers are little-endian),
//! iproute2 6.1.0, in a fresh namespace holding 10.0.0.1/32, 10.0.0.2/32,
//! 10.0.0.3/32 and 2001:db8::1/128 on lo. Captured with
//! `ip netns exec <ns> strace -f -e trace=sendmsg,recvmsg,sendto -e write=4
//! -e read=4 ip mptcp ...`; the family id was 0x1c there.
//!
//! The events were read by `ip mptcp monitor` (same capture method, its
//! fds 3 and 4) while, in that namespace with limits `subflows 4
//! add_addr_accepted 4`, endpoints `10.0.0.2 id 1 dev lo subflow` and
//! `10.0.0.3 id 2 dev lo signal`, a Python script listened with
//! IPPROTO_MPTCP (262) on 10.0.0.1:5001, connected from 10.0.0.1:40001,
//! exchanged a few bytes, waited 1.5 s and closed both ends. The client's
//! token was 0x8bb2b330, the server's 0xc2d0d61c; the client opened a
//! subflow from 10.0.0.2 (id 1) and tried one to the announced 10.0.0.3,
//! which was refused (error 111) since nothing listened there.

/// The bytes of a capture, from its hex lines.
pub(crate) fn bytes(lines: &[&str]) -> Vec<u8> {
    let hex: String = lines.concat();
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("capture is hex"))
        .collect()
}

/// Controller reply to GETFAMILY "mptcp_pm" (family id 0x1c, groups
/// mptcp_pm_cmds 8 and mptcp_pm_events 9), read by
/// `ip mptcp endpoint show id 3`.
pub(crate) const CTRL_REPLY_MPTCP_PM: &[&str] = &[
    "68010000100000003a59026b971d0000010200000d0002006d707463705f706d",
    "00000000060001001c0000000800030001000000080004000000000008000500",
    "00000000e0000600140001000800010001000000080002001a00000014000200",
    "0800010002000000080002001a00000014000300080001000300000008000200",
    "0e000000140004000800010004000000080002001a0000001400050008000100",
    "05000000080002001a000000140006000800010006000000080002000a000000",
    "140007000800010007000000080002001a000000140008000800010008000000",
    "080002001a000000140009000800010009000000080002001a00000014000a00",
    "080001000a000000080002001a00000014000b00080001000b00000008000200",
    "1a00000044000700200001000800020008000000120001006d707463705f706d",
    "5f636d6473000000200002000800020009000000140001006d707463705f706d",
    "5f6576656e747300",
];

/// Controller reply (ENOENT, no extended ACK) to
/// `genl ctrl get name mpwan_nope`.
pub(crate) const CTRL_REPLY_MISSING: &[&str] = &[
    "3800000002000000965a026bd63d0000feffffff2400000010000500965a026b",
    "00000000030000000f0002006d7077616e5f6e6f70650000",
];

/// `ip mptcp endpoint add 10.0.0.1 id 3 dev lo subflow` (lo is ifindex 1).
pub(crate) const ADD4_REQUEST: &[&str] = &[
    "400000001c0005003b59026b00000000010100002c0001800500020003000000",
    "080006000200000008000700010000000600010002000000080003000a000001",
];

/// The kernel's ACK to ADD4_REQUEST (capped: header only).
pub(crate) const ADD4_ACK: &[&str] = &[
    "24000000020000013b59026b8b1d000000000000400000001c0005003b59026b",
    "00000000",
];

/// `ip mptcp endpoint add 10.0.0.2 id 3 dev lo subflow` while id 3 exists.
pub(crate) const ADD_DUP_ID_REQUEST: &[&str] = &[
    "400000001c0005003b59026b00000000010100002c0001800500020003000000",
    "080006000200000008000700010000000600010002000000080003000a000002",
];

/// The kernel's answer to ADD_DUP_ID_REQUEST: EBUSY (-16), the request
/// echoed in full, extended ACK "too many addresses or duplicate one: -16".
pub(crate) const ADD_DUP_ID_ERROR: &[&str] = &[
    "84000000020000023b59026b8f1d0000f0ffffff400000001c0005003b59026b",
    "00000000010100002c0001800500020003000000080006000200000008000700",
    "010000000600010002000000080003000a0000022d000100746f6f206d616e79",
    "20616464726573736573206f72206475706c6963617465206f6e653a202d3136",
    "00000000",
];

/// `ip mptcp endpoint add 2001:db8::1 port 4000 id 5 signal backup`.
pub(crate) const ADD6_REQUEST: &[&str] = &[
    "4c0000001c0005003b59026b0000000001010000380001800500020005000000",
    "080006000500000006000500a00f0000060001000a0000001400040020010db8",
    "000000000000000000000001",
];

/// `ip mptcp endpoint show id 3`.
pub(crate) const GET_REQUEST: &[&str] =
    &["200000001c0001003b59026b00000000030100000c0001800500020003000000"];

/// The kernel's reply to GET_REQUEST.
pub(crate) const GET_REPLY: &[&str] = &[
    "480000001c0000003b59026b971d000003010000340001800600010002000000",
    "0600050000000000050002000300000008000600020000000800070001000000",
    "080003000a000001",
];

/// `ip mptcp endpoint show` (a dump) with ids 3 and 5 present.
pub(crate) const DUMP_REQUEST: &[&str] = &["140000001c000103000000000000000003010000"];

/// The first datagram of the dump's answer: two messages.
pub(crate) const DUMP_REPLY: &[&str] = &[
    "480000001c000200000000009b1d000003010000340001800600010002000000",
    "0600050000000000050002000300000008000600020000000800070001000000",
    "080003000a0000014c0000001c000200000000009b1d00000301000038000180",
    "060001000a00000006000500a00f000005000200050000000800060005000000",
    "1400040020010db8000000000000000000000001",
];

/// The dump's NLMSG_DONE.
pub(crate) const DUMP_DONE: &[&str] = &["1400000003000200000000009b1d000000000000"];

/// `ip mptcp endpoint change id 3 backup`.
pub(crate) const SET_BACKUP_REQUEST: &[&str] = &[
    "280000001c0005003b59026b0000000007010000140001800500020003000000",
    "0800060004000000",
];

/// `ip mptcp endpoint change id 3 nobackup fullmesh`.
pub(crate) const SET_FULLMESH_REQUEST: &[&str] = &[
    "280000001c0005003b59026b0000000007010000140001800500020003000000",
    "0800060008000000",
];

/// `ip mptcp endpoint delete id 3`.
pub(crate) const DEL_REQUEST: &[&str] =
    &["200000001c0005003b59026b00000000020100000c0001800500020003000000"];

/// The answer to `ip mptcp endpoint delete id 3` once id 3 is gone:
/// EINVAL (-22), extended ACK "address not found" and its offset.
pub(crate) const DEL_MISSING_ERROR: &[&str] = &[
    "54000000020000023b59026bab1d0000eaffffff200000001c0005003b59026b",
    "00000000020100000c0001800500020003000000160001006164647265737320",
    "6e6f7420666f756e640000000800020014000000",
];

/// The answer to `ip mptcp endpoint change id 9 backup` (no id 9).
pub(crate) const SET_FLAGS_MISSING_ERROR: &[&str] = &[
    "5c000000020000023b59026bbb1d0000eaffffff280000001c0005003b59026b",
    "0000000007010000140001800500020009000000080006000400000016000100",
    "61646472657373206e6f7420666f756e640000000800020014000000",
];

/// `ip mptcp limits set subflows 2 add_addr_accepted 3`.
pub(crate) const SET_LIMITS_REQUEST: &[&str] = &[
    "240000001c0005003b59026b0000000005010000080002000300000008000300",
    "02000000",
];

/// `ip mptcp limits show`.
pub(crate) const GET_LIMITS_REQUEST: &[&str] = &["140000001c0001003b59026b0000000006010000"];

/// The kernel's reply to GET_LIMITS_REQUEST.
pub(crate) const GET_LIMITS_REPLY: &[&str] = &[
    "240000001c0000003b59026bb71d000006010000080002000300000008000300",
    "02000000",
];

/// Event `listener_created` (see the module comment).
pub(crate) const EV_LISTENER_CREATED: &[&str] = &[
    "2c0000001c00000000000000000000000f010000060002000200000006000900",
    "13890000080005000a000001",
];

/// Event `created_client` (see the module comment).
pub(crate) const EV_CREATED_CLIENT: &[&str] = &[
    "540000001c0000000000000000000000010100000800010030b3b28b06000200",
    "02000000080005000a000001080007000a000001060009009c41000006000a00",
    "1389000005000300000000000500040000000000",
];

/// Event `created_server` (see the module comment).
pub(crate) const EV_CREATED_SERVER: &[&str] = &[
    "640000001c000000000000000000000001010000080001001cd6d0c205001200",
    "0100000006000d00020000000600020002000000080005000a00000108000700",
    "0a000001060009001389000006000a009c410000050003000000000005000400",
    "00000000",
];

/// Event `established_server` (see the module comment).
pub(crate) const EV_ESTABLISHED_SERVER: &[&str] = &[
    "640000001c000000000000000000000002010000080001001cd6d0c205001200",
    "0100000006000d00020000000600020002000000080005000a00000108000700",
    "0a000001060009001389000006000a009c410000050003000000000005000400",
    "00000000",
];

/// Event `established_client` (see the module comment).
pub(crate) const EV_ESTABLISHED_CLIENT: &[&str] = &[
    "540000001c0000000000000000000000020100000800010030b3b28b06000200",
    "02000000080005000a000001080007000a000001060009009c41000006000a00",
    "1389000005000300000000000500040000000000",
];

/// Event `announced_client` (see the module comment).
pub(crate) const EV_ANNOUNCED_CLIENT: &[&str] = &[
    "340000001c0000000000000000000000060100000800010030b3b28b05000400",
    "0200000006000a0013890000080007000a000003",
];

/// Event `announced_server` (see the module comment).
pub(crate) const EV_ANNOUNCED_SERVER: &[&str] = &[
    "340000001c000000000000000000000006010000080001001cd6d0c205000400",
    "0200000006000a009c410000080007000a000003",
];

/// Event `sub_established_client` (see the module comment).
pub(crate) const EV_SUB_ESTABLISHED_CLIENT: &[&str] = &[
    "640000001c00000000000000000000000a0100000800010030b3b28b06000200",
    "02000000080005000a000002080007000a0000010600090086ab000006000a00",
    "138900000500030001000000050004000000000005000b000000000008000f00",
    "01000000",
];

/// Event `sub_established_server` (see the module comment).
pub(crate) const EV_SUB_ESTABLISHED_SERVER: &[&str] = &[
    "5c0000001c00000000000000000000000a010000080001001cd6d0c206000200",
    "02000000080005000a000001080007000a000002060009001389000006000a00",
    "86ab00000500030000000000050004000100000005000b0000000000",
];

/// Event `sub_closed_client` (see the module comment).
pub(crate) const EV_SUB_CLOSED_CLIENT: &[&str] = &[
    "640000001c00000000000000000000000b0100000800010030b3b28b06000200",
    "02000000080005000a000003080007000a00000306000900dbef000006000a00",
    "138900000500030002000000050004000200000005000b000000000005000c00",
    "6f000000",
];

/// Event `closed_client` (see the module comment).
pub(crate) const EV_CLOSED_CLIENT: &[&str] =
    &["1c0000001c0000000000000000000000030100000800010030b3b28b"];

/// Event `closed_server` (see the module comment).
pub(crate) const EV_CLOSED_SERVER: &[&str] =
    &["1c0000001c000000000000000000000003010000080001001cd6d0c2"];

/// Event `listener_closed` (see the module comment).
pub(crate) const EV_LISTENER_CLOSED: &[&str] = &[
    "2c0000001c000000000000000000000010010000060002000200000006000900",
    "13890000080005000a000001",
];
