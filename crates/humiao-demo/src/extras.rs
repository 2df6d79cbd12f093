//! Overlays drawn from the world's second random stream, so that adding them left every draw of
//! the first stream (and so the rest of a seed's county) as it was: serious illnesses (卫健),
//! 特困 support, and the 居住登记 dates of households living away from their registration.

use chrono::NaiveDate;
use humiao_core::person::age_on;
use humiao_core::records::AssistanceType;
use humiao_core::Sex;
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::model::{
    add_days, add_months, quota, rand_date, sub_days, sub_months, Illness, Payment, Primary, Role,
    Status, World, TEKUN_CARE_FEN, TEKUN_FEN,
};
use crate::rules;

/// An illness of the children's serious-illness list (儿童重大疾病): the age window of its
/// diagnosis, in days, whether it is cured in some children, and a weight for drawing it.
struct ChildIllness {
    name: &'static str,
    from_days: u64,
    to_days: u64,
    curable: bool,
    weight: u32,
}

const YEAR: u64 = 365;

const CHILD_ILLNESSES: &[ChildIllness] = &[
    ChildIllness {
        name: "急性淋巴细胞白血病",
        from_days: YEAR,
        to_days: 17 * YEAR,
        curable: true,
        weight: 20,
    },
    ChildIllness {
        name: "急性髓系白血病",
        from_days: 180,
        to_days: 17 * YEAR,
        curable: false,
        weight: 5,
    },
    ChildIllness {
        name: "先天性心脏病",
        from_days: 0,
        to_days: YEAR,
        curable: true,
        weight: 20,
    },
    ChildIllness {
        name: "恶性肿瘤（神经母细胞瘤）",
        from_days: 0,
        to_days: 5 * YEAR,
        curable: false,
        weight: 4,
    },
    ChildIllness {
        name: "恶性肿瘤（视网膜母细胞瘤）",
        from_days: 0,
        to_days: 3 * YEAR,
        curable: false,
        weight: 3,
    },
    ChildIllness {
        name: "恶性肿瘤（肾母细胞瘤）",
        from_days: 0,
        to_days: 6 * YEAR,
        curable: true,
        weight: 3,
    },
    ChildIllness {
        name: "尿毒症",
        from_days: 5 * YEAR,
        to_days: 17 * YEAR,
        curable: false,
        weight: 5,
    },
    ChildIllness {
        name: "重型再生障碍性贫血",
        from_days: 2 * YEAR,
        to_days: 17 * YEAR,
        curable: false,
        weight: 5,
    },
    ChildIllness {
        name: "血友病",
        from_days: 0,
        to_days: 3 * YEAR,
        curable: false,
        weight: 6,
    },
    ChildIllness {
        name: "苯丙酮尿症",
        from_days: 7,
        to_days: 30,
        curable: false,
        weight: 4,
    },
    ChildIllness {
        name: "儿童脑瘫",
        from_days: 180,
        to_days: 2 * YEAR,
        curable: false,
        weight: 10,
    },
    ChildIllness {
        name: "1型糖尿病",
        from_days: YEAR,
        to_days: 17 * YEAR,
        curable: false,
        weight: 8,
    },
    ChildIllness {
        name: "唇腭裂",
        from_days: 0,
        to_days: 90,
        curable: true,
        weight: 7,
    },
];

/// Adults' illnesses: name, women only, whether it is cured in some.
const ADULT_ILLNESSES: &[(&str, bool, bool)] = &[
    ("恶性肿瘤（肺癌）", false, false),
    ("恶性肿瘤（肝癌）", false, false),
    ("恶性肿瘤（胃癌）", false, false),
    ("恶性肿瘤（结直肠癌）", false, true),
    ("恶性肿瘤（乳腺癌）", true, true),
    ("恶性肿瘤（宫颈癌）", true, false),
    ("尿毒症", false, false),
    ("慢性髓系白血病", false, false),
    ("重型再生障碍性贫血", false, false),
    ("耐多药肺结核", false, true),
    ("系统性红斑狼疮", false, false),
];

const CHILD_HOSPITALS: &[(&str, u32)] =
    &[("省儿童医院", 7), ("护苗县人民医院", 2), ("省人民医院", 1)];
const ADULT_HOSPITALS: &[&str] = &["护苗县人民医院", "护苗县中医院", "省人民医院"];
const CANCER_HOSPITALS: &[&str] = &["省肿瘤医院", "省人民医院"];

/// The 居住登记 dates around the 6-month line on `as_of`: the last date giving 6 whole months
/// (add_months(date, 6) ≤ as_of), and the day after it, which gives only 5.
pub(crate) fn six_month_line(as_of: NaiveDate) -> (NaiveDate, NaiveDate) {
    let mut short = add_days(sub_months(as_of, 6), 1);
    while add_months(short, 6) <= as_of {
        short = add_days(short, 1);
    }
    (sub_days(short, 1), short)
}

