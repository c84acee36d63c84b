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
    info(title = "meetbot", description = "Meeting-bot job worker: REST API (docs/REFERENCE.md section 4)"),
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
    modifiers(&BearerScheme, &SafeDefaultResponses),
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

/// Adds the answers every route can give because the API is safe by default (docs/REFERENCE.md
/// section 4), so that no route can be added without them: 403 on every operation (a foreign `Origin`),
/// and on those taking a body 408 (body too slow), 413 (body too large) and 415 (not JSON).
struct SafeDefaultResponses;

impl Modify for SafeDefaultResponses {
    fn modify(&self, openapi: &mut openapi::OpenApi) {
        let error = |description: &str| {
            let content = openapi::ContentBuilder::new().schema(Some(openapi::Ref::from_schema_name("ErrorBody")));
            openapi::ResponseBuilder::new()
                .description(description)
                .content("application/json", content.build())
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [&mut item.get, &mut item.post, &mut item.delete, &mut item.put, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let mut add = |status: &str, description: &str| {
                    operation.responses.responses.entry(status.to_owned()).or_insert_with(|| error(description).into());
                };
                add("403", "The request carries an `Origin` header not listed in `api.allowed_origins`");
                if operation.request_body.is_some() {
                    add("408", "The body did not arrive within `api.body_timeout_secs`");
                    add("413", "The body is over 64 KiB");
                    add("415", "The body is not sent as `Content-Type: application/json`");
                }
            }
        }
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
    fn every_route_documents_the_safe_default_refusals() {
        let json = serde_json::to_value(ApiDoc::openapi()).expect("document serializes");
        for (path, operations) in json["paths"].as_object().expect("paths") {
            for (method, operation) in operations.as_object().expect("operations") {
                let responses = &operation["responses"];
                assert!(responses["403"].is_object(), "{method} {path} lacks 403");
                let with_body = operation.get("requestBody").is_some();
                assert_eq!(with_body, method == "post", "{method} {path}");
                for status in ["408", "413", "415"] {
                    assert_eq!(responses[status].is_object(), with_body, "{method} {path}: {status}");
                }
            }
        }
        let refused = &json["paths"]["/v1/jobs"]["post"]["responses"]["415"];
        assert_eq!(refused["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody");
    }

    #[test]
    fn open_routes_need_no_token_and_others_do() {
        let json = serde_json::to_value(ApiDoc::openapi()).expect("document serializes");
        assert!(json["paths"]["/health"]["get"].get("security").is_none());
        assert!(json["paths"]["/v1/jobs"]["post"]["security"].is_array());
    }
}
