//! The route table: every route of a [`SecureRouter`](super::SecureRouter)
//! with what it requires, as data, as an aligned table and as JSON.

use std::fmt;

use serde_json::{Value, json};

use crate::policy::{HandlerRequirements, Requires};

/// What a route requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Its handler's attribute: [`Requires::Public`] for `#[public]`.
    Requires(Requires),
    /// An escape hatch the router does not check, named by the method that
    /// added it (`public_service`, `route_without_access_check`).
    Unchecked(&'static str),
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requires(requires) => requires.fmt(f),
            Self::Unchecked(how) => write!(f, "unchecked ({how})"),
        }
    }
}

/// One method of one route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteEntry {
    /// `GET`, `POST`, ..., `ANY`, or `*` for services and fallbacks.
    pub method: &'static str,
    /// The full path, nest prefixes joined (`(fallback)` for the fallback).
    pub path: String,
    /// The handler's name; `None` for the escape hatches.
    pub handler: Option<&'static str>,
    /// The policy its names are checked against, if any.
    pub policy: Option<&'static str>,
    /// What it requires.
    pub access: Access,
}

impl RouteEntry {
    pub(super) fn handler(
        method: &'static str,
        path: &str,
        requirements: &HandlerRequirements,
    ) -> Self {
        Self {
            method,
            path: path.to_owned(),
            handler: Some(requirements.handler),
            policy: requirements.policy,
            access: Access::Requires(requirements.requires),
        }
    }

    pub(super) fn unchecked(method: &'static str, path: &str, how: &'static str) -> Self {
        Self {
            method,
            path: path.to_owned(),
            handler: None,
            policy: None,
            access: Access::Unchecked(how),
        }
    }

    /// The entry as JSON: `{"method", "path", "handler", "policy", "requires"}`
    /// (`requires` as written in the attribute, or `unchecked (...)`).
    pub fn to_json(&self) -> Value {
        json!({
            "method": self.method,
            "path": self.path,
            "handler": self.handler,
            "policy": self.policy,
            "requires": self.access.to_string(),
        })
    }
}

/// Every route of a router, in the order they were added.
///
/// `Display` prints an aligned table; [`RouteTable::to_json`] gives tools an
/// array of [`RouteEntry::to_json`] objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RouteTable(Vec<RouteEntry>);

impl RouteTable {
    /// The entries.
    pub fn entries(&self) -> &[RouteEntry] {
        &self.0
    }

    /// How many entries there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The entry for `method` at `path`, if any.
    pub fn get(&self, method: &str, path: &str) -> Option<&RouteEntry> {
        self.0.iter().find(|entry| entry.method == method && entry.path == path)
    }

    /// The table as a JSON array.
    pub fn to_json(&self) -> Value {
        Value::Array(self.0.iter().map(RouteEntry::to_json).collect())
    }

    pub(super) fn push(&mut self, entry: RouteEntry) {
        self.0.push(entry);
    }

    pub(super) fn extend(&mut self, other: RouteTable) {
        self.0.extend(other.0);
    }

    /// The entries with `prefix` joined in front of their paths, as `nest` serves them.
    pub(super) fn prefixed(self, prefix: &str) -> RouteTable {
        let prefix = prefix.trim_end_matches('/');
        RouteTable(
            self.0
                .into_iter()
                .map(|mut entry| {
                    entry.path = match entry.path.as_str() {
                        "/" => prefix.to_owned(),
                        "(fallback)" => format!("{prefix}/(fallback)"),
                        path => format!("{prefix}{path}"),
                    };
                    entry
                })
                .collect(),
        )
    }
}

impl<'a> IntoIterator for &'a RouteTable {
    type Item = &'a RouteEntry;
    type IntoIter = std::slice::Iter<'a, RouteEntry>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for RouteTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rows: Vec<[String; 4]> = self
            .0
            .iter()
            .map(|entry| {
                let requires = match entry.policy {
                    Some(policy) => format!("{} (policy {policy})", entry.access),
                    None => entry.access.to_string(),
                };
                [
                    entry.method.to_owned(),
                    entry.path.clone(),
                    entry.handler.unwrap_or("-").to_owned(),
                    requires,
                ]
            })
            .collect();
        let header = ["METHOD", "PATH", "HANDLER", "REQUIRES"].map(str::to_owned);
        let mut widths = header.clone().map(|cell| cell.len());
        for row in &rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&header).chain(&rows) {
            writeln!(
                f,
                "{:<w0$}  {:<w1$}  {:<w2$}  {}",
                row[0],
                row[1],
                row[2],
                row[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )?;
        }
        Ok(())
    }
}
