//! Organizations with projects, each checked against roles held *in* that
//! organization (`#[requires_role("viewer", in = org)]`): viewers of an org
//! list its projects, editors add some, org admins (or global admins, which
//! the policy counts in every org) delete it. `GET /orgs` lists the orgs
//! where the caller is a viewer.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rbac_core::routing::{SecureRouter, delete, get};
use rbac_core::{AUDIT_TARGET, Auth, CurrentUser, authenticated, requires_role};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::policy;
use crate::refusals::{Refusal, unavailable};

/// The organizations and their projects, in memory, shared by clones.
#[derive(Clone, Debug, Default)]
pub struct Orgs(Arc<RwLock<BTreeMap<String, Vec<String>>>>);

impl Orgs {
    /// The demo organizations: `acme` and `beta`, with a project or two.
    pub fn demo() -> Self {
        let orgs = [("acme", &["rocket", "anvil"][..]), ("beta", &["alpha"][..])]
            .into_iter()
            .map(|(org, projects)| {
                (org.to_owned(), projects.iter().map(|p| p.to_string()).collect())
            })
            .collect();
        Self(Arc::new(RwLock::new(orgs)))
    }

    /// Every organization's id, sorted.
    pub fn ids(&self) -> Vec<String> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).keys().cloned().collect()
    }

    /// An organization's projects; `None` if there is no such organization.
    pub fn projects(&self, org: &str) -> Option<Vec<String>> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).get(org).cloned()
    }

    fn add_project(&self, org: &str, name: String) -> Option<Vec<String>> {
        let mut orgs = self.0.write().unwrap_or_else(PoisonError::into_inner);
        let projects = orgs.get_mut(org)?;
        if !projects.contains(&name) {
            projects.push(name);
        }
        Some(projects.clone())
    }

    fn remove(&self, org: &str) -> bool {
        self.0.write().unwrap_or_else(PoisonError::into_inner).remove(org).is_some()
    }
}

/// The organizations' routes.
pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/orgs", get(list_orgs))
        .route("/orgs/{org}", delete(delete_org))
        .route("/orgs/{org}/projects", get(list_projects).post(create_project))
}

fn org_not_found() -> Refusal {
    (StatusCode::NOT_FOUND, Json(json!({ "detail": "Organization not found" })))
}

#[utoipa::path(get, path = "/orgs", tag = "orgs", responses((status = 200, description = "The ids of the organizations where the caller is a viewer (every one for a global admin).", body = [String])))]
/// The organizations where the caller is a viewer (directly, through the
/// hierarchy, or as a global admin, who counts in every org).
#[authenticated]
async fn list_orgs(
    CurrentUser(user): CurrentUser,
    State(auth): State<Auth>,
    State(orgs): State<Orgs>,
) -> Result<Json<Vec<String>>, Refusal> {
    let visible = auth
        .scopes_where::<policy::Policy>(&user, "org", policy::roles::VIEWER)
        .await
        .map_err(|_| unavailable())?;
    Ok(Json(orgs.ids().into_iter().filter(|org| visible.contains(org)).collect()))
}

#[utoipa::path(
    get,
    path = "/orgs/{org}/projects",
    tag = "orgs",
    params(("org" = String, Path, description = "The organization's id, compared byte for byte.")),
    responses(
        (status = 200, description = "The organization's projects.", body = [String]),
        (status = 404, description = "No such organization (only for those allowed to look)."),
    )
)]
/// An organization's projects, for its viewers.
#[requires_role("viewer", in = org)]
async fn list_projects(
    Path(org): Path<String>,
    State(orgs): State<Orgs>,
) -> Result<Json<Vec<String>>, Refusal> {
    orgs.projects(&org).map(Json).ok_or_else(org_not_found)
}

/// `POST /orgs/{org}/projects`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewProject {
    /// 1 to 64 ASCII letters, digits, `_`, `-` or `.`.
    name: String,
}

#[utoipa::path(
    post,
    path = "/orgs/{org}/projects",
    tag = "orgs",
    params(("org" = String, Path, description = "The organization's id.")),
    request_body = NewProject,
    responses(
        (status = 201, description = "The organization's projects, with the new one.", body = [String]),
        (status = 404, description = "No such organization."),
        (status = 422, description = "An invalid name."),
    )
)]
/// Adds a project to an organization, for its editors. The check runs
/// before the body is read.
#[requires_role("editor", in = org)]
async fn create_project(
    CurrentUser(user): CurrentUser,
    Path(org): Path<String>,
    State(orgs): State<Orgs>,
    new: Result<Json<NewProject>, JsonRejection>,
) -> Result<(StatusCode, Json<Vec<String>>), Refusal> {
    let Json(new) = new.map_err(|rejection| {
        (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": rejection.body_text() })))
    })?;
    crate::validate::username(&new.name).map_err(|_| {
        let detail = "name: 1 to 64 ASCII letters, digits, `_`, `-` or `.`";
        (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": detail })))
    })?;
    let projects = orgs.add_project(&org, new.name).ok_or_else(org_not_found)?;
    tracing::info!(target: AUDIT_TARGET, username = user.username, org, "project created");
    Ok((StatusCode::CREATED, Json(projects)))
}

#[utoipa::path(
    delete,
    path = "/orgs/{org}",
    tag = "orgs",
    params(("org" = String, Path, description = "The organization's id.")),
    responses((status = 204, description = "Deleted."), (status = 404, description = "No such organization."))
)]
/// Deletes an organization: its admins, or global admins.
#[requires_role("admin", in = org)]
async fn delete_org(
    CurrentUser(user): CurrentUser,
    Path(org): Path<String>,
    State(orgs): State<Orgs>,
) -> Result<StatusCode, Refusal> {
    if !orgs.remove(&org) {
        return Err(org_not_found());
    }
    tracing::info!(target: AUDIT_TARGET, username = user.username, org, "organization deleted");
    Ok(StatusCode::NO_CONTENT)
}
