//! Live subflows per slot, counted from path-manager events.
//!
//! Each subflow is remembered by connection token and its two addresses, so
//! a repeated event counts once and a close of a subflow never seen (a join
//! that failed) takes nothing away. The table is capped: at
//! `max_connections` the oldest connection is forgotten, and its subflows
//! no longer count, so a busy server cannot grow memory without bound.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;

/// More subflows than this per connection are not the kernel's (it opens
/// at most 8 extra); they are not remembered.
const MAX_SUBFLOWS_PER_CONNECTION: usize = 16;

/// One subflow remembered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sub {
    pub local: SocketAddr,
    pub remote: SocketAddr,
    /// The slot (index) whose address the subflow uses.
    pub slot: usize,
    /// Our own delete of the slot's endpoint is closing it: its close is
    /// not a path failure.
    pub doomed: bool,
}

#[derive(Debug)]
struct Connection {
    /// Insertion order, to find the oldest.
    age: u64,
    subs: Vec<Sub>,
}

#[derive(Debug)]
pub(crate) struct SubflowTable {
    cap: usize,
    connections: HashMap<u32, Connection>,
    /// age -> token, oldest first.
    by_age: BTreeMap<u64, u32>,
    next_age: u64,
    /// Live subflows per slot.
    counts: Vec<u32>,
    /// Connections forgotten because the table was full.
    evicted: u64,
}

impl SubflowTable {
    pub fn new(slots: usize, cap: usize) -> SubflowTable {
        SubflowTable {
            cap,
            connections: HashMap::new(),
            by_age: BTreeMap::new(),
            next_age: 0,
            counts: vec![0; slots],
            evicted: 0,
        }
    }

    pub fn count(&self, slot: usize) -> u32 {
        self.counts.get(slot).copied().unwrap_or(0)
    }

    pub fn connections(&self) -> usize {
        self.connections.len()
    }

    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// A subflow of connection `token` is established on `slot`.
    pub fn insert(&mut self, token: u32, local: SocketAddr, remote: SocketAddr, slot: usize) {
        if self.cap == 0 {
            return;
        }
        if !self.connections.contains_key(&token) {
            while self.connections.len() >= self.cap {
                if !self.evict_oldest() {
                    return;
                }
            }
            let age = self.next_age;
            self.next_age = self.next_age.wrapping_add(1);
            self.by_age.insert(age, token);
            self.connections.insert(
                token,
                Connection {
                    age,
                    subs: Vec::new(),
                },
            );
        }
        let Some(conn) = self.connections.get_mut(&token) else {
            return;
        };
        if conn.subs.len() >= MAX_SUBFLOWS_PER_CONNECTION
            || conn
                .subs
                .iter()
                .any(|s| s.local == local && s.remote == remote)
        {
            return;
        }
        conn.subs.push(Sub {
            local,
            remote,
            slot,
            doomed: false,
        });
        if let Some(c) = self.counts.get_mut(slot) {
            *c = c.saturating_add(1);
        }
    }

    /// A subflow closed; returns it if it was remembered.
    pub fn remove(&mut self, token: u32, local: SocketAddr, remote: SocketAddr) -> Option<Sub> {
        let conn = self.connections.get_mut(&token)?;
        let at = conn
            .subs
            .iter()
            .position(|s| s.local == local && s.remote == remote)?;
        let sub = conn.subs.swap_remove(at);
        self.uncount(sub.slot);
        Some(sub)
    }

    /// A connection closed: all its subflows are gone.
    pub fn remove_connection(&mut self, token: u32) {
        if let Some(conn) = self.connections.remove(&token) {
            self.by_age.remove(&conn.age);
            for sub in conn.subs {
                self.uncount(sub.slot);
            }
        }
    }

    /// Our delete of `slot`'s endpoint will close every subflow on it.
    pub fn doom(&mut self, slot: usize) {
        for conn in self.connections.values_mut() {
            for sub in conn.subs.iter_mut().filter(|s| s.slot == slot) {
                sub.doomed = true;
            }
        }
    }

    fn evict_oldest(&mut self) -> bool {
        let Some((_, token)) = self.by_age.pop_first() else {
            return false;
        };
        if let Some(conn) = self.connections.remove(&token) {
            for sub in conn.subs {
                self.uncount(sub.slot);
            }
        }
        self.evicted = self.evicted.saturating_add(1);
        true
    }

    fn uncount(&mut self, slot: usize) {
        if let Some(c) = self.counts.get_mut(slot) {
            *c = c.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(last: u8, port: u16) -> SocketAddr {
        SocketAddr::from(([10, 0, 0, last], port))
    }

    #[test]
    fn counts_once_and_never_below_zero() {
        let mut t = SubflowTable::new(2, 10);
        t.insert(1, sa(1, 1000), sa(9, 80), 0);
        t.insert(1, sa(1, 1000), sa(9, 80), 0);
        assert_eq!(t.count(0), 1);
        assert!(t.remove(1, sa(1, 1000), sa(9, 80)).is_some());
        assert!(t.remove(1, sa(1, 1000), sa(9, 80)).is_none());
        assert!(t.remove(7, sa(1, 1000), sa(9, 80)).is_none());
        assert_eq!(t.count(0), 0);
        assert_eq!(t.count(5), 0, "an unknown slot counts nothing");
    }

    #[test]
    fn the_oldest_connection_goes_when_full() {
        let mut t = SubflowTable::new(1, 2);
        t.insert(1, sa(1, 1), sa(9, 80), 0);
        t.insert(2, sa(1, 2), sa(9, 80), 0);
        t.insert(2, sa(1, 3), sa(9, 80), 0);
        t.insert(3, sa(1, 4), sa(9, 80), 0);
        assert_eq!(t.connections(), 2);
        assert_eq!(t.evicted(), 1);
        assert_eq!(t.count(0), 3);
        t.remove_connection(2);
        assert_eq!(t.count(0), 1);
        t.remove_connection(1); // already evicted: nothing happens
        assert_eq!(t.count(0), 1);

        let mut none = SubflowTable::new(1, 0);
        none.insert(1, sa(1, 1), sa(9, 80), 0);
        assert_eq!((none.connections(), none.count(0)), (0, 0));
    }

    #[test]
    fn a_connection_holds_a_bounded_number_of_subflows() {
        let mut t = SubflowTable::new(1, 4);
        for port in 0..100 {
            t.insert(1, sa(1, port), sa(9, 80), 0);
        }
        assert_eq!(t.count(0), 16);
    }
}
