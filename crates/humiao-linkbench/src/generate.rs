//! `humiao-linkbench generate`: writes a county's department records with their ground truth,
//! and a daily batch of further records.
//!
//! Output, in the output directory:
//! - `records.csv` (`record_id,source,citizen_id,name,sex,birth_date,address,father_name,
//!   mother_name`) and `truth.csv` (`record_id,person_id`), one block per department;
//! - `batch.csv` and `batch_truth.csv`: the next day's records, about 80% about known persons
//!   and 20% about newborns and new arrivals;
//! - `summary.json`: counts.
//!
//! Households are generated one at a time and their records streamed to per-department part
//! files, shuffled within windows so that file order says nothing about households, then
//! concatenated. Memory stays small whatever the county size. Deterministic for a seed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::county::{CountyBuilder, Household, Person};
use crate::departments::{self, Kind, Row, Source};
use crate::names::Sex;

/// Records per department shuffled together before writing.
const WINDOW: usize = 16_384;

pub const RECORD_HEADER: [&str; 9] = [
    "record_id",
    "source",
    "citizen_id",
    "name",
    "sex",
    "birth_date",
    "address",
    "father_name",
    "mother_name",
];
pub const TRUTH_HEADER: [&str; 2] = ["record_id", "person_id"];

/// What to generate.
#[derive(Debug, Clone)]
pub struct Options {
    pub persons: usize,
    pub seed: u64,
    pub out: PathBuf,
    /// Records in the daily batch.
    pub batch_records: usize,
    pub progress: bool,
}

/// What was generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub persons: usize,
    pub records: u64,
    pub records_by_source: Vec<(Source, u64)>,
    pub batch_records: u64,
    pub batch_existing_records: u64,
    pub batch_new_persons: u64,
}

impl Summary {
    pub fn to_json(&self, seed: u64) -> serde_json::Value {
        let by_source: serde_json::Map<String, serde_json::Value> = self
            .records_by_source
            .iter()
            .map(|(s, n)| (s.as_str().to_string(), (*n).into()))
            .collect();
        serde_json::json!({
            "seed": seed,
            "persons": self.persons,
            "records": self.records,
            "records_per_person": self.records as f64 / self.persons.max(1) as f64,
            "records_by_source": by_source,
            "batch_records": self.batch_records,
            "batch_existing_records": self.batch_existing_records,
            "batch_new_persons": self.batch_new_persons,
        })
    }
}

pub fn person_id(number: u64) -> String {
    format!("P{number:07}")
}

fn record_id(source: Source, batch: bool, n: u64) -> String {
    let mark = if batch { "b" } else { "" };
    format!("{}-{mark}{n:07}", source.as_str())
}

type CsvOut = csv::Writer<BufWriter<File>>;

fn create_csv(path: &Path) -> anyhow::Result<CsvOut> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    Ok(csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(BufWriter::with_capacity(1 << 20, file)))
}

fn write_row(records: &mut CsvOut, truth: &mut CsvOut, id: &str, row: &Row) -> anyhow::Result<()> {
    records.write_record([
        id,
        row.source.as_str(),
        &row.citizen_id,
        &row.name,
        &row.sex,
        &row.birth_date,
        &row.address,
        &row.father_name,
        &row.mother_name,
    ])?;
    truth.write_record([id, &person_id(row.person)])?;
    Ok(())
}

/// One department's records on their way to disk.
struct Part {
    source: Source,
    buffer: Vec<Row>,
    records: CsvOut,
    truth: CsvOut,
    records_path: PathBuf,
    truth_path: PathBuf,
    written: u64,
}

impl Part {
    fn create(dir: &Path, source: Source) -> anyhow::Result<Self> {
        let records_path = dir.join(format!(".records.{}.part", source.as_str()));
        let truth_path = dir.join(format!(".truth.{}.part", source.as_str()));
        Ok(Self {
            source,
            buffer: Vec::with_capacity(WINDOW),
            records: create_csv(&records_path)?,
            truth: create_csv(&truth_path)?,
            records_path,
            truth_path,
            written: 0,
        })
    }

