//! Generating the policy module.

use proc_macro2::{Literal, TokenStream};
use quote::{format_ident, quote};

use super::PolicyInput;
use super::compile::{Compiled, bit, compile};
use crate::symbol::{Kind, PERMISSIONS, ROLES};

pub(crate) fn expand(input: TokenStream) -> TokenStream {
    let input: PolicyInput = match syn::parse2(input) {
        Ok(input) => input,
        Err(error) => return error.to_compile_error(),
    };
    match compile(&input) {
        Ok(compiled) => module(&input, &compiled),
        // A stand-in module that accepts every name, so the attributes that
        // use this policy do not each report it missing.
        Err(error) => {
            let stand_in = module(
                &input,
                &Compiled { roles: Vec::new(), permissions: Vec::new(), domains: Vec::new() },
            );
            let error = error.to_compile_error();
            quote! { #stand_in #error }
        }
    }
}

fn names_where(mask: u128, names: &[String]) -> Vec<&str> {
    names.iter().enumerate().filter(|(i, _)| mask & bit(*i) != 0).map(|(_, n)| n.as_str()).collect()
}

fn module(input: &PolicyInput, compiled: &Compiled) -> TokenStream {
    let PolicyInput { attrs, vis, name, .. } = input;
    let role_names: Vec<String> = compiled.roles.iter().map(|r| r.name.clone()).collect();
    let policy_name = name.to_string();
    let valid = !compiled.roles.is_empty();

    let grant_arms = compiled.roles.iter().map(|role| {
        let names = std::iter::once(&role.name).chain(&role.aliases);
        let (roles, permissions) = (u128_literal(role.roles), u128_literal(role.permissions));
        quote! { #(#names)|* => ::rbac_core::Grants { roles: #roles, permissions: #permissions }, }
    });
    let descriptions = compiled.roles.iter().map(|role| {
        let name = &role.name;
        let aliases = &role.aliases;
        let inherits = role.inherits.iter().map(|&i| &role_names[i]);
        let effective_roles = names_where(role.roles, &role_names);
        let effective_permissions = names_where(role.permissions, &compiled.permissions);
        quote! {
            ::rbac_core::RoleDescription {
                name: #name,
                aliases: &[#(#aliases),*],
                inherits: &[#(#inherits),*],
                effective_roles: &[#(#effective_roles),*],
                effective_permissions: &[#(#effective_permissions),*],
            }
        }
    });
    let permissions = &compiled.permissions;
    let domain_descriptions = compiled.domains.iter().map(|domain| {
        let name = &domain.name;
        let global_roles = domain.global_roles.iter().map(|&index| &role_names[index]);
        quote! {
            ::rbac_core::DomainDescription { name: #name, global_roles: &[#(#global_roles),*] }
        }
    });
    let global_arms = compiled.domains.iter().map(|domain| {
        let name = &domain.name;
        let counted = domain.global_roles.iter().map(|&index| {
            let role = &compiled.roles[index];
            let bit = u128_literal(bit(index));
            let (roles, permissions) = (u128_literal(role.roles), u128_literal(role.permissions));
            quote! {
                if global.roles & #bit != 0 {
                    grants = grants.union(::rbac_core::Grants { roles: #roles, permissions: #permissions });
                }
            }
        });
        quote! {
            #name => {
                #[allow(unused_mut)]
                let mut grants = ::rbac_core::Grants::NONE;
                #(#counted)*
                grants
            }
        }
    });

    let role_constants = compiled.roles.iter().enumerate().flat_map(|(index, role)| {
        let bit = u128_literal(bit(index));
        let canonical = &role.name;
        std::iter::once(&role.name).chain(&role.aliases).map(move |alias| {
            let constant = constant_name(alias);
            let doc = format!("The role `{alias}`.");
            quote! {
                #[doc = #doc]
                pub const #constant: ::rbac_core::RoleId = ::rbac_core::RoleId { name: #canonical, bit: #bit };
            }
        })
    });
    let permission_constants = compiled.permissions.iter().enumerate().map(|(index, permission)| {
        let bit = u128_literal(bit(index));
        let constant = constant_name(permission);
        let doc = format!("The permission `{permission}`.");
        quote! {
            #[doc = #doc]
            pub const #constant: ::rbac_core::PermissionId = ::rbac_core::PermissionId { name: #permission, bit: #bit };
        }
    });

    let role_arms = compiled.roles.iter().enumerate().flat_map(|(index, role)| {
        let bit = u128_literal(bit(index));
        std::iter::once(&role.name)
            .chain(&role.aliases)
            .map(move |name| quote! { (#name) => { #bit }; })
    });
    let permission_arms: Vec<TokenStream> = compiled
        .permissions
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let bit = u128_literal(bit(index));
            quote! { (#name) => { #bit }; }
        })
        .collect();
    let all_role_names: Vec<&String> =
        compiled.roles.iter().flat_map(|r| std::iter::once(&r.name).chain(&r.aliases)).collect();
    let fallback = |kind: Kind, names: &[&String]| {
        let kind = format_ident!("{}", kind.word());
        if valid {
            quote! { ($other:literal) => { ::rbac_core::__private::unknown_name!(#kind, $other, [#(#names),*]) }; }
        } else {
            quote! { ($other:literal) => { 0u128 }; }
        }
    };
    let role_fallback = fallback(Kind::Role, &all_role_names);
    let permission_fallback = fallback(Kind::Permission, &permissions.iter().collect::<Vec<_>>());
    // Scopes are permission names; their own macro only changes the error's wording.
    let scope_fallback = fallback(Kind::Scope, &permissions.iter().collect::<Vec<_>>());

    let lookups = Lookups::new(input, compiled);
    let role_lookup = lookups.define(Kind::Role, role_arms, &role_fallback);
    let permission_lookup =
        lookups.define(Kind::Permission, permission_arms.iter().cloned(), &permission_fallback);
    let scope_lookup = lookups.define(Kind::Scope, permission_arms.into_iter(), &scope_fallback);
    let domain_names: Vec<&String> = compiled.domains.iter().map(|d| &d.name).collect();
    let domain_arms = domain_names.iter().map(|name| quote! { (#name) => { #name }; });
    let domain_fallback = if valid {
        quote! { ($other:literal) => { ::rbac_core::__private::unknown_name!(domain, $other, [#(#domain_names),*]) }; }
    } else {
        quote! { ($other:literal) => { $other }; }
    };
    let domain_lookup = lookups.define(Kind::Domain, domain_arms, &domain_fallback);
    let (roles_module, permissions_module) =
        (format_ident!("{ROLES}"), format_ident!("{PERMISSIONS}"));

    quote! {
        #(#attrs)*
        #vis mod #name {
            /// This policy as a type, for code generic over [`AccessPolicy`](::rbac_core::AccessPolicy).
            #[derive(Debug, Clone, Copy, Default)]
            pub struct Policy;

            impl ::rbac_core::AccessPolicy for Policy {
                #[inline]
                fn grants(user: &::rbac_core::User) -> ::rbac_core::Grants {
                    grants(user)
                }

                fn describe() -> &'static ::rbac_core::PolicyDescription {
                    &DESCRIPTION
                }

                #[inline]
                fn role_grants(name: &str) -> ::rbac_core::Grants {
                    role_grants(name)
                }

                #[inline]
                fn global_grants_in(domain: &str, global: ::rbac_core::Grants) -> ::rbac_core::Grants {
                    global_grants_in(domain, global)
                }
            }

            /// What the user's roles grant under this policy: effective roles
            /// and permissions as bit sets.
            #[inline]
            pub fn grants(user: &::rbac_core::User) -> ::rbac_core::Grants {
                let mut grants = ::rbac_core::Grants::NONE;
                for role in &user.roles {
                    grants = grants.union(role_grants(role.as_str()));
                }
                grants
            }

            /// What one role name grants; nothing for a name the policy does not declare.
            #[inline]
            pub fn role_grants(name: &str) -> ::rbac_core::Grants {
                match name {
                    #(#grant_arms)*
                    _ => ::rbac_core::Grants::NONE,
                }
            }

            /// What the global grants `global` count for in every scope of
            /// `domain`: the roles declared `global` there, when held.
            #[inline]
            #[allow(unused_variables)]
            pub fn global_grants_in(domain: &str, global: ::rbac_core::Grants) -> ::rbac_core::Grants {
                match domain {
                    #(#global_arms)*
                    _ => ::rbac_core::Grants::NONE,
                }
            }

            /// The policy, for audits: roles, inheritance, effective permissions.
            pub fn describe() -> &'static ::rbac_core::PolicyDescription {
                &DESCRIPTION
            }

            /// The policy, for audits.
            pub static DESCRIPTION: ::rbac_core::PolicyDescription = ::rbac_core::PolicyDescription {
                name: #policy_name,
                roles: &[#(#descriptions),*],
                permissions: &[#(#permissions),*],
                domains: &[#(#domain_descriptions),*],
            };

            /// The roles as typed values.
            pub mod #roles_module {
                #(#role_constants)*
            }

            /// The permissions as typed values.
            pub mod #permissions_module {
                #(#permission_constants)*
            }

            #role_lookup
            #permission_lookup
            #scope_lookup
            #domain_lookup
        }
    }
}

/// How the name-lookup macros (`policy::role!("admin")`, ...) are declared.
///
/// A `macro_rules!` is reachable by path from other crates only when
/// `#[macro_export]`ed, which puts it at the dependent's view of the crate
/// root under one global name. So a `pub` policy exports its lookups under
/// names unique to the policy and re-exports them inside its module; a
/// private one keeps them crate-local and exports nothing.
struct Lookups {
    exported: bool,
    /// Distinguishes this policy's exported macros from another policy's in
    /// the same crate.
    suffix: String,
}

impl Lookups {
    fn new(input: &PolicyInput, compiled: &Compiled) -> Self {
        use std::hash::{Hash, Hasher};
        // Same input, same names: stable across builds. Two policies with
        // the same module name and the same roles in one crate would collide,
        // and then rustc reports the duplicate definition.
        let mut hasher = std::hash::DefaultHasher::new();
        input.name.to_string().hash(&mut hasher);
        for role in &compiled.roles {
            role.name.hash(&mut hasher);
            role.aliases.hash(&mut hasher);
        }
        for domain in &compiled.domains {
            domain.name.hash(&mut hasher);
        }
        compiled.permissions.hash(&mut hasher);
        Self {
            exported: matches!(input.vis, syn::Visibility::Public(_)),
            suffix: format!("{}_{:016x}", input.name, hasher.finish()),
        }
    }

    fn define(
        &self,
        kind: Kind,
        arms: impl Iterator<Item = TokenStream>,
        fallback: &TokenStream,
    ) -> TokenStream {
        let public_name = kind.lookup_macro(proc_macro2::Span::call_site());
        let kind = kind.word();
        if self.exported {
            let unique = format_ident!("__rbac_{kind}_{}", self.suffix);
            quote! {
                #[doc(hidden)]
                #[macro_export]
                macro_rules! #unique {
                    #(#arms)*
                    #fallback
                }
                #[doc(hidden)]
                pub use #unique as #public_name;
            }
        } else {
            let local = format_ident!("__rbac_{kind}");
            quote! {
                #[doc(hidden)]
                macro_rules! #local {
                    #(#arms)*
                    #fallback
                }
                #[doc(hidden)]
                #[allow(unused_imports)]
                pub(crate) use #local as #public_name;
            }
        }
    }
}

fn u128_literal(value: u128) -> Literal {
    Literal::u128_suffixed(value)
}

/// `posts:write` -> `POSTS_WRITE`.
fn constant_name(name: &str) -> syn::Ident {
    let mut constant: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect();
    if constant.starts_with(|c: char| c.is_ascii_digit()) {
        constant.insert(0, '_');
    }
    format_ident!("{constant}")
}
