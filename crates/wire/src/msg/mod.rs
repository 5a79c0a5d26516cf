//! The messages of each system's API, grouped by the system that serves them.

pub mod agency;
pub mod fuhon;
pub mod hub;
pub mod inquiry;
pub mod intermediate;
pub mod registry;
pub mod resident_changes;
