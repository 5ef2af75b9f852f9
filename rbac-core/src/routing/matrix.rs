//! The access matrix: every route of a [`RouteTable`] against every role of
//! a policy, plus an anonymous caller, worked out from the requirements alone.

use std::fmt;

use serde_json::{Map, Value, json};

use super::table::{Access, RouteTable};
use crate::policy::{PolicyDescription, Requires, RoleDescription};

/// What a caller holding one role (or none) gets from a route, as far as
/// the requirement alone decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The requirement holds for every such caller.
    Allowed,
    /// It holds for none.
    Denied,
    /// It depends on the request: the token's scopes, a handler argument
    /// (`owner`) or a custom check.
    Depends(Conditions),
}

/// What a [`Verdict::Depends`] depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conditions {
    /// The token must carry a scope the role may hold.
    pub scope: bool,
    /// A handler argument must name the caller.
    pub owner: bool,
    /// A custom `check(...)` decides.
    pub check: bool,
    /// A role held within the scope a handler argument names (`in = ...`).
    pub scoped_role: bool,
}

impl Conditions {
    fn union(self, other: Self) -> Self {
        Self {
            scope: self.scope || other.scope,
            owner: self.owner || other.owner,
            check: self.check || other.check,
            scoped_role: self.scoped_role || other.scoped_role,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Allowed => f.write_str("allow"),
            Self::Denied => f.write_str("deny"),
            Self::Depends(conditions) => {
                let names = [
                    (conditions.owner, "owner"),
                    (conditions.scope, "scope"),
                    (conditions.check, "check"),
                    (conditions.scoped_role, "scoped-role"),
                ];
                let names: Vec<&str> =
                    names.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
                write!(f, "depends({})", names.join("+"))
            }
        }
    }
}

/// Who is asking: nobody, or a user holding exactly one role (and what it
/// inherits and grants).
#[derive(Clone, Copy)]
enum Caller<'a> {
    Anonymous,
    Role(&'a PolicyDescription, &'a RoleDescription),
}

impl Caller<'_> {
    fn holds_role(&self, name: &str) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Role(policy, role) => {
                policy.role(name).is_some_and(|wanted| role.effective_roles.contains(&wanted.name))
            }
        }
    }

    fn holds_permission(&self, name: &str) -> bool {
        match self {
            Self::Anonymous => false,
            Self::Role(_, role) => role.effective_permissions.contains(&name),
        }
    }

    /// Whether a global role of the caller counts in every scope of
    /// `domain` (`global "admin" in "org";`) and gives what `gives` asks.
    fn holds_in_every_scope(&self, domain: &str, gives: impl Fn(&RoleDescription) -> bool) -> bool {
        let Self::Role(policy, _) = self else { return false };
        let Some(domain) = policy.domain(domain) else { return false };
        domain
            .global_roles
            .iter()
            .any(|global| self.holds_role(global) && policy.role(global).is_some_and(&gives))
    }
}

/// Three-valued (Kleene) evaluation: a condition the table cannot see is
/// `Depends`, and `any`/`all`/`not` keep what is certain certain.
fn evaluate(requires: &Requires, caller: Caller<'_>) -> Verdict {
    let depends = |conditions| Verdict::Depends(conditions);
    match requires {
        Requires::Public => Verdict::Allowed,
        // Everything else needs a valid token first: 401 without one.
        _ if matches!(caller, Caller::Anonymous) => Verdict::Denied,
        Requires::Authenticated => Verdict::Allowed,
        Requires::Role(name) => known(caller.holds_role(name)),
        Requires::Permission(name) => known(caller.holds_permission(name)),
        // Scopes count only while the roles allow them: a role that cannot
        // hold the scope is denied whatever the token says.
        Requires::Scope(name) if caller.holds_permission(name) => {
            depends(Conditions { scope: true, ..Conditions::default() })
        }
        Requires::Scope(_) => Verdict::Denied,
        Requires::Owner(_) => depends(Conditions { owner: true, ..Conditions::default() }),
        Requires::Check(_) => depends(Conditions { check: true, ..Conditions::default() }),
        // A global role counting in the domain decides alone; otherwise the
        // caller's assignments in the named scope do.
        Requires::RoleIn(name, scope) => {
            let wanted = caller_policy(caller).and_then(|policy| policy.role(name));
            let gives = |role: &RoleDescription| {
                wanted.is_some_and(|wanted| role.effective_roles.contains(&wanted.name))
            };
            scoped(caller.holds_in_every_scope(scope.domain, gives))
        }
        Requires::PermissionIn(name, scope) => {
            let gives = |role: &RoleDescription| role.effective_permissions.contains(name);
            scoped(caller.holds_in_every_scope(scope.domain, gives))
        }
        Requires::Any(items) => {
            items.iter().fold(Verdict::Denied, |acc, item| match (acc, evaluate(item, caller)) {
                (Verdict::Allowed, _) | (_, Verdict::Allowed) => Verdict::Allowed,
                (Verdict::Depends(a), Verdict::Depends(b)) => depends(a.union(b)),
                (Verdict::Depends(a), Verdict::Denied) | (Verdict::Denied, Verdict::Depends(a)) => {
                    depends(a)
                }
                (Verdict::Denied, Verdict::Denied) => Verdict::Denied,
            })
        }
        Requires::All(items) => {
            items.iter().fold(Verdict::Allowed, |acc, item| match (acc, evaluate(item, caller)) {
                (Verdict::Denied, _) | (_, Verdict::Denied) => Verdict::Denied,
                (Verdict::Depends(a), Verdict::Depends(b)) => depends(a.union(b)),
                (Verdict::Depends(a), Verdict::Allowed)
                | (Verdict::Allowed, Verdict::Depends(a)) => depends(a),
                (Verdict::Allowed, Verdict::Allowed) => Verdict::Allowed,
            })
        }
        Requires::Not(item) => match evaluate(item, caller) {
            Verdict::Allowed => Verdict::Denied,
            Verdict::Denied => Verdict::Allowed,
            other => other,
        },
    }
}

