use std::io::Read;
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context};
use humiao_core::access::Role;
use humiao_core::{Department, RegionCode};
use humiao_store::NewUser;

use crate::args::{Global, UserArgs, UserSub};

pub async fn run(global: &Global, args: UserArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    match args.sub {
        UserSub::Add {
            username,
            role,
            regions,
            name,
            department,
        } => {
            let department = department
                .map(|d| Department::parse(&d).ok_or_else(|| anyhow!("unknown department `{d}`")))
                .transpose()?;
            if role_needs_department(&role) && department.is_none() {
                bail!("a department_liaison needs --department");
            }
            let role = Role::parse(&role).ok_or_else(|| anyhow!("unknown role `{role}`"))?;
            let jurisdiction = regions
                .iter()
                .map(|r| RegionCode::parse(r).with_context(|| format!("region `{r}`")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let password = match std::env::var("HUMIAO_PASSWORD") {
                Ok(p) => p,
                Err(_) => {
                    let mut p = String::new();
                    std::io::stdin().read_to_string(&mut p)?;
                    p.trim_end_matches(['\r', '\n']).to_string()
                }
            };
            if password.chars().count() < 8 {
                bail!("password must have at least 8 characters");
            }
            let id = store
                .upsert_user(&NewUser {
                    display_name: name.unwrap_or_else(|| username.clone()),
                    username,
                    password_hash: humiao_web::hash_password(&password)?,
                    role,
                    jurisdiction,
                    department,
                })
                .await?;
            println!("用户 {id} 已保存");
        }
        UserSub::List => {
            for u in store.users().await? {
                println!(
                    "{:>4} {:<24} {:<12} {}",
                    u.id,
                    u.username,
                    u.role.label_zh(),
                    u.jurisdiction
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn role_needs_department(role: &str) -> bool {
    Role::parse(role) == Some(Role::DepartmentLiaison)
}