impl World {
    /// Serious illnesses: ~1% of the children, ~0.5% of the parents (staged so that some make
    /// children 事实无人抚养 or 农村留守, some near misses), a few grandparents.
    pub(crate) fn illnesses(&mut self, rng: &mut ChaCha8Rng) {
        let n = self.families.len();
        let mut order: Vec<usize> = (self.boundary_families()..n).collect();
        order.shuffle(rng);
        let mut used = vec![false; n];
        // One parent dead, the other seriously ill: 事实无人抚养.
        let mut parents = self.ill_parents(rng, &order, &mut used, Primary::ParentDead, 3, false);
        // One in prison (≥ 7 months), the other seriously ill: 事实无人抚养.
        parents += self.ill_parents(rng, &order, &mut used, Primary::ParentImprisoned, 1, false);
        // One works away, the other seriously ill (no guardian capacity): 农村留守.
        parents += self.ill_parents(rng, &order, &mut used, Primary::OneAway, 3, false);
        // Near miss: one parent dead, the other's illness cured.
        parents += self.ill_parents(rng, &order, &mut used, Primary::ParentDead, 1, true);
        // Background: one parent ill, the other able.
        let wanted = quota(0.005, 2 * n, 4).saturating_sub(parents).max(2);
        self.ill_parents(rng, &order, &mut used, Primary::None, wanted, false);

        // Children (~1%), one in six of them cured.
        let as_of = self.as_of;
        let boundary = self.boundary_families();
        let mut kids: Vec<usize> = (0..self.persons.len())
            .filter(|&p| {
                let person = &self.persons[p];
                person.role == Role::Child
                    && person.family >= boundary
                    && person.birth < as_of
                    && age_on(person.birth, as_of) < 18
            })
            .collect();
        kids.shuffle(rng);
        let wanted = quota(0.01, kids.len(), 3);
        for (i, &c) in kids.iter().take(wanted).enumerate() {
            let illness = self.child_illness(rng, c, i % 6 == 1);
            self.persons[c].illness = Some(illness);
        }

        // A few grandparents, as background in the file.
        let mut elders: Vec<usize> = (0..self.persons.len())
            .filter(|&p| {
                matches!(self.persons[p].role, Role::Grandfather | Role::Grandmother)
                    && self.persons[p].status == Status::Normal
            })
            .collect();
        elders.shuffle(rng);
        let wanted = quota(0.01, elders.len(), 1);
        for &g in elders.iter().take(wanted) {
            let illness = self.adult_illness(rng, g, false);
            self.persons[g].illness = Some(illness);
        }
    }

    /// Makes the able parent of up to `count` unused, undivorced families with `primary` ill
    /// (rural families with a child under 16 when `primary` is one parent away). Returns how many.
    fn ill_parents(
        &mut self,
        rng: &mut ChaCha8Rng,
        order: &[usize],
        used: &mut [bool],
        primary: Primary,
        count: usize,
        cured: bool,
    ) -> usize {
        let mut made = 0;
        for &f in order {
            if made == count {
                break;
            }
            let fam = &self.families[f];
            if used[f] || fam.primary != primary || fam.divorce.is_some() {
                continue;
            }
            if primary == Primary::OneAway && !(self.rural(f) && self.under16(f) > 0) {
                continue;
            }
            let able: Vec<usize> = [fam.father, fam.mother]
                .into_iter()
                .filter(|&p| self.available(p) && self.persons[p].illness.is_none())
                .collect();
            let Some(&p) = able.choose(rng) else {
                continue;
            };
            let illness = self.adult_illness(rng, p, cured);
            self.persons[p].illness = Some(illness);
            used[f] = true;
            made += 1;
        }
        made
    }

    fn adult_illness(&self, rng: &mut ChaCha8Rng, p: usize, cured: bool) -> Illness {
        let as_of = self.as_of;
        let female = self.persons[p].sex == Sex::Female;
        let list: Vec<&(&str, bool, bool)> = ADULT_ILLNESSES
            .iter()
            .filter(|(_, women, curable)| (female || !women) && (!cured || *curable))
            .collect();
        let name = list.choose(rng).map(|i| i.0).unwrap_or("尿毒症");
        let hospital = if name.starts_with("恶性肿瘤") {
            CANCER_HOSPITALS.choose(rng)
        } else {
            ADULT_HOSPITALS.choose(rng)
        }
        .copied()
        .unwrap_or("护苗县人民医院");
        let (diagnosed, ended) = if cured {
            let diagnosed = rand_date(rng, sub_months(as_of, 60), sub_months(as_of, 12));
            let ended = rand_date(rng, add_months(diagnosed, 6), sub_days(as_of, 15));
            (diagnosed, Some(ended))
        } else {
            (
                rand_date(rng, sub_months(as_of, 48), sub_days(as_of, 20)),
                None,
            )
        };
        Illness {
            name,
            diagnosed,
            ended,
            hospital,
        }
    }

