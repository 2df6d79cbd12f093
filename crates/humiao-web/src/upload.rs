//! Reading the visit form: text fields and photos from a multipart body — the same for the
//! form posted by the browser and for a visit the phone queued offline and syncs later
//! (which adds its `client_id`, `alert_id` and the `recorded_at` time of the phone).
//!
//! A photo is accepted only as JPEG, PNG or WebP, by its declared type *and* its first bytes,
//! and up to [`MAX_PHOTO_BYTES`]. Problems are collected as messages for the re-rendered form
//! rather than failing the request, so the director does not lose what they typed.

use axum::extract::multipart::Field;
use axum::extract::Multipart;
use chrono::{DateTime, Utc};
use humiao_store::NewPhoto;

use crate::error::AppError;

pub(crate) const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
pub(crate) const MAX_PHOTOS: usize = 10;
const MAX_TEXT_CHARS: usize = 4000;

/// Form fields `aspect_<code>`: an aspect of the pack's visit form (`aspect_family`); forms
/// saved before aspects had codes send `aspect_<position>` (`aspect_1` …), also understood.
pub(crate) const ASPECT_PREFIX: &str = "aspect_";
/// More aspect fields than any form has are not ours.
const MAX_ASPECT_FIELDS: usize = 100;

/// Form fields `obs__<model>__<indicator>`: 是/否/未观察 for a visit-fed risk indicator.
pub(crate) const OBSERVATION_PREFIX: &str = "obs__";

#[derive(Debug, Default)]
pub(crate) struct VisitUpload {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// Aspects as sent: (code or 1-based position, text); checked against the pack's form by
    /// `humiao_rules::visit::VisitForm::collect`.
    pub aspects: Vec<(String, String)>,
    pub notes: String,
    pub photos: Vec<NewPhoto>,
    /// Risk observations as sent: (field name without the `obs__` prefix, value).
    pub observations: Vec<(String, String)>,
    /// The visit's identifier given by the phone (a UUID) or the form: sent twice, stored once.
    pub client_id: Option<String>,
    /// The alert answered (the sync endpoint's; the form has it in its path).
    pub alert_id: Option<i64>,
    /// When the visit was recorded on the phone (a queued visit arrives later).
    pub recorded_at: Option<DateTime<Utc>>,
    /// The alert was open when the form was shown: finding it closed is a conflict to report.
    pub expect_open: bool,
    /// What was wrong, in words for the director.
    pub errors: Vec<String>,
}

impl VisitUpload {
    /// The text sent for an aspect, by code or position (1-based).
    pub fn aspect_text(&self, code: &str, position: usize) -> String {
        self.aspects
            .iter()
            .rev()
            .find(|(k, _)| k == code || k.parse::<usize>().ok() == Some(position))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// The image type named by its first bytes.
pub(crate) fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

fn parse_coordinate(text: &str, bound: f64) -> Option<f64> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && v.abs() <= bound)
}

