//! OpenAPI security from the route table (feature `openapi`, on
//! [utoipa](https://docs.rs/utoipa)): every operation's `security`, its
//! 401/403/400 responses and its rule in words, generated from the
//! attributes, never kept by hand.
//!
//! [`OpenApiSecurity::apply`] patches a utoipa [`OpenApi`] (typically from
//! `#[derive(utoipa::OpenApi)]` over `#[utoipa::path]` handlers, which give
//! the bodies) with what the [`RouteTable`] of a
//! [`SecureRouter`](crate::routing::SecureRouter) says:
//!
//! - an OAuth2 security scheme with the password flow, `tokenUrl` and
//!   `refreshUrl` `/token`, whose scopes are the policy's permissions (what
//!   [`ScopePolicy::from_policy`](crate::ScopePolicy::from_policy) grants);
//! - on a `#[public]` operation, `security: []`;
//! - on a guarded one, `[{"oauth2": [scopes]}]`: the scopes of one object
//!   are all needed, and `any(scope(..), scope(..))` gives one object each
//!   ([`scope_alternatives`]);
//! - responses 401 (with its `WWW-Authenticate` header), 403 when an active
//!   user can still be refused, and 400 `Inactive user`, in FastAPI's
//!   `{"detail": "..."}` shape;
//! - the rule in words at the end of the description
//!   ([`describe_requirement`]), and as data in `x-rbac-requires`, since
//!   OpenAPI has no roles.
//!
//! The spec and the table must list the same operations: one documented
//! but not routed, or routed but not documented, is a [`SpecMismatch`] and
//! nothing is patched. [`OpenApiSecurity::generate`] builds a spec from the
//! table alone, for apps that do not document their handlers.
//!
//! ```
//! use rbac_core::openapi::OpenApiSecurity;
//! use rbac_core::routing::{SecureRouter, get};
//! use rbac_core::{Auth, public, requires_scope};
//!
//! rbac_core::policy! { mod policy { role "viewer" grants "items:read"; } }
//!
//! #[requires_scope("items:read")]
//! async fn items() {}
//!
//! #[public]
//! async fn health() {}
//!
//! fn main() {
//!     let app: SecureRouter<Auth> =
//!         SecureRouter::new().route("/items", get(items)).route("/health", get(health));
//!     let info = utoipa::openapi::Info::new("demo", "1.0.0");
//!     let spec = OpenApiSecurity::for_policy::<policy::Policy>().generate(info, app.routes());
//!     let json = serde_json::to_value(&spec).unwrap();
//!     assert_eq!(json["paths"]["/items"]["get"]["security"], serde_json::json!([{ "oauth2": ["items:read"] }]));
//!     assert_eq!(json["paths"]["/health"]["get"]["security"], serde_json::json!([]));
//! }
//! ```

use std::fmt;

use serde_json::json;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterIn, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, Flow, OAuth2, Password, Scopes, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Components, Info, OpenApi, OpenApiBuilder, Paths, Required};

use crate::policy::{AccessPolicy, PolicyDescription, Requires};
use crate::routing::{Access, RouteEntry, RouteTable};

pub mod endpoints;
mod requirement;
mod responses;
#[cfg(test)]
mod tests;

pub use requirement::{describe_requirement, scope_alternatives};
pub use responses::{ERROR_SCHEMA, error_schema};

/// The name of the cookie scheme, with [`OpenApiSecurity::with_cookie_session`].
pub const COOKIE_SCHEME: &str = "cookieSession";

/// The extension holding each operation's rule as data.
pub const REQUIRES_EXTENSION: &str = "x-rbac-requires";

/// Generates the security part of an OpenAPI document from a route table
/// and the policy; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct OpenApiSecurity {
    policy: &'static PolicyDescription,
    scheme: String,
    token_url: String,
    refresh_url: Option<String>,
    undocumented: Vec<String>,
    cookie: Option<String>,
}

impl OpenApiSecurity {
    /// For `policy`, with the scheme named `oauth2` and `/token` as the
    /// token and refresh URL.
    pub fn new(policy: &'static PolicyDescription) -> Self {
        Self {
            policy,
            scheme: "oauth2".to_owned(),
            token_url: "/token".to_owned(),
            refresh_url: Some("/token".to_owned()),
            undocumented: Vec::new(),
            cookie: None,
        }
    }

    /// For the policy `P` declared with [`policy!`](crate::policy).
    pub fn for_policy<P: AccessPolicy>() -> Self {
        Self::new(P::describe())
    }

