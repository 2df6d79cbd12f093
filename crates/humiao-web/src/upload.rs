//! Reading the visit form: text fields and photos from a multipart body.
//!
//! A photo is accepted only as JPEG, PNG or WebP, by its declared type *and* its first bytes,
//! and up to [`MAX_PHOTO_BYTES`]. Problems are collected as messages for the re-rendered form
//! rather than failing the request, so the director does not lose what they typed.

use std::collections::BTreeMap;

use axum::extract::multipart::Field;
use axum::extract::Multipart;
use humiao_store::NewPhoto;

use crate::error::AppError;

pub(crate) const MAX_PHOTO_BYTES: usize = 10 * 1024 * 1024;
pub(crate) const MAX_PHOTOS: usize = 10;
const MAX_TEXT_CHARS: usize = 4000;

/// The six aspects of a visit (玉苗家), in form order; field `aspect_1` is the first.
pub(crate) const ASPECTS: [&str; 6] = [
    "家庭情况",
    "外观情况",
    "社区表现",
    "邻里关系",
    "社会支持",
    "重点关注",
];

/// Form fields `obs__<model>__<indicator>`: 是/否/未观察 for a visit-fed risk indicator.
pub(crate) const OBSERVATION_PREFIX: &str = "obs__";

#[derive(Debug, Default)]
pub(crate) struct VisitUpload {
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub accuracy_m: Option<f64>,
    /// Index-aligned with [`ASPECTS`].
    pub aspects: [String; 6],
    pub notes: String,
    pub photos: Vec<NewPhoto>,
    /// Risk observations as sent: (field name without the `obs__` prefix, value).
    pub observations: Vec<(String, String)>,
    /// What was wrong, in words for the director.
    pub errors: Vec<String>,
}

impl VisitUpload {
    pub fn aspect_map(&self) -> BTreeMap<String, String> {
        ASPECTS
            .iter()
            .zip(&self.aspects)
            .filter(|(_, text)| !text.trim().is_empty())
            .map(|(name, text)| (name.to_string(), text.trim().to_string()))
            .collect()
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
            other if other.starts_with(OBSERVATION_PREFIX) => {
                let key = other[OBSERVATION_PREFIX.len()..].to_string();
                let value = read_text(field).await?;
                // A pack has a few dozen such indicators; more fields are not ours.
                if upload.observations.len() < 500 {
                    upload.observations.push((key, value));
                }
            }
            other => {
                let index = other
                    .strip_prefix("aspect_")
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|i| (1..=ASPECTS.len()).contains(i));
                match index {
                    Some(i) => upload.aspects[i - 1] = read_text(field).await?,
                    // csrf_token (checked by the session layer) and anything unknown.
                    None => drop(field),
                }
            }
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
    fn coordinates_out_of_range_are_dropped() {
        assert_eq!(parse_coordinate("30.5", 90.0), Some(30.5));
        assert_eq!(parse_coordinate("91", 90.0), None);
        assert_eq!(parse_coordinate("NaN", 90.0), None);
        assert_eq!(parse_coordinate("", 90.0), None);
    }
}
