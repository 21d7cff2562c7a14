//! Splitting a story that has grown over two events: average-link clustering of its kept
//! members, run now and then as the story grows.
//!
//! An online engine decides for each article once, with what it knows then; one article
//! that resembles two look-alike events can bridge them, and the rest of the second event
//! follows. Average link over all pairs of members is not fooled by a single bridge, so
//! when it finds groups whose members are, on average, too unlike each other to have
//! joined, the story splits.

/// Groups of members (indices into the `m` members whose pairwise similarities `sims`
/// holds row-major) under average link, joined while the average similarity between two
/// groups is at least `bar`; each group lists its members in order, the group of member 0
/// first.
///
/// Each step joins the pair of groups with the highest average (the first such pair in
/// row order). Every group remembers its best partner among the groups after it, so a step
/// rescans only the rows a join touched, not all pairs.
pub(crate) fn average_link(sims: &[f32], m: usize, bar: f32) -> Vec<Vec<usize>> {
    debug_assert_eq!(sims.len(), m * m);
    let mut link = Linkage::new(sims, m);
    let mut best: Vec<Option<(usize, f32)>> = (0..m).map(|a| link.row_best(a)).collect();
    loop {
        let mut top: Option<(usize, usize, f32)> = None;
        for &a in &link.live {
            if let Some((b, avg)) = best[a] {
                if top.is_none_or(|(_, _, x)| avg > x) {
                    top = Some((a, b, avg));
                }
            }
        }
        let Some((a, b, _)) = top.filter(|(_, _, avg)| *avg >= bar) else {
            break;
        };
        link.join(a, b);
        best[b] = None;
        best[a] = link.row_best(a);
        for &c in link.live.iter().take_while(|c| **c < b) {
            if c == a {
                continue;
            }
            best[c] = match best[c] {
                // Its best partner grew or went: look again.
                Some((d, _)) if d == a || d == b => link.row_best(c),
                // Only its average with `a` changed (rows before `a`).
                Some((d, x)) if c < a => {
                    let y = link.avg(c, a);
                    if y > x || (y == x && a < d) {
                        Some((a, y))
                    } else {
                        Some((d, x))
                    }
                }
                None if c < a => link.row_best(c),
                other => other,
            };
        }
    }
    link.groups()
}

/// How far above the bar every pair must be for [`surely_one_group`]: room for the rounding
/// of the sums that averages are taken from (at most a few hundred terms, each off by 2^-24
/// of the sum).
const ONE_GROUP_MARGIN: f32 = 1.001;

/// Whether [`average_link`] is sure to end with one group at `bar` (positive): every pair
/// is above it, so every average of pairs is too. Most split checks find this, and it
/// costs one pass over the pairs instead of the clustering.
pub(crate) fn surely_one_group(sims: &[f32], bar: f32) -> bool {
    let floor = bar * ONE_GROUP_MARGIN;
    bar > 0.0 && sims.iter().all(|s| *s >= floor)
}

/// The state of an average-link clustering: groups, and sums of similarities between
/// groups (kept for live groups only). A group is a chain of its members through `next`,
/// from the member that names it: a join links two chains, with nothing to allocate.
struct Linkage {
    m: usize,
    sum: Vec<f32>,
    /// The live groups, ascending: the scans skip the groups already joined into others.
    live: Vec<usize>,
    /// Members per group (0 once joined into another).
    size: Vec<usize>,
    /// The next member of the same group, and each group's last member.
    next: Vec<Option<usize>>,
    last: Vec<usize>,
}

impl Linkage {
    /// Every member a group of its own.
    fn new(sims: &[f32], m: usize) -> Self {
        Linkage {
            m,
            sum: sims.to_vec(),
            live: (0..m).collect(),
            size: vec![1; m],
            next: vec![None; m],
            last: (0..m).collect(),
        }
    }

    /// The live groups, each listing its members in order, the group of member 0 first.
    fn groups(&self) -> Vec<Vec<usize>> {
        let mut out: Vec<Vec<usize>> = self
            .live
            .iter()
            .map(|&g| {
                let mut members = Vec::with_capacity(self.size[g]);
                let mut at = Some(g);
                while let Some(i) = at {
                    members.push(i);
                    at = self.next[i];
                }
                members.sort_unstable();
                members
            })
            .collect();
        out.sort_unstable_by_key(|g| g[0]);
        out
    }

    /// The average similarity between groups `a` and `b`.
    fn avg(&self, a: usize, b: usize) -> f32 {
        self.sum[a * self.m + b] / (self.size[a] * self.size[b]) as f32
    }

    /// The first live group after `a` with the highest average with it, if any.
    fn row_best(&self, a: usize) -> Option<(usize, f32)> {
        let after = self.live.partition_point(|b| *b <= a);
        let mut best: Option<(usize, f32)> = None;
        for &b in &self.live[after..] {
            let avg = self.avg(a, b);
            if best.is_none_or(|(_, x)| avg > x) {
                best = Some((b, avg));
            }
        }
        best
    }