    fn push(&mut self, row: Row, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
        debug_assert_eq!(row.source, self.source);
        self.buffer.push(row);
        if self.buffer.len() >= WINDOW {
            self.flush_window(rng)?;
        }
        Ok(())
    }

    fn flush_window(&mut self, rng: &mut ChaCha8Rng) -> anyhow::Result<()> {
        self.buffer.shuffle(rng);
        for row in self.buffer.drain(..) {
            self.written += 1;
            let id = record_id(self.source, false, self.written);
            write_row(&mut self.records, &mut self.truth, &id, &row)?;
        }
        Ok(())
    }

    fn finish(mut self, rng: &mut ChaCha8Rng) -> anyhow::Result<(PathBuf, PathBuf, u64)> {
        self.flush_window(rng)?;
        self.records.flush()?;
        self.truth.flush()?;
        Ok((self.records_path, self.truth_path, self.written))
    }
}

/// Writes a header, then the parts in order, into `path`; removes the parts.
fn concatenate(path: &Path, header: &[&str], parts: &[PathBuf]) -> anyhow::Result<()> {
    let file = File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    writeln!(out, "{}", header.join(","))?;
    for part in parts {
        let mut input = File::open(part).with_context(|| format!("reading {}", part.display()))?;
        std::io::copy(&mut input, &mut out)?;
        std::fs::remove_file(part).with_context(|| format!("removing {}", part.display()))?;
    }
    out.flush()?;
    Ok(())
}

/// A woman who might have a baby in the batch, with the child's father if he is at home.
struct Parents {
    father: Option<Person>,
    mother: Person,
}

fn possible_parents(household: &Household) -> Vec<Parents> {
    household
        .members
        .iter()
        .filter(|m| m.sex == Sex::Female && (21..=40).contains(&m.age()))
        .map(|mother| Parents {
            father: household
                .members
                .iter()
                .find(|f| f.sex == Sex::Male && (f.age() - mother.age()).abs() <= 8)
                .cloned(),
            mother: mother.clone(),
        })
        .collect()
}

/// Three independent random streams, so that e.g. the shuffling window does not change the
/// county.
fn streams(seed: u64) -> (ChaCha8Rng, ChaCha8Rng, ChaCha8Rng) {
    let stream = |n: u64| {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(n);
        rng
    };
    (stream(0), stream(1), stream(2))
}

