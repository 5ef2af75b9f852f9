//! Mapping targets written as the policy's typed constants: a misspelling
//! is a compile error, and a role cannot stand where a scope is expected.
use rbac_core::ClaimMapping;

rbac_core::policy! {
    mod policy {
        role "viewer" grants "items:read";
        role "editor": "viewer";
        role "admin": "editor";
    }
}

fn main() {
    let _keycloak = ClaimMapping::keycloak("reports-api")
        .realm_role("acme-admin", policy::roles::ADMIN)
        .client_role("writer", policy::roles::EDITOR)
        .scope("reports.read", policy::permissions::ITEMS_READ);
    let _entra = ClaimMapping::entra().app_role("Reports.Read", policy::roles::VIEWER);
}