    /// Names the security scheme (`oauth2` by default).
    #[must_use]
    pub fn scheme_name(mut self, name: impl Into<String>) -> Self {
        self.scheme = name.into();
        self
    }

    /// Where the password flow posts (`/token` by default).
    #[must_use]
    pub fn token_url(mut self, url: impl Into<String>) -> Self {
        self.token_url = url.into();
        self
    }

    /// Where tokens are refreshed (`/token` by default); `None` for no refresh.
    #[must_use]
    pub fn refresh_url(mut self, url: Option<String>) -> Self {
        self.refresh_url = url;
        self
    }

    /// Routes at `path` may be left out of the spec on purpose (the docs
    /// page itself, say). Without this, a routed operation missing from
    /// the spec is a [`SpecMismatch`].
    #[must_use]
    pub fn undocumented(mut self, path: impl Into<String>) -> Self {
        self.undocumented.push(path.into());
        self
    }

    /// Browsers may also authenticate with the access-token cookie named
    /// `cookie_name` ([`crate::browser`]): a second scheme, `cookieSession`
    /// (an API key in a cookie), offered beside OAuth2 on every guarded
    /// operation. Its requests pass the CSRF checks; the token in it carries
    /// the same scopes, which OpenAPI cannot attach to an API key.
    #[must_use]
    pub fn with_cookie_session(mut self, cookie_name: impl Into<String>) -> Self {
        self.cookie = Some(cookie_name.into());
        self
    }

    /// The OAuth2 password-flow scheme: one scope per permission of the
    /// policy, described by the roles that grant it.
    pub fn security_scheme(&self) -> SecurityScheme {
        let scopes = Scopes::from_iter(self.policy.permissions.iter().map(|permission| {
            let description = format!(
                "permission `{permission}`, {}",
                requirement::granted_to(permission, self.policy)
            );
            ((*permission).to_owned(), description)
        }));
        let password = match &self.refresh_url {
            Some(refresh) => {
                Password::with_refresh_url(self.token_url.clone(), scopes, refresh.clone())
            }
            None => Password::new(self.token_url.clone(), scopes),
        };
        let mut oauth2 = OAuth2::new([Flow::Password(password)]);
        oauth2.description = Some(
            "OAuth2 password flow: post `username` and `password` to the token URL, then send \
             `Authorization: Bearer <access_token>`."
                .to_owned(),
        );
        SecurityScheme::OAuth2(oauth2)
    }

    /// An operation's `security`: `[]` for a public rule, otherwise one
    /// requirement object per [`scope_alternatives`] set.
    pub fn security_requirements(&self, requires: &Requires) -> Vec<SecurityRequirement> {
        if *requires == Requires::Public {
            return Vec::new();
        }
        let mut alternatives: Vec<SecurityRequirement> = scope_alternatives(requires)
            .into_iter()
            .map(|scopes| SecurityRequirement::new(self.scheme.clone(), scopes))
            .collect();
        if self.cookie.is_some() {
            alternatives.push(SecurityRequirement::new(COOKIE_SCHEME, Vec::<String>::new()));
        }
        alternatives
    }

    /// Patches `api`: the scheme and the error schema into its components,
    /// and every operation's security, responses, description and
    /// `x-rbac-requires` from the route in `routes` it documents.
    ///
    /// Fails, changing nothing, when an operation is not in the table, a
    /// routed operation is not documented (unless its path is
    /// [`undocumented`](Self::undocumented)), or a rule needs a scope that
    /// is not a permission of the policy.
    pub fn apply(&self, api: &mut OpenApi, routes: &RouteTable) -> Result<(), SpecMismatch> {
        let matched = self.match_operations(&api.paths, routes)?;
        for (path, method, entry) in matched {
            let Access::Requires(requires) = entry.access else { continue };
            if let Some(operation) = operation_mut(&mut api.paths, &path, &method) {
                self.patch_operation(operation, &requires, entry);
            }
        }
        let components = api.components.get_or_insert_with(Components::new);
        components.security_schemes.insert(self.scheme.clone(), self.security_scheme().into());
        if let Some(cookie) = &self.cookie {
            let scheme = ApiKey::Cookie(ApiKeyValue::with_description(
                cookie.clone(),
                "The browser session's access token (HttpOnly cookie set by `POST /session`); \
                 state-changing requests also need `X-CSRF-Token`."
                    .to_owned(),
            ));
            components
                .security_schemes
                .insert(COOKIE_SCHEME.to_owned(), SecurityScheme::ApiKey(scheme).into());
        }
        components.schemas.insert(ERROR_SCHEMA.to_owned(), error_schema());
        Ok(())
    }

