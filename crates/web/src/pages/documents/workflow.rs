//! The workflow definition in force, read-only, for administrators: every
//! state of the incoming and outgoing workflows and every step with who may
//! take it. An agency changes it with its own `workflows_file`, never here,
//! so this page is what an administrator checks after installing one.

use axum::extract::State;
use axum::response::Response;
use congso_core::access::Action;
use congso_docs::model::Direction;
use congso_docs::workflow::Workflow;
use maud::{html, Markup};

use super::{state_label, step_label};
use crate::error::AppError;
use crate::layout::{page, Ctx};
use crate::session::SignedIn;
use crate::AppState;

pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, AppError> {
    signed_in.require(Action::DocumentWorkflowManage)?;
    let service = state.documents()?;
    let ctx = Ctx::new(&state, &signed_in.visitor);
    let workflows = service.workflows();
    let body = html! {
        h1 { (ctx.t("wf-title")) }
        p { (ctx.t("wf-intro")) }
        (workflow_section(&ctx, service, &workflows.incoming, "wf-incoming"))
        (workflow_section(&ctx, service, &workflows.outgoing, "wf-outgoing"))
    };
    Ok(super::super::private_page(page(
        &ctx,
        &ctx.t("wf-title"),
        body,
    )))
}

fn workflow_section(
    ctx: &Ctx<'_>,
    service: &congso_docs::Service,
    workflow: &Workflow,
    heading: &str,
) -> Markup {
    let direction: Direction = workflow.direction;
    let state_name = |state: &str| state_label(ctx, service, direction, state);
    let yes_no = |flag: bool| ctx.t(if flag { "wf-yes" } else { "wf-no" });
    html! {
        section aria-labelledby=(heading) {
            h2 id=(heading) { (ctx.t(heading)) }
            p {
                (ctx.t("wf-initial")) " "
                strong { (state_name(&workflow.initial)) }
                " (" code { (workflow.initial) } ")"
            }
            div.table-wrap {
                table {
                    caption { (ctx.t("wf-states")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wf-col-state")) }
                        th scope="col" { (ctx.t("wf-col-code")) }
                        th scope="col" { (ctx.t("wf-col-final")) }
                        th scope="col" { (ctx.t("wf-col-status")) }
                    } }
                    tbody {
                        @for item in &workflow.states {
                            tr {
                                td { (state_name(&item.name)) }
                                td { code { (item.name) } }
                                td { (yes_no(item.is_final)) }
                                td { @if let Some(status) = item.status { (format!("{status:02}")) } @else { "—" } }
                            }
                        }
                    }
                }
            }
            div.table-wrap {
                table {
                    caption { (ctx.t("wf-steps")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wf-col-step")) }
                        th scope="col" { (ctx.t("wf-col-from")) }
                        th scope="col" { (ctx.t("wf-col-to")) }
                        th scope="col" { (ctx.t("wf-col-roles")) }
                        th scope="col" { (ctx.t("wf-col-conditions")) }
                        th scope="col" { (ctx.t("wf-col-effect")) }
                    } }
                    tbody {
                        @for step in &workflow.transitions {
                            tr {
                                td { (step_label(ctx, service, direction, &step.name)) br; code { (step.name) } }
                                td { (step.from.iter().map(|from| state_name(from)).collect::<Vec<_>>().join(", ")) }
                                td { (state_name(&step.to)) }
                                td {
                                    ul.plain {
                                        @for role in step.roles.iter() { li { (ctx.role_name(role)) } }
                                    }
                                }
                                td {
                                    @if step.comment_required { (ctx.t("wf-comment-required")) br; }
                                    @if step.holder_only { (ctx.t("wf-holder-only")) br; }
                                    @if !step.comment_required && !step.holder_only { "—" }
                                }
                                td { (ctx.t(&format!("wf-effect-{}", step.effect.name()))) }
                            }
                        }
                    }
                }
            }
        }
    }
}
