//! How an external issuer's notion of roles and scopes becomes the policy's:
//! which claims are read, and which of their values map to which role or
//! permission. Anything not mapped grants nothing.

use std::fmt;

use serde_json::{Map, Value};

use crate::policy::{PermissionId, PolicyDescription, RoleId};

/// A role of the policy, by name or by its typed constant
/// (`policy::roles::EDITOR`, checked by the compiler).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl From<&str> for RoleName {
    fn from(name: &str) -> Self {
        Self(name.to_owned())
    }
}

impl From<RoleId> for RoleName {
    fn from(role: RoleId) -> Self {
        Self(role.name.to_owned())
    }
}

/// A permission of the policy (scopes are permission names), by name or by
/// its typed constant (`policy::permissions::ITEMS_READ`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeName(String);

impl From<&str> for ScopeName {
    fn from(name: &str) -> Self {
        Self(name.to_owned())
    }
}

impl From<PermissionId> for ScopeName {
    fn from(permission: PermissionId) -> Self {
        Self(permission.name.to_owned())
    }
}

/// The claim an issuer lists granted scopes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeClaim {
    /// `scope` (RFC 8693, RFC 9068; Keycloak, Auth0, oidc-provider).
    Scope,
    /// `scp` (Entra ID, Okta).
    Scp,
}

impl ScopeClaim {
    fn name(self) -> &'static str {
        match self {
            Self::Scope => "scope",
            Self::Scp => "scp",
        }
    }
}

/// One claim holding role-like values, and what its values map to.
#[derive(Debug, Clone)]
struct RoleSource {
    kind: SourceKind,
    path: Vec<String>,
    map: Vec<(String, String)>,
}

/// Which preset added a source, so that a preset's mapper (`realm_role`,
/// `client_role`, `group`, `app_role`) maps values of its own claim only,
/// whatever else was added around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    KeycloakRealm,
    KeycloakClient,
    Groups,
    EntraAppRoles,
    Custom,
}

/// Turns an external issuer's claims into the policy's roles and scopes.
///
/// Role-like values are read from one or more claims (a nested path, such
/// as Keycloak's `resource_access.<client>.roles`); each claim has its own
/// table, so a realm role and a client role of the same name stay distinct.
/// Scopes are read from `scope` or `scp`, as a space-separated string or an
/// array. Only mapped values count: an unmapped group, role or scope grants
/// nothing. Mapping targets are checked against the policy when the
/// [`TrustedIssuers`](super::TrustedIssuers) is built.
///
/// ```
/// use rbac_core::ClaimMapping;
///
/// // Keycloak: realm roles, and the roles of one client only.
/// let keycloak = ClaimMapping::keycloak("reports-api")
///     .realm_role("reports-admin", "admin")
///     .client_role("writer", "editor")
///     .scope("reports.read", "items:read");
/// // Auth0 or Okta: a (namespaced) groups claim.
/// let auth0 = ClaimMapping::groups("https://acme.example/groups").group("/acme/editors", "editor");
/// // Entra ID: app roles in `roles`, delegated scopes in `scp`.
/// let entra = ClaimMapping::entra().app_role("Reports.Admin", "admin").scope("Items.Read", "items:read");
/// ```
#[derive(Debug, Clone)]
pub struct ClaimMapping {
    role_sources: Vec<RoleSource>,
    scope_claim: ScopeClaim,
    scope_map: Vec<(String, String)>,
}

impl Default for ClaimMapping {
    fn default() -> Self {
        Self::new()
    }
}

impl ClaimMapping {
    /// Reads no roles, and scopes from `scope`; add sources with
    /// [`roles_at`](Self::roles_at).
    pub fn new() -> Self {
        Self { role_sources: Vec::new(), scope_claim: ScopeClaim::Scope, scope_map: Vec::new() }
    }