pub fn generate(options: &Options) -> anyhow::Result<Summary> {
    anyhow::ensure!(options.persons > 0, "--persons must be at least 1");
    let dir = &options.out;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (mut rng, mut shuffle_rng, mut batch_rng) = streams(options.seed);

    let progress = if options.progress {
        let bar = ProgressBar::new(options.persons as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} generating {pos}/{len} persons [{bar:30}] {percent}% {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar
    } else {
        ProgressBar::hidden()
    };

    let mut parts = Source::ALL
        .iter()
        .map(|&s| Part::create(dir, s))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut county = CountyBuilder::new();

    // The batch draws ~10% more existing-person records than it keeps, so that exactly the
    // target survive; same for would-be mothers.
    let existing_target = options.batch_records * 4 / 5;
    let newborn_record_target = options.batch_records * 3 / 25;
    let per_person = existing_target as f64 * 1.1 / options.persons as f64;
    let mother_share =
        (newborn_record_target as f64 * 1.5 / (options.persons as f64 * 0.06)).min(1.0);
    let mut batch_existing: Vec<Row> = Vec::new();
    let mut would_be_parents: Vec<Parents> = Vec::new();

    let mut persons = 0usize;
    while persons < options.persons {
        let mut household = county.household(&mut rng);
        household.members.truncate(options.persons - persons);
        persons += household.members.len();
        for person in &household.members {
            for kind in departments::records_of(person, &household, &mut rng) {
                let row = departments::write_record(kind, person, &mut rng);
                parts[kind.source().index()].push(row, &mut shuffle_rng)?;
            }
            let draws =
                per_person.floor() as usize + usize::from(batch_rng.gen_bool(per_person.fract()));
            for _ in 0..draws {
                let kind = departments::batch_kind_of(person, &mut batch_rng);
                batch_existing.push(departments::write_record(kind, person, &mut batch_rng));
            }
        }
        for parents in possible_parents(&household) {
            if batch_rng.gen_bool(mother_share) {
                would_be_parents.push(parents);
            }
        }
        progress.inc(household.members.len() as u64);
    }
    progress.finish_and_clear();

    let mut records_parts = Vec::new();
    let mut truth_parts = Vec::new();
    let mut by_source = Vec::new();
    let mut records = 0;
    for part in parts {
        let source = part.source;
        let (r, t, n) = part.finish(&mut shuffle_rng)?;
        records_parts.push(r);
        truth_parts.push(t);
        by_source.push((source, n));
        records += n;
    }
    concatenate(&dir.join("records.csv"), &RECORD_HEADER, &records_parts)?;
    concatenate(&dir.join("truth.csv"), &TRUTH_HEADER, &truth_parts)?;

    let (batch, batch_existing_records, batch_new_persons) = daily_batch(
        options.batch_records,
        existing_target,
        newborn_record_target,
        batch_existing,
        would_be_parents,
        &mut county,
        &mut batch_rng,
    );
    write_batch(dir, &batch)?;

    let summary = Summary {
        persons,
        records,
        records_by_source: by_source,
        batch_records: batch.len() as u64,
        batch_existing_records,
        batch_new_persons,
    };
    let json = serde_json::to_string_pretty(&summary.to_json(options.seed))?;
    std::fs::write(dir.join("summary.json"), json + "\n")?;
    Ok(summary)
}

/// Assembles the daily batch: known persons' new records, then newborns, then arrivals until
/// the batch is full. Returns the rows, how many are about known persons, and how many new
/// persons appear.
fn daily_batch(
    size: usize,
    existing_target: usize,
    newborn_record_target: usize,
    mut existing: Vec<Row>,
    mut parents: Vec<Parents>,
    county: &mut CountyBuilder,
    rng: &mut ChaCha8Rng,
) -> (Vec<Row>, u64, u64) {
    existing.shuffle(rng);
    existing.truncate(existing_target.min(size));
    let known = existing.len() as u64;
    let mut rows = existing;
    let mut new_persons = 0u64;

    parents.shuffle(rng);
    let newborn_limit = rows.len() + newborn_record_target;
    for p in &parents {
        if rows.len() >= newborn_limit.min(size) {
            break;
        }
        let baby = county.newborn(p.father.as_ref(), &p.mother, rng);
        new_persons += 1;
        let mut kinds = vec![Kind::BirthRecord];
        if baby.registered {
            kinds.push(Kind::PoliceRegister);
            if rng.gen_bool(0.3) {
                kinds.push(Kind::Vaccination);
            }
        }
        for kind in kinds {
            if rows.len() < size {
                rows.push(departments::write_record(kind, &baby, rng));
            }
        }
    }

    while rows.len() < size {
        let household = county.arrivals(rng);
        for person in &household.members {
            if rows.len() >= size {
                break;
            }
            new_persons += 1;
            let mut kinds = vec![Kind::PoliceResidence];
            let age = person.age();
            if (3..=18).contains(&age) && rng.gen_bool(0.7) {
                kinds.push(Kind::SchoolRoll);
            } else if age <= 6 && rng.gen_bool(0.6) {
                kinds.push(Kind::Vaccination);
            } else if age >= 18 && rng.gen_bool(0.2) {
                kinds.push(Kind::HealthArchive);
            }
            for kind in kinds {
                if rows.len() < size {
                    rows.push(departments::write_record(kind, person, rng));
                }
            }
        }
    }
    rows.shuffle(rng);
    (rows, known, new_persons)
}

fn write_batch(dir: &Path, rows: &[Row]) -> anyhow::Result<()> {
    let mut records = create_csv(&dir.join("batch.csv"))?;
    let mut truth = create_csv(&dir.join("batch_truth.csv"))?;
    records.write_record(RECORD_HEADER)?;
    truth.write_record(TRUTH_HEADER)?;
    let mut counters = [0u64; Source::ALL.len()];
    for row in rows {
        let n = &mut counters[row.source.index()];
        *n += 1;
        write_row(
            &mut records,
            &mut truth,
            &record_id(row.source, true, *n),
            row,
        )?;
    }
    records.flush()?;
    truth.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    fn run(persons: usize, seed: u64, dir: &Path) -> Summary {
        generate(&Options {
            persons,
            seed,
            out: dir.to_path_buf(),
            batch_records: 1_000,
            progress: false,
        })
        .expect("generates")
    }

    fn read(path: &Path) -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_path(path).expect("readable");
        reader
            .records()
            .map(|r| r.expect("valid row").iter().map(String::from).collect())
            .collect()
    }

    #[test]
    fn same_seed_same_files() {
        let a = tempfile::tempdir().expect("tempdir");
        let b = tempfile::tempdir().expect("tempdir");
        assert_eq!(run(3_000, 9, a.path()), run(3_000, 9, b.path()));
        for file in ["records.csv", "truth.csv", "batch.csv", "batch_truth.csv"] {
            let x = std::fs::read(a.path().join(file)).expect("written");
            let y = std::fs::read(b.path().join(file)).expect("written");
            assert!(x == y, "{file} differs");
        }
        let c = tempfile::tempdir().expect("tempdir");
        run(3_000, 10, c.path());
        assert_ne!(
            std::fs::read(a.path().join("records.csv")).expect("written"),
            std::fs::read(c.path().join("records.csv")).expect("written")
        );
    }

    #[test]
    fn truth_covers_every_record_and_the_batch_is_consistent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let summary = run(5_000, 3, dir.path());
        assert_eq!(summary.persons, 5_000);
        let records = read(&dir.path().join("records.csv"));
        let truth = read(&dir.path().join("truth.csv"));
        assert_eq!(records.len() as u64, summary.records);
        assert_eq!(records.len(), truth.len());
        let per_person = summary.records as f64 / 5_000.0;
        assert!(
            (1.9..2.5).contains(&per_person),
            "{per_person} records per person"
        );
        let persons: HashSet<&str> = truth.iter().map(|t| t[1].as_str()).collect();
        assert!(
            persons.len() <= 5_000 && persons.len() > 4_900,
            "{}",
            persons.len()
        );
        let mut ids = HashSet::new();
        for (r, t) in records.iter().zip(&truth) {
            assert_eq!(r[0], t[0]);
            assert!(r[0].starts_with(&r[1]), "{} from {}", r[0], r[1]);
            assert!(ids.insert(r[0].clone()));
        }

        let batch = read(&dir.path().join("batch.csv"));
        let batch_truth = read(&dir.path().join("batch_truth.csv"));
        assert_eq!(batch.len(), 1_000);
        assert_eq!(batch_truth.len(), 1_000);
        let known = batch_truth
            .iter()
            .filter(|t| persons.contains(t[1].as_str()))
            .count();
        assert_eq!(known as u64, summary.batch_existing_records);
        assert!((700..=850).contains(&known), "{known} known of 1000");
        for r in &batch {
            assert!(ids.insert(r[0].clone()), "batch id {} collides", r[0]);
        }
    }

    #[test]
    fn common_names_repeat_and_some_share_a_birth_date() {
        let dir = tempfile::tempdir().expect("tempdir");
        run(20_000, 1, dir.path());
        let records = read(&dir.path().join("records.csv"));
        let truth = read(&dir.path().join("truth.csv"));
        let mut by_name_date: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
        let mut by_name: HashMap<&str, HashSet<&str>> = HashMap::new();
        for (r, t) in records.iter().zip(&truth) {
            if r[1] == "police" {
                by_name.entry(&r[3]).or_default().insert(&t[1]);
                by_name_date
                    .entry((&r[3], &r[5]))
                    .or_default()
                    .insert(&t[1]);
            }
        }
        let most = by_name.values().map(HashSet::len).max().unwrap_or(0);
        assert!(most >= 15, "the commonest name has only {most} persons");
        let shared = by_name_date.values().filter(|p| p.len() > 1).count();
        assert!(shared > 0, "no two persons share name and birth date");
    }
}
