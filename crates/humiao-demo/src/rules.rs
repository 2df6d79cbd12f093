//! The ground truth: which categories each child should be placed in, decided from the
//! generator's own knowledge of the county (not from the department files), following the
//! national baseline of the domain brief §2 with the default parameters (18, 16, 6 months,
//! payments within 2 months, 6 months away for 流动儿童). A test checks these answers against
//! the shipped national rule pack (`humiao_rules::national()`).

use chrono::NaiveDate;
use humiao_core::person::age_on;
use humiao_core::policy::Category;
use humiao_core::records::{AssistanceType, CustodyMeasure, DisabilityCategory};

use crate::model::{add_months, sub_months, OutflowReason, Person, Status, World};

const ADULT_AGE: i32 = 18;
const LEFT_BEHIND_MAX_AGE: i32 = 16;
const CONDITION_MONTHS: u32 = 6;
const PAYMENT_LOOKBACK_MONTHS: u32 = 2;
const MIGRANT_MIN_MONTHS: u32 = 6;

pub(crate) fn is_minor(p: &Person, w: &World) -> bool {
    p.birth <= w.as_of && age_on(p.birth, w.as_of) < ADULT_AGE
}

fn dead(p: &Person, w: &World) -> bool {
    matches!(p.status, Status::Dead(d) if d <= w.as_of)
}

fn dead_or_missing(p: &Person, w: &World) -> bool {
    matches!(p.status, Status::Dead(d) | Status::Missing(d) if d <= w.as_of)
}

pub(crate) fn severely_disabled(p: &Person, w: &World) -> bool {
    p.disability.is_some_and(|d| {
        d.issued <= w.as_of
            && (d.grade <= 2
                || matches!(
                    d.category,
                    DisabilityCategory::Intellectual | DisabilityCategory::Mental
                ))
    })
}

/// Any restriction of liberty running on `as_of`.
pub(crate) fn in_custody(p: &Person, as_of: NaiveDate) -> bool {
    p.custody
        .iter()
        .any(|c| c.start <= as_of && c.end.is_none_or(|e| e >= as_of))
}

/// A prison sentence (of any length) running on `as_of`.
fn imprisoned(p: &Person, as_of: NaiveDate) -> bool {
    p.custody.iter().any(|c| {
        c.measure == CustodyMeasure::Imprisonment
            && c.start <= as_of
            && c.end.is_none_or(|e| e >= as_of)
    })
}

/// A serious illness diagnosed by `as_of` and not ended before it.
pub(crate) fn seriously_ill(p: &Person, as_of: NaiveDate) -> bool {
    p.illness
        .is_some_and(|i| i.diagnosed <= as_of && i.ended.is_none_or(|e| e >= as_of))
}

fn holds_certificate(p: &Person, as_of: NaiveDate) -> bool {
    p.disability.is_some_and(|d| d.issued <= as_of)
}

/// 流动儿童: lives away from the village of registration, registered there 6 whole months or more
/// ago. Living away without a 居住登记 date is undetermined, so not decided.
pub(crate) fn migrant(w: &World, child: usize) -> bool {
    w.residence_since(child)
        .is_some_and(|s| s <= w.as_of && add_months(s, MIGRANT_MIN_MONTHS) <= w.as_of)
}

/// Custody running on `as_of` that lasts (planned, or so far if open-ended) 6 months or more.
fn long_custody(p: &Person, w: &World) -> bool {
    p.custody.iter().any(|c| {
        let running = c.start <= w.as_of && c.end.is_none_or(|e| e >= w.as_of);
        running && add_months(c.start, CONDITION_MONTHS) <= c.end.unwrap_or(w.as_of)
    })
}

fn missing_six_months(p: &Person, w: &World) -> bool {
    matches!(p.status, Status::Missing(d) if add_months(d, CONDITION_MONTHS) <= w.as_of)
}

/// One of the 事实无人抚养 conditions (重残, 重病, 服刑/戒毒 ≥ 6 months, 失联 ≥ 6 months).
fn condition(p: &Person, w: &World) -> bool {
    severely_disabled(p, w)
        || seriously_ill(p, w.as_of)
        || long_custody(p, w)
        || missing_six_months(p, w)
}

fn works_away(p: &Person, w: &World) -> bool {
    p.status == Status::Normal
        && p.outflow
            .as_ref()
            .is_some_and(|o| o.reason == OutflowReason::Work && o.since <= w.as_of)
}

fn no_guardian_capacity(p: &Person, w: &World) -> bool {
    severely_disabled(p, w) || in_custody(p, w.as_of) || seriously_ill(p, w.as_of)
}

