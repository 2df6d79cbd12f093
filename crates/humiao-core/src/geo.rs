//! Positions on the earth (WGS 84 degrees, as phones report them) and the distance between
//! two of them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The mean radius of the earth in metres (IUGG), for the haversine formula.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A latitude and longitude in degrees: finite, latitude within ±90, longitude within ±180.
/// The constructor refuses anything else, so a `GeoPoint` never holds NaN (which is why it can
/// be `Eq`).
#[derive(Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawPoint", into = "RawPoint")]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl Eq for GeoPoint {}

#[derive(Serialize, Deserialize)]
struct RawPoint {
    lat: f64,
    lon: f64,
}

impl TryFrom<RawPoint> for GeoPoint {
    type Error = String;
    fn try_from(raw: RawPoint) -> Result<Self, Self::Error> {
        GeoPoint::new(raw.lat, raw.lon)
            .ok_or_else(|| format!("坐标超出范围：{}, {}", raw.lat, raw.lon))
    }
}

impl From<GeoPoint> for RawPoint {
    fn from(p: GeoPoint) -> Self {
        RawPoint {
            lat: p.lat,
            lon: p.lon,
        }
    }
}

impl GeoPoint {
    /// A point, or `None` when a coordinate is not finite or out of range.
    pub fn new(lat: f64, lon: f64) -> Option<Self> {
        (lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0)
            .then_some(Self { lat, lon })
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// The great-circle distance in metres (haversine on a sphere of [`EARTH_RADIUS_M`]; within
    /// 0.5% of the ellipsoid, far better than a phone's position).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = phi2 - phi1;
        let dlambda = (other.lon - self.lon).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        // Rounding can push `a` a hair outside [0, 1] for antipodal points.
        2.0 * EARTH_RADIUS_M * a.clamp(0.0, 1.0).sqrt().asin()
    }
}

impl fmt::Debug for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GeoPoint({:.6}, {:.6})", self.lat, self.lon)
    }
}

impl fmt::Display for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.5}, {:.5}", self.lat, self.lon)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn p(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::new(lat, lon).unwrap()
    }

    #[test]
    fn out_of_range_or_non_finite_coordinates_are_refused() {
        assert!(GeoPoint::new(90.0, 180.0).is_some());
        assert!(GeoPoint::new(-90.0, -180.0).is_some());
        assert!(GeoPoint::new(90.000001, 0.0).is_none());
        assert!(GeoPoint::new(0.0, 180.000001).is_none());
        assert!(GeoPoint::new(f64::NAN, 0.0).is_none());
        assert!(GeoPoint::new(0.0, f64::INFINITY).is_none());
    }

    #[test]
    fn known_distances() {
        // One degree of latitude is R·π/180 on the sphere: 111.195 km.
        let d = p(30.0, 120.5).distance_m(p(31.0, 120.5));
        assert!((d - 111_195.08).abs() < 1.0, "{d}");
        // One degree of longitude at 30°N is cos(30°) of that.
        let d = p(30.0, 120.0).distance_m(p(30.0, 121.0));
        assert!((d - 96_297.3).abs() < 50.0, "{d}");
        // 杭州 (30.2741, 120.1551) to 上海 (31.2304, 121.4737): about 165 km.
        let d = p(30.2741, 120.1551).distance_m(p(31.2304, 121.4737));
        assert!((160_000.0..170_000.0).contains(&d), "{d}");
        assert_eq!(p(30.0, 120.5).distance_m(p(30.0, 120.5)), 0.0);
        // Antipodes: half the circumference.
        let d = p(0.0, 0.0).distance_m(p(0.0, 180.0));
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1e-3);
    }

    #[test]
    fn serde_refuses_bad_points() {
        let ok: GeoPoint = serde_json::from_str(r#"{"lat":30.1,"lon":120.2}"#).unwrap();
        assert_eq!(ok, p(30.1, 120.2));
        assert!(serde_json::from_str::<GeoPoint>(r#"{"lat":91,"lon":120.2}"#).is_err());
    }

    fn point() -> impl Strategy<Value = GeoPoint> {
        (-90.0f64..=90.0, -180.0f64..=180.0).prop_map(|(lat, lon)| p(lat, lon))
    }

    proptest! {
        #[test]
        fn distance_is_a_metric(a in point(), b in point(), c in point()) {
            let ab = a.distance_m(b);
            prop_assert!(ab >= 0.0);
            prop_assert!(ab <= std::f64::consts::PI * EARTH_RADIUS_M + 1e-6);
            prop_assert!((ab - b.distance_m(a)).abs() < 1e-6);
            prop_assert!(a.distance_m(a) < 1e-6);
            // Triangle inequality, up to rounding.
            prop_assert!(ab <= a.distance_m(c) + c.distance_m(b) + 1e-3);
        }

        #[test]
        fn along_a_meridian_the_distance_is_the_arc(lat in -80.0f64..80.0, lon in -180.0f64..=180.0, dlat in 0.0f64..10.0) {
            let d = p(lat, lon).distance_m(p(lat + dlat, lon));
            let arc = dlat.to_radians() * EARTH_RADIUS_M;
            prop_assert!((d - arc).abs() < 1e-3 + arc * 1e-9, "{} vs {}", d, arc);
        }
    }
}
