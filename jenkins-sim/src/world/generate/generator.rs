//! The generator's state and its dice: every random draw of a generated world goes
//! through one seeded `ChaCha8Rng`, so a spec always yields the same world.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::vocabulary::DEVELOPERS;
use crate::world::Agent;

pub(super) struct Gen {
    pub(super) rng: ChaCha8Rng,
    pub(super) now: i64,
    pub(super) lean: bool,
    pub(super) log_bytes: u64,
    /// How many of [`DEVELOPERS`] are users of this controller.
    pub(super) devs: usize,
    pub(super) builds_per_job: u64,
    pub(super) agents: Vec<Agent>,
}

impl Gen {
    pub(super) fn new(seed: u64, now: i64, lean: bool, log_bytes: u64) -> Gen {
        Gen {
            rng: ChaCha8Rng::seed_from_u64(seed),
            now,
            lean,
            log_bytes: log_bytes.max(1024),
            devs: 5,
            builds_per_job: 8,
            agents: Vec::new(),
        }
    }

    pub(super) fn chance(&mut self, p: f64) -> bool {
        self.rng.gen_bool(p.clamp(0.0, 1.0))
    }

    pub(super) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.gen_range(0..xs.len())]
    }

    pub(super) fn dev(&mut self) -> &'static str {
        DEVELOPERS[self.rng.gen_range(0..self.devs.max(1))].0
    }

    pub(super) fn sha(&mut self) -> String {
        format!(
            "{:016x}{:016x}{:08x}",
            self.rng.gen::<u64>(),
            self.rng.gen::<u64>(),
            self.rng.gen::<u32>()
        )
    }

    pub(super) fn hex(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from_digit(self.rng.gen_range(0..16), 16).unwrap_or('0'))
            .collect()
    }

    /// A duration around `base`, log-normally spread (±30% typical, never under 3 s).
    pub(super) fn duration(&mut self, base: i64) -> i64 {
        let z: f64 = (0..4).map(|_| self.rng.gen::<f64>()).sum::<f64>() - 2.0;
        ((base as f64) * (z * 0.5).exp()).max(3_000.0) as i64
    }

    /// Time between two builds: exponential around the cadence.
    pub(super) fn gap(&mut self, cadence: i64) -> i64 {
        let u: f64 = self.rng.gen_range(0.02..1.0);
        ((-u.ln()) * cadence as f64).max(30_000.0) as i64
    }
}