    /// Keycloak: realm roles from `realm_access.roles`
    /// ([`realm_role`](Self::realm_role)) and the roles of `client` alone
    /// from `resource_access.<client>.roles` ([`client_role`](Self::client_role));
    /// other clients' roles are never read. Scopes from `scope`.
    pub fn keycloak(client: &str) -> Self {
        Self::new()
            .source(SourceKind::KeycloakRealm, ["realm_access", "roles"])
            .source(SourceKind::KeycloakClient, ["resource_access", client, "roles"])
    }

    /// Auth0 or Okta: role-like values from one top-level claim, such as
    /// `groups` or a namespaced `https://acme.example/roles`
    /// ([`group`](Self::group)). Scopes from `scope`; Okta lists them in
    /// `scp` ([`scopes_from`](Self::scopes_from)).
    pub fn groups(claim: &str) -> Self {
        Self::new().source(SourceKind::Groups, [claim])
    }

    /// Entra ID: app roles from `roles` ([`app_role`](Self::app_role)),
    /// delegated scopes from `scp`.
    pub fn entra() -> Self {
        Self::new().source(SourceKind::EntraAppRoles, ["roles"]).scopes_from(ScopeClaim::Scp)
    }

    /// Adds a claim to read role-like values from: the path of object keys
    /// to a string or an array of strings. [`role`](Self::role) maps the
    /// values of the claim added last.
    #[must_use]
    pub fn roles_at<'a>(self, path: impl IntoIterator<Item = &'a str>) -> Self {
        self.source(SourceKind::Custom, path)
    }

    /// Maps `external`, found in the claim added last, to the policy's
    /// role `role`. Without a claim to read, this maps nothing: add one
    /// with [`roles_at`](Self::roles_at) first.
    #[must_use]
    pub fn role(self, external: &str, role: impl Into<RoleName>) -> Self {
        let last = self.role_sources.len().checked_sub(1);
        self.map_in(last, external, role.into())
    }

    /// Keycloak: maps a realm role (`realm_access.roles`).
    #[must_use]
    pub fn realm_role(self, external: &str, role: impl Into<RoleName>) -> Self {
        let source = self.source_of(SourceKind::KeycloakRealm);
        self.map_in(source, external, role.into())
    }

    /// Keycloak: maps a role of the configured client
    /// (`resource_access.<client>.roles`).
    #[must_use]
    pub fn client_role(self, external: &str, role: impl Into<RoleName>) -> Self {
        let source = self.source_of(SourceKind::KeycloakClient);
        self.map_in(source, external, role.into())
    }

    /// Auth0 or Okta: maps a group (`"/acme/editors"`) to a role.
    #[must_use]
    pub fn group(self, external: &str, role: impl Into<RoleName>) -> Self {
        let source = self.source_of(SourceKind::Groups);
        self.map_in(source, external, role.into())
    }

    /// Entra ID: maps an app role (`roles`).
    #[must_use]
    pub fn app_role(self, external: &str, role: impl Into<RoleName>) -> Self {
        let source = self.source_of(SourceKind::EntraAppRoles);
        self.map_in(source, external, role.into())
    }

    /// The source a preset added: a preset's mapper on a mapping built
    /// another way finds none and maps nothing.
    fn source_of(&self, kind: SourceKind) -> Option<usize> {
        self.role_sources.iter().position(|source| source.kind == kind)
    }

    fn source<'a>(mut self, kind: SourceKind, path: impl IntoIterator<Item = &'a str>) -> Self {
        let path = path.into_iter().map(str::to_owned).collect();
        self.role_sources.push(RoleSource { kind, path, map: Vec::new() });
        self
    }

    fn map_in(mut self, source: Option<usize>, external: &str, RoleName(role): RoleName) -> Self {
        if let Some(source) = source.and_then(|index| self.role_sources.get_mut(index)) {
            source.map.push((external.to_owned(), role));
        }
        self
    }

    /// Reads scopes from this claim instead (`scope` by default).
    #[must_use]
    pub fn scopes_from(mut self, claim: ScopeClaim) -> Self {
        self.scope_claim = claim;
        self
    }

    /// Maps the issuer's scope `external` to the policy's permission `scope`.
    #[must_use]
    pub fn scope(mut self, external: &str, scope: impl Into<ScopeName>) -> Self {
        let ScopeName(scope) = scope.into();
        self.scope_map.push((external.to_owned(), scope));
        self
    }

    /// The first mapping target the policy does not declare.
    pub(crate) fn unknown_target(&self, policy: &PolicyDescription) -> Option<UnknownTarget> {
        let roles = self.role_sources.iter().flat_map(|source| &source.map);
        if let Some((_, role)) = roles.into_iter().find(|(_, role)| policy.role(role).is_none()) {
            return Some(UnknownTarget::Role(role.clone()));
        }
        let scopes = self.scope_map.iter();
        let mut unknown = scopes.filter(|(_, scope)| !policy.permissions.contains(&scope.as_str()));
        unknown.next().map(|(_, scope)| UnknownTarget::Scope(scope.clone()))
    }

    /// The policy's roles and space-separated scopes the claims grant.
    pub(crate) fn apply(&self, claims: &Map<String, Value>) -> (Vec<String>, Option<String>) {
        let mut roles: Vec<String> = Vec::new();
        for source in &self.role_sources {
            for value in strings_at(claims, &source.path) {
                let mapped = source.map.iter().filter(|(external, _)| external == value);
                for (_, role) in mapped {
                    if !roles.contains(role) {
                        roles.push(role.clone());
                    }
                }
            }
        }
        let mut scopes: Vec<&str> = Vec::new();
        let granted = claims.get(self.scope_claim.name());
        for value in granted.map(scope_values).into_iter().flatten() {
            let mapped = self.scope_map.iter().filter(|(external, _)| external == value);
            for (_, scope) in mapped {
                if !scopes.contains(&scope.as_str()) {
                    scopes.push(scope);
                }
            }
        }
        let scope = (!scopes.is_empty()).then(|| scopes.join(" "));
        (roles, scope)
    }
}

