//! Constrained clustering of match edges into persons.
//!
//! Edges are taken strongest first (ties in record order, so the result never depends on input
//! order). Two groups are never joined when they hold different valid citizen IDs, or when a clerk
//! rejected a pair between them; such a refused edge is returned so a later incremental run knows
//! the groups touch.

use rustc_hash::FxHashMap;

/// A candidate link between two records (global record indices).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    pub a: u32,
    pub b: u32,
    /// Match weight; `f64::INFINITY` for a clerk's accepted pair.
    pub weight: f64,
}

/// Why an edge was not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    DifferentValidIds,
    RejectedByReviewer,
}

pub struct Clustering {
    /// For each node (index into the `nodes` slice given), the index of its group's first node.
    pub group_of: Vec<u32>,
    /// Edges refused by a constraint.
    pub refused: Vec<(Edge, Refusal)>,
}

struct Group {
    valid_id: Option<[u8; 18]>,
    cannot: Vec<u32>,
}

/// Clusters `nodes` (global record indices) using `edges` between them.
///
/// `valid_id(node)` gives the record's valid citizen ID; `cannot_link` lists pairs (global indices)
/// a reviewer rejected.
pub fn cluster(
    nodes: &[u32],
    mut edges: Vec<Edge>,
    valid_id: impl Fn(u32) -> Option<[u8; 18]>,
    cannot_link: &[(u32, u32)],
) -> Clustering {
    let local: FxHashMap<u32, u32> = nodes
        .iter()
        .enumerate()
        .map(|(i, &n)| (n, i as u32))
        .collect();
    let n = nodes.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut groups: Vec<Group> = nodes
        .iter()
        .map(|&node| Group {
            valid_id: valid_id(node),
            cannot: Vec::new(),
        })
        .collect();
    for &(x, y) in cannot_link {
        if let (Some(&lx), Some(&ly)) = (local.get(&x), local.get(&y)) {
            groups[lx as usize].cannot.push(ly);
            groups[ly as usize].cannot.push(lx);
        }
    }
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let next = parent[x as usize];
            parent[x as usize] = parent[next as usize];
            x = next;
        }
        x
    }
    edges.sort_by(|p, q| {
        q.weight
            .total_cmp(&p.weight)
            .then((p.a.min(p.b), p.a.max(p.b)).cmp(&(q.a.min(q.b), q.a.max(q.b))))
    });
    let mut refused = Vec::new();
    for edge in edges {
        let (Some(&la), Some(&lb)) = (local.get(&edge.a), local.get(&edge.b)) else {
            continue;
        };
        let ra = find(&mut parent, la);
        let rb = find(&mut parent, lb);
        if ra == rb {
            continue;
        }
        if let (Some(x), Some(y)) = (groups[ra as usize].valid_id, groups[rb as usize].valid_id) {
            if x != y {
                refused.push((edge, Refusal::DifferentValidIds));
                continue;
            }
        }
        let blocked = groups[ra as usize]
            .cannot
            .clone()
            .into_iter()
            .any(|c| find(&mut parent, c) == rb);
        if blocked {
            refused.push((edge, Refusal::RejectedByReviewer));
            continue;
        }
        // Join the smaller root under the larger index-stable one (the smaller local index).
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[gone as usize] = keep;
        let moved = std::mem::replace(
            &mut groups[gone as usize],
            Group {
                valid_id: None,
                cannot: Vec::new(),
            },
        );
        let kept = &mut groups[keep as usize];
        kept.valid_id = kept.valid_id.or(moved.valid_id);
        kept.cannot.extend(moved.cannot);
    }
    // Name each group by its first node.
    let mut first: FxHashMap<u32, u32> = FxHashMap::default();
    let mut group_of = Vec::with_capacity(n);
    for i in 0..n as u32 {
        let root = find(&mut parent, i);
        let f = *first.entry(root).or_insert(i);
        group_of.push(f);
    }
    Clustering { group_of, refused }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> [u8; 18] {
        [b'0' + n; 18]
    }

    #[test]
    fn never_joins_two_valid_ids_and_order_of_input_does_not_matter() {
        // A(id1) — B(no id) — C(id2): B joins the stronger side only.
        let ids = [Some(id(1)), None, Some(id(2))];
        let edges = vec![
            Edge {
                a: 0,
                b: 1,
                weight: 10.0,
            },
            Edge {
                a: 1,
                b: 2,
                weight: 20.0,
            },
        ];
        let mut reversed = edges.clone();
        reversed.reverse();
        for e in [edges, reversed] {
            let c = cluster(&[0, 1, 2], e, |n| ids[n as usize], &[]);
            assert_eq!(c.group_of, vec![0, 1, 1]);
            assert_eq!(c.refused.len(), 1);
            assert_eq!(c.refused[0].1, Refusal::DifferentValidIds);
        }
    }

    #[test]
    fn reviewer_rejection_holds_through_a_chain() {
        let edges = vec![
            Edge {
                a: 10,
                b: 11,
                weight: 5.0,
            },
            Edge {
                a: 11,
                b: 12,
                weight: 4.0,
            },
        ];
        let c = cluster(&[10, 11, 12], edges, |_| None, &[(10, 12)]);
        assert_eq!(c.group_of, vec![0, 0, 2]);
        assert_eq!(c.refused[0].1, Refusal::RejectedByReviewer);
    }
}
