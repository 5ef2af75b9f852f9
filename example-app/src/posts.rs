//! A small posts resource: list for viewers, create with `posts:write`,
//! delete for admins or the post's author.

use std::collections::BTreeMap;
use std::sync::{Arc, PoisonError, RwLock};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rbac_core::routing::{SecureRouter, delete, get};
use rbac_core::{CurrentUser, User, requires, requires_permission, requires_role};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::AppState;

/// A blog post.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Post {
    /// Assigned on creation.
    pub id: u64,
    /// 1 to 200 characters.
    pub title: String,
    /// Up to 10 000 characters.
    pub body: String,
    /// The username of whoever created it.
    pub author: String,
}

/// The posts, in memory, shared by clones; new posts are also announced to
/// [`Posts::subscribe`]rs (the live feed).
#[derive(Clone, Debug)]
pub struct Posts(Arc<RwLock<Shelf>>, broadcast::Sender<Post>);

impl Default for Posts {
    fn default() -> Self {
        // A slow feed reader misses posts beyond this many, not memory.
        Self(Arc::default(), broadcast::channel(64).0)
    }
}

#[derive(Debug, Default)]
struct Shelf {
    next_id: u64,
    posts: BTreeMap<u64, Post>,
}

impl Posts {
    /// Every post, oldest first.
    pub fn list(&self) -> Vec<Post> {
        self.0.read().unwrap_or_else(PoisonError::into_inner).posts.values().cloned().collect()
    }

    /// Stores a new post and returns it with its id.
    pub fn create(&self, title: String, body: String, author: String) -> Post {
        let mut shelf = self.0.write().unwrap_or_else(PoisonError::into_inner);
        shelf.next_id += 1;
        let post = Post { id: shelf.next_id, title, body, author };
        shelf.posts.insert(post.id, post.clone());
        // Nobody listening is fine.
        let _ = self.1.send(post.clone());
        post
    }

    /// New posts, as they are created.
    pub fn subscribe(&self) -> broadcast::Receiver<Post> {
        self.1.subscribe()
    }

    /// The author of post `id`, if it exists.
    pub fn author(&self, id: u64) -> Option<String> {
        let shelf = self.0.read().unwrap_or_else(PoisonError::into_inner);
        shelf.posts.get(&id).map(|post| post.author.clone())
    }

    /// Removes post `id`; `false` if there was none.
    pub fn delete(&self, id: u64) -> bool {
        self.0.write().unwrap_or_else(PoisonError::into_inner).posts.remove(&id).is_some()
    }
}

pub(crate) fn router() -> SecureRouter<AppState> {
    SecureRouter::new()
        .route("/posts", get(list_posts).post(create_post))
        .route("/posts/{id}", delete(delete_post))
        .route("/posts/feed", get(crate::feed::feed))
}

#[utoipa::path(get, path = "/posts", tag = "posts", responses((status = 200, description = "Every post.", body = [Post])))]
/// Every post; viewers and up.
#[requires_role("viewer")]
async fn list_posts(State(posts): State<Posts>) -> Json<Vec<Post>> {
    Json(posts.list())
}

/// A new post.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewPost {
    title: String,
    #[serde(default)]
    body: String,
}

type Invalid = (StatusCode, Json<Value>);

#[utoipa::path(
    post,
    path = "/posts",
    tag = "posts",
    request_body = NewPost,
    responses((status = 201, description = "Created.", body = Post), (status = 422, description = "An invalid title or body."))
)]
/// Creates a post; anyone granted `posts:write` (editors, and admins by inheritance).
#[requires_permission("posts:write")]
async fn create_post(
    State(posts): State<Posts>,
    user: CurrentUser,
    Json(new): Json<NewPost>,
) -> Result<(StatusCode, Json<Post>), Invalid> {
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 || new.body.chars().count() > 10_000 {
        let detail = "title must be 1 to 200 characters and body at most 10000";
        return Err((StatusCode::UNPROCESSABLE_ENTITY, Json(json!({ "detail": detail }))));
    }
    let post = posts.create(title.to_owned(), new.body, user.username.clone());
    Ok((StatusCode::CREATED, Json(post)))
}

/// Whether `user` wrote post `id`. A missing post has no author, so only
/// admins get past the guard to learn that it is missing.
async fn is_author(user: &User, id: &u64, posts: &Posts) -> bool {
    posts.author(*id).is_some_and(|author| author == user.username)
}

#[utoipa::path(
    delete,
    path = "/posts/{id}",
    tag = "posts",
    params(("id" = u64, Path, description = "The post's id.")),
    responses((status = 204, description = "Deleted."), (status = 404, description = "No such post."))
)]
/// Deletes a post; admins, or the post's author.
#[requires(any(role("admin"), check(is_author(id, posts))))]
async fn delete_post(Path(id): Path<u64>, State(posts): State<Posts>) -> StatusCode {
    if posts.delete(id) { StatusCode::NO_CONTENT } else { StatusCode::NOT_FOUND }
}
