//! A model of the kernel's path manager, and a harness that runs the
//! reconciler against it in virtual time.

use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use crate::endpoint::Endpoint;
use crate::event::{PmEvent, Subflow};
use crate::flags::EndpointFlags;
use crate::reconcile::{
    Action, Event, FailureKind, Family, OpFailure, ReconcileParams, Reconciler, SlotInput,
    SlotSpec, SlotStatus, Usable,
};

pub const SUBFLOW: EndpointFlags = EndpointFlags::SUBFLOW;
pub const BACKUP: EndpointFlags = EndpointFlags::BACKUP;
pub const SEC: Duration = Duration::from_secs(1);

/// The path manager as the reconciler sees it through a driver.
#[derive(Debug, Default)]
pub struct Model {
    pub endpoints: BTreeMap<u8, Endpoint>,
    /// Every operation fails with this while set (nothing changes).
    pub refuse: Option<OpFailure>,
    /// Adds fail with this while set.
    pub refuse_adds: Option<OpFailure>,
    /// Deletes fail with this while set.
    pub refuse_deletes: Option<OpFailure>,
    /// SET_LIMITS fails with this while set.
    pub refuse_limits: Option<OpFailure>,
}

impl Model {
    pub fn answer(&mut self, action: &Action) -> Event {
        let op = action.op();
        let refusal = match action {
            Action::Add { .. } => self.refuse_adds.as_ref(),
            Action::Delete { .. } => self.refuse_deletes.as_ref(),
            Action::SetLimits { .. } => self.refuse_limits.as_ref(),
            _ => None,
        };
        if let Some(failure) = self.refuse.as_ref().or(refusal) {
            return Event::Done {
                op,
                result: Err(failure.clone()),
            };
        }
        let result = match action {
            Action::SetLimits { .. } => Ok(()),
            Action::Dump { .. } => {
                return Event::Dumped {
                    op,
                    endpoints: self.endpoints.values().cloned().collect(),
                };
            }
            Action::Add { endpoint, .. } => self.add(endpoint),
            // The client reports a missing id as success.
            Action::Delete { id, .. } => {
                self.endpoints.remove(id);
                Ok(())
            }
            Action::SetFlags { id, flags, .. } => match self.endpoints.get_mut(id) {
                Some(e) => {
                    let c = EndpointFlags::CHANGEABLE;
                    e.flags = (e.flags & !c) | (*flags & c);
                    Ok(())
                }
                None => Err(OpFailure::new(FailureKind::NotFound, "no such endpoint")),
            },
        };
        Event::Done { op, result }
    }

    fn add(&mut self, ep: &Endpoint) -> Result<(), OpFailure> {
        if self.endpoints.contains_key(&ep.id) {
            return Err(OpFailure::new(FailureKind::Exists, "EBUSY: id in use"));
        }
        if self
            .endpoints
            .values()
            .any(|e| e.addr == ep.addr && e.port.is_none())
        {
            return Err(OpFailure::new(
                FailureKind::Exists,
                "EEXIST: address in use",
            ));
        }
        self.endpoints.insert(ep.id, ep.clone());
        Ok(())
    }

    /// `ip mptcp endpoint show`, roughly: `id addr flags dev`.
    pub fn show(&self) -> Vec<String> {
        self.endpoints
            .values()
            .map(|e| format!("{} {} [{}] dev {:?}", e.id, e.addr, e.flags, e.ifindex))
            .collect()
    }
}

pub struct Harness {
    pub r: Reconciler,
    pub t0: Instant,
    pub now: Instant,
    pub kernel: Model,
}

impl Harness {
    pub fn new(slots: Vec<SlotSpec>, params: ReconcileParams) -> Harness {
        // Any instant will do as the origin of virtual time.
        let t0 = tokio::time::Instant::now().into_std();
        Harness {
            r: Reconciler::new(slots, params, t0).expect("valid slots"),
            t0,
            now: t0,
            kernel: Model::default(),
        }
    }

    /// Two IPv4 slots, "a" (id 1, 10.0.1.1 dev 11) and "b" (id 2,
    /// 10.0.2.1 dev 12), with `subflow`; the default parameters.
    pub fn two() -> Harness {
        Harness::new(
            vec![spec("a", 1, Family::V4), spec("b", 2, Family::V4)],
            ReconcileParams::default(),
        )
    }

    /// Handles `event` and returns its actions, without answering them.
    pub fn raw(&mut self, event: Event) -> Vec<Action> {
        self.r.handle(event, self.now)
    }