/// A client identifier: 8–64 letters, digits and dashes (a UUID is 36).
pub(crate) fn valid_client_id(text: &str) -> Option<String> {
    let text = text.trim();
    ((8..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .then(|| text.to_ascii_lowercase())
}

fn body_error(e: axum::extract::multipart::MultipartError) -> AppError {
    let text = e.body_text();
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE || text.contains("length limit") {
        AppError::TooLarge
    } else {
        AppError::BadRequest("表单内容无法读取，请重新提交。".into())
    }
}

async fn read_text(field: Field<'_>) -> Result<String, AppError> {
    let text = field.text().await.map_err(body_error)?;
    Ok(text.chars().take(MAX_TEXT_CHARS).collect())
}

/// Reads one photo part; `Ok(None)` for an empty file input.
async fn read_photo(
    mut field: Field<'_>,
    errors: &mut Vec<String>,
) -> Result<Option<NewPhoto>, AppError> {
    let file_name = field.file_name().unwrap_or("").to_string();
    let declared = field
        .content_type()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let label = if file_name.is_empty() {
        "照片".to_string()
    } else {
        format!("照片“{}”", file_name.chars().take(60).collect::<String>())
    };
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(body_error)? {
        if bytes.len() + chunk.len() > MAX_PHOTO_BYTES {
            errors.push(format!("{label}超过10MB，请压缩后重新选择。"));
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    if bytes.is_empty() {
        // No file chosen: browsers still send an empty part.
        return Ok(None);
    }
    let allowed = ["image/jpeg", "image/png", "image/webp"];
    match sniff_image(&bytes) {
        Some(actual) if allowed.contains(&declared.as_str()) && actual == declared => {
            Ok(Some(NewPhoto {
                content_type: actual.to_string(),
                bytes,
            }))
        }
        _ => {
            errors.push(format!(
                "{label}不是有效的JPEG、PNG或WebP图片，请重新选择。"
            ));
            Ok(None)
        }
    }
}

/// Reads the whole visit form.
pub(crate) async fn read_visit_form(mut multipart: Multipart) -> Result<VisitUpload, AppError> {
    let mut upload = VisitUpload::default();
    let mut too_many = false;
    while let Some(field) = multipart.next_field().await.map_err(body_error)? {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "photo" => {
                if upload.photos.len() >= MAX_PHOTOS {
                    too_many = true;
                    continue;
                }
                if let Some(photo) = read_photo(field, &mut upload.errors).await? {
                    upload.photos.push(photo);
                }
            }
            "lat" => upload.latitude = parse_coordinate(&read_text(field).await?, 90.0),
            "lon" => upload.longitude = parse_coordinate(&read_text(field).await?, 180.0),
            "accuracy" => {
                upload.accuracy_m = read_text(field)
                    .await?
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
            }
            "notes" => upload.notes = read_text(field).await?,
            "client_id" => {
                let text = read_text(field).await?;
                upload.client_id = valid_client_id(&text);
                if upload.client_id.is_none() && !text.trim().is_empty() {
                    upload
                        .errors
                        .push("走访编号无效，请重新打开走访页面后填写。".into());
                }
            }
            "alert_id" => {
                upload.alert_id = read_text(field)
                    .await?
                    .trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
            }
            "recorded_at" => {
                upload.recorded_at = DateTime::parse_from_rfc3339(read_text(field).await?.trim())
                    .ok()
                    .map(|t| t.with_timezone(&Utc))
            }
            "expect_open" => upload.expect_open = read_text(field).await?.trim() == "1",
            other if other.starts_with(OBSERVATION_PREFIX) => {
                let key = other[OBSERVATION_PREFIX.len()..].to_string();
                let value = read_text(field).await?;
                // A pack has a few dozen such indicators; more fields are not ours.
                if upload.observations.len() < 500 {
                    upload.observations.push((key, value));
                }
            }
            other if other.starts_with(ASPECT_PREFIX) => {
                let key = other[ASPECT_PREFIX.len()..].to_string();
                let value = read_text(field).await?;
                if upload.aspects.len() < MAX_ASPECT_FIELDS {
                    upload.aspects.push((key, value));
                }
            }
            // csrf_token (checked by the session layer) and anything unknown.
            _ => drop(field),
        }
    }
    if too_many {
        upload
            .errors
            .push(format!("一次最多上传{MAX_PHOTOS}张照片。"));
    }
    // A position needs both coordinates.
    if upload.latitude.is_none() || upload.longitude.is_none() {
        upload.latitude = None;
        upload.longitude = None;
        upload.accuracy_m = None;
    }
    Ok(upload)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b"<svg"), None);
    }

    #[test]
    fn client_ids_are_short_plain_tokens() {
        assert_eq!(
            valid_client_id(" 0F8FAD5B-D9CB-469F-A165-70867728950E "),
            Some("0f8fad5b-d9cb-469f-a165-70867728950e".into())
        );
        assert_eq!(valid_client_id("short"), None);
        assert_eq!(valid_client_id("a b c d e f g h"), None);
        assert_eq!(valid_client_id(&"a".repeat(65)), None);
    }

    #[test]
    fn coordinates_out_of_range_are_dropped() {
        assert_eq!(parse_coordinate("30.5", 90.0), Some(30.5));
        assert_eq!(parse_coordinate("91", 90.0), None);
        assert_eq!(parse_coordinate("NaN", 90.0), None);
        assert_eq!(parse_coordinate("", 90.0), None);
    }
}
