//! One shared copy per distinct attribute set. A full table has hundreds
//! of thousands of prefixes but far fewer attribute sets, so each route
//! holds an `Arc` to the set's single copy.

use std::collections::HashSet;
use std::sync::Arc;

use super::RouteAttrs;

/// The distinct attribute sets in use by one Adj-RIB-In.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    /// Each set once; routes hold clones of these `Arc`s.
    set: HashSet<Arc<RouteAttrs>>,
}

impl Interner {
    /// The shared copy of `attrs`, made if new.
    pub fn intern(&mut self, attrs: RouteAttrs) -> Arc<RouteAttrs> {
        if let Some(a) = self.set.get(&attrs) {
            return Arc::clone(a);
        }
        let a = Arc::new(attrs);
        self.set.insert(Arc::clone(&a));
        a
    }

    /// A route let go of `attrs`: forget the set when nothing else uses it.
    /// Sets still held outside the RIB are left for `sweep`.
    pub fn release(&mut self, attrs: Arc<RouteAttrs>) {
        // This handle and the interner's own: nobody else.
        if Arc::strong_count(&attrs) == 2
            && self
                .set
                .get(&*attrs)
                .is_some_and(|a| Arc::ptr_eq(a, &attrs))
        {
            self.set.remove(&*attrs);
        }
    }

    /// Forgets every set no route uses any more.
    pub fn sweep(&mut self) {
        self.set.retain(|a| Arc::strong_count(a) > 1);
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<RouteAttrs>> {
        self.set.iter()
    }

    /// The hash table's own memory (its slots), roughly.
    pub fn table_bytes(&self) -> usize {
        // hashbrown keeps one control byte per slot and at most 7/8 full.
        let slots = self.set.capacity().saturating_mul(8) / 7;
        slots.saturating_mul(size_of::<Arc<RouteAttrs>>() + 1)
    }
}
