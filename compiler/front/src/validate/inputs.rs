//! What each step receives (`input:`): least data.
//!
//! A step's Lambda payload carries only its input, so a field such as a
//! card token reaches the one step that needs it. An entry is a request
//! field or an earlier step whose output the step receives typed (S092);
//! the saga id and the root's partition key fields are always received,
//! because the idempotency records live in the root's partition. A step
//! must receive every request field its entity restates (S093): what it
//! writes must be derivable from what it receives.
//!
//! Without `input:` a step receives the whole request and the outputs of
//! every step that has completed before it, which keeps small specs short.

use std::collections::BTreeSet;

use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir;
use crate::yaml::Segment;

/// A step of the spec with its place in the saga.
struct Placed<'s> {
    step: &'s ast::Step,
    base: Path,
    /// The index of its stage.
    stage: usize,
}

fn placed(spec: &ast::Spec) -> Vec<Placed<'_>> {
    let mut out = Vec::new();
    for (i, entry) in spec.steps.iter().enumerate() {
        match entry {
            ast::StepEntry::Step(step) => out.push(Placed {
                step,
                base: vec![Segment::from("steps"), Segment::from(i)],
                stage: i,
            }),
            ast::StepEntry::Parallel(group) => {
                for (b, step) in group.parallel.branches.iter().enumerate() {
                    out.push(Placed {
                        step,
                        base: vec![
                            Segment::from("steps"),
                            Segment::from(i),
                            Segment::from("parallel"),
                            Segment::from("branches"),
                            Segment::from(b),
                        ],
                        stage: i,
                    });
                }
            }
        }
    }
    out
}

