//! Steps and kinds: services, retry policies, steps and their
//! compensations, actions, and the order of stages (compensatable steps, one
//! pivot, then retriable steps; parallel groups).

use std::collections::BTreeMap;

use super::names::is_pascal;
use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::naming::{self, MAX_STATE_NAME, to_pascal};
use crate::source::Span;
use crate::yaml::Segment;

impl Checker<'_> {
    pub(super) fn services(&mut self, spec: &ast::Spec) -> Vec<ir::Service> {
        let mut out = Vec::new();
        for (name, service) in &spec.services {
            let base = p!["services", name];
            // Its length is a matter of the function names (S077).
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !name.ends_with('-');
            self.name(
                name,
                &base,
                Code::InvalidServiceName,
                ok,
                "service name (lowercase letters, digits and `-`)",
            );
            let memory = service.memory.unwrap_or(256);
            if !(128..=10240).contains(&memory) {
                let diagnostic = Diagnostic::new(
                    Code::MemoryRange,
                    self.span(&join(&base, p!["memory"])),
                    format!("memory must be between 128 and 10240 MB, found {memory}"),
                )
                .label("out of range");
                self.error(diagnostic);
            }
            let timeout_seconds = self.seconds(
                service.timeout.as_ref(),
                10,
                &join(&base, p!["timeout"]),
                "a Lambda timeout",
                (1, 900),
            );
            if let Some(rc) = service.reserved_concurrency
                && rc > 1000
            {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["reserved_concurrency"])),
                    format!("reserved concurrency {rc} exceeds the default account limit of 1000"),
                )
                .label("out of range");
                self.error(diagnostic);
            }
            for key in service.environment.keys() {
                let ok = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !key.starts_with("AWS_")
                    && !key.starts_with("DD_");
                self.name(key, &join(&base, p!["environment", key]), Code::InvalidValue, ok, "environment variable (letters, digits, `_`; not `AWS_` or `DD_`, which are reserved)");
            }
            out.push(ir::Service {
                name: name.clone(),
                pascal: to_pascal(name),
                description: service.description.clone(),
                memory_mb: memory,
                timeout_seconds,
                reserved_concurrency: service.reserved_concurrency,
                layers: service.layers.clone(),
                environment: service
                    .environment
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                actions: Vec::new(),
            });
        }
        out
    }

    pub(super) fn retry(
        &mut self,
        retry: Option<&ast::Retry>,
        path: &[Segment],
        fallback: ir::Retry,
    ) -> ir::Retry {
        let Some(retry) = retry else { return fallback };
        for (i, error) in retry.errors.iter().enumerate() {
            self.error_name(error, &join(&path.to_vec(), p!["errors", i]));
        }
        if retry.attempts > 99_999_999 {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&join(&path.to_vec(), p!["attempts"])),
                format!(
                    "`attempts` must be at most 99999999, found {}",
                    retry.attempts
                ),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let interval_path = join(&path.to_vec(), p!["interval"]);
        let interval = self.seconds(
            Some(&retry.interval),
            1,
            &interval_path,
            "a retry interval",
            (1, 99_999_999),
        );
        let backoff = retry.backoff.unwrap_or(2.0);
        if !(1.0..=10.0).contains(&backoff) {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&join(&path.to_vec(), p!["backoff"])),
                format!("`backoff` must be between 1.0 and 10.0, found {backoff}"),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let max_path = join(&path.to_vec(), p!["max_delay"]);
        let max_delay = retry.max_delay.as_ref().map(|d| {
            self.seconds(
                Some(d),
                interval,
                &max_path,
                "a maximum retry delay",
                (1, 31_622_400),
            )
        });
        if let Some(max) = max_delay
            && max < interval
        {
            let diagnostic = Diagnostic::new(
                Code::RetryRange,
                self.span(&max_path),
                format!("`max_delay` ({max}s) is shorter than `interval` ({interval}s)"),
            )
            .label("shorter than the first wait");
            self.error(diagnostic);
        }
        ir::Retry {
            errors: retry.errors.clone(),
            max_attempts: retry.attempts,
            interval_seconds: interval,
            backoff_rate: backoff,
            max_delay_seconds: max_delay,
            jitter: retry.jitter == ast::Jitter::Full,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn step(
        &mut self,
        spec: &ast::Spec,
        step: &ast::Step,
        base: &Path,
        services: &mut [ir::Service],
        entities: &[ir::Entity],
        saga_timeout: u64,
        names: &mut BTreeMap<String, Span>,
        actions: &mut BTreeMap<(String, String), Path>,
    ) -> ir::Step {
        let name_span = self.span(&join(base, p!["name"]));
        let name_ok = self.state_name(&step.name, name_span, names);
        let service_path = join(base, p!["service"]);
        let service_index = services.iter().position(|s| s.name == step.service);
        if service_index.is_none() {
            let known: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
            self.unknown(
                Code::UnknownService,
                &service_path,
                "service",
                &step.service,
                &known,
            );
        }
        let service_timeout = service_index.map_or(10, |i| services[i].timeout_seconds);
        self.action(
            &step.service,
            &step.action,
            &join(base, p!["action"]),
            actions,
        );
        if let Some(writes) = &step.writes {
            self.entity_ref(writes, &join(base, p!["writes"]), entities);
        }
        if let Some(emits) = &step.emits {
            self.event_ref(emits, &join(base, p!["emits"]), spec);
        }
        for (i, error) in step.errors.iter().enumerate() {
            self.error_name(error, &join(base, p!["errors", i]));
        }
        let builtin = ir::Retry {
            errors: vec![],
            max_attempts: 3,
            interval_seconds: 1,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: true,
        };
        let default_retry = self.retry(
            spec.defaults.retry.as_ref(),
            &p!["defaults", "retry"],
            builtin.clone(),
        );
        let retry = self.retry(step.retry.as_ref(), &join(base, p!["retry"]), default_retry);
        let default_timeout = self.seconds(
            spec.defaults.timeout.as_ref(),
            service_timeout + 2,
            &p!["defaults", "timeout"],
            "a task timeout",
            (1, 31_622_400),
        );
        let timeout_path = join(base, p!["timeout"]);
        let timeout_seconds = self.seconds(
            step.timeout.as_ref(),
            default_timeout,
            &timeout_path,
            "a task timeout",
            (1, 31_622_400),
        );
        if timeout_seconds > saga_timeout {
            let diagnostic = Diagnostic::new(
                Code::TimeoutExceedsSaga,
                if step.timeout.is_some() { self.span(&timeout_path) } else { self.anchor_span(base) },
                format!("the task timeout of `{}` ({timeout_seconds}s) is longer than the saga timeout ({saga_timeout}s)", step.name),
            )
            .label("longer than the whole saga");
            self.error(diagnostic);
        }
        self.task_outlives_function(
            &step.name,
            timeout_seconds,
            service_timeout,
            &step.service,
            step.timeout.is_some(),
            &timeout_path,
            base,
        );
        let kind = match step.kind {
            ast::StepKind::Compensatable => ir::StepKind::Compensatable,
            ast::StepKind::Pivot => ir::StepKind::Pivot,
            ast::StepKind::Retriable => ir::StepKind::Retriable,
        };
        match (kind, &step.compensation) {
            (ir::StepKind::Compensatable, None) => {
                let diagnostic = Diagnostic::new(Code::MissingCompensation, self.span(&join(base, p!["name"])), format!("compensatable step `{}` has no compensation", step.name))
                    .label("nothing says how to undo this step")
                    .help("add `compensation: { action: ... }`, or mark the step `kind: pivot` or `kind: retriable`");
                self.error(diagnostic);
            }
            (ir::StepKind::Pivot | ir::StepKind::Retriable, Some(_)) => {
                let diagnostic = Diagnostic::new(
                    Code::UselessCompensation,
                    self.key_span(&join(base, p!["compensation"])),
                    format!(
                        "{} step `{}` is never compensated",
                        if kind == ir::StepKind::Pivot {
                            "pivot"
                        } else {
                            "retriable"
                        },
                        step.name
                    ),
                )
                .label("this compensation would never run")
                .help("remove the compensation, or make the step compensatable");
                self.error(diagnostic);
            }
            _ => {}
        }
        if kind == ir::StepKind::Pivot && !step.idempotent {
            let diagnostic = Diagnostic::new(
                Code::PivotNotIdempotent,
                self.span(&join(base, p!["idempotent"])),
                format!("pivot `{}` is not idempotent", step.name),
            )
            .label("a pivot is retried until its outcome is known")
            .help("make the pivot idempotent (its idempotency key returns the first result) and remove `idempotent: false`");
            self.error(diagnostic);
        }
        if kind == ir::StepKind::Retriable && !step.errors.is_empty() {
            let diagnostic = Diagnostic::new(
                Code::RetriableWithErrors,
                self.key_span(&join(base, p!["errors"])),
                format!("retriable step `{}` declares business errors", step.name),
            )
            .label("a retriable step may not fail for business reasons")
            .help("remove `errors:`, or make the step compensatable or the pivot");
            self.error(diagnostic);
        }
        let compensation = step.compensation.as_ref().map(|comp| {
            let cbase = join(base, p!["compensation"]);
            let name = comp
                .name
                .clone()
                .unwrap_or_else(|| format!("Compensate{}", step.name));
            if comp.name.is_some() {
                let span = self.span(&join(&cbase, p!["name"]));
                self.state_name(&name, span, names);
            } else if name_ok {
                // The derived name is checked only when the step's own name
                // is fine; otherwise its problem is already reported.
                let span = self.key_span(&cbase);
                self.state_name(&name, span, names);
            }
            self.action(
                &step.service,
                &comp.action,
                &join(&cbase, p!["action"]),
                actions,
            );
            if let Some(emits) = &comp.emits {
                self.event_ref(emits, &join(&cbase, p!["emits"]), spec);
            }
            let builtin = ir::Retry {
                errors: vec![],
                max_attempts: 5,
                interval_seconds: 2,
                backoff_rate: 2.0,
                max_delay_seconds: Some(60),
                jitter: true,
            };
            let default = self.retry(
                spec.defaults.compensation_retry.as_ref(),
                &p!["defaults", "compensation_retry"],
                builtin,
            );
            let retry = self.retry(comp.retry.as_ref(), &join(&cbase, p!["retry"]), default);
            let ctimeout_path = join(&cbase, p!["timeout"]);
            let timeout_seconds = self.seconds(
                comp.timeout.as_ref(),
                timeout_seconds,
                &ctimeout_path,
                "a task timeout",
                (1, 31_622_400),
            );
            if comp.timeout.is_some() {
                self.task_outlives_function(
                    &name,
                    timeout_seconds,
                    service_timeout,
                    &step.service,
                    true,
                    &ctimeout_path,
                    &cbase,
                );
            }
            ir::Compensation {
                name,
                action: comp.action.clone(),
                emits: comp.emits.clone(),
                retry,
                timeout_seconds,
                idempotent: comp.idempotent,
            }
        });
        let ir_step = ir::Step {
            name: step.name.clone(),
            service: step.service.clone(),
            action: step.action.clone(),
            kind,
            writes: step.writes.clone(),
            emits: step.emits.clone(),
            errors: step.errors.clone(),
            // Resolved once every stage is known (`inputs`).
            input: ir::Input::default(),
            retry,
            timeout_seconds,
            idempotent: step.idempotent,
            compensation,
        };
        if let Some(i) = service_index {
            services[i].actions.push(ir::Action {
                name: ir_step.action.clone(),
                state: ir_step.name.clone(),
                compensation: false,
                step: ir_step.name.clone(),
                result: ir_step.writes.clone(),
                emits: ir_step.emits.clone(),
                errors: ir_step.errors.clone(),
                input: ir::Input::default(),
            });
            if let Some(comp) = &ir_step.compensation {
                services[i].actions.push(ir::Action {
                    name: comp.action.clone(),
                    state: comp.name.clone(),
                    compensation: true,
                    step: ir_step.name.clone(),
                    result: ir_step.writes.clone(),
                    emits: comp.emits.clone(),
                    errors: vec![],
                    input: ir::Input::default(),
                });
            }
        }
        ir_step
    }

    /// Checks a state name and records it; returns whether it was fine.
    /// A task must outlive the function it invokes: otherwise Step Functions
    /// compensates while the function may still commit.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn task_outlives_function(
        &mut self,
        state: &str,
        task_seconds: u64,
        function_seconds: u64,
        service: &str,
        explicit: bool,
        timeout_path: &[Segment],
        base: &[Segment],
    ) {
        if task_seconds <= function_seconds {
            let diagnostic = Diagnostic::new(
                Code::TaskShorterThanFunction,
                if explicit { self.span(timeout_path) } else { self.anchor_span(base) },
                format!(
                    "the task timeout of `{state}` ({task_seconds}s) is not longer than the `{service}` function timeout ({function_seconds}s)"
                ),
            )
            .label("Step Functions could give up while the function still runs")
            .help(format!(
                "set the task timeout to at least {}s, or shorten `services.{service}.timeout`",
                function_seconds + 2
            ));
            self.error(diagnostic);
        }
    }

    pub(super) fn action(
        &mut self,
        service: &str,
        action: &str,
        path: &[Segment],
        actions: &mut BTreeMap<(String, String), Path>,
    ) {
        self.identifier(action, path, false);
        let key = (service.to_owned(), action.to_owned());
        if let Some(first) = actions.get(&key) {
            let first = self.span(first);
            let diagnostic = Diagnostic::new(
                Code::DuplicateAction,
                self.span(path),
                format!("service `{service}` has the action `{action}` twice"),
            )
            .label("used again here")
            .note(first, "first used here")
            .help("each action becomes one trait method; give it a distinct name");
            self.error(diagnostic);
        } else {
            actions.insert(key, path.to_vec());
        }
    }

    pub(super) fn stages(
        &mut self,
        spec: &ast::Spec,
        workflow: ir::Workflow,
        saga_timeout: u64,
        services: &mut [ir::Service],
        entities: &[ir::Entity],
        _events: &[ir::Event],
    ) -> Vec<ir::Stage> {
        if spec.steps.is_empty() {
            let diagnostic = Diagnostic::new(
                Code::NoSteps,
                self.span(&p!["steps"]),
                "the saga has no steps",
            )
            .label("empty")
            .help("add at least one step with a `name`, a `service` and an `action`");
            self.error(diagnostic);
        }
        let mut names = BTreeMap::new();
        let mut actions = BTreeMap::new();
        let mut stages = Vec::new();
        // Phase 0: compensatable steps; 1: after the pivot; 2: retriable steps.
        let mut phase = 0;
        let mut pivot: Option<Path> = None;
        for (i, entry) in spec.steps.iter().enumerate() {
            match entry {
                ast::StepEntry::Step(step) => {
                    let base = p!["steps", i];
                    let ir_step = self.step(
                        spec,
                        step,
                        &base,
                        services,
                        entities,
                        saga_timeout,
                        &mut names,
                        &mut actions,
                    );
                    let kind_path = join(&base, p!["kind"]);
                    match ir_step.kind {
                        ir::StepKind::Compensatable if phase > 0 => {
                            let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&join(&base, p!["name"])), format!("compensatable step `{}` comes after the pivot or a retriable step", step.name))
                                .label("would never be compensated")
                                .maybe_help(Some("order steps as: compensatable steps, at most one pivot, then retriable steps".into()));
                            let diagnostic = match &pivot {
                                Some(p) => diagnostic.note(self.span(p), "the pivot"),
                                None => diagnostic,
                            };
                            self.error(diagnostic);
                        }
                        ir::StepKind::Pivot => {
                            if let Some(first) = &pivot {
                                let first = self.span(first);
                                let diagnostic = Diagnostic::new(
                                    Code::MultiplePivots,
                                    self.span(&kind_path),
                                    format!("`{}` is a second pivot", step.name),
                                )
                                .label("second pivot")
                                .note(first, "the first pivot")
                                .help(
                                    "a saga has at most one pivot; make the later step retriable",
                                );
                                self.error(diagnostic);
                            } else if phase == 2 {
                                let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&kind_path), format!("pivot `{}` comes after a retriable step", step.name))
                                    .label("pivot after a retriable step")
                                    .help("order steps as: compensatable steps, at most one pivot, then retriable steps");
                                self.error(diagnostic);
                            }
                            pivot.get_or_insert(kind_path);
                            phase = phase.max(1);
                        }
                        ir::StepKind::Retriable => phase = 2,
                        ir::StepKind::Compensatable => {}
                    }
                    stages.push(ir::Stage::Step(ir_step));
                }
                ast::StepEntry::Parallel(entry) => {
                    let group = &entry.parallel;
                    let base = p!["steps", i, "parallel"];
                    let span = self.span(&join(&base, p!["name"]));
                    if self.state_name(&group.name, span, &mut names) {
                        self.helper_room(&group.name, naming::JOINED_SUFFIX, span);
                    }
                    if group.branches.len() < 2 {
                        let diagnostic = Diagnostic::new(
                            Code::InvalidParallel,
                            self.key_span(&join(&base, p!["branches"])),
                            format!(
                                "parallel group `{}` has {}",
                                group.name,
                                if group.branches.is_empty() {
                                    "no branches"
                                } else {
                                    "only one branch"
                                }
                            ),
                        )
                        .label("needs at least two branches")
                        .help("a single step does not need a parallel group");
                        self.error(diagnostic);
                    }
                    if phase > 0 {
                        let diagnostic = Diagnostic::new(Code::StepOrder, self.span(&join(&base, p!["name"])), format!("parallel group `{}` comes after the pivot or a retriable step", group.name))
                            .label("its branches would never be compensated")
                            .help("parallel groups hold compensatable steps and must come before the pivot");
                        let diagnostic = match &pivot {
                            Some(p) => diagnostic.note(self.span(p), "the pivot"),
                            None => diagnostic,
                        };
                        self.error(diagnostic);
                    }
                    let mut branches = Vec::new();
                    for (b, step) in group.branches.iter().enumerate() {
                        let bbase = join(&base, p!["branches", b]);
                        let ir_step = self.step(
                            spec,
                            step,
                            &bbase,
                            services,
                            entities,
                            saga_timeout,
                            &mut names,
                            &mut actions,
                        );
                        // Branch steps and their compensations get helper
                        // states of their own (`.Caught`, `.Needed`).
                        let name_path = join(&bbase, p!["name"]);
                        if is_pascal(&ir_step.name) && ir_step.name.len() <= MAX_STATE_NAME {
                            let span = self.span(&name_path);
                            self.helper_room(&ir_step.name, naming::CAUGHT_SUFFIX, span);
                        }
                        if let Some(comp) = &ir_step.compensation
                            && is_pascal(&comp.name)
                            && comp.name.len() <= MAX_STATE_NAME
                        {
                            let cpath = join(&bbase, p!["compensation"]);
                            let span = match &step.compensation {
                                Some(c) if c.name.is_some() => self.span(&join(&cpath, p!["name"])),
                                _ => self.key_span(&cpath),
                            };
                            self.helper_room(&comp.name, naming::NEEDED_SUFFIX, span);
                        }
                        if ir_step.kind != ir::StepKind::Compensatable {
                            let diagnostic = Diagnostic::new(Code::InvalidParallel, self.span(&join(&bbase, p!["kind"])), format!("branch `{}` of parallel group `{}` is not compensatable", step.name, group.name))
                                .label("branches must be compensatable")
                                .help("when one branch fails, the completed branches are compensated; pivots and retriable steps belong after the group");
                            self.error(diagnostic);
                        }
                        branches.push(ir_step);
                    }
                    stages.push(ir::Stage::Parallel(ir::Parallel {
                        name: group.name.clone(),
                        branches,
                    }));
                }
            }
        }
        if workflow == ir::Workflow::Express {
            for (i, entry) in spec.steps.iter().enumerate() {
                let steps: Vec<(&ast::Step, Path)> = match entry {
                    ast::StepEntry::Step(step) => vec![(step, p!["steps", i])],
                    ast::StepEntry::Parallel(group) => group
                        .parallel
                        .branches
                        .iter()
                        .enumerate()
                        .map(|(b, s)| (s, p!["steps", i, "parallel", "branches", b]))
                        .collect(),
                };
                for (step, base) in steps {
                    let mut offenders = Vec::new();
                    if !step.idempotent {
                        offenders.push((step.name.clone(), join(&base, p!["idempotent"])));
                    }
                    if let Some(comp) = step.compensation.as_ref().filter(|c| !c.idempotent) {
                        let name = comp
                            .name
                            .clone()
                            .unwrap_or_else(|| format!("Compensate{}", step.name));
                        offenders.push((name, join(&base, p!["compensation", "idempotent"])));
                    }
                    for (name, path) in offenders {
                        let diagnostic = Diagnostic::new(Code::ExpressNotIdempotent, self.span(&path), format!("`{name}` is not idempotent, but Express workflows run steps at least once"))
                            .label("not idempotent")
                            .note(self.span(&p!["workflow"]), "Express workflow chosen here")
                            .help("use `workflow: standard`, or make the step idempotent");
                        self.error(diagnostic);
                    }
                }
            }
        }
        stages
    }
}