/// 孤儿 / 事实无人抚养 / 农村留守, without looking at payments.
pub(crate) fn base_categories(w: &World, child: usize) -> Vec<Category> {
    let c = &w.persons[child];
    if !is_minor(c, w) {
        return Vec::new();
    }
    let (Some(f), Some(m)) = (c.father, c.mother) else {
        return Vec::new();
    };
    let (f, m) = (&w.persons[f], &w.persons[m]);
    let mut out = Vec::new();
    if dead(f, w) && dead(m, w) {
        out.push(Category::Orphan);
    } else if (condition(f, w) && condition(m, w))
        || (condition(f, w) && dead_or_missing(m, w))
        || (condition(m, w) && dead_or_missing(f, w))
    {
        out.push(Category::DeFactoUnsupported);
    }
    let rural = w.places.villages[w.hukou_village(child)].rural;
    if age_on(c.birth, w.as_of) < LEFT_BEHIND_MAX_AGE && rural {
        let (fa, ma) = (works_away(f, w), works_away(m, w));
        // Both away, or one away and the other unable to act as guardian.
        let left_behind = match (fa, ma) {
            (true, true) => true,
            (true, false) => no_guardian_capacity(m, w),
            (false, true) => no_guardian_capacity(f, w),
            (false, false) => false,
        };
        if left_behind {
            out.push(Category::RuralLeftBehind);
        }
    }
    out
}

/// Whether the person has an allowance of this type paid for a month ending within the lookback.
pub(crate) fn receives(w: &World, person: usize, assistance: AssistanceType) -> bool {
    let since = sub_months(w.as_of, PAYMENT_LOOKBACK_MONTHS);
    w.payments_of(person).into_iter().any(|p| {
        p.assistance == assistance
            && p.month <= w.as_of
            && add_months(p.month, 1)
                .pred_opt()
                .is_some_and(|end| end >= since)
    })
}

/// 低保/特困家庭成员: the child, the father, the mother or anyone of the child's 户 (a
/// grandparent applicant, say) recently paid 低保 or 特困.
fn assistance_family(w: &World, child: usize) -> bool {
    let c = &w.persons[child];
    [Some(child), c.father, c.mother]
        .into_iter()
        .flatten()
        .chain(w.households[c.household].members.iter().copied())
        .any(|p| receives(w, p, AssistanceType::Dibao) || receives(w, p, AssistanceType::Tekun))
}

/// The expected categories, sorted.
pub(crate) fn categories(w: &World, child: usize) -> Vec<Category> {
    let base = base_categories(w, child);
    let mut out: Vec<Category> = base
        .iter()
        .copied()
        .filter(|c| matches!(c, Category::Orphan | Category::DeFactoUnsupported))
        .collect();
    if let Some(first) = out.first().copied() {
        let allowance = match first {
            Category::Orphan => AssistanceType::OrphanAllowance,
            _ => AssistanceType::UnsupportedChildAllowance,
        };
        if !receives(w, child, allowance) {
            out.push(Category::EntitledNotReceiving);
        }
    }
    // 不应保而保: a basic-living allowance still paid to a child no longer (or never) entitled.
    if out.is_empty()
        && (receives(w, child, AssistanceType::OrphanAllowance)
            || receives(w, child, AssistanceType::UnsupportedChildAllowance))
    {
        out.push(Category::ReceivingNotEntitled);
    }
    if base.contains(&Category::RuralLeftBehind) {
        out.push(Category::RuralLeftBehind);
    }
    let c = &w.persons[child];
    if is_minor(c, w) {
        let as_of = w.as_of;
        if assistance_family(w, child) {
            // 困境儿童（贫困型） is, in the baseline, the 低保/特困 family.
            out.push(Category::AssistanceFamily);
            out.push(Category::DifficultyPoverty);
        }
        if holds_certificate(c, as_of) {
            out.push(Category::DisabledChild);
        }
        if seriously_ill(c, as_of) {
            out.push(Category::SeriouslyIll);
        }
        if severely_disabled(c, w) || seriously_ill(c, as_of) {
            out.push(Category::DifficultyDisability);
        }
        if base
            .iter()
            .any(|b| matches!(b, Category::Orphan | Category::DeFactoUnsupported))
        {
            // No guardianship is revoked in the demo.
            out.push(Category::DifficultyGuardianship);
        }
        if [c.father, c.mother]
            .into_iter()
            .flatten()
            .any(|p| imprisoned(&w.persons[p], as_of))
        {
            out.push(Category::PrisonersChild);
        }
        if migrant(w, child) {
            out.push(Category::Migrant);
        }
    }
    out.sort();
    out
}