    /// A whole spec from the table alone: one operation per routed method
    /// (`operationId` the handler's name, path parameters as strings), then
    /// [`apply`](Self::apply). Routes that cannot be documented (fallbacks,
    /// `ANY`, unchecked services) are left out.
    pub fn generate(&self, info: Info, routes: &RouteTable) -> OpenApi {
        let mut paths = Paths::new();
        for entry in routes {
            let (Some(method), Access::Requires(_)) = (http_method(entry.method), entry.access)
            else {
                continue;
            };
            if self.undocumented.contains(&entry.path) {
                continue;
            }
            let mut operation = Operation::new();
            operation.operation_id = entry.handler.map(str::to_owned);
            let parameters: Vec<_> = path_parameters(&entry.path)
                .map(|name| {
                    let mut parameter = Parameter::new(name);
                    parameter.parameter_in = ParameterIn::Path;
                    parameter.required = Required::True;
                    parameter.schema = Some(
                        utoipa::openapi::schema::Object::with_type(
                            utoipa::openapi::schema::Type::String,
                        )
                        .into(),
                    );
                    parameter.into()
                })
                .collect();
            if !parameters.is_empty() {
                operation.parameters = Some(parameters);
            }
            match paths.paths.get_mut(&entry.path) {
                Some(item) => item.merge_operations(PathItem::new(method, operation)),
                None => {
                    paths.paths.insert(entry.path.clone(), PathItem::new(method, operation));
                }
            }
        }
        let mut api = OpenApiBuilder::new().info(info).paths(paths).build();
        // Every operation above comes from the table, so nothing can mismatch.
        if let Err(mismatch) = self.apply(&mut api, routes) {
            tracing::error!(%mismatch, "OpenAPI generated from the route table disagrees with it");
        }
        api
    }

    fn patch_operation(&self, operation: &mut Operation, requires: &Requires, entry: &RouteEntry) {
        operation.security = Some(self.security_requirements(requires));
        let words = describe_requirement(requires, self.policy);
        let access = format!("**Access:** {words}.");
        operation.description = Some(match operation.description.take() {
            Some(description) if !description.trim().is_empty() => {
                format!("{description}\n\n{access}")
            }
            _ => access,
        });
        if *requires != Requires::Public {
            responses::add_refusals(&mut operation.responses, requirement::can_forbid(requires));
        }
        let rule = json!({
            "rule": requires.to_string(),
            "tree": requirement::requirement_json(requires),
            "handler": entry.handler,
            "policy": entry.policy,
        });
        operation
            .extensions
            .get_or_insert_with(Default::default)
            .insert(REQUIRES_EXTENSION.to_owned(), rule);
    }

    /// Pairs each documented operation with its route, or says what does not pair.
    fn match_operations<'t>(
        &self,
        paths: &Paths,
        routes: &'t RouteTable,
    ) -> Result<Vec<(String, String, &'t RouteEntry)>, SpecMismatch> {
        let mut mismatch = SpecMismatch::default();
        let mut matched = Vec::new();
        let mut used = vec![false; routes.len()];
        for (path, item) in &paths.paths {
            for method in documented_methods(item) {
                let found = routes.entries().iter().enumerate().find(|(_, entry)| {
                    entry.path == *path
                        && matches!(entry.access, Access::Requires(_))
                        && serves(entry.method, &method)
                });
                match found {
                    Some((index, entry)) => {
                        used[index] = true;
                        if let Access::Requires(requires) = entry.access {
                            for scope in scope_alternatives(&requires).into_iter().flatten() {
                                if !self.policy.permissions.contains(&scope) {
                                    mismatch.unknown_scopes.push(SpecOperation::new(
                                        &method,
                                        path,
                                        Some(scope),
                                    ));
                                }
                            }
                        }
                        matched.push((path.clone(), method, entry));
                    }
                    None => mismatch.not_routed.push(SpecOperation::new(&method, path, None)),
                }
            }
        }
        for (entry, used) in routes.entries().iter().zip(used) {
            let documentable =
                http_method(entry.method).is_some() && matches!(entry.access, Access::Requires(_));
            if !used && documentable && !self.undocumented.contains(&entry.path) {
                mismatch.not_documented.push(SpecOperation::new(entry.method, &entry.path, None));
            }
        }
        if mismatch.is_empty() { Ok(matched) } else { Err(mismatch) }
    }
}

