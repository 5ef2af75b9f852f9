//! The admin API: create, change and delete users. Admins only, with a
//! token that carries scope `users:manage` (an admin's token narrowed to
//! other scopes cannot manage users); bodies are validated whole before
//! anything is written, so a refused request changes nothing.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rbac_core::routing::{SecureRouter, get, patch, post};
use rbac_core::store::UserUpdate;
use rbac_core::{
    AUDIT_TARGET, Auth, AuthError, CurrentUser, ScopedRole, User, UserDirectory, UserRecord,
    UserStore, UserWriteError, WritableUserStore, requires,
};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::AppState;
use crate::refusals::{Refusal, unavailable, user_not_found};
use crate::validate;

/// The admin API's routes.
pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/admin/users", get(list_users).post(create_user))
        .route("/admin/users/{username}", patch(update_account).delete(delete_user))
        .route("/admin/users/{username}/revoke-tokens", post(revoke_user_tokens))
        .route("/admin/users/{username}/grants", get(list_grants).post(grant).delete(revoke_grant))
}

/// `POST /admin/users`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewUser {
    username: String,
    password: String,
    #[serde(default)]
    roles: Vec<String>,
    email: Option<String>,
    full_name: Option<String>,
    #[serde(default)]
    disabled: bool,
}

/// `PATCH /admin/users/{username}`: absent fields stay; `null` clears
/// `email` or `full_name`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(
    clippy::option_option,
    reason = "absent, null or a value: the shape of rbac_core::UserUpdate's fields it fills"
)]
pub(crate) struct UserPatch {
    roles: Option<Vec<String>>,
    disabled: Option<bool>,
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    full_name: Option<Option<String>>,
}

/// A field that is present (possibly `null`), as opposed to absent.
#[allow(clippy::option_option, reason = "see UserPatch")]
fn present<'de, D: Deserializer<'de>>(field: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(field).map(Some)
}

fn invalid(detail: impl Into<String>) -> Refusal {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": detail.into() })))
}

fn body<T>(parsed: Result<Json<T>, JsonRejection>) -> Result<T, Refusal> {
    parsed.map(|Json(value)| value).map_err(|rejection| {
        let status = match rejection {
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            _ => StatusCode::BAD_REQUEST,
        };
        (status, Json(json!({ "detail": rejection.body_text() })))
    })
}

fn optional_text(field: &str, value: Option<&String>) -> Result<(), Refusal> {
    value.map_or(Ok(()), |value| validate::text(field, value)).map_err(invalid)
}

fn store_failed(error: UserWriteError) -> Refusal {
    match error {
        UserWriteError::Duplicate(_) => {
            (StatusCode::CONFLICT, Json(json!({ "detail": "User already exists" })))
        }
        UserWriteError::UnknownUser(_) => user_not_found(),
        UserWriteError::Store(error) => {
            tracing::error!(%error, "user store failed during an admin change");
            unavailable()
        }
    }
}

async fn hash(auth: &Auth, password: String) -> Result<rbac_core::PasswordHash, Refusal> {
    let hasher = auth.password_hasher().ok_or_else(unavailable)?;
    hasher.hash(password).await.map_err(|error| {
        tracing::warn!(?error, "could not hash a new password");
        unavailable()
    })
}

