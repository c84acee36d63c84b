//! Static pages from a folder: `/<path>` is the file at that path, and anything else is the
//! folder's `index.html`, since meeting links are `https://host/<room>` and one page serves every
//! room (the page reads its room and any `?scenario=` from its own address).

use std::path::{Component, Path, PathBuf};

use axum::{
    extract::State,
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

/// The page served for any address without a file of its own.
const INDEX: &str = "index.html";

/// Serves the file `uri` names under `root`, else `root/index.html`.
pub(crate) async fn serve(State(root): State<PathBuf>, uri: Uri) -> Response {
    let file = match within(&root, uri.path()) {
        Some(path) if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_file()) => path,
        _ => root.join(INDEX),
    };
    match tokio::fs::read(&file).await {
        Ok(body) => {
            let mut response = body.into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
            // Each test's browser must see the pages as they are now.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(_) => (StatusCode::NOT_FOUND, format!("no {INDEX} in the pages folder\n")).into_response(),
    }
}

/// `path` as a file under `root`; `None` for the root itself or a path leaving it.
fn within(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    let plain = relative.components().all(|c| matches!(c, Component::Normal(_)));
    (plain && !relative.as_os_str().is_empty()).then(|| root.join(relative))
}

/// The content type of a page file, by its extension.
fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "ico" => "image/x-icon",
        "wasm" => "application/wasm",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_folder() {
        let root = Path::new("/pages");
        assert_eq!(within(root, "/app.js"), Some(PathBuf::from("/pages/app.js")));
        assert_eq!(within(root, "/css/a.css"), Some(PathBuf::from("/pages/css/a.css")));
        assert_eq!(within(root, "/"), None);
        assert_eq!(within(root, "/../secret"), None);
        assert_eq!(within(root, "/a/../../b"), None);
        assert_eq!(content_type(Path::new("x/index.html")), "text/html; charset=utf-8");
    }
}
