//! The budgets in force, indexed for the request path: which cover a key (its own and
//! its team's). Rebuilt by the key ring whenever keys or budgets change.

use std::collections::HashMap;
use std::sync::Arc;

use crate::store::{Budget, BudgetScope, ClientKey};

/// Budgets by what they cover.
#[derive(Debug, Default)]
pub struct BudgetIndex {
    by_key: HashMap<String, Vec<Arc<Budget>>>,
    by_team: HashMap<String, Vec<Arc<Budget>>>,
}

impl BudgetIndex {
    /// The index of `budgets`.
    pub fn new(budgets: Vec<Budget>) -> Self {
        let mut index = Self::default();
        for budget in budgets {
            let map = match budget.settings.scope {
                BudgetScope::Key => &mut index.by_key,
                BudgetScope::Team => &mut index.by_team,
            };
            map.entry(budget.settings.subject.clone())
                .or_default()
                .push(Arc::new(budget));
        }
        index
    }

    /// Whether there are no budgets at all (the request path skips the rest).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty() && self.by_team.is_empty()
    }

    /// The budgets covering `key`: its own, then its team's.
    pub fn covering(&self, key: &ClientKey) -> Vec<Arc<Budget>> {
        let own = self.by_key.get(&key.id).into_iter().flatten();
        let team = key
            .team
            .as_ref()
            .and_then(|team| self.by_team.get(team))
            .into_iter()
            .flatten();
        own.chain(team).cloned().collect()
    }
}
