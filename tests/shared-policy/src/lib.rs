//! An `authz` crate as a team would share it between services: the policy
//! lives here, the handlers that name its roles live in the services.

rbac_core::policy! {
    /// The roles and permissions every service of the team checks.
    pub mod policy {
        role "viewer" grants "tickets:read";
        role "editor": "viewer" grants "tickets:write";
        role "admin": "editor" grants "users:manage";
    }
}
