//! `/`: each role's start page.

use axum::response::Redirect;
use humiao_core::access::Role;

use crate::session::CurrentUser;

pub(crate) fn start_page(role: Role) -> &'static str {
    match role {
        Role::ChildDirector => "/m/alerts",
        Role::CentreStaff | Role::StationStaff => "/centre",
        Role::DepartmentLiaison => "/imports",
        Role::Administrator => "/admin/users",
        Role::Auditor => "/audit",
    }
}

pub(crate) async fn home(CurrentUser(session): CurrentUser) -> Redirect {
    Redirect::to(start_page(session.role()))
}