impl Checker<'_> {
    /// Resolves every step's input into `stages` and the services' actions.
    pub(super) fn inputs(
        &mut self,
        spec: &ast::Spec,
        request: &[ir::Field],
        root_pk: Option<&ir::KeyTemplate>,
        entities: &[ir::Entity],
        stages: &mut [ir::Stage],
        services: &mut [ir::Service],
    ) {
        let placed = placed(spec);
        // Always received: the saga id and the root partition's fields.
        let mut always: BTreeSet<&str> = BTreeSet::new();
        always.insert(spec.root.id.as_str());
        if let Some(pk) = root_pk {
            always.extend(pk.fields());
        }
        let request_names: Vec<&str> = request.iter().map(|f| f.name.as_str()).collect();
        let mut resolved: Vec<(String, ir::Input)> = Vec::new();
        for (n, here) in placed.iter().enumerate() {
            let step = here.step;
            // The steps certainly completed before this one: earlier stages.
            let before: Vec<&Placed> = placed[..n]
                .iter()
                .filter(|p| p.stage < here.stage)
                .collect();
            let input = match &step.input {
                None => ir::Input {
                    fields: request_names.iter().map(|s| (*s).to_owned()).collect(),
                    results: before
                        .iter()
                        .filter(|p| p.step.writes.is_some())
                        .map(|p| p.step.name.clone())
                        .collect(),
                },
                Some(entries) => {
                    let input_path = join(&here.base, vec![Segment::from("input")]);
                    let mut fields = BTreeSet::new();
                    let mut results = BTreeSet::new();
                    for (j, entry) in entries.iter().enumerate() {
                        let path = join(&input_path, vec![Segment::from(j)]);
                        self.input_entry(
                            entry,
                            &path,
                            step,
                            here.stage,
                            &placed,
                            &request_names,
                            &always,
                            &mut fields,
                            &mut results,
                        );
                    }
                    fields.extend(always.iter().map(|s| (*s).to_owned()));
                    let input = ir::Input {
                        // Request order and saga order: the payload and the
                        // generated struct do not depend on how `input:` is
                        // sorted.
                        fields: request_names
                            .iter()
                            .filter(|f| fields.contains(**f))
                            .map(|s| (*s).to_owned())
                            .collect(),
                        results: placed
                            .iter()
                            .filter(|p| results.contains(p.step.name.as_str()))
                            .map(|p| p.step.name.clone())
                            .collect(),
                    };
                    self.derivable(step, &input, request, entities, &input_path);
                    input
                }
            };
            resolved.push((step.name.clone(), input));
        }
        for stage in stages.iter_mut() {
            let steps: &mut [ir::Step] = match stage {
                ir::Stage::Step(step) => std::slice::from_mut(step),
                ir::Stage::Parallel(group) => &mut group.branches,
            };
            for step in steps {
                if let Some((_, input)) = resolved.iter().find(|(name, _)| *name == step.name) {
                    step.input = input.clone();
                }
            }
        }
        for service in services {
            for action in &mut service.actions {
                if let Some((_, input)) = resolved.iter().find(|(name, _)| *name == action.step) {
                    action.input = input.clone();
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn input_entry(
        &mut self,
        entry: &str,
        path: &[Segment],
        step: &ast::Step,
        stage: usize,
        placed: &[Placed],
        request: &[&str],
        always: &BTreeSet<&str>,
        fields: &mut BTreeSet<String>,
        results: &mut BTreeSet<String>,
    ) {
        let span = self.span(path);
        if request.contains(&entry) {
            // Listing an always-received field (the saga id) is harmless: it
            // says what the step uses.
            if !fields.insert(entry.to_owned()) && !always.contains(entry) {
                self.error(
                    Diagnostic::new(
                        Code::InvalidInput,
                        span,
                        format!("`{entry}` is listed twice in the input of `{}`", step.name),
                    )
                    .label("already listed")
                    .help("list each request field and step once"),
                );
            }
            return;
        }
        let Some(source) = placed.iter().find(|p| p.step.name == entry) else {
            let steps: Vec<&str> = placed.iter().map(|p| p.step.name.as_str()).collect();
            let candidates: Vec<&str> = request.iter().copied().chain(steps).collect();
            let diagnostic = Diagnostic::new(
                Code::InvalidInput,
                span,
                format!("`{entry}` is neither a request field nor a step"),
            )
            .label("not in `request:` nor a step name")
            .maybe_help(did_you_mean(entry, "name", candidates.iter().copied()));
            self.error(diagnostic);
            return;
        };
        let problem = if source.step.name == step.name {
            Some("a step cannot receive its own output".to_owned())
        } else if source.stage > stage {
            Some(format!("`{entry}` runs after `{}`", step.name))
        } else if source.stage == stage {
            Some(format!(
                "`{entry}` runs in the same parallel group as `{}`, at the same time",
                step.name
            ))
        } else if source.step.writes.is_none() {
            Some(format!(
                "`{entry}` writes no entity, so it has no output to receive"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            self.error(
                Diagnostic::new(
                    Code::InvalidInput,
                    span,
                    format!("`{}` cannot receive the output of `{entry}`", step.name),
                )
                .label(problem)
                .help(
                    "a step receives the outputs of steps that write an entity in an earlier stage",
                ),
            );
            return;
        }
        if !results.insert(entry.to_owned()) {
            self.error(
                Diagnostic::new(
                    Code::InvalidInput,
                    span,
                    format!("`{entry}` is listed twice in the input of `{}`", step.name),
                )
                .label("already listed")
                .help("list each request field and step once"),
            );
        }
    }

    /// S093: the request fields the written entity restates are received.
    fn derivable(
        &mut self,
        step: &ast::Step,
        input: &ir::Input,
        request: &[ir::Field],
        entities: &[ir::Entity],
        input_path: &[Segment],
    ) {
        let Some(entity) = step
            .writes
            .as_deref()
            .and_then(|w| entities.iter().find(|e| e.name == w))
        else {
            return;
        };
        let missing: Vec<&str> = entity
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .filter(|f| request.iter().any(|r| r.name == *f))
            .filter(|f| !input.fields.iter().any(|i| i == f))
            .collect();
        if missing.is_empty() {
            return;
        }
        let list: Vec<String> = missing.iter().map(|f| format!("`{f}`")).collect();
        let diagnostic = Diagnostic::new(
            Code::InputNotDerivable,
            self.key_span(input_path),
            format!(
                "`{}` writes `{}` with the request field{} {} but does not receive {}",
                step.name,
                entity.name,
                if missing.len() == 1 { "" } else { "s" },
                list.join(", "),
                if missing.len() == 1 { "it" } else { "them" },
            ),
        )
        .label("the function would have to invent these values")
        .help(format!("add {} to `input:`", list.join(", ")));
        self.error(diagnostic);
    }
}
