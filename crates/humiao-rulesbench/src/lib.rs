//! The rules benchmark (issue 5): the national rule pack on a synthetic county, against the same
//! rules in Rhai, with the outcomes compared child by child. See `bench/rules/README.md`.

pub mod county;
pub mod db;
pub mod peer;

/// What both systems must agree on for each child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Category codes, sorted.
    pub categories: Vec<String>,
    /// The general risk model's known score.
    pub score: u32,
}

/// Humiao's outcome for one child.
pub fn humiao(
    pack: &humiao_rules::RulePack,
    child: &county::Child,
    as_of: chrono::NaiveDate,
    params: &[humiao_rules::value::Value],
) -> Outcome {
    use humiao_core::policy::{ChildCase, ParentFacts};
    let case = ChildCase {
        child: &child.person,
        child_facts: &child.own,
        father: Some(ParentFacts {
            facts: &child.father,
        }),
        mother: Some(ParentFacts {
            facts: &child.mother,
        }),
        registered_rural: child.rural,
        // The generator has no households beyond the parents, whose facts are above.
        household: Some(&[]),
        observations: &[],
    };
    let out = pack.assess_with(&case, as_of, params);
    let mut categories: Vec<String> = out
        .decisions
        .iter()
        .map(|d| d.category.code().to_string())
        .collect();
    categories.sort();
    categories.dedup();
    Outcome {
        categories,
        score: out.risk.first().map_or(0, |r| r.score),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The two implementations of the national rules agree on every child of a county: a
    /// differential test of the pack (and of the benchmark's fairness).
    #[test]
    fn the_pack_and_the_rhai_rules_agree_child_by_child() {
        let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let children = county::generate(20_000, 7, as_of);
        let pack = humiao_rules::national();
        let params = pack.parameter_values(as_of);
        let peer = peer::Peer::new(peer::NATIONAL_RHAI, &pack, as_of).unwrap();
        let mut categorised = 0;
        for (i, c) in children.iter().enumerate() {
            let ours = humiao(&pack, c, as_of, &params);
            let theirs = peer.assess(c, as_of).unwrap();
            assert_eq!(ours, theirs, "child {i}");
            categorised += usize::from(!ours.categories.is_empty());
        }
        // The county exercises the rules: every category occurs.
        assert!(categorised > 500, "{categorised}");
    }
}
