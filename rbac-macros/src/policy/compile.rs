//! Checking a policy and computing each role's effective roles and
//! permissions as bit sets, once, at compile time.

use syn::LitStr;

use super::{PolicyInput, Statement};
use crate::attr::valid_name_suggestion;
use crate::ctxt::Ctxt;
use crate::names::unknown_name_error;
use crate::symbol::Kind;

/// Bit sets are `u128`.
const MAX_NAMES: usize = 128;

pub(crate) struct Compiled {
    pub(crate) roles: Vec<CompiledRole>,
    pub(crate) permissions: Vec<String>,
    pub(crate) domains: Vec<CompiledDomain>,
}

pub(crate) struct CompiledDomain {
    pub(crate) name: String,
    /// The global roles that count in every scope of this domain (indices).
    pub(crate) global_roles: Vec<usize>,
}

pub(crate) struct CompiledRole {
    pub(crate) name: String,
    pub(crate) aliases: Vec<String>,
    pub(crate) inherits: Vec<usize>,
    /// Itself and every role it inherits, transitively.
    pub(crate) roles: u128,
    pub(crate) permissions: u128,
}

pub(crate) fn compile(input: &PolicyInput) -> syn::Result<Compiled> {
    let mut ctxt = Ctxt::default();
    let mut roles: Vec<&LitStr> = Vec::new();
    let mut aliases: Vec<(&LitStr, &LitStr)> = Vec::new();
    let mut permissions: Vec<String> = Vec::new();
    let mut declared_permissions: Vec<&LitStr> = Vec::new();
    let mut all_names: Vec<String> = Vec::new();
    let mut domains: Vec<&LitStr> = Vec::new();
    let mut globals: Vec<(&LitStr, &[LitStr])> = Vec::new();
    for statement in &input.statements {
        match statement {
            Statement::Domain { name } => {
                check_valid(&mut ctxt, name, Kind::Domain);
                if domains.iter().any(|other| other.value() == name.value()) {
                    ctxt.push(error_at(
                        name,
                        format!("duplicate domain `{}`: it is already declared", name.value()),
                    ));
                }
                domains.push(name);
            }
            Statement::Global { role, domains } => globals.push((role, domains)),
            Statement::Role { name, grants, .. } => {
                check_new(&mut ctxt, name, &mut all_names);
                roles.push(name);
                for (index, permission) in grants.iter().enumerate() {
                    check_valid(&mut ctxt, permission, Kind::Permission);
                    if grants[..index].iter().any(|earlier| earlier.value() == permission.value()) {
                        let message = format!("`{}` is granted twice", permission.value());
                        ctxt.push(error_at(permission, message));
                    }
                    if !permissions.contains(&permission.value()) {
                        permissions.push(permission.value());
                    }
                }
            }
            Statement::Alias { name, target } => {
                check_new(&mut ctxt, name, &mut all_names);
                aliases.push((name, target));
            }
            Statement::Permission { name } => {
                check_valid(&mut ctxt, name, Kind::Permission);
                if declared_permissions.iter().any(|other| other.value() == name.value()) {
                    ctxt.push(error_at(
                        name,
                        format!("duplicate permission `{}`: it is already declared", name.value()),
                    ));
                }
                declared_permissions.push(name);
                if !permissions.contains(&name.value()) {
                    permissions.push(name.value());
                }
            }
        }
    }
    let role_names: Vec<String> = roles.iter().map(|r| r.value()).collect();
    if roles.is_empty() {
        ctxt.push(syn::Error::new(
            input.name.span(),
            "a policy needs at least one `role \"...\";`",
        ));
    }
    if roles.len() > MAX_NAMES || permissions.len() > MAX_NAMES {
        // Bit sets are u128: stop before computing any of them.
        ctxt.push(syn::Error::new(
            input.name.span(),
            format!("a policy holds at most {MAX_NAMES} roles and {MAX_NAMES} permissions"),
        ));
        return ctxt.check().map(|()| unreachable!("an error was just pushed"));
    }
    let mut parents: Vec<Vec<usize>> = Vec::new();
    let mut parent_literals: Vec<Vec<&LitStr>> = Vec::new();
    let mut grants: Vec<u128> = Vec::new();
    for statement in &input.statements {
        let Statement::Role { inherits, grants: granted, .. } = statement else { continue };
        let mut indices = Vec::new();
        for parent in inherits {
            match role_names.iter().position(|name| *name == parent.value()) {
                Some(index) => indices.push(index),
                None => ctxt.push(unknown_name_error(parent, Kind::Role, &role_names)),
            }
        }
        parents.push(indices);
        parent_literals.push(inherits.iter().collect());
        let mask = granted.iter().fold(0u128, |mask, permission| {
            let index = permissions.iter().position(|p| *p == permission.value()).unwrap_or(0);
            mask | bit(index)
        });
        grants.push(mask);
    }
    let mut alias_of: Vec<Vec<String>> = vec![Vec::new(); roles.len()];
    for (alias, target) in &aliases {
        match role_names.iter().position(|name| *name == target.value()) {
            Some(index) => alias_of[index].push(alias.value()),
            None => ctxt.push(unknown_name_error(target, Kind::Role, &role_names)),
        }
    }
    let domain_names: Vec<String> = domains.iter().map(|d| d.value()).collect();
    let mut global_roles: Vec<Vec<usize>> = vec![Vec::new(); domains.len()];
    for (role, listed) in globals {
        if domains.is_empty() {
            ctxt.push(error_at(
                role,
                "`global` needs a domain to count in: declare one first, like `domain \"org\";`"
                    .to_owned(),
            ));
            continue;
        }
        let Some(index) = role_names.iter().position(|name| *name == role.value()) else {
            // An alias names the same role: resolve it.
            match aliases.iter().find(|(alias, _)| alias.value() == role.value()) {
                Some((_, target)) => {
                    if let Some(index) = role_names.iter().position(|n| *n == target.value()) {
                        add_global(
                            &mut ctxt,
                            &mut global_roles,
                            index,
                            role,
                            listed,
                            &domain_names,
                        );
                    }
                }
                None => ctxt.push(unknown_name_error(role, Kind::Role, &role_names)),
            }
            continue;
        };
        add_global(&mut ctxt, &mut global_roles, index, role, listed, &domain_names);
    }
    ctxt.check()?;
    let effective = effective_roles(&parents).map_err(|cycle| {
        let (child, parent_slot) = cycle.closing_edge;
        let path: Vec<&str> = cycle.path.iter().map(|&i| role_names[i].as_str()).collect();
        syn::Error::new(
            parent_literals[child][parent_slot].span(),
            format!(
                "cyclic role hierarchy: {}; a role cannot inherit itself, directly or not",
                path.join(" -> ")
            ),
        )
    })?;
    let effective_permissions = effective_permissions(&effective, &grants);
    let roles = role_names
        .into_iter()
        .zip(alias_of)
        .zip(parents)
        .enumerate()
        .map(|(index, ((name, aliases), inherits))| CompiledRole {
            name,
            aliases,
            inherits,
            roles: effective[index],
            permissions: effective_permissions[index],
        })
        .collect();
    let domains = domain_names
        .into_iter()
        .zip(global_roles)
        .map(|(name, global_roles)| CompiledDomain { name, global_roles })
        .collect();
    Ok(Compiled { roles, permissions, domains })
}