#[utoipa::path(
    post,
    path = "/admin/users",
    tag = "admin",
    request_body = NewUser,
    responses(
        (status = 201, description = "Created.", body = User),
        (status = 409, description = "The name is taken."),
        (status = 422, description = "An invalid field."),
    )
)]
/// Creates a user: 201 with the user, 409 if the name is taken, 422 for an
/// invalid field.
#[requires(all(role("admin"), scope("users:manage")))]
async fn create_user(
    CurrentUser(admin): CurrentUser,
    State(auth): State<Auth>,
    State(users): State<UserDirectory>,
    new: Result<Json<NewUser>, JsonRejection>,
) -> Result<(StatusCode, Json<User>), Refusal> {
    let new = body(new)?;
    validate::username(&new.username).map_err(invalid)?;
    validate::password(&new.password).map_err(invalid)?;
    let roles = validate::roles(&new.roles).map_err(invalid)?;
    optional_text("email", new.email.as_ref())?;
    optional_text("full_name", new.full_name.as_ref())?;
    let user = User {
        username: new.username,
        email: new.email,
        full_name: new.full_name,
        disabled: new.disabled,
        roles,
    };
    let password_hash = hash(&auth, new.password).await?;
    users
        .create_user(UserRecord { user: user.clone(), password_hash })
        .await
        .map_err(store_failed)?;
    tracing::info!(target: AUDIT_TARGET, admin = admin.username, username = user.username, "user created");
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(
    patch,
    path = "/admin/users/{username}",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    request_body = UserPatch,
    responses(
        (status = 200, description = "The changed user.", body = User),
        (status = 404, description = "No such user."),
        (status = 422, description = "An invalid field."),
    )
)]
/// Changes a user: 200 with the result, 404 if unknown, 422 for an invalid
/// field. A new password also revokes every token the user holds.
#[requires(all(role("admin"), scope("users:manage")))]
async fn update_account(
    CurrentUser(admin): CurrentUser,
    Path(username): Path<String>,
    State(auth): State<Auth>,
    State(users): State<UserDirectory>,
    patch: Result<Json<UserPatch>, JsonRejection>,
) -> Result<Json<User>, Refusal> {
    let patch = body(patch)?;
    validate::username(&username).map_err(|_| user_not_found())?;
    let roles = patch.roles.as_deref().map(validate::roles).transpose().map_err(invalid)?;
    if let Some(password) = &patch.password {
        validate::password(password).map_err(invalid)?;
    }
    optional_text("email", patch.email.as_ref().and_then(Option::as_ref))?;
    optional_text("full_name", patch.full_name.as_ref().and_then(Option::as_ref))?;
    if users.find_user(&username).await.map_err(|e| store_failed(e.into()))?.is_none() {
        return Err(user_not_found());
    }
    let new_password = patch.password.is_some();
    let password_hash = match patch.password {
        Some(password) => Some(hash(&auth, password).await?),
        None => None,
    };
    let update = UserUpdate {
        roles,
        disabled: patch.disabled,
        password_hash,
        email: patch.email,
        full_name: patch.full_name,
        // With the password, in one transaction: never a new password with
        // the old tokens still valid.
        revoke_tokens: new_password,
    };
    let user = users.update_user(&username, update).await.map_err(store_failed)?;
    tracing::info!(target: AUDIT_TARGET, admin = admin.username, username = user.username, "user changed");
    Ok(Json(user))
}

#[utoipa::path(
    delete,
    path = "/admin/users/{username}",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    responses((status = 204, description = "Deleted."), (status = 404, description = "No such user."))
)]
/// Deletes a user: 204, or 404 if unknown. Their tokens are revoked with
/// the delete (one transaction in the SQL stores; right after it in memory),
/// so a user later created with the same name inherits none of them.
#[requires(all(role("admin"), scope("users:manage")))]
async fn delete_user(
    CurrentUser(admin): CurrentUser,
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
) -> Result<StatusCode, Refusal> {
    validate::username(&username).map_err(|_| user_not_found())?;
    let user = users.find_user(&username).await.map_err(|e| store_failed(e.into()))?;
    let user = user.ok_or_else(user_not_found)?;
    users.delete_user(&user.username).await.map_err(store_failed)?;
    tracing::info!(target: AUDIT_TARGET, admin = admin.username, username = user.username, "user deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/admin/users", tag = "admin", responses((status = 200, description = "Every user.", body = [User])))]
/// Every user; admins whose token carries `users:manage`. Never includes
/// password hashes: `User` has none.
#[requires(all(role("admin"), scope("users:manage")))]
async fn list_users(State(users): State<UserDirectory>) -> Result<Json<Vec<User>>, AuthError> {
    users.list_users().await.map(Json).map_err(|_| AuthError::Unavailable)
}

#[utoipa::path(
    post,
    path = "/admin/users/{username}/revoke-tokens",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    responses((status = 204, description = "Every token revoked."), (status = 404, description = "No such user."))
)]
/// "Log out everywhere" for a user: every token they hold stops working.
/// Admins whose token carries `users:manage`.
#[requires(all(role("admin"), scope("users:manage")))]
async fn revoke_user_tokens(
    Path(username): Path<String>,
    State(auth): State<Auth>,
    State(users): State<UserDirectory>,
) -> Result<StatusCode, (StatusCode, Json<Value>)> {
    match users.find_user(&username).await {
        // The stored name, not the path's: in a case-insensitive store
        // `/admin/users/JohnDoe/...` is johndoe.
        Ok(Some(user)) => match auth.revoke_all_tokens(&user.username).await {
            Ok(()) => Ok(StatusCode::NO_CONTENT),
            Err(_) => Err(unavailable()),
        },
        Ok(None) => Err(user_not_found()),
        Err(error) => {
            tracing::error!(%error, "user store failed during a token revocation");
            Err(unavailable())
        }
    }
}

