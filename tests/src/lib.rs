//! Test support for Tenantry's end-to-end tests and benchmarks: the benchmark fixtures. The fake
//! Xero is its own crate (`tenantry-fake-xero`, with `test-support` on here), and the scripted
//! browser the demo's (`tenantry_demo::browser`). Nothing in the product depends on this crate.

pub mod bench;
pub mod each_bench;
pub mod egress_bench;
pub mod gateway_bench;
pub mod practice_bench;
pub mod practice_gateway_bench;