    /// Moves group `b` into group `a`, adding up their sums with every other live group.
    fn join(&mut self, a: usize, b: usize) {
        let m = self.m;
        self.next[self.last[a]] = Some(b);
        self.last[a] = self.last[b];
        self.size[a] += std::mem::take(&mut self.size[b]);
        if let Ok(i) = self.live.binary_search(&b) {
            self.live.remove(i);
        }
        for &c in &self.live {
            if c != a {
                let s = self.sum[a * m + c] + self.sum[b * m + c];
                self.sum[a * m + c] = s;
                self.sum[c * m + a] = s;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matrix(m: usize, f: impl Fn(usize, usize) -> f32) -> Vec<f32> {
        (0..m * m)
            .map(|k| {
                let (i, j) = (k / m, k % m);
                if i == j { 1.0 } else { f(i.min(j), i.max(j)) }
            })
            .collect()
    }

    #[test]
    fn a_single_bridge_does_not_hold_two_groups_together() {
        // Members 0-2 and 3-5 are two tight groups; 2 and 3 are alike enough that 3 once
        // joined through 2 (the bridge).
        let sims = matrix(6, |i, j| match (i < 3, j < 3) {
            (true, true) | (false, false) => 0.6,
            _ if (i, j) == (2, 3) => 0.3,
            _ => 0.05,
        });
        assert_eq!(
            average_link(&sims, 6, 0.3),
            vec![vec![0, 1, 2], vec![3, 4, 5]]
        );
        assert_eq!(average_link(&sims, 6, 0.01), vec![vec![0, 1, 2, 3, 4, 5]]);
    }

    /// The plain algorithm: every step scans all pairs of live groups (and keeps the
    /// groups' members in lists of its own).
    fn naive(sims: &[f32], m: usize, bar: f32) -> Vec<Vec<usize>> {
        let mut link = Linkage::new(sims, m);
        let mut groups: Vec<Vec<usize>> = (0..m).map(|i| vec![i]).collect();
        loop {
            let mut best: Option<(usize, usize, f32)> = None;
            for a in (0..m).filter(|a| link.size[*a] > 0) {
                for b in ((a + 1)..m).filter(|b| link.size[*b] > 0) {
                    let avg = link.avg(a, b);
                    if best.is_none_or(|(_, _, x)| avg > x) {
                        best = Some((a, b, avg));
                    }
                }
            }
            match best {
                Some((a, b, avg)) if avg >= bar => {
                    link.join(a, b);
                    let moved = std::mem::take(&mut groups[b]);
                    groups[a].extend(moved);
                }
                _ => break,
            }
        }
        let mut out: Vec<Vec<usize>> = groups.into_iter().filter(|g| !g.is_empty()).collect();
        out.iter_mut().for_each(|g| g.sort_unstable());
        out.sort_unstable_by_key(|g| g[0]);
        out
    }

    #[test]
    fn joins_the_same_groups_as_scanning_every_pair() {
        let mut rng = fastrand::Rng::with_seed(7);
        for round in 0..300 {
            let m = 2 + round % 40;
            // Coarse values, so that ties between pairs are common.
            let cells: Vec<f32> = (0..m * m).map(|_| rng.u8(..8) as f32 / 8.0).collect();
            let sims = matrix(m, |i, j| cells[i * m + j]);
            for bar in [0.1, 0.3, 0.5] {
                assert_eq!(average_link(&sims, m, bar), naive(&sims, m, bar));
            }
        }
    }

    #[test]
    fn a_story_whose_pairs_all_clear_the_bar_is_surely_one_group() {
        let mut rng = fastrand::Rng::with_seed(11);
        let (mut sure, mut unsure) = (0, 0);
        for round in 0..300 {
            let m = 2 + round % 48;
            let cells: Vec<f32> = (0..m * m).map(|_| 0.2 + rng.f32() * 0.8).collect();
            let sims = matrix(m, |i, j| cells[i * m + j]);
            for bar in [0.15, 0.2, 0.2002, 0.3] {
                if surely_one_group(&sims, bar) {
                    sure += 1;
                    assert_eq!(
                        average_link(&sims, m, bar),
                        vec![(0..m).collect::<Vec<_>>()]
                    );
                } else {
                    unsure += 1;
                }
            }
        }
        assert!(sure > 300 && unsure > 300, "{sure} {unsure}");
        // Exactly at the bar is left to the clustering, as are bars of 0 or less.
        assert!(!surely_one_group(&matrix(3, |_, _| 0.5), 0.5));
        assert!(!surely_one_group(&matrix(3, |_, _| 0.5), 0.0));
    }

    #[test]
    fn nothing_clears_a_bar_above_every_link() {
        let sims = matrix(3, |_, _| 0.2);
        assert_eq!(average_link(&sims, 3, 0.5).len(), 3);
    }
}