fn caller_policy<'a>(caller: Caller<'a>) -> Option<&'a PolicyDescription> {
    match caller {
        Caller::Anonymous => None,
        Caller::Role(policy, _) => Some(policy),
    }
}

fn scoped(held_everywhere: bool) -> Verdict {
    if held_everywhere {
        Verdict::Allowed
    } else {
        Verdict::Depends(Conditions { scoped_role: true, ..Conditions::default() })
    }
}

fn known(holds: bool) -> Verdict {
    if holds { Verdict::Allowed } else { Verdict::Denied }
}

/// One row: a route's method and path, and a verdict per column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatrixRow {
    /// As in the route table.
    pub method: &'static str,
    /// As in the route table.
    pub path: String,
    /// One verdict per [`AccessMatrix::columns`], in order; `None` for a
    /// route the router does not check (an escape hatch), which the
    /// requirements cannot answer for.
    pub verdicts: Option<Vec<Verdict>>,
}

/// Every route × an anonymous caller and each role of a policy: allowed,
/// denied, or depends (owner, scope, check). Build it with
/// [`RouteTable::access_matrix`]; `Display` prints an aligned table and
/// [`AccessMatrix::to_json`] an object per route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessMatrix {
    columns: Vec<&'static str>,
    rows: Vec<MatrixRow>,
}

/// The column of the caller without credentials.
pub const ANONYMOUS: &str = "anonymous";

impl AccessMatrix {
    /// `anonymous`, then the policy's roles in declaration order.
    pub fn columns(&self) -> &[&'static str] {
        &self.columns
    }

    /// One row per route entry, in the table's order.
    pub fn rows(&self) -> &[MatrixRow] {
        &self.rows
    }

    /// The verdict for `method` `path` and the caller `column` (`anonymous`
    /// or a role name), if both exist and the route is checked.
    pub fn verdict(&self, method: &str, path: &str, column: &str) -> Option<Verdict> {
        let index = self.columns.iter().position(|name| *name == column)?;
        let row = self.rows.iter().find(|row| row.method == method && row.path == path)?;
        row.verdicts.as_ref().map(|verdicts| verdicts[index])
    }

    /// `[{"method", "path", "access": {"anonymous": "deny", "admin": "allow", ...}}]`,
    /// with `"access": "unchecked"` for escape hatches.
    pub fn to_json(&self) -> Value {
        let rows = self.rows.iter().map(|row| {
            let access = match &row.verdicts {
                Some(verdicts) => Value::Object(
                    self.columns
                        .iter()
                        .zip(verdicts)
                        .map(|(column, verdict)| ((*column).to_owned(), json!(verdict.to_string())))
                        .collect::<Map<String, Value>>(),
                ),
                None => json!("unchecked"),
            };
            json!({ "method": row.method, "path": row.path, "access": access })
        });
        Value::Array(rows.collect())
    }
}

impl RouteTable {
    /// The access matrix of these routes under `policy`
    /// (`<policy::Policy as AccessPolicy>::describe()`).
    pub fn access_matrix(&self, policy: &PolicyDescription) -> AccessMatrix {
        let callers: Vec<Caller<'_>> = std::iter::once(Caller::Anonymous)
            .chain(policy.roles.iter().map(|role| Caller::Role(policy, role)))
            .collect();
        let rows = self
            .entries()
            .iter()
            .map(|entry| MatrixRow {
                method: entry.method,
                path: entry.path.clone(),
                verdicts: match &entry.access {
                    Access::Requires(requires) => {
                        Some(callers.iter().map(|caller| evaluate(requires, *caller)).collect())
                    }
                    Access::Unchecked(_) => None,
                },
            })
            .collect();
        let columns =
            std::iter::once(ANONYMOUS).chain(policy.roles.iter().map(|role| role.name)).collect();
        AccessMatrix { columns, rows }
    }
}

impl fmt::Display for AccessMatrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut lines: Vec<Vec<String>> = vec![
            ["METHOD", "PATH"]
                .into_iter()
                .chain(self.columns.iter().copied())
                .map(str::to_owned)
                .collect(),
        ];
        for row in &self.rows {
            let mut cells = vec![row.method.to_owned(), row.path.clone()];
            match &row.verdicts {
                Some(verdicts) => cells.extend(verdicts.iter().map(Verdict::to_string)),
                None => cells.extend(self.columns.iter().map(|_| "unchecked".to_owned())),
            }
            lines.push(cells);
        }
        let mut widths = vec![0; lines[0].len()];
        for line in &lines {
            for (width, cell) in widths.iter_mut().zip(line) {
                *width = (*width).max(cell.chars().count());
            }
        }
        for line in &lines {
            let last = line.len() - 1;
            for (index, (cell, width)) in line.iter().zip(&widths).enumerate() {
                if index == last {
                    writeln!(f, "{cell}")?;
                } else {
                    write!(f, "{cell:<width$}  ")?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
