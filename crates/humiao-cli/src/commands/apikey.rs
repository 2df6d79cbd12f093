//! `humiao apikey add|list|revoke`: the keys departments push events with.

use std::process::ExitCode;

use anyhow::Context;
use humiao_core::Department;

use crate::args::{ApikeyArgs, ApikeySub, Global};

pub async fn run(global: &Global, args: ApikeyArgs) -> anyhow::Result<ExitCode> {
    let store = super::open_store(global).await?;
    let by = super::cli_user();
    match args.sub {
        ApikeySub::Add { department, label } => {
            let department = Department::parse(&department).with_context(|| {
                format!(
                    "没有部门“{department}”（可用：{}）",
                    Department::ALL.map(|d| d.code()).join("、")
                )
            })?;
            let (id, key) = store.create_api_key(department, label.trim(), &by).await?;
            println!(
                "已为{}创建 API 密钥 #{id}（{label}）。密钥只显示这一次，请妥善交给对方系统：",
                department.label_zh()
            );
            println!("{key}");
            println!("推送：POST /api/v1/events，请求头 Authorization: Bearer <密钥>（接口说明见 /api/openapi.json）");
        }
        ApikeySub::List => {
            let keys = store.api_keys().await?;
            if keys.is_empty() {
                println!("（尚无 API 密钥）");
            }
            for k in keys {
                let state = match (&k.revoked_at, &k.revoked_by) {
                    (Some(at), Some(by)) => format!("已吊销 {at} by {by}"),
                    (Some(at), None) => format!("已吊销 {at}"),
                    _ => "有效".to_string(),
                };
                println!(
                    "#{:<4} {:<6} {:<20} {}…  创建 {} by {}  {state}",
                    k.id,
                    k.department.label_zh(),
                    k.label,
                    k.key_prefix,
                    k.created_at,
                    k.created_by
                );
            }
        }
        ApikeySub::Revoke { id } => match store.revoke_api_key(id, &by).await {
            Ok(()) => println!("已吊销 API 密钥 #{id}：此后用它推送的请求一律拒绝"),
            Err(humiao_store::StoreError::NotFound) => {
                eprintln!("没有有效的 API 密钥 #{id}（不存在或已吊销）");
                return Ok(ExitCode::from(1));
            }
            Err(e) => return Err(e.into()),
        },
    }
    Ok(ExitCode::SUCCESS)
}
