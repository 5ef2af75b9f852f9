//! The compiled bit sets against a straightforward reference: walk the
//! inheritance graph by hand and compare every answer.

use proptest::prelude::*;

use super::{bit, effective_permissions, effective_roles};

/// A requirement over role and permission indices.
#[derive(Clone, Debug)]
enum Req {
    Role(usize),
    Permission(usize),
    Any(Vec<Req>),
    All(Vec<Req>),
    Not(Box<Req>),
}

const PERMISSIONS: usize = 8;

/// A random acyclic hierarchy of 1 to 20 roles, declared in a random order:
/// a role may only inherit roles that come before it in a hidden shuffle.
fn hierarchy() -> impl Strategy<Value = (Vec<Vec<usize>>, Vec<u128>)> {
    (1usize..=20).prop_flat_map(|roles| {
        let order = Just((0..roles).collect::<Vec<_>>()).prop_shuffle();
        let picks =
            prop::collection::vec(prop::collection::vec(any::<prop::sample::Index>(), 0..4), roles);
        let grants = prop::collection::vec(0u128..(1 << PERMISSIONS), roles);
        (order, picks, grants).prop_map(|(order, picks, grants)| {
            let mut rank = vec![0; order.len()];
            for (position, &role) in order.iter().enumerate() {
                rank[role] = position;
            }
            let parents = picks
                .iter()
                .enumerate()
                .map(|(role, picks)| {
                    let below: Vec<usize> =
                        (0..order.len()).filter(|&r| rank[r] < rank[role]).collect();
                    let mut parents: Vec<usize> = if below.is_empty() {
                        Vec::new()
                    } else {
                        picks.iter().map(|i| *i.get(&below)).collect()
                    };
                    parents.dedup();
                    parents
                })
                .collect();
            (parents, grants)
        })
    })
}

fn requirement(roles: usize) -> impl Strategy<Value = Req> {
    let leaf =
        prop_oneof![(0..roles).prop_map(Req::Role), (0..PERMISSIONS).prop_map(Req::Permission)];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Req::Any),
            prop::collection::vec(inner.clone(), 1..4).prop_map(Req::All),
            inner.prop_map(|r| Req::Not(Box::new(r))),
        ]
    })
}

/// Reference: the roles reachable from `assigned` through inheritance.
fn reachable(parents: &[Vec<usize>], assigned: &[usize]) -> Vec<bool> {
    let mut seen = vec![false; parents.len()];
    let mut stack: Vec<usize> = assigned.to_vec();
    while let Some(role) = stack.pop() {
        if !std::mem::replace(&mut seen[role], true) {
            stack.extend(&parents[role]);
        }
    }
    seen
}

fn reference(req: &Req, held: &[bool], grants: &[u128]) -> bool {
    match req {
        Req::Role(role) => held[*role],
        Req::Permission(p) => {
            held.iter().zip(grants).any(|(held, grants)| *held && grants & bit(*p) != 0)
        }
        Req::Any(reqs) => reqs.iter().any(|r| reference(r, held, grants)),
        Req::All(reqs) => reqs.iter().all(|r| reference(r, held, grants)),
        Req::Not(req) => !reference(req, held, grants),
    }
}

/// What the generated predicate computes: `&` on the user's OR-ed grants.
fn compiled(req: &Req, roles: u128, permissions: u128) -> bool {
    match req {
        Req::Role(role) => roles & bit(*role) != 0,
        Req::Permission(p) => permissions & bit(*p) != 0,
        Req::Any(reqs) => reqs.iter().any(|r| compiled(r, roles, permissions)),
        Req::All(reqs) => reqs.iter().all(|r| compiled(r, roles, permissions)),
        Req::Not(req) => !compiled(req, roles, permissions),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn compiled_checks_agree_with_walking_the_hierarchy(
        (parents, grants, assignment, reqs) in hierarchy().prop_flat_map(|(parents, grants)| {
            let roles = parents.len();
            let assignment = prop::collection::vec(0..roles, 0..4);
            (Just(parents), Just(grants), assignment, prop::collection::vec(requirement(roles), 1..8))
        }),
    ) {
        let effective = effective_roles(&parents).expect("acyclic by construction");
        let permissions = effective_permissions(&effective, &grants);
        let (user_roles, user_permissions) = assignment
            .iter()
            .fold((0, 0), |(r, p), &role| (r | effective[role], p | permissions[role]));
        let held = reachable(&parents, &assignment);
        for req in &reqs {
            prop_assert_eq!(compiled(req, user_roles, user_permissions), reference(req, &held, &grants), "{:?}", req);
        }
    }

    #[test]
    fn cycles_are_found_exactly_when_they_exist(
        parents in prop::collection::vec(prop::collection::vec(0usize..8, 0..3), 8),
    ) {
        let has_cycle = (0..parents.len()).any(|role| {
            parents[role].iter().any(|&parent| reachable(&parents, &[parent])[role])
        });
        match effective_roles(&parents) {
            Ok(_) => prop_assert!(!has_cycle),
            Err(cycle) => {
                prop_assert!(has_cycle);
                // The reported path really is a cycle along inheritance edges.
                prop_assert_eq!(cycle.path.first(), cycle.path.last());
                for pair in cycle.path.windows(2) {
                    prop_assert!(parents[pair[0]].contains(&pair[1]));
                }
            }
        }
    }
}

#[test]
fn a_three_level_hierarchy() {
    // viewer <- editor <- admin
    let parents = vec![vec![], vec![0], vec![1]];
    let effective = effective_roles(&parents).expect("acyclic");
    assert_eq!(effective, [0b001, 0b011, 0b111]);
    let permissions = effective_permissions(&effective, &[0b00, 0b01, 0b10]);
    assert_eq!(permissions, [0b00, 0b01, 0b11]);
}
