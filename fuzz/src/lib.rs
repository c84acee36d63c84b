//! What the fuzz targets check, written once: the properties of a parsed job ([`job`]) and of a
//! URL a plugin's normalizer returns ([`normalized_url`]). Each check panics with the property it
//! found broken, which libFuzzer records as a crash with the input that broke it.

pub mod job;
pub mod normalized_url;