    /// Handles `event`, then answers every action from the model until
    /// none is left; returns every action, in order.
    pub fn settle(&mut self, event: Event) -> Vec<Action> {
        let mut all = Vec::new();
        // As the driver does: answers queue up behind the events before them.
        let mut queue = VecDeque::from([event]);
        while let Some(event) = queue.pop_front() {
            let actions = self.r.handle(event, self.now);
            for a in &actions {
                queue.push_back(self.kernel.answer(a));
            }
            all.extend(actions);
            assert!(all.len() < 1000, "the reconciler loops: {all:?}");
        }
        all
    }

    /// Lets virtual time run to `t0 + at`, ticking at every deadline on
    /// the way; returns the actions with the time (since `t0`) of each.
    pub fn run_to(&mut self, at: Duration) -> Vec<(Duration, Action)> {
        let end = self.t0 + at;
        let mut all = Vec::new();
        while let Some(d) = self.r.next_deadline().filter(|d| *d <= end) {
            assert!(
                d >= self.now,
                "a deadline in the past: the driver would spin"
            );
            self.now = d;
            let since = self.now - self.t0;
            all.extend(self.settle(Event::Tick).into_iter().map(|a| (since, a)));
            assert!(all.len() < 1000, "the reconciler loops: {all:?}");
        }
        self.now = end;
        all
    }

    /// Starts the reconciler and settles: limits (if any), dump, adds.
    pub fn start(&mut self) -> Vec<Action> {
        assert_eq!(self.r.next_deadline(), Some(self.t0));
        self.settle(Event::Tick)
    }

    pub fn status(&self, key: &str) -> SlotStatus {
        self.r
            .snapshot()
            .into_iter()
            .find(|s| s.key == key)
            .expect("slot in snapshot")
    }

    pub fn pm(&mut self, event: PmEvent) -> Vec<Action> {
        self.settle(Event::Pm(event))
    }
}

pub fn spec(key: &str, id: u8, family: Family) -> SlotSpec {
    SlotSpec {
        key: key.into(),
        id,
        family,
        base_flags: SUBFLOW,
    }
}

pub fn addr_of(key: &str) -> IpAddr {
    match key {
        "a" => IpAddr::from([10, 0, 1, 1]),
        "b" => IpAddr::from([10, 0, 2, 1]),
        _ => "2001:db8::1".parse().expect("address"),
    }
}

pub fn dev_of(key: &str) -> u32 {
    match key {
        "a" => 11,
        "b" => 12,
        _ => 13,
    }
}

pub fn input(key: &str, usable: Usable) -> Event {
    Event::SlotChanged(SlotInput {
        key: key.into(),
        usable,
        addr: Some(addr_of(key)),
        ifindex: Some(dev_of(key)),
    })
}

/// The endpoint slot `key` of [`Harness::two`] wants with `flags`.
pub fn endpoint(key: &str, id: u8, flags: EndpointFlags) -> Endpoint {
    Endpoint {
        ifindex: Some(dev_of(key)),
        ..Endpoint::new(id, addr_of(key), flags)
    }
}

/// A subflow of connection `token` from `local` (with local id `id`) to
/// 192.0.2.80:80, failed with `error` if given.
pub fn subflow(token: u32, local: IpAddr, port: u16, id: u8, error: Option<u8>) -> Subflow {
    Subflow {
        token,
        local_id: id,
        remote_id: 0,
        local: SocketAddr::new(local, port),
        remote: SocketAddr::from(([192, 0, 2, 80], 80)),
        backup: false,
        ifindex: None,
        error,
        reset_reason: None,
        reset_flags: None,
    }
}

/// Only the changes (add, delete, set_flags) of `actions`, as text.
pub fn changes(actions: &[Action]) -> Vec<String> {
    actions.iter().filter_map(change).collect()
}

pub fn change(a: &Action) -> Option<String> {
    match a {
        Action::Add { endpoint, .. } => Some(format!(
            "add {} {} [{}]",
            endpoint.id, endpoint.addr, endpoint.flags
        )),
        Action::Delete { id, .. } => Some(format!("delete {id}")),
        Action::SetFlags { id, flags, .. } => Some(format!("set_flags {id} [{flags}]")),
        Action::SetLimits { .. } | Action::Dump { .. } => None,
    }
}

pub fn dumps(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Dump { .. }))
        .count()
}
