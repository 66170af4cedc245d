//! The dashboard's data, as server functions. The types are shared with the
//! server ([`crate::model`]); the bodies run only on the server, where they
//! ask the domain layer ([`crate::pbx`]) found in context. Their paths are
//! fixed (`/api/list_endpoints`, `/api/get_endpoint`) rather than hashed from
//! the module path and checkout, so from this release on a page still open
//! in a browser reaches them after an upgrade.

use crate::model::{EndpointListResponse, EndpointView};
use leptos::prelude::*;

#[server(endpoint = "list_endpoints")]
pub async fn list_endpoints() -> Result<EndpointListResponse, ServerFnError> {
    let pbx = expect_context::<crate::pbx::Pbx>();
    pbx.snapshot().endpoint_list().map_err(|e| ServerFnError::new(e.to_string()))
}

/// `None` when there is no such endpoint.
#[server(endpoint = "get_endpoint")]
pub async fn get_endpoint(extension: String) -> Result<Option<EndpointView>, ServerFnError> {
    use crate::pbx::{Pbx, PbxError};
    let pbx = expect_context::<Pbx>();
    match pbx.endpoint_page(&extension, super::change_fns::on_server::may_change(&pbx)) {
        Ok(v) => Ok(Some(v)),
        Err(PbxError::EndpointNotFound) => Ok(None),
        Err(e) => Err(ServerFnError::new(e.to_string())),
    }
}
