//! The dashboard's data, as server functions. The types are shared with the
//! server ([`crate::model`]); the bodies run only on the server.

use crate::model::{EndpointList, EndpointView};
use leptos::prelude::*;

#[server]
pub async fn list_endpoints() -> Result<EndpointList, ServerFnError> {
    use crate::server::state::AppState;
    let state = expect_context::<AppState>();
    state
        .endpoint_list()
        .map_err(|e| ServerFnError::new(e.to_string()))
}

/// `None` when there is no such endpoint.
#[server]
pub async fn get_endpoint(extension: String) -> Result<Option<EndpointView>, ServerFnError> {
    use crate::server::error::ApiError;
    use crate::server::state::AppState;
    let state = expect_context::<AppState>();
    match state.endpoint_view(&extension) {
        Ok(v) => Ok(Some(v)),
        Err(ApiError::ExtensionNotFound) => Ok(None),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}