/// Whether a route added for `routed` answers the documented `method`:
/// the same method, `ANY`, or `HEAD` on a `GET` route (axum serves both).
fn serves(routed: &str, method: &str) -> bool {
    routed == method || routed == "ANY" || (routed == "GET" && method == "HEAD")
}

fn http_method(method: &str) -> Option<HttpMethod> {
    Some(match method {
        "GET" => HttpMethod::Get,
        "POST" => HttpMethod::Post,
        "PUT" => HttpMethod::Put,
        "PATCH" => HttpMethod::Patch,
        "DELETE" => HttpMethod::Delete,
        "HEAD" => HttpMethod::Head,
        "OPTIONS" => HttpMethod::Options,
        _ => return None,
    })
}

fn documented_methods(item: &PathItem) -> Vec<String> {
    let fixed = [
        ("GET", &item.get),
        ("PUT", &item.put),
        ("POST", &item.post),
        ("DELETE", &item.delete),
        ("OPTIONS", &item.options),
        ("HEAD", &item.head),
        ("PATCH", &item.patch),
        ("TRACE", &item.trace),
        ("QUERY", &item.query),
    ];
    let mut methods: Vec<String> = fixed
        .into_iter()
        .filter(|(_, operation)| operation.is_some())
        .map(|(method, _)| method.to_owned())
        .collect();
    methods.extend(item.additional_operations.keys().map(|method| method.to_ascii_uppercase()));
    methods
}

fn operation_mut<'a>(paths: &'a mut Paths, path: &str, method: &str) -> Option<&'a mut Operation> {
    let item = paths.paths.get_mut(path)?;
    match method {
        "GET" => item.get.as_mut(),
        "PUT" => item.put.as_mut(),
        "POST" => item.post.as_mut(),
        "DELETE" => item.delete.as_mut(),
        "OPTIONS" => item.options.as_mut(),
        "HEAD" => item.head.as_mut(),
        "PATCH" => item.patch.as_mut(),
        "TRACE" => item.trace.as_mut(),
        "QUERY" => item.query.as_mut(),
        other => item
            .additional_operations
            .iter_mut()
            .find(|(name, _)| name.eq_ignore_ascii_case(other))
            .map(|(_, operation)| operation),
    }
}

/// The `{name}` segments of an axum path (`{*rest}` included, by name).
fn path_parameters(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter_map(|segment| {
        segment.strip_prefix('{')?.strip_suffix('}').map(|name| name.trim_start_matches('*'))
    })
}

/// The spec and the route table disagree; see [`OpenApiSecurity::apply`].
/// `Display` lists every problem, one a line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpecMismatch {
    /// Documented operations no route serves.
    pub not_routed: Vec<SpecOperation>,
    /// Routed operations the spec leaves out.
    pub not_documented: Vec<SpecOperation>,
    /// Scopes a rule needs that the policy does not declare as permissions.
    pub unknown_scopes: Vec<SpecOperation>,
}

impl SpecMismatch {
    fn is_empty(&self) -> bool {
        self.not_routed.is_empty()
            && self.not_documented.is_empty()
            && self.unknown_scopes.is_empty()
    }
}

impl fmt::Display for SpecMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the OpenAPI spec and the route table disagree:")?;
        for operation in &self.not_routed {
            write!(f, "\n  {operation}: documented, but no route serves it")?;
        }
        for operation in &self.not_documented {
            write!(f, "\n  {operation}: routed, but not in the spec")?;
        }
        for operation in &self.unknown_scopes {
            write!(f, "\n  {operation}: its scope is not a permission of the policy")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecMismatch {}

/// One operation named in a [`SpecMismatch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecOperation {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, as in the spec and the table.
    pub path: String,
    /// The scope in question, for [`SpecMismatch::unknown_scopes`].
    pub scope: Option<&'static str>,
}

impl SpecOperation {
    fn new(method: &str, path: &str, scope: Option<&'static str>) -> Self {
        Self { method: method.to_owned(), path: path.to_owned(), scope }
    }
}

impl fmt::Display for SpecOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)?;
        match self.scope {
            Some(scope) => write!(f, " (scope `{scope}`)"),
            None => Ok(()),
        }
    }
}
