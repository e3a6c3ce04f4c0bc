//! Jenkins' exported views of the world: the beans `api/json` and `api/xml` serve.
//!
//! Each function builds the [`Bean`](crate::export::Bean) of one Jenkins class with its properties in
//! Stapler's sections (superclass first) and visibilities, so the export engine can
//! prune and order them exactly as Jenkins does. Getters are lazy: an unselected
//! property costs nothing, as in Jenkins.

mod builds;
mod causes;
mod changes;
mod computers;
mod ctx;
mod health;
mod items;
mod junit;
mod params;
mod props;
mod queue;
mod root;
mod users;

pub use self::builds::build;
pub use self::changes::git_date;
pub use self::computers::computers;
pub use self::ctx::{class, item_path, raw_encode, Ctx};
pub use self::health::{estimated_duration, health, job_color};
pub use self::items::{item, queue_item};
pub use self::junit::test_report;
pub use self::queue::{left_item, queue};
pub use self::root::root;
pub use self::users::{crumb_issuer, user, who_am_i};
