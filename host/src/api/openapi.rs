//! `GET /openapi.json`: the API's OpenAPI document, generated from the handlers' annotations so it
//! cannot drift from the code.

use axum::Json;
use utoipa::{
    Modify, OpenApi,
    openapi::{
        self,
        security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
    },
};

use super::{body, compat, error, metrics, plugins, probes, v1};
use crate::job::{JobRecord, Reason, State as JobState};

/// The OpenAPI description of every route.
#[derive(OpenApi)]
#[openapi(
    info(title = "meetbot", description = "Meeting-bot job worker: REST API (CONTRACT section 4)"),
    paths(
        compat::join_google,
        compat::join_microsoft,
        compat::join_zoom,
        compat::is_busy,
        probes::health,
        probes::readyz,
        v1::create,
        v1::list,
        v1::get,
        v1::cancel,
        plugins::list,
        metrics::render,
        document,
    ),
    components(schemas(
        body::JobBody,
        body::CompatJobBody,
        error::ErrorBody,
        error::JobIds,
        compat::JoinAccepted,
        compat::JoinData,
        compat::BusyBody,
        probes::Health,
        probes::Readiness,
        v1::JobList,
        plugins::PluginList,
        plugins::PluginInfo,
        crate::plugins::Refusal,
        crate::plugins::Conflict,
        JobRecord,
        JobState,
        Reason,
    )),
    modifiers(&BearerScheme),
    tags(
        (name = "compat", description = "Endpoints of the original service, unchanged for its clients"),
        (name = "jobs", description = "Jobs"),
        (name = "plugins", description = "Platform plugins"),
        (name = "probes", description = "Health, readiness and metrics; open even when auth is on"),
    )
)]
pub struct ApiDoc;

/// Adds the `bearer` security scheme the protected paths refer to.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/openapi.json", tag = "probes", security(("bearer" = [])),
    responses(
        (status = 200, description = "The OpenAPI document", body = Object),
        (status = 401, description = "Bearer token missing or wrong", body = error::ErrorBody),
    ))]
pub async fn document() -> Json<openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_every_route() {
        let doc = ApiDoc::openapi();
        let expected = [
            ("/google/join", "post"),
            ("/microsoft/join", "post"),
            ("/zoom/join", "post"),
            ("/isbusy", "get"),
            ("/health", "get"),
            ("/readyz", "get"),
            ("/v1/jobs", "post"),
            ("/v1/jobs", "get"),
            ("/v1/jobs/{id}", "get"),
            ("/v1/jobs/{id}", "delete"),
            ("/v1/plugins", "get"),
            ("/metrics", "get"),
            ("/openapi.json", "get"),
        ];
        let json = serde_json::to_value(&doc).expect("document serializes");
        for (path, method) in expected {
            assert!(json["paths"][path][method].is_object(), "{method} {path} missing from the document");
        }
        assert_eq!(
            json["paths"].as_object().map(|p| p.len()),
            Some(expected.len() - 2),
            "no undocumented extra paths (two paths carry two methods)"
        );
        assert_eq!(json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    }

    #[test]
    fn open_routes_need_no_token_and_others_do() {
        let json = serde_json::to_value(ApiDoc::openapi()).expect("document serializes");
        assert!(json["paths"]["/health"]["get"].get("security").is_none());
        assert!(json["paths"]["/v1/jobs"]["post"]["security"].is_array());
    }
}
