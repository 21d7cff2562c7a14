//! The window's expiry order: what the engine filed, by the time it leaves the window.
//!
//! Articles and story updates arrive nearly in time order, so most entries go to the back of
//! a sorted queue and leave from its front, one step each and in memory order; the few that
//! arrive late (a feed's older items) wait in a heap beside it. Entries leave in exactly the
//! order one heap of all of them would give.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

/// A min-queue of `(time, key)` entries, cheapest when pushed in order.
#[derive(Debug, Default)]
pub(crate) struct ExpiryQueue {
    /// Entries pushed in order, smallest at the front.
    sorted: VecDeque<(i64, u64)>,
    /// Entries smaller than the back of `sorted` when pushed.
    late: BinaryHeap<Reverse<(i64, u64)>>,
}

impl ExpiryQueue {
    /// Adds an entry.
    pub fn push(&mut self, time: i64, key: u64) {
        let entry = (time, key);
        if self.sorted.back().is_none_or(|last| *last <= entry) {
            self.sorted.push_back(entry);
        } else {
            self.late.push(Reverse(entry));
        }
    }

    /// Removes and returns the smallest entry if its time is before `cutoff`.
    pub fn pop_before(&mut self, cutoff: i64) -> Option<(i64, u64)> {
        let front = self.sorted.front().copied();
        let late = self.late.peek().map(|Reverse(e)| *e);
        let from_late = late.is_some_and(|l| front.is_none_or(|f| l < f));
        let next = if from_late { late } else { front }?;
        if next.0 >= cutoff {
            return None;
        }
        if from_late {
            self.late.pop();
        } else {
            self.sorted.pop_front();
        }
        Some(next)
    }

    /// Number of entries held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.sorted.len() + self.late.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_leave_in_the_order_of_one_heap() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mut queue = ExpiryQueue::default();
        let mut heap = BinaryHeap::new();
        let mut clock = 0i64;
        for key in 0..20_000u64 {
            // Mostly forward in time, sometimes late by up to an hour, with equal times.
            clock += rng.i64(0..30);
            let time = if rng.u8(..10) == 0 {
                clock - rng.i64(0..3_600)
            } else {
                clock
            };
            // Keys repeat now and then (a story updated twice at one time).
            let key = if rng.u8(..20) == 0 { key / 2 } else { key };
            queue.push(time, key);
            heap.push(Reverse((time, key)));
            if rng.u8(..4) == 0 {
                let cutoff = clock - rng.i64(0..7_200);
                let mut ours = Vec::new();
                while let Some(e) = queue.pop_before(cutoff) {
                    ours.push(e);
                }
                let mut theirs = Vec::new();
                while heap.peek().is_some_and(|Reverse(e)| e.0 < cutoff) {
                    theirs.extend(heap.pop().map(|Reverse(e)| e));
                }
                assert_eq!(ours, theirs, "cutoff {cutoff} after key {key}");
                assert_eq!(queue.len(), heap.len());
            }
        }
        assert_eq!(queue.pop_before(i64::MAX).is_some(), !heap.is_empty());
    }

    #[test]
    fn an_empty_queue_gives_nothing() {
        let mut queue = ExpiryQueue::default();
        assert_eq!(queue.pop_before(i64::MAX), None);
        queue.push(5, 1);
        assert_eq!(queue.pop_before(5), None);
        assert_eq!(queue.pop_before(6), Some((5, 1)));
        assert_eq!(queue.len(), 0);
    }
}
