//! ホーム: who is signed in, for which insurer, and what their roles let them do.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use axum::Router;

use super::render;
use crate::web::auth::Staff;
use crate::web::error::WebError;
use crate::web::WebState;

pub fn router() -> Router<Arc<WebState>> {
    Router::new().route("/", get(home))
}

async fn home(State(state): State<Arc<WebState>>, staff: Staff) -> Result<Html<String>, WebError> {
    let insurer_numbers = state
        .tenants
        .get(staff.tenant())
        .map(|t| t.profile.insurer_numbers.clone())
        .unwrap_or_default();
    render(
        &state,
        &staff,
        "home.html",
        minijinja::context! { insurer_numbers },
    )
}