/// A mapping target the policy does not declare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum UnknownTarget {
    Role(String),
    Scope(String),
}

impl fmt::Display for UnknownTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Role(role) => write!(f, "`{role}` is not a role of the policy"),
            Self::Scope(scope) => {
                write!(f, "`{scope}` is not a permission of the policy (scopes are permissions)")
            }
        }
    }
}

/// The strings at `path`: a string, or the strings of an array (other
/// values skipped). Nothing when any step is missing or not an object.
fn strings_at<'a>(claims: &'a Map<String, Value>, path: &[String]) -> Vec<&'a str> {
    let Some((first, rest)) = path.split_first() else { return Vec::new() };
    let mut value = claims.get(first);
    for key in rest {
        value = value.and_then(|object| object.get(key));
    }
    match value {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Scopes as a space-separated string or an array of strings.
fn scope_values(value: &Value) -> Vec<&str> {
    match value {
        Value::String(list) => list.split(' ').filter(|scope| !scope.is_empty()).collect(),
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => panic!("an object"),
        }
    }

    #[test]
    fn keycloak_client_roles_count_only_for_the_configured_client() {
        let mapping = ClaimMapping::keycloak("reports-api")
            .realm_role("admin", "admin")
            .client_role("writer", "editor")
            .client_role("admin", "viewer");
        let token = claims(json!({
            "realm_access": {"roles": ["offline_access"]},
            "resource_access": {
                "reports-api": {"roles": ["writer"]},
                // Another client's `admin` is not this service's admin.
                "billing-api": {"roles": ["admin"]},
            },
        }));
        assert_eq!(mapping.apply(&token), (vec!["editor".to_owned()], None));
        // A realm role and a client role of the same name map separately.
        let token = claims(json!({"resource_access": {"reports-api": {"roles": ["admin"]}}}));
        assert_eq!(mapping.apply(&token).0, ["viewer"]);
        let token = claims(json!({"realm_access": {"roles": ["admin"]}}));
        assert_eq!(mapping.apply(&token).0, ["admin"]);
    }

    #[test]
    fn groups_map_to_roles_and_unmapped_values_grant_nothing() {
        let mapping = ClaimMapping::groups("https://acme.example/groups")
            .group("/acme/editors", "editor")
            .group("/acme/admins", "admin");
        let token = claims(json!({
            "https://acme.example/groups": ["/acme/editors", "/acme/unmapped", 7, "/acme/editors"],
            "groups": ["/acme/admins"],
            "roles": ["admin"],
        }));
        assert_eq!(mapping.apply(&token), (vec!["editor".to_owned()], None));
        // A single string is one value, never split.
        let token = claims(json!({"https://acme.example/groups": "/acme/admins /acme/editors"}));
        assert!(mapping.apply(&token).0.is_empty());
        assert_eq!(mapping.apply(&claims(json!({}))), (Vec::new(), None));
    }

    #[test]
    fn scopes_come_from_scope_or_scp_as_string_or_array() {
        let scope_string = claims(json!({"scope": "reports.read other", "scp": "Items.Read"}));
        let scp_string = claims(json!({"scope": "reports.read", "scp": "Items.Read Other"}));
        let scp_array = claims(json!({"scp": ["Items.Read", "Other"]}));
        let plain = ClaimMapping::new().scope("reports.read", "items:read");
        assert_eq!(plain.apply(&scope_string).1.as_deref(), Some("items:read"));
        assert_eq!(plain.apply(&scp_array).1, None, "`scp` is not read unless asked");
        let entra = ClaimMapping::entra().scope("Items.Read", "items:read");
        assert_eq!(entra.apply(&scp_string).1.as_deref(), Some("items:read"));
        assert_eq!(entra.apply(&scp_array).1.as_deref(), Some("items:read"));
        assert_eq!(entra.apply(&claims(json!({"scope": "Items.Read"}))).1, None);
        let array_scope = claims(json!({"scope": ["reports.read"]}));
        assert_eq!(plain.apply(&array_scope).1.as_deref(), Some("items:read"));
    }

    #[test]
    fn entra_app_roles_come_from_roles() {
        let mapping = ClaimMapping::entra().app_role("Reports.Admin", "admin");
        let token = claims(json!({"roles": ["Reports.Admin", "Reports.Other"], "groups": ["x"]}));
        assert_eq!(mapping.apply(&token).0, ["admin"]);
    }

    #[test]
    fn a_presets_mapper_reads_its_own_claim_whatever_was_added_before_it() {
        // `roles_at` before `group` must not make `group` map the `roles` claim.
        let mapping = ClaimMapping::entra().roles_at(["groups"]).group("admins", "admin");
        let token = claims(json!({"roles": ["admins"], "groups": ["admins"]}));
        assert!(mapping.apply(&token).0.is_empty(), "no groups preset: nothing mapped");
        // An app role on a Keycloak mapping is not read from the realm roles.
        let mapping = ClaimMapping::keycloak("api").app_role("admin", "admin");
        let token = claims(json!({"realm_access": {"roles": ["admin"]}}));
        assert!(mapping.apply(&token).0.is_empty());
        let mapping = ClaimMapping::groups("groups").roles_at(["roles"]).group("g", "editor");
        let token = claims(json!({"groups": ["g"], "roles": ["g"]}));
        assert_eq!(mapping.apply(&token).0, ["editor"], "only from `groups`");
    }

    #[test]
    fn a_role_without_a_claim_to_read_maps_nothing() {
        let mapping = ClaimMapping::new().role("admin", "admin");
        assert!(mapping.apply(&claims(json!({"roles": ["admin"]}))).0.is_empty());
        let mapping = ClaimMapping::new().roles_at(["a", "b"]).role("x", "viewer");
        assert_eq!(mapping.apply(&claims(json!({"a": {"b": ["x"]}}))).0, ["viewer"]);
        assert!(mapping.apply(&claims(json!({"a": ["x"]}))).0.is_empty());
    }
}
