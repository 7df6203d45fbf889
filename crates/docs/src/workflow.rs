//! Declarative workflows (Decree 64 Art. 33–34): states, transitions, who
//! may take each one, whether a comment is required, and what else happens.
//!
//! The Decree 30 defaults ship as `data/workflow.toml`; an agency may supply
//! its own file of the same shape, which [`Workflows::from_toml`] parses and
//! checks (every state named and reachable, no dead ends, roles on every
//! transition, the effects the registers need present) before it is used.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use congso_core::access::{Role, RoleSet};
use serde::Deserialize;

use crate::model::Direction;

/// The shipped Decree 30 defaults.
pub const SHIPPED_WORKFLOWS: &str = include_str!("../data/workflow.toml");

/// What a transition does beside changing the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    None,
    /// Give the arrival number (incoming).
    Register,
    /// Assign to a unit and/or specialist with a due date.
    Assign,
    /// End the assignment; the document goes back to the leader.
    Return,
    /// Only through the signing hook, which records the signed file.
    Sign,
    /// Give the number of the document's series and the issue date.
    Issue,
    /// Record the dispatch time.
    Dispatch,
}

impl Effect {
    pub fn name(self) -> &'static str {
        match self {
            Effect::None => "none",
            Effect::Register => "register",
            Effect::Assign => "assign",
            Effect::Return => "return",
            Effect::Sign => "sign",
            Effect::Issue => "issue",
            Effect::Dispatch => "dispatch",
        }
    }

    fn allowed_in(self, direction: Direction) -> bool {
        match self {
            Effect::None => true,
            Effect::Register | Effect::Assign | Effect::Return => direction == Direction::Incoming,
            Effect::Sign | Effect::Issue | Effect::Dispatch => direction == Direction::Outgoing,
        }
    }
}

/// A state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub name: String,
    /// What users see (Vietnamese).
    pub label: String,
    pub is_final: bool,
    /// The edXML status code (1–16) told to the sender on entering the state.
    pub status: Option<u8>,
}

/// A transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub name: String,
    pub label: String,
    pub from: Vec<String>,
    pub to: String,
    pub roles: RoleSet,
    pub comment_required: bool,
    /// Only the document's current holder may take it.
    pub holder_only: bool,
    pub effect: Effect,
}

/// One direction's workflow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    pub direction: Direction,
    pub initial: String,
    pub states: Vec<State>,
    pub transitions: Vec<Transition>,
}

impl Workflow {
    pub fn state(&self, name: &str) -> Option<&State> {
        self.states.iter().find(|state| state.name == name)
    }

    pub fn transition(&self, name: &str) -> Option<&Transition> {
        self.transitions
            .iter()
            .find(|transition| transition.name == name)
    }

    /// The transitions that leave `state`.
    pub fn transitions_from<'a>(&'a self, state: &'a str) -> impl Iterator<Item = &'a Transition> {
        self.transitions
            .iter()
            .filter(move |transition| transition.from.iter().any(|from| from == state))
    }

    /// The first transition with `effect` that leaves `state`.
    pub fn with_effect(&self, state: &str, effect: Effect) -> Option<&Transition> {
        self.transitions.iter().find(|transition| {
            transition.effect == effect && transition.from.iter().any(|from| from == state)
        })
    }

    /// The names of the final states.
    pub fn final_states(&self) -> Vec<String> {
        self.states
            .iter()
            .filter(|state| state.is_final)
            .map(|state| state.name.clone())
            .collect()
    }
}

/// Both workflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflows {
    pub incoming: Workflow,
    pub outgoing: Workflow,
}

impl Workflows {
    /// The Decree 30 defaults.
    pub fn shipped() -> Workflows {
        // A test parses the shipped file; this cannot fail at run time
        // unless that test failed.
        match Workflows::from_toml(SHIPPED_WORKFLOWS) {
            Ok(workflows) => workflows,
            Err(errors) => {
                tracing::error!(?errors, "the shipped workflow definition is invalid");
                Workflows {
                    incoming: empty(Direction::Incoming),
                    outgoing: empty(Direction::Outgoing),
                }
            }
        }
    }

    pub fn get(&self, direction: Direction) -> &Workflow {
        match direction {
            Direction::Incoming => &self.incoming,
            Direction::Outgoing => &self.outgoing,
        }
    }

