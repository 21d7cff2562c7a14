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
pub(crate) fn average_link(sims: &[f32], m: usize, bar: f32) -> Vec<Vec<usize>> {
    debug_assert_eq!(sims.len(), m * m);
    let mut groups: Vec<Vec<usize>> = (0..m).map(|i| vec![i]).collect();
    // Sum of similarities between groups a and b, kept for live groups only.
    let mut sum: Vec<f32> = sims.to_vec();
    let mut live: Vec<bool> = vec![true; m];
    loop {
        let mut best: Option<(usize, usize, f32)> = None;
        for a in 0..m {
            if !live[a] {
                continue;
            }
            for b in (a + 1)..m {
                if !live[b] {
                    continue;
                }
                let avg = sum[a * m + b] / (groups[a].len() * groups[b].len()) as f32;
                if best.is_none_or(|(_, _, x)| avg > x) {
                    best = Some((a, b, avg));
                }
            }
        }
        let Some((a, b, avg)) = best.filter(|(_, _, avg)| *avg >= bar) else {
            break;
        };
        debug_assert!(avg >= bar);
        let moved = std::mem::take(&mut groups[b]);
        groups[a].extend(moved);
        live[b] = false;
        for c in 0..m {
            if live[c] && c != a {
                let s = sum[a * m + c] + sum[b * m + c];
                sum[a * m + c] = s;
                sum[c * m + a] = s;
            }
        }
    }
    let mut out: Vec<Vec<usize>> = groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|mut g| {
            g.sort_unstable();
            g
        })
        .collect();
    out.sort_unstable_by_key(|g| g[0]);
    out
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

    #[test]
    fn nothing_clears_a_bar_above_every_link() {
        let sims = matrix(3, |_, _| 0.2);
        assert_eq!(average_link(&sims, 3, 0.5).len(), 3);
    }
}
