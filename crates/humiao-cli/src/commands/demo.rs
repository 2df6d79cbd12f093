//! `humiao demo`: a complete synthetic county, loaded through the same import path a user runs.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use humiao_core::access::Role;
use humiao_core::alert::AlertParams;
use humiao_core::{Department, Region, RegionCode, RegionLevel};
use humiao_demo::{DemoConfig, DemoCounty};
use humiao_store::{NewUser, Store};
use humiao_web::WebConfig;

use crate::args::{DemoArgs, Global};

/// Every demo account has this password; the demo prints it with the logins.
pub const DEMO_PASSWORD: &str = "Humiao@2026";

struct DemoUser {
    username: String,
    display_name: String,
    role: Role,
    jurisdiction: Vec<RegionCode>,
    place: String,
}

/// One centre user for the county, one station user per town, one child director per village
/// (bound to the village's grids), and an administrator, an auditor and a police liaison.
fn demo_users(regions: &[Region]) -> Vec<DemoUser> {
    let name_of: BTreeMap<&RegionCode, &str> =
        regions.iter().map(|r| (&r.code, r.name.as_str())).collect();
    let county = regions
        .iter()
        .find(|r| r.level() == RegionLevel::County)
        .expect("the demo county has a county");
    let mut users = vec![
        DemoUser {
            username: "centre".into(),
            display_name: "县未保中心".into(),
            role: Role::CentreStaff,
            jurisdiction: vec![county.code.clone()],
            place: county.name.clone(),
        },
        DemoUser {
            username: "admin".into(),
            display_name: "系统管理员".into(),
            role: Role::Administrator,
            jurisdiction: vec![county.code.clone()],
            place: county.name.clone(),
        },
        DemoUser {
            username: "auditor".into(),
            display_name: "审计员".into(),
            role: Role::Auditor,
            jurisdiction: vec![county.code.clone()],
            place: county.name.clone(),
        },
        DemoUser {
            username: "police".into(),
            display_name: "公安联络员".into(),
            role: Role::DepartmentLiaison,
            jurisdiction: vec![county.code.clone()],
            place: county.name.clone(),
        },
    ];
    for (i, town) in regions
        .iter()
        .filter(|r| r.level() == RegionLevel::Town)
        .enumerate()
    {
        users.push(DemoUser {
            username: format!("station{:02}", i + 1),
            display_name: format!("{}儿童督导员", town.name),
            role: Role::StationStaff,
            jurisdiction: vec![town.code.clone()],
            place: town.name.clone(),
        });
    }
    for village in regions.iter().filter(|r| r.level() == RegionLevel::Village) {
        let grids: Vec<RegionCode> = regions
            .iter()
            .filter(|g| {
                g.level() == RegionLevel::Grid && g.code.parent().as_ref() == Some(&village.code)
            })
            .map(|g| g.code.clone())
            .collect();
        let town = village
            .code
            .parent()
            .and_then(|t| name_of.get(&t).copied())
            .unwrap_or("");
        users.push(DemoUser {
            username: format!("director{}", &village.code.as_str()[6..]),
            display_name: format!("{}儿童主任", village.name),
            role: Role::ChildDirector,
            jurisdiction: grids,
            place: format!("{town}{}", village.name),
        });
    }
    users
}

async fn create_users(store: &Store, users: &[DemoUser]) -> anyhow::Result<()> {
    // One hash for all: hashing is deliberately slow and the demo password is shared.
    let hash = humiao_web::hash_password(DEMO_PASSWORD)?;
    for u in users {
        store
            .upsert_user(&NewUser {
                username: u.username.clone(),
                display_name: u.display_name.clone(),
                password_hash: hash.clone(),
                role: u.role,
                jurisdiction: u.jurisdiction.clone(),
                // The demo's only liaison is the police one.
                department: (u.role == Role::DepartmentLiaison).then_some(Department::Police),
            })
            .await
            .with_context(|| format!("creating user {}", u.username))?;
    }
    Ok(())
}

fn print_logins(users: &[DemoUser]) {
    println!("\n演示账号 (password for all: {DEMO_PASSWORD}):");
    let mut directors = 0;
    for u in users {
        if u.role == Role::ChildDirector {
            directors += 1;
            if directors > 3 {
                continue;
            }
        }
        println!("  {:<20} {:<12} {}", u.username, u.role.label_zh(), u.place);
    }
    if directors > 3 {
        println!(
            "  … and {} more child directors (director<village code>, `humiao user list`)",
            directors - 3
        );
    }
}

pub async fn build(global: &Global, args: &DemoArgs) -> anyhow::Result<(Store, DemoCounty)> {
    let as_of = super::parse_date(args.as_of.as_deref())?;
    let started = Instant::now();
    let input = global.data_dir.join("demo-input");
    std::fs::create_dir_all(&input)
        .with_context(|| format!("cannot create {}", input.display()))?;
    let county = humiao_demo::generate(
        &DemoConfig {
            children: args.children,
            seed: args.seed,
            as_of,
        },
        &input,
    )
    .context("generating the demo county")?;
    let generated = started.elapsed();
    println!(
        "生成演示县 generated: {} 名儿童, 写入 {} ({:.1?})",
        args.children,
        input.display(),
        generated
    );

    let store = super::open_store(global).await?;
    store.upsert_regions(&county.regions).await?;
    let t = Instant::now();
    for spec in &county.imports {
        super::import::import_files(&store, spec.department, &spec.mapping, &spec.files, "demo")
            .await?;
    }
    let imported = t.elapsed();
    let t = Instant::now();
    let linked = humiao_pipeline::link_records(
        &store,
        &humiao_pipeline::LinkOptions::default(),
        &crate::progress::Bar::new(),
    )
    .await?;
    super::link::print_report(&linked);
    let link_time = t.elapsed();
    let t = Instant::now();
    let assessed = humiao_pipeline::assess_all(
        &store,
        as_of,
        &*humiao_pipeline::active_pack(&store).await?,
        &AlertParams::default(),
    )
    .await?;
    super::assess::print_report(&assessed);
    let assess_time = t.elapsed();
    let t = Instant::now();
    let users = demo_users(&county.regions);
    create_users(&store, &users).await?;
    let users_time = t.elapsed();
    print_logins(&users);
    println!(
        "\n用时 timings: generate {generated:.1?}, import {imported:.1?}, link {link_time:.1?}, \
         assess {assess_time:.1?}, users {users_time:.1?}, total {:.1?}",
        started.elapsed()
    );
    Ok((store, county))
}

pub async fn run(global: &Global, args: DemoArgs) -> anyhow::Result<ExitCode> {
    if let Some(crate::args::DemoSub::Events {
        rate,
        count,
        url,
        seed,
    }) = &args.sub
    {
        return super::simulate::run(global, *rate, *count, url, *seed).await;
    }
    let (store, _) = build(global, &args).await?;
    if args.no_serve {
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let config = WebConfig {
        secure_cookies: !args.bind.ip().is_loopback(),
        today_override: args
            .as_of
            .as_deref()
            .map(|d| super::parse_date(Some(d)))
            .transpose()?,
        badge_ttl: Some(humiao_web::BADGE_TTL),
        places_ttl: Some(humiao_web::PLACES_TTL),
    };
    println!(
        "要看预警实时到达：另开一个终端运行 `humiao demo events --rate 2 --url http://{}`\n\
         (departments push simulated events; alerts appear on 我的预警 and the centre's 预警).",
        args.bind
    );
    super::serve::serve(store, args.bind, config).await?;
    Ok(ExitCode::SUCCESS)
}
