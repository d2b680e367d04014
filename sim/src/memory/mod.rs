//! Memory-system building blocks shared by the models: an LRU scratchpad (used by the exact
//! reference simulations) and a DRAM interface.

pub mod dram;
pub mod sram;

pub use dram::Dram;
pub use sram::LruBuffer;
