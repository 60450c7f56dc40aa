//! Reports a practice hands to someone else: who can reach which client ([`access`]), which logins
//! hold scopes Xero is retiring ([`scopes`]), written as
//! a spreadsheet opens it ([`csv`]). Pure: they read an [`Overview`](crate::engine::Overview)
//! and the event log the caller passes in.

pub mod access;
pub mod csv;
pub mod scopes;
