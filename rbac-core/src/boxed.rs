//! The boxed future of the crate's object-safe adapters (`DynUserStore`,
//! `DynSessionStore`, `DynLoginThrottle`...): each public trait uses
//! `impl Future` returns, which cannot be called through `dyn`, so its
//! adapter boxes them.

use std::future::Future;
use std::pin::Pin;

/// A boxed, `Send` future borrowing for `'a`.
pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