/// `POST` and `DELETE /admin/users/{username}/grants`: a role within one
/// scope, like the CLI's `--in org:acme`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct Grant {
    /// A role of the policy.
    role: String,
    /// `DOMAIN:SCOPE`, like `org:acme`.
    #[serde(rename = "in")]
    target: String,
}

/// The user's stored name, or 404.
async fn stored_name(users: &UserDirectory, username: &str) -> Result<String, Refusal> {
    validate::username(username).map_err(|_| user_not_found())?;
    let user = users.find_user(username).await.map_err(|e| store_failed(e.into()))?;
    Ok(user.ok_or_else(user_not_found)?.username)
}

#[utoipa::path(
    get,
    path = "/admin/users/{username}/grants",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    responses(
        (status = 200, description = "The roles the user holds within scopes."),
        (status = 404, description = "No such user."),
    )
)]
/// The roles a user holds within scopes (their global roles are on the user).
#[requires(all(role("admin"), scope("users:manage")))]
async fn list_grants(
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
) -> Result<Json<Vec<ScopedRole>>, Refusal> {
    let name = stored_name(&users, &username).await?;
    let grants = users.find_scoped_roles(&name).await.map_err(|e| store_failed(e.into()))?;
    Ok(Json(grants.to_vec()))
}

#[utoipa::path(
    post,
    path = "/admin/users/{username}/grants",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    request_body = Grant,
    responses(
        (status = 201, description = "Granted."),
        (status = 200, description = "Already held: nothing changed."),
        (status = 404, description = "No such user."),
        (status = 422, description = "An unknown domain or role, or an invalid scope id."),
    )
)]
/// Grants a role within a scope. It takes effect on the user's next request
/// here, and within the cache bound on other instances.
#[requires(all(role("admin"), scope("users:manage")))]
async fn grant(
    CurrentUser(admin): CurrentUser,
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
    grant: Result<Json<Grant>, JsonRejection>,
) -> Result<(StatusCode, Json<ScopedRole>), Refusal> {
    let grant = body(grant)?;
    let grant = validate::grant(&grant.role, &grant.target).map_err(invalid)?;
    let name = stored_name(&users, &username).await?;
    let new = users.grant_scoped_role(&name, grant.clone()).await.map_err(store_failed)?;
    tracing::info!(target: AUDIT_TARGET, admin = admin.username, username = name, grant = %grant, new, "scoped role granted");
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(grant)))
}

#[utoipa::path(
    delete,
    path = "/admin/users/{username}/grants",
    tag = "admin",
    params(("username" = String, Path, description = "The user's login name.")),
    request_body = Grant,
    responses(
        (status = 204, description = "Revoked."),
        (status = 404, description = "No such user, or the user does not hold it."),
        (status = 422, description = "An unknown domain or role, or an invalid scope id."),
    )
)]
/// Revokes a role within a scope: refused from the user's next request here,
/// and within the cache bound on other instances.
#[requires(all(role("admin"), scope("users:manage")))]
async fn revoke_grant(
    CurrentUser(admin): CurrentUser,
    Path(username): Path<String>,
    State(users): State<UserDirectory>,
    grant: Result<Json<Grant>, JsonRejection>,
) -> Result<StatusCode, Refusal> {
    let grant = body(grant)?;
    let grant = validate::grant(&grant.role, &grant.target).map_err(invalid)?;
    let name = stored_name(&users, &username).await?;
    if !users.revoke_scoped_role(&name, &grant).await.map_err(store_failed)? {
        return Err((StatusCode::NOT_FOUND, Json(json!({ "detail": "Grant not found" }))));
    }
    tracing::info!(target: AUDIT_TARGET, admin = admin.username, username = name, grant = %grant, "scoped role revoked");
    Ok(StatusCode::NO_CONTENT)
}