    /// Parses a definition and checks it; returns every problem found.
    pub fn from_toml(text: &str) -> Result<Workflows, Vec<WorkflowError>> {
        let raw: RawFile =
            toml::from_str(text).map_err(|error| vec![WorkflowError::Toml(error.to_string())])?;
        let mut errors = Vec::new();
        let incoming = build(Direction::Incoming, raw.incoming, &mut errors);
        let outgoing = build(Direction::Outgoing, raw.outgoing, &mut errors);
        if errors.is_empty() {
            Ok(Workflows { incoming, outgoing })
        } else {
            Err(errors)
        }
    }
}

fn empty(direction: Direction) -> Workflow {
    Workflow {
        direction,
        initial: String::new(),
        states: Vec::new(),
        transitions: Vec::new(),
    }
}

/// A problem in a workflow definition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("workflow definition is not valid TOML or has unknown keys: {0}")]
    Toml(String),
    #[error("{workflow} workflow: state {state:?} is defined twice")]
    DuplicateState { workflow: String, state: String },
    #[error("{workflow} workflow: transition {transition:?} is defined twice")]
    DuplicateTransition {
        workflow: String,
        transition: String,
    },
    #[error("{workflow} workflow: the initial state {state:?} is not defined")]
    UnknownInitial { workflow: String, state: String },
    #[error("{workflow} workflow: transition {transition:?} names the unknown state {state:?}")]
    UnknownState {
        workflow: String,
        transition: String,
        state: String,
    },
    #[error("{workflow} workflow: state {state:?} cannot be reached from the initial state")]
    Unreachable { workflow: String, state: String },
    #[error("{workflow} workflow: state {state:?} is not final but no transition leaves it")]
    DeadEnd { workflow: String, state: String },
    #[error("{workflow} workflow: no state is final, so no document can ever be finished")]
    NoFinalState { workflow: String },
    #[error("{workflow} workflow: transition {transition:?} names no role that may take it")]
    MissingRoles {
        workflow: String,
        transition: String,
    },
    #[error("{workflow} workflow: transition {transition:?}: {message}")]
    BadRole {
        workflow: String,
        transition: String,
        message: String,
    },
    #[error("{workflow} workflow: transition {transition:?} has effect {effect:?}, which only the {other} workflow may use")]
    EffectNotAllowed {
        workflow: String,
        transition: String,
        effect: String,
        other: String,
    },
    #[error(
        "{workflow} workflow: no transition has the effect {effect:?}, which the register needs"
    )]
    MissingEffect { workflow: String, effect: String },
    #[error(
        "{workflow} workflow: the {effect:?} transition must leave the initial state {initial:?}"
    )]
    EffectNotFromInitial {
        workflow: String,
        effect: String,
        initial: String,
    },
    #[error("{workflow} workflow: state {state:?} has status {status:?}; edXML status codes are 01 to 16")]
    BadStatus {
        workflow: String,
        state: String,
        status: String,
    },
    #[error("{workflow} workflow: transition {transition:?} has an empty {field}")]
    Empty {
        workflow: String,
        transition: String,
        field: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    incoming: RawWorkflow,
    outgoing: RawWorkflow,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWorkflow {
    initial: String,
    states: Vec<RawState>,
    transitions: Vec<RawTransition>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    name: String,
    label: String,
    #[serde(default, rename = "final")]
    is_final: bool,
    status: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTransition {
    name: String,
    label: String,
    from: Vec<String>,
    to: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    comment: bool,
    #[serde(default)]
    holder_only: bool,
    #[serde(default = "no_effect")]
    effect: Effect,
}

fn no_effect() -> Effect {
    Effect::None
}

fn build(direction: Direction, raw: RawWorkflow, errors: &mut Vec<WorkflowError>) -> Workflow {
    let workflow = direction.code().to_owned();
    let mut states: Vec<State> = Vec::new();
    for raw_state in raw.states {
        if states.iter().any(|state| state.name == raw_state.name) {
            errors.push(WorkflowError::DuplicateState {
                workflow: workflow.clone(),
                state: raw_state.name.clone(),
            });
            continue;
        }
        let status = match &raw_state.status {
            None => None,
            Some(text) => match text.parse::<u8>() {
                Ok(code) if (1..=16).contains(&code) && text.len() == 2 => Some(code),
                _ => {
                    errors.push(WorkflowError::BadStatus {
                        workflow: workflow.clone(),
                        state: raw_state.name.clone(),
                        status: text.clone(),
                    });
                    None
                }
            },
        };
        states.push(State {
            name: raw_state.name,
            label: raw_state.label,
            is_final: raw_state.is_final,
            status,
        });
    }
    let known: BTreeSet<&str> = states.iter().map(|state| state.name.as_str()).collect();
    if !known.contains(raw.initial.as_str()) {
        errors.push(WorkflowError::UnknownInitial {
            workflow: workflow.clone(),
            state: raw.initial.clone(),
        });
    }
    let mut transitions: Vec<Transition> = Vec::new();
    for raw_transition in raw.transitions {
        let name = raw_transition.name.clone();
        if transitions.iter().any(|transition| transition.name == name) {
            errors.push(WorkflowError::DuplicateTransition {
                workflow: workflow.clone(),
                transition: name.clone(),
            });
            continue;
        }
        if name.trim().is_empty() {
            errors.push(WorkflowError::Empty {
                workflow: workflow.clone(),
                transition: name.clone(),
                field: "name",
            });
        }
        if raw_transition.from.is_empty() {
            errors.push(WorkflowError::Empty {
                workflow: workflow.clone(),
                transition: name.clone(),
                field: "from list",
            });
        }
        for state in raw_transition
            .from
            .iter()
            .chain(std::iter::once(&raw_transition.to))
        {
            if !known.contains(state.as_str()) {
                errors.push(WorkflowError::UnknownState {
                    workflow: workflow.clone(),
                    transition: name.clone(),
                    state: state.clone(),
                });
            }
        }
        let mut roles = RoleSet::EMPTY;
        for role_name in &raw_transition.roles {
            match role_name.parse::<Role>() {
                Ok(Role::Citizen) => errors.push(WorkflowError::BadRole {
                    workflow: workflow.clone(),
                    transition: name.clone(),
                    message: "citizens cannot take document transitions".to_owned(),
                }),
                Ok(role) => roles.insert(role),
                Err(error) => errors.push(WorkflowError::BadRole {
                    workflow: workflow.clone(),
                    transition: name.clone(),
                    message: error.to_string(),
                }),
            }
        }
        if raw_transition.roles.is_empty() {
            errors.push(WorkflowError::MissingRoles {
                workflow: workflow.clone(),
                transition: name.clone(),
            });
        }
        if !raw_transition.effect.allowed_in(direction) {
            errors.push(WorkflowError::EffectNotAllowed {
                workflow: workflow.clone(),
                transition: name.clone(),
                effect: raw_transition.effect.name().to_owned(),
                other: match direction {
                    Direction::Incoming => "outgoing".to_owned(),
                    Direction::Outgoing => "incoming".to_owned(),
                },
            });
        }
        transitions.push(Transition {
            name,
            label: raw_transition.label,
            from: raw_transition.from,
            to: raw_transition.to,
            roles,
            comment_required: raw_transition.comment,
            holder_only: raw_transition.holder_only,
            effect: raw_transition.effect,
        });
    }
    let built = Workflow {
        direction,
        initial: raw.initial,
        states,
        transitions,
    };
    check_graph(&built, errors);
    built
}

fn check_graph(workflow: &Workflow, errors: &mut Vec<WorkflowError>) {
    let name = workflow.direction.code().to_owned();
    if !workflow.states.iter().any(|state| state.is_final) {
        errors.push(WorkflowError::NoFinalState {
            workflow: name.clone(),
        });
    }
    // Reachability from the initial state.
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for transition in &workflow.transitions {
        for from in &transition.from {
            edges
                .entry(from.as_str())
                .or_default()
                .push(transition.to.as_str());
        }
    }
    let mut reached = BTreeSet::new();
    let mut queue = VecDeque::from([workflow.initial.as_str()]);
    while let Some(state) = queue.pop_front() {
        if !reached.insert(state) {
            continue;
        }
        for next in edges.get(state).into_iter().flatten() {
            queue.push_back(next);
        }
    }
    for state in &workflow.states {
        if workflow.state(&workflow.initial).is_some() && !reached.contains(state.name.as_str()) {
            errors.push(WorkflowError::Unreachable {
                workflow: name.clone(),
                state: state.name.clone(),
            });
        }
        if !state.is_final && !edges.contains_key(state.name.as_str()) {
            errors.push(WorkflowError::DeadEnd {
                workflow: name.clone(),
                state: state.name.clone(),
            });
        }
    }
    let needed: &[Effect] = match workflow.direction {
        Direction::Incoming => &[Effect::Register, Effect::Assign],
        Direction::Outgoing => &[Effect::Sign, Effect::Issue],
    };
    for effect in needed {
        if !workflow
            .transitions
            .iter()
            .any(|transition| transition.effect == *effect)
        {
            errors.push(WorkflowError::MissingEffect {
                workflow: name.clone(),
                effect: effect.name().to_owned(),
            });
        }
    }
    // Registration creates the document in the initial state and takes the
    // register transition at once, so it must leave the initial state.
    if workflow.direction == Direction::Incoming
        && workflow
            .transitions
            .iter()
            .any(|transition| transition.effect == Effect::Register)
        && workflow
            .with_effect(&workflow.initial, Effect::Register)
            .is_none()
    {
        errors.push(WorkflowError::EffectNotFromInitial {
            workflow: name,
            effect: "register".to_owned(),
            initial: workflow.initial.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use congso_core::access::Action;

    #[test]
    fn the_shipped_definition_is_valid() {
        let workflows = Workflows::from_toml(SHIPPED_WORKFLOWS).unwrap();
        assert_eq!(workflows.incoming.initial, "arrived");
        assert_eq!(workflows.outgoing.initial, "draft");
        assert_eq!(workflows.incoming.final_states(), ["done", "rejected"]);
        assert_eq!(workflows.outgoing.final_states(), ["dispatched"]);
        assert_eq!(Workflows::shipped(), workflows);
    }

    /// The shipped defaults give each step to the roles the permission
    /// matrix names for it, so the two stay one policy.
    #[test]
    fn shipped_roles_match_the_permission_matrix() {
        let workflows = Workflows::shipped();
        let check = |workflow: &Workflow, transition: &str, action: Action| {
            let roles = workflow.transition(transition).unwrap().roles;
            for role in Role::ALL {
                assert_eq!(
                    roles.contains(role),
                    RoleSet::single(role).permits(action),
                    "{transition} × {role}"
                );
            }
        };
        let incoming = &workflows.incoming;
        check(incoming, "register", Action::DocumentRegisterIncoming);
        check(incoming, "reject", Action::DocumentRegisterIncoming);
        check(incoming, "assign", Action::DocumentAssign);
        check(incoming, "reassign", Action::DocumentAssign);
        check(incoming, "start", Action::DocumentProcess);
        check(incoming, "return", Action::DocumentProcess);
        check(incoming, "finish", Action::DocumentProcess);
        let outgoing = &workflows.outgoing;
        check(outgoing, "submit", Action::DocumentDraft);
        check(outgoing, "review", Action::DocumentApprove);
        check(outgoing, "approve", Action::DocumentApprove);
        check(outgoing, "send_back", Action::DocumentApprove);
        check(outgoing, "sign", Action::DocumentSign);
        check(outgoing, "issue", Action::DocumentIssue);
        check(outgoing, "dispatch", Action::DocumentDispatch);
        assert_eq!(incoming.transitions.len(), 7);
        assert_eq!(outgoing.transitions.len(), 7);
    }

    /// A minimal valid definition to mutate.
    const MINIMAL: &str = r#"
[incoming]
initial = "arrived"
states = [
  { name = "arrived", label = "Đến" },
  { name = "registered", label = "Vào sổ", status = "03" },
  { name = "done", label = "Xong", final = true },
]
transitions = [
  { name = "register", label = "Vào sổ", from = ["arrived"], to = "registered", roles = ["clerk"], effect = "register" },
  { name = "assign", label = "Giao", from = ["registered"], to = "done", roles = ["leader"], effect = "assign" },
]

[outgoing]
initial = "draft"
states = [
  { name = "draft", label = "Dự thảo" },
  { name = "signed", label = "Đã ký" },
  { name = "issued", label = "Ban hành", final = true },
]
transitions = [
  { name = "sign", label = "Ký", from = ["draft"], to = "signed", roles = ["leader"], effect = "sign" },
  { name = "issue", label = "Cấp số", from = ["signed"], to = "issued", roles = ["clerk"], effect = "issue" },
]
"#;

    fn check(replace: &str, with: &str, expected: &[&str]) {
        assert!(MINIMAL.contains(replace), "{replace}");
        let text = MINIMAL.replacen(replace, with, 1);
        let errors: Vec<String> = match Workflows::from_toml(&text) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        };
        assert_eq!(errors, expected, "replacing {replace:?} with {with:?}");
    }

    #[test]
    fn agency_definitions_are_checked() {
        check("[incoming]", "[incoming]", &[]);
        check(
            r#"to = "registered""#,
            r#"to = "registred""#,
            &[
                "incoming workflow: transition \"register\" names the unknown state \"registred\"",
                "incoming workflow: state \"registered\" cannot be reached from the initial state",
                "incoming workflow: state \"done\" cannot be reached from the initial state",
            ],
        );
        check(
            r#"roles = ["leader"], effect = "assign""#,
            r#"roles = [], effect = "assign""#,
            &["incoming workflow: transition \"assign\" names no role that may take it"],
        );
        check(
            r#"roles = ["leader"], effect = "assign""#,
            r#"roles = ["chief"], effect = "assign""#,
            &["incoming workflow: transition \"assign\": unknown role \"chief\"; known roles: administrator, it_officer, clerk, specialist, leader, security_officer, privacy_officer, citizen"],
        );
        check(
            r#"roles = ["leader"], effect = "assign""#,
            r#"roles = ["citizen"], effect = "assign""#,
            &["incoming workflow: transition \"assign\": citizens cannot take document transitions"],
        );
        check(
            r#"{ name = "done", label = "Xong", final = true },"#,
            r#"{ name = "done", label = "Xong" },"#,
            &[
                "incoming workflow: no state is final, so no document can ever be finished",
                "incoming workflow: state \"done\" is not final but no transition leaves it",
            ],
        );
        check(
            r#"initial = "draft""#,
            r#"initial = "nháp""#,
            &["outgoing workflow: the initial state \"nháp\" is not defined"],
        );
        check(
            r#"effect = "issue""#,
            r#"effect = "register""#,
            &[
                "outgoing workflow: transition \"issue\" has effect \"register\", which only the incoming workflow may use",
                "outgoing workflow: no transition has the effect \"issue\", which the register needs",
            ],
        );
        check(
            r#"status = "03""#,
            r#"status = "3""#,
            &["incoming workflow: state \"registered\" has status \"3\"; edXML status codes are 01 to 16"],
        );
        check(
            r#"{ name = "arrived", label = "Đến" },"#,
            r#"{ name = "arrived", label = "Đến" }, { name = "limbo", label = "?" },"#,
            &[
                "incoming workflow: state \"limbo\" cannot be reached from the initial state",
                "incoming workflow: state \"limbo\" is not final but no transition leaves it",
            ],
        );
        check(
            r#"{ name = "register", label = "Vào sổ", from = ["arrived"]"#,
            r#"{ name = "register", label = "Vào sổ", from = ["registered"]"#,
            &[
                "incoming workflow: state \"arrived\" is not final but no transition leaves it",
                "incoming workflow: state \"registered\" cannot be reached from the initial state",
                "incoming workflow: state \"done\" cannot be reached from the initial state",
                "incoming workflow: the \"register\" transition must leave the initial state \"arrived\"",
            ],
        );
        check(
            r#"{ name = "draft", label = "Dự thảo" },"#,
            r#"{ name = "draft", label = "Dự thảo" }, { name = "draft", label = "X" },"#,
            &["outgoing workflow: state \"draft\" is defined twice"],
        );
        let unknown_key =
            MINIMAL.replacen("initial = \"draft\"", "initial = \"draft\"\ncolour = 1", 1);
        assert!(matches!(
            Workflows::from_toml(&unknown_key).unwrap_err().as_slice(),
            [WorkflowError::Toml(_)]
        ));
    }
}
