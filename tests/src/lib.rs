//! Test support for Tenantry: the fake Xero server and a scripted "browser" that completes the
//! sign-in the way a person's browser would (follow the authorize redirect to the loopback
//! listener). Used by the end-to-end tests, the `fake-xero` binary and the demo.

pub mod bench;
pub mod browser;
pub mod demo;
pub mod fake_xero;
