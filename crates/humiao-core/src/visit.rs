//! What a director wrote on the visit form, aspect by aspect.

use serde::{Deserialize, Serialize};

/// One aspect of a visit as recorded: the code and the label the form had when the visit was
/// recorded, so an old visit still reads correctly after the locality changes its form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitAspect {
    /// The aspect's code in the rule pack's form (`family` …); empty for visits recorded before
    /// forms had codes.
    #[serde(default)]
    pub code: String,
    /// 家庭情况 …
    pub label: String,
    pub text: String,
}
