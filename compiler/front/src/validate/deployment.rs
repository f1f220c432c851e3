//! Deployment and observability: traffic shifting, alarms, Datadog and logs.

use super::{Checker, Path, join};
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir;
use crate::yaml::Segment;

/// The Datadog sites.
pub const DATADOG_SITES: &[&str] = &[
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "ddog-gov.com",
];

/// Retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[u32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

impl Checker<'_> {
    pub(super) fn shift(&mut self, shift: &ast::TrafficShift, path: &Path) -> (u32, u32) {
        if !(1..=99).contains(&shift.percent) {
            let diagnostic = Diagnostic::new(
                Code::CanaryRange,
                self.span(&join(path, p!["percent"])),
                format!(
                    "traffic percentage must be between 1 and 99, found {}",
                    shift.percent
                ),
            )
            .label("out of range");
            self.error(diagnostic);
        }
        let ipath = join(path, p!["interval"]);
        let minutes = match self.duration(&shift.interval, &ipath) {
            Some(ms) if ms % 60_000 == 0 && (1..=2880).contains(&(ms / 60_000)) => {
                (ms / 60_000) as u32
            }
            Some(_) => {
                let diagnostic = Diagnostic::new(
                    Code::CanaryRange,
                    self.span(&ipath),
                    format!(
                        "the interval must be whole minutes between 1m and 2880m, found `{}`",
                        shift.interval.0
                    ),
                )
                .label("out of range");
                self.error(diagnostic);
                5
            }
            None => 5,
        };
        (shift.percent, minutes)
    }

    pub(super) fn deployment(&mut self, deployment: &ast::Deployment) -> ir::Deployment {
        let region = &deployment.region;
        let parts: Vec<&str> = region.split('-').collect();
        let region_ok = (3..=4).contains(&parts.len())
            && parts[0].len() == 2
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()))
            && parts
                .last()
                .is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()));
        self.name(
            region,
            &p!["deployment", "region"],
            Code::InvalidRegion,
            region_ok,
            "AWS region (e.g. `ap-northeast-1`)",
        );
        let chosen: Vec<&str> = [
            deployment.canary.as_ref().map(|_| "canary"),
            deployment.linear.as_ref().map(|_| "linear"),
            deployment.all_at_once.then_some("all_at_once"),
        ]
        .into_iter()
        .flatten()
        .collect();
        if chosen.len() > 1 {
            let diagnostic = Diagnostic::new(
                Code::ConflictingStrategies,
                self.key_span(&p!["deployment", chosen[1]]),
                format!("both `{}` and `{}` are chosen", chosen[0], chosen[1]),
            )
            .label("second strategy")
            .note(
                self.key_span(&p!["deployment", chosen[0]]),
                "first strategy",
            )
            .help("choose one deployment strategy");
            self.error(diagnostic);
        }
        let traffic = if let Some(canary) = &deployment.canary {
            let (percent, minutes) = self.shift(canary, &p!["deployment", "canary"]);
            ir::Traffic::Canary { percent, minutes }
        } else if let Some(linear) = &deployment.linear {
            let (percent, minutes) = self.shift(linear, &p!["deployment", "linear"]);
            ir::Traffic::Linear { percent, minutes }
        } else if deployment.all_at_once {
            ir::Traffic::AllAtOnce
        } else {
            ir::Traffic::Canary {
                percent: 10,
                minutes: 5,
            }
        };
        if deployment.alarms.len() > 10 {
            let diagnostic = Diagnostic::new(
                Code::TooManyAlarms,
                self.span(&p!["deployment", "alarms", 10usize]),
                format!(
                    "{} alarms are listed; a deployment group watches at most 10",
                    deployment.alarms.len()
                ),
            )
            .label("the 11th alarm")
            .help("keep the ten alarms that best show a bad release (errors, throttles, duration)");
            self.error(diagnostic);
        }
        let mut alarms = Vec::new();
        for (i, alarm) in deployment.alarms.iter().enumerate() {
            let base = p!["deployment", "alarms", i];
            let period = self.seconds(
                alarm.period.as_ref(),
                60,
                &join(&base, p!["period"]),
                "an alarm period",
                (10, 86_400),
            );
            if ![10, 20, 30].contains(&period) && !period.is_multiple_of(60) {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["period"])),
                    format!(
                        "an alarm period must be 10s, 20s, 30s or whole minutes, found {period}s"
                    ),
                )
                .label("not accepted by CloudWatch");
                self.error(diagnostic);
            }
            let evaluation_periods = alarm.evaluation_periods.unwrap_or(1);
            if evaluation_periods == 0 || (evaluation_periods as u64) * period > 86_400 {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["evaluation_periods"])),
                    "evaluation periods must be at least 1 and cover at most one day",
                )
                .label("out of range");
                self.error(diagnostic);
            }
            if alarm.threshold < 0.0 {
                let diagnostic = Diagnostic::new(
                    Code::ConcurrencyRange,
                    self.span(&join(&base, p!["threshold"])),
                    "an alarm threshold cannot be negative",
                )
                .label("negative");
                self.error(diagnostic);
            }
            let (metric, statistic) = match alarm.metric {
                ast::LambdaMetric::Errors => ("Errors", "Sum"),
                ast::LambdaMetric::Throttles => ("Throttles", "Sum"),
                ast::LambdaMetric::Duration => ("Duration", "Maximum"),
                ast::LambdaMetric::ConcurrentExecutions => ("ConcurrentExecutions", "Maximum"),
            };
            alarms.push(ir::Alarm {
                metric: metric.into(),
                statistic: statistic.into(),
                threshold: alarm.threshold,
                period_seconds: period,
                evaluation_periods,
            });
        }
        let alias = deployment.alias.clone().unwrap_or_else(|| "live".into());
        let alias_ok = alias.len() <= 128
            && alias
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
            && alias
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
            && alias != "LATEST";
        self.name(
            &alias,
            &p!["deployment", "alias"],
            Code::InvalidValue,
            alias_ok,
            "alias name",
        );
        let pipeline = deployment.pipeline.as_ref().map(|pipeline| {
            let ok = pipeline.repository.split('/').count() == 2
                && pipeline
                    .repository
                    .split('/')
                    .all(|p| !p.is_empty() && !p.contains(char::is_whitespace));
            self.name(
                &pipeline.repository,
                &p!["deployment", "pipeline", "repository"],
                Code::InvalidValue,
                ok,
                "repository (`owner/name`)",
            );
            ir::Pipeline {
                repository: pipeline.repository.clone(),
                branch: pipeline.branch.clone(),
            }
        });
        ir::Deployment {
            region: region.clone(),
            architecture: match deployment.architecture {
                ast::Architecture::Arm64 => ir::Architecture::Arm64,
                ast::Architecture::X86_64 => ir::Architecture::X86_64,
            },
            alias,
            traffic,
            alarms,
            before_traffic_hook: deployment.hooks.before_traffic,
            after_traffic_hook: deployment.hooks.after_traffic,
            pipeline,
        }
    }

    pub(super) fn observability(
        &mut self,
        observability: &ast::Observability,
    ) -> ir::Observability {
        let datadog = observability.datadog.as_ref().map(|dd| {
            if !DATADOG_SITES.contains(&dd.site.as_str()) {
                let diagnostic = Diagnostic::new(
                    Code::UnknownSite,
                    self.span(&p!["observability", "datadog", "site"]),
                    format!("unknown Datadog site `{}`", dd.site),
                )
                .label("not a Datadog site")
                .maybe_help(did_you_mean(
                    &dd.site,
                    "site",
                    DATADOG_SITES.iter().copied(),
                ));
                self.error(diagnostic);
            }
            let secret_ok = !dd.api_key_secret.is_empty()
                && dd
                    .api_key_secret
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c));
            self.name(
                &dd.api_key_secret,
                &p!["observability", "datadog", "api_key_secret"],
                Code::InvalidValue,
                secret_ok,
                "Secrets Manager secret name",
            );
            if dd.extension_version == 0 {
                let diagnostic = Diagnostic::new(
                    Code::InvalidValue,
                    self.span(&p!["observability", "datadog", "extension_version"]),
                    "the Datadog extension version starts at 1",
                )
                .label("no such layer version");
                self.error(diagnostic);
            }
            ir::Datadog {
                site: dd.site.clone(),
                api_key_secret: dd.api_key_secret.clone(),
                extension_version: dd.extension_version,
            }
        });
        let metric_ok = |m: &str| {
            m.len() <= 200
                && m.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && m.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
        };
        if let Some(metrics) = &observability.metrics {
            for (key, name) in [
                ("completed", &metrics.completed),
                ("compensation", &metrics.compensation),
            ] {
                self.name(
                    name,
                    &p!["observability", "metrics", key],
                    Code::InvalidMetricName,
                    metric_ok(name),
                    "Datadog metric name",
                );
            }
        }
        let retention_path = p!["observability", "log_retention"];
        let days = match &observability.log_retention {
            None => 30,
            Some(d) => match self.duration(d, &retention_path) {
                Some(ms)
                    if ms % 86_400_000 == 0
                        && LOG_RETENTION_DAYS.contains(&((ms / 86_400_000) as u32)) =>
                {
                    (ms / 86_400_000) as u32
                }
                Some(_) => {
                    let diagnostic = Diagnostic::new(Code::LogRetention, self.span(&retention_path), format!("CloudWatch Logs does not accept a retention of `{}`", d.0))
                        .label("not an accepted retention")
                        .help("use one of 1d, 3d, 5d, 7d, 14d, 30d, 60d, 90d, 120d, 150d, 180d, 365d, 400d, 545d, 731d, 1096d, 1827d, 2192d, 2557d, 2922d, 3288d, 3653d");
                    self.error(diagnostic);
                    30
                }
                None => 30,
            },
        };
        let stream_path = p!["observability", "metric_stream"];
        if let Some(stream) = &observability.metric_stream {
            // The stream's only destination is Datadog's intake, through
            // Firehose: without Datadog it would go nowhere.
            if observability.datadog.is_none() {
                let diagnostic = Diagnostic::new(
                    Code::MetricStreamConfig,
                    self.key_span(&stream_path),
                    "`metric_stream` needs `observability.datadog`: Datadog is where the stream goes",
                )
                .label("no destination for this stream")
                .help("add `datadog: { site: ..., api_key_secret: ... }` under `observability:`, or remove `metric_stream`");
                self.error(diagnostic);
            }
            if stream.namespaces.is_empty() {
                let diagnostic = Diagnostic::new(
                    Code::MetricStreamConfig,
                    self.span(&join(&stream_path, p!["namespaces"])),
                    "`metric_stream` lists no namespace",
                )
                .label("empty")
                .help("list the CloudWatch namespaces to stream, e.g. `[AWS/Lambda, AWS/States]`, or remove `metric_stream`");
                self.error(diagnostic);
            }
        }
        let namespaces = observability
            .metric_stream
            .as_ref()
            .map(|s| s.namespaces.clone())
            .unwrap_or_default();
        for (i, namespace) in namespaces.iter().enumerate() {
            let ok = namespace.len() <= 255
                && !namespace.is_empty()
                && !namespace.starts_with(':')
                && namespace.chars().all(|c| c.is_ascii_graphic());
            self.name(
                namespace,
                &p!["observability", "metric_stream", "namespaces", i],
                Code::InvalidValue,
                ok,
                "CloudWatch namespace",
            );
        }
        ir::Observability {
            datadog,
            completed_metric: observability.metrics.as_ref().map(|m| m.completed.clone()),
            compensation_metric: observability
                .metrics
                .as_ref()
                .map(|m| m.compensation.clone()),
            metric_stream_namespaces: namespaces,
            log_retention_days: days,
            tracing: observability.tracing.unwrap_or(true),
        }
    }
}
