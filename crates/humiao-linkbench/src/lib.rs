//! Humiao's record-linkage benchmark.
//!
//! - [`generate`]: a synthetic county ([`county`], [`names`], [`places`]) seen by six
//!   departments ([`departments`]) that each write their records in their own formats and with
//!   their own errors ([`noise`]), with ground truth and a daily batch;
//! - [`score`]: pairwise and B-cubed precision, recall and F1 of any clustering;
//! - [`run_link`]: the hook that runs Humiao's own linker (crate `humiao-link`) on the same
//!   files, the way `bench/linking/splink_link.py` runs the Splink peer.
//!
//! The generator must not borrow from the linker (no normaliser, no shared tables): a bug
//! shared by both would be invisible in the scores. Every person is synthetic.

pub mod citizen_id;
pub mod county;
pub mod departments;
pub mod generate;
pub mod names;
pub mod noise;
pub mod places;
pub mod run_link;
pub mod score;