    /// An illness diagnosed at an age its kind allows; cured (before `as_of`) when asked and the
    /// child is old enough for one of the curable kinds.
    fn child_illness(&self, rng: &mut ChaCha8Rng, c: usize, cured: bool) -> Illness {
        let as_of = self.as_of;
        let birth = self.persons[c].birth;
        let fitting = |cured: bool| -> Vec<&ChildIllness> {
            let latest = if cured {
                sub_days(as_of, 60)
            } else {
                sub_days(as_of, 1)
            };
            CHILD_ILLNESSES
                .iter()
                .filter(|i| (!cured || i.curable) && add_days(birth, i.from_days) <= latest)
                .collect()
        };
        let mut cured = cured;
        let mut list = fitting(cured);
        if list.is_empty() {
            cured = false;
            list = fitting(false);
        }
        let kind = list
            .choose_weighted(rng, |i| i.weight)
            .ok()
            .copied()
            .unwrap_or(&CHILD_ILLNESSES[2]);
        let latest = if cured {
            sub_days(as_of, 60)
        } else {
            sub_days(as_of, 1)
        };
        let from = add_days(birth, kind.from_days);
        let to = add_days(birth, kind.to_days).min(latest);
        let diagnosed = rand_date(rng, from, to).max(birth);
        let ended = cured.then(|| rand_date(rng, add_days(diagnosed, 30), sub_days(as_of, 1)));
        let hospital = CHILD_HOSPITALS
            .choose_weighted(rng, |h| h.1)
            .map(|h| h.0)
            .unwrap_or("省儿童医院");
        Illness {
            name: kind.name,
            diagnosed,
            ended,
            hospital,
        }
    }

    /// 特困 support for a parent unable to work (重残 or 重病) whose spouse is dead, missing or in
    /// custody, in a few families without 低保.
    pub(crate) fn assign_tekun(&mut self, rng: &mut ChaCha8Rng) {
        let n = self.families.len();
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(rng);
        let wanted = quota(0.004, n, 2);
        let months = self.payment_months();
        let as_of = self.as_of;
        let mut made = 0;
        for &f in &order {
            if made == wanted {
                break;
            }
            let fam = &self.families[f];
            if fam.dibao || f == self.adult_paid_family {
                continue;
            }
            let unable = |p: usize| {
                let person = &self.persons[p];
                rules::severely_disabled(person, self) || rules::seriously_ill(person, as_of)
            };
            let gone = |p: usize| !self.available(p);
            let recipient = [(fam.father, fam.mother), (fam.mother, fam.father)]
                .into_iter()
                .find(|&(p, other)| self.available(p) && unable(p) && gone(other))
                .map(|(p, _)| p);
            let Some(person) = recipient else {
                continue;
            };
            let amount_fen = TEKUN_FEN + TEKUN_CARE_FEN[rng.gen_range(0..TEKUN_CARE_FEN.len())];
            for &month in &months {
                self.payments.push(Payment {
                    person,
                    assistance: AssistanceType::Tekun,
                    month,
                    amount_fen,
                });
            }
            made += 1;
        }
    }

    /// 居住登记 dates of the households living away from their registration: most well over 6
    /// months ago, a fifth within the last 6 months, two exactly on the 6-month line, two a day
    /// short of it, and two without a date.
    pub(crate) fn residence_dates(&mut self, rng: &mut ChaCha8Rng) {
        let as_of = self.as_of;
        let (exact, short) = six_month_line(as_of);
        let mut away: Vec<usize> = (0..self.households.len())
            .filter(|&h| self.households[h].res_village != self.households[h].village)
            .collect();
        away.shuffle(rng);
        // The staged dates go to households with a minor at home born by then, so they show.
        let with_child = |w: &World, h: usize| {
            w.households[h].members.iter().any(|&m| {
                w.is_child(m)
                    && w.present(m)
                    && rules::is_minor(&w.persons[m], w)
                    && w.persons[m].birth <= exact
            })
        };
        let staged = [
            Some(exact),
            Some(exact),
            Some(short),
            Some(short),
            None,
            None,
        ];
        let mut next = 0;
        for h in away {
            let date = if next < staged.len() && with_child(self, h) {
                next += 1;
                staged[next - 1]
            } else if rng.gen_bool(0.2) {
                Some(rand_date(rng, add_days(short, 1), sub_days(as_of, 1)))
            } else {
                Some(rand_date(rng, sub_months(as_of, 120), sub_months(as_of, 7)))
            };
            self.households[h].res_since = date;
        }
    }
}
