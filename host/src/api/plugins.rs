//! `GET /v1/plugins`: what was loaded, refused and overridden at start-up, so an operator can see
//! why a provider is missing without reading the logs.

use axum::{Json, extract::State};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiState, error::ErrorBody};
use crate::plugins::{Conflict, LoadedPlugin, Refusal};

/// One loaded plugin.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct PluginInfo {
    /// The library file.
    pub file: String,
    /// Plugin name.
    pub name: String,
    /// Plugin version.
    pub version: String,
    /// Providers it declares.
    pub providers: Vec<String>,
}

impl From<&LoadedPlugin> for PluginInfo {
    fn from(plugin: &LoadedPlugin) -> Self {
        Self {
            file: plugin.path.display().to_string(),
            name: plugin.name.clone(),
            version: plugin.version.clone(),
            providers: plugin.providers.clone(),
        }
    }
}

/// Body of `GET /v1/plugins`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PluginList {
    /// Loaded plugins, in load order.
    pub plugins: Vec<PluginInfo>,
    /// Libraries that were not loaded, each with a one-line reason.
    pub refused: Vec<Refusal>,
    /// Providers claimed by two plugins; the first in `plugins.dirs` order keeps each.
    pub conflicts: Vec<Conflict>,
}

/// The plugins found at start-up.
#[utoipa::path(get, path = "/v1/plugins", tag = "plugins", security(("bearer" = [])),
    responses(
        (status = 200, description = "Loaded, refused and conflicting plugins", body = PluginList),
        (status = 401, description = "Bearer token missing or wrong", body = ErrorBody),
    ))]
pub async fn list(State(state): State<ApiState>) -> Json<PluginList> {
    let registry = &state.app.registry;
    Json(PluginList {
        plugins: registry.plugins.iter().map(|p| PluginInfo::from(p.as_ref())).collect(),
        refused: registry.refused.clone(),
        conflicts: registry.conflicts.clone(),
    })
}
