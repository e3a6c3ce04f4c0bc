//! [`Scope`]: the connections a caller may see, as an API key or an identity provider's
//! token grants them.

use std::collections::HashSet;
use std::sync::Arc;

/// The connections a caller may see.
#[derive(Debug, Clone)]
pub(crate) enum Scope {
    /// Every connection.
    All,
    /// Only these (each one configured).
    Only(Arc<HashSet<String>>),
}

impl Scope {
    /// A scope of these connection names.
    pub(crate) fn only(names: impl IntoIterator<Item = String>) -> Self {
        Scope::Only(Arc::new(names.into_iter().collect()))
    }
}
