//! The order in which a request tries a model's deployments: lowest priority number
//! first; within one priority, a weighted random order, so traffic splits by weight
//! and a failed attempt moves on to another deployment.

use std::sync::Arc;

use crate::dispatch::models::Deployment;

/// The deployments of one model in the order to try them.
pub fn order(deployments: &[Arc<Deployment>]) -> Vec<Arc<Deployment>> {
    let mut rest: Vec<Arc<Deployment>> = deployments.to_vec();
    rest.sort_by_key(|d| d.priority);
    let mut ordered = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let priority = rest[0].priority;
        let group_len = rest.iter().take_while(|d| d.priority == priority).count();
        let mut group: Vec<Arc<Deployment>> = rest.drain(..group_len).collect();
        while !group.is_empty() {
            let total: u64 = group.iter().map(|d| u64::from(d.weight)).sum();
            let mut pick = fastrand::u64(0..total.max(1));
            let index = group
                .iter()
                .position(|d| {
                    let weight = u64::from(d.weight);
                    if pick < weight {
                        true
                    } else {
                        pick -= weight;
                        false
                    }
                })
                .unwrap_or(0);
            ordered.push(group.swap_remove(index));
        }
    }
    ordered
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dispatch::models::tests::route;

    #[test]
    fn priorities_come_in_order_and_weights_split_traffic() {
        let deployments = vec![
            route("backup", 1, 1),
            route("heavy", 0, 3),
            route("light", 0, 1),
        ];
        let mut heavy_first = 0;
        for _ in 0..4000 {
            let order = order(&deployments);
            assert_eq!(order.len(), 3);
            assert_eq!(
                order[2].deployment, "backup",
                "priority 1 only after priority 0"
            );
            if order[0].deployment == "heavy" {
                heavy_first += 1;
            }
        }
        // Expected 3000 of 4000; the bounds are many standard deviations wide.
        assert!((2700..3300).contains(&heavy_first), "{heavy_first}");
    }
}