/// Records `global "role" in "a", "b";` (every domain when none is listed),
/// checking the domain names.
fn add_global(
    ctxt: &mut Ctxt,
    global_roles: &mut [Vec<usize>],
    role: usize,
    literal: &LitStr,
    listed: &[LitStr],
    domain_names: &[String],
) {
    let mut targets = Vec::new();
    if listed.is_empty() {
        targets.extend(0..domain_names.len());
    }
    for domain in listed {
        match domain_names.iter().position(|name| *name == domain.value()) {
            Some(index) => targets.push(index),
            None => ctxt.push(unknown_name_error(domain, Kind::Domain, domain_names)),
        }
    }
    for target in targets {
        if global_roles[target].contains(&role) {
            let message = format!(
                "`{}` already counts in `{}`: remove the repeated `global`",
                literal.value(),
                domain_names[target]
            );
            ctxt.push(error_at(literal, message));
        } else {
            global_roles[target].push(role);
        }
    }
}

pub(crate) fn bit(index: usize) -> u128 {
    1u128 << index
}

/// A cycle in the hierarchy: the roles along it, and the edge (child, index
/// in its parent list) that closes it.
#[derive(Debug)]
pub(crate) struct Cycle {
    pub(crate) path: Vec<usize>,
    pub(crate) closing_edge: (usize, usize),
}

/// For each role, the bit set of itself and every role it inherits,
/// transitively; or the first cycle found.
pub(crate) fn effective_roles(parents: &[Vec<usize>]) -> Result<Vec<u128>, Cycle> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        Visiting,
        Done,
    }
    fn visit(
        role: usize,
        parents: &[Vec<usize>],
        state: &mut [State],
        stack: &mut Vec<usize>,
        result: &mut [u128],
    ) -> Result<(), Cycle> {
        state[role] = State::Visiting;
        stack.push(role);
        let mut mask = bit(role);
        for (slot, &parent) in parents[role].iter().enumerate() {
            match state[parent] {
                State::Visiting => {
                    let start = stack.iter().position(|&r| r == parent).unwrap_or(0);
                    let mut path = stack[start..].to_vec();
                    path.push(parent);
                    return Err(Cycle { path, closing_edge: (role, slot) });
                }
                State::New => visit(parent, parents, state, stack, result)?,
                State::Done => {}
            }
            mask |= result[parent];
        }
        result[role] = mask;
        state[role] = State::Done;
        stack.pop();
        Ok(())
    }
    let mut state = vec![State::New; parents.len()];
    let mut result = vec![0u128; parents.len()];
    for role in 0..parents.len() {
        if state[role] == State::New {
            visit(role, parents, &mut state, &mut Vec::new(), &mut result)?;
        }
    }
    Ok(result)
}

/// Each role's permissions: the union of what its effective roles grant.
pub(crate) fn effective_permissions(effective: &[u128], grants: &[u128]) -> Vec<u128> {
    effective
        .iter()
        .map(|&roles| {
            (0..grants.len()).filter(|&r| roles & bit(r) != 0).fold(0, |mask, r| mask | grants[r])
        })
        .collect()
}

fn error_at(literal: &LitStr, message: String) -> syn::Error {
    syn::Error::new(literal.span(), message)
}

fn check_valid(ctxt: &mut Ctxt, literal: &LitStr, kind: Kind) {
    let what = kind.word();
    if let Some(suggestion) = valid_name_suggestion(&literal.value()) {
        ctxt.push(error_at(
            literal,
            format!(
                "a {what} name is 1 to 64 ASCII letters, digits, `_`, `-`, `.` or `:`; \
                 write `\"{suggestion}\"` instead"
            ),
        ));
    }
}

/// A new role or alias name: valid and not taken.
fn check_new(ctxt: &mut Ctxt, literal: &LitStr, taken: &mut Vec<String>) {
    check_valid(ctxt, literal, Kind::Role);
    let name = literal.value();
    if taken.contains(&name) {
        ctxt.push(error_at(
            literal,
            format!("duplicate role `{name}`: it is already declared in this policy"),
        ));
    }
    taken.push(name);
}

#[cfg(test)]
mod tests;
