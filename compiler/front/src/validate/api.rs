//! The API: routes, authorisation and the status and view routes.

use super::Checker;
use crate::ast;
use crate::codes::Code;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::ir;
use crate::yaml::Segment;

impl Checker<'_> {
    pub(super) fn api(&mut self, api: &ast::Api, views: &[ir::View]) -> ir::Api {
        let auth = match api.auth {
            ast::Auth::Iam => ir::Auth::Iam,
            ast::Auth::None => ir::Auth::None,
            ast::Auth::Cognito => match api
                .authorizer
                .as_ref()
                .and_then(|a| a.user_pool_arn.clone())
            {
                Some(arn) if arn.starts_with("arn:aws") && arn.contains(":cognito-idp:") => {
                    ir::Auth::Cognito { user_pool_arn: arn }
                }
                _ => {
                    let diagnostic = Diagnostic::new(Code::AuthorizerConfig, self.span(&p!["api", "auth"]), "`auth: cognito` needs `authorizer.user_pool_arn`")
                        .label("no user pool given")
                        .help("add `authorizer: { user_pool_arn: arn:aws:cognito-idp:REGION:ACCOUNT:userpool/ID }`");
                    self.error(diagnostic);
                    ir::Auth::Iam
                }
            },
            ast::Auth::Jwt => {
                let diagnostic = Diagnostic::new(
                    Code::AuthorizerConfig,
                    self.span(&p!["api", "auth"]),
                    "JWT authorisers exist only for HTTP APIs; sagac generates a REST API",
                )
                .label("not available for REST APIs")
                .help("use `auth: cognito` with a user pool, or `auth: iam`");
                self.error(diagnostic);
                ir::Auth::Iam
            }
        };
        let (rate, burst) = api
            .throttle
            .as_ref()
            .map_or((50.0, 100), |t| (t.rate, t.burst));
        if !(rate > 0.0 && rate <= 10_000.0) || burst == 0 || burst > 5_000 {
            let diagnostic = Diagnostic::new(
                Code::ConcurrencyRange,
                self.span(&p!["api", "throttle"]),
                format!("throttling rate {rate} / burst {burst} is out of range"),
            )
            .label("rate must be in (0, 10000], burst in [1, 5000]");
            self.error(diagnostic);
        }
        let path_ok = |p: &str| {
            p.starts_with('/')
                && p.len() > 1
                && !p.ends_with('/')
                && p.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '{' | '}' | '.')
                })
        };
        if !path_ok(&api.start.path) {
            let diagnostic = Diagnostic::new(
                Code::InvalidValue,
                self.span(&p!["api", "start", "path"]),
                format!("`{}` is not a valid resource path", api.start.path),
            )
            .label("expected e.g. `/trips`");
            self.error(diagnostic);
        }
        let status = api.status.as_ref().and_then(|status| {
            let parameter = status
                .path
                .rsplit('/')
                .next()
                .and_then(|last| last.strip_prefix('{'))
                .and_then(|last| last.strip_suffix('}'))
                .map(str::to_owned);
            let parameter = match parameter {
                Some(p) if path_ok(&status.path) => p,
                _ => {
                    let diagnostic = Diagnostic::new(
                        Code::InvalidValue,
                        self.span(&p!["api", "status", "path"]),
                        format!("`{}` must end with the id as a path parameter", status.path),
                    )
                    .label("expected e.g. `/trips/{trip_id}`");
                    self.error(diagnostic);
                    return None;
                }
            };
            let Some(view) = views.iter().find(|v| v.name == status.view) else {
                let known: Vec<&str> = views.iter().map(|v| v.name.as_str()).collect();
                self.unknown(
                    Code::UnknownView,
                    &p!["api", "status", "view"],
                    "view",
                    &status.view,
                    &known,
                );
                return None;
            };
            if let Some(index) = &status.index
                && !view.indexes.iter().any(|i| &i.index == index)
            {
                let known: Vec<&str> = view.indexes.iter().map(|i| i.index.as_str()).collect();
                self.unknown(
                    Code::UnknownIndex,
                    &p!["api", "status", "index"],
                    "index",
                    index,
                    &known,
                );
                return None;
            }
            if !view.fields.iter().any(|f| f.name == parameter) {
                let names: Vec<&str> = view.fields.iter().map(|f| f.name.as_str()).collect();
                let diagnostic = Diagnostic::new(
                    Code::UnknownField,
                    self.span(&p!["api", "status", "path"]),
                    format!(
                        "path parameter `{parameter}` is not a field of view `{}`",
                        view.name
                    ),
                )
                .label("not a view field")
                .maybe_help(did_you_mean(
                    &parameter,
                    "field",
                    names.iter().copied(),
                ));
                self.error(diagnostic);
                return None;
            }
            Some(ir::StatusRoute {
                path: status.path.clone(),
                parameter,
                view: view.name.clone(),
                index: status.index.clone(),
            })
        });
        let name_ok = !api.name.is_empty() && api.name.len() <= 128;
        self.name(
            &api.name,
            &p!["api", "name"],
            Code::InvalidValue,
            name_ok,
            "API name",
        );
        ir::Api {
            name: api.name.clone(),
            auth,
            throttle_rate: rate,
            throttle_burst: burst,
            start_path: api.start.path.clone(),
            status,
        }
    }
}
