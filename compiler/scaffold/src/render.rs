//! The embedded templates and what renders them.

use minijinja::{AutoEscape, Environment, UndefinedBehavior, context};
use serde::Serialize;

use sagac_core::ir::Saga;
use sagac_core::locate::{self, Locations};
use sagac_core::source::SourceFile;

use crate::context::{SagaCtx, ServiceCtx, saga_ctx, toml_str};
use crate::{Error, File, Init, Layout, Project, Sagac, Template};

/// Every template, by name (its path under `templates/`, without `.j2`).
const TEMPLATES: &[(&str, &str)] = &[
    (
        "project/Cargo.toml",
        include_str!("../templates/project/Cargo.toml.j2"),
    ),
    (
        "project/README.md",
        include_str!("../templates/project/README.md.j2"),
    ),
    (
        "project/gitignore",
        include_str!("../templates/project/gitignore.j2"),
    ),
    (
        "project/ci.yml",
        include_str!("../templates/project/ci.yml.j2"),
    ),
    (
        "project/rust-toolchain.toml",
        include_str!("../templates/project/rust-toolchain.toml.j2"),
    ),
    (
        "local/Cargo.toml",
        include_str!("../templates/local/Cargo.toml.j2"),
    ),
    ("local/lib.rs", include_str!("../templates/local/lib.rs.j2")),
    (
        "local/main.rs",
        include_str!("../templates/local/main.rs.j2"),
    ),
    (
        "local/saga.rs",
        include_str!("../templates/local/saga.rs.j2"),
    ),
    (
        "service/Cargo.toml",
        include_str!("../templates/service/Cargo.toml.j2"),
    ),
    (
        "service/lib.rs",
        include_str!("../templates/service/lib.rs.j2"),
    ),
    (
        "service/handlers.rs",
        include_str!("../templates/service/handlers.rs.j2"),
    ),
    (
        "service/main.rs",
        include_str!("../templates/service/main.rs.j2"),
    ),
    (
        "stub/application.rs",
        include_str!("../templates/stub/application.rs.j2"),
    ),
    (
        "stub/domain.rs",
        include_str!("../templates/stub/domain.rs.j2"),
    ),
    (
        "stub/adapters.rs",
        include_str!("../templates/stub/adapters.rs.j2"),
    ),
    (
        "stub/tests.rs",
        include_str!("../templates/stub/tests.rs.j2"),
    ),
    (
        "minimal/spec.saga.yaml",
        include_str!("../templates/minimal/spec.saga.yaml.j2"),
    ),
    (
        "minimal/inventory/application.rs",
        include_str!("../templates/minimal/inventory/application.rs.j2"),
    ),
    (
        "minimal/inventory/domain.rs",
        include_str!("../templates/minimal/inventory/domain.rs.j2"),
    ),
    (
        "minimal/inventory/adapters.rs",
        include_str!("../templates/minimal/inventory/adapters.rs.j2"),
    ),
    (
        "minimal/inventory/tests.rs",
        include_str!("../templates/minimal/inventory/tests.rs.j2"),
    ),
    (
        "minimal/payments/application.rs",
        include_str!("../templates/minimal/payments/application.rs.j2"),
    ),
    (
        "minimal/payments/domain.rs",
        include_str!("../templates/minimal/payments/domain.rs.j2"),
    ),
    (
        "minimal/payments/adapters.rs",
        include_str!("../templates/minimal/payments/adapters.rs.j2"),
    ),
    (
        "minimal/payments/tests.rs",
        include_str!("../templates/minimal/payments/tests.rs.j2"),
    ),
    (
        "travel/flight/application.rs",
        include_str!("../templates/travel/flight/application.rs.j2"),
    ),
    (
        "travel/flight/domain.rs",
        include_str!("../templates/travel/flight/domain.rs.j2"),
    ),
    (
        "travel/flight/adapters.rs",
        include_str!("../templates/travel/flight/adapters.rs.j2"),
    ),
    (
        "travel/flight/tests.rs",
        include_str!("../templates/travel/flight/tests.rs.j2"),
    ),
    (
        "travel/hotel/application.rs",
        include_str!("../templates/travel/hotel/application.rs.j2"),
    ),
    (
        "travel/hotel/domain.rs",
        include_str!("../templates/travel/hotel/domain.rs.j2"),
    ),
    (
        "travel/hotel/adapters.rs",
        include_str!("../templates/travel/hotel/adapters.rs.j2"),
    ),
    (
        "travel/hotel/tests.rs",
        include_str!("../templates/travel/hotel/tests.rs.j2"),
    ),
    (
        "travel/payment/application.rs",
        include_str!("../templates/travel/payment/application.rs.j2"),
    ),
    (
        "travel/payment/domain.rs",
        include_str!("../templates/travel/payment/domain.rs.j2"),
    ),
    (
        "travel/payment/adapters.rs",
        include_str!("../templates/travel/payment/adapters.rs.j2"),
    ),
    (
        "travel/payment/tests.rs",
        include_str!("../templates/travel/payment/tests.rs.j2"),
    ),
];

/// The reference spec, the `travel` starter.
const TRAVEL_SPEC: &str = include_str!("../../../spec/trip.saga.yaml");
/// sagac's own toolchain file: a project builds with the compiler sagac's
/// crates are tested with.
const TOOLCHAIN: &str = include_str!("../../../rust-toolchain.toml");

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_keep_trailing_newline(true);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.add_filter("toml", |text: String| toml_str(&text));
    env.add_filter("rust", |text: String| format!("{text:?}"));
    for (name, source) in TEMPLATES {
        // The templates are compiled into the binary and tested; a syntax
        // error in one is a bug that the tests catch.
        env.add_template(name, source)
            .unwrap_or_else(|e| panic!("template {name}: {e:#}"));
    }
    env
}

fn render(env: &Environment<'_>, name: &str, ctx: impl Serialize) -> Result<String, Error> {
    let text = env
        .get_template(name)
        .and_then(|t| t.render(ctx))
        .map_err(|e| Error::Template(format!("template {name}: {e:#}")))?;
    // Every file ends with exactly one newline, whatever the last block tag
    // of its template did with the one after it.
    Ok(format!("{}\n", text.trim_end_matches('\n')))
}

/// `my_shop` / `my-shop` → (`my-shop`, `MyShop`).
fn names(name: &str) -> Result<(String, String), Error> {
    let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && !name.ends_with(['-', '_'])
        && !name.contains("--")
        && !name.contains("__");
    if !valid || name.len() > 40 {
        return Err(Error::InvalidName(format!(
            "`{name}` cannot name a project: use lower-case letters, digits and single `-` or `_`, \
             starting with a letter, at most 40 characters (e.g. `order-saga`); pass --name to choose \
             one other than the directory's"
        )));
    }
    let kebab = name.replace('_', "-");
    let pascal = kebab
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect();
    Ok((kebab, pascal))
}

/// The channel line of sagac's toolchain file.
fn toolchain() -> String {
    TOOLCHAIN
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| "stable".to_owned())
}

pub(crate) fn init(options: &Init) -> Result<Project, Error> {
    let env = environment();
    let (kebab, pascal) = names(&options.name)?;
    let spec_text = match options.template {
        Template::Minimal => render(
            &env,
            "minimal/spec.saga.yaml",
            context! { saga => pascal, kebab => kebab },
        )?,
        Template::Travel => TRAVEL_SPEC.to_owned(),
    };
    let spec_path = format!("spec/{kebab}.saga.yaml");
    let file = SourceFile::new(spec_path.as_str(), spec_text.as_str());
    let saga = sagac_core::compile(&file).map_err(|diagnostics| {
        Error::Template(sagac_core::diagnostic::render_with(
            &file,
            &diagnostics,
            false,
        ))
    })?;
    let layout = Layout {
        spec: spec_path.clone(),
        services: "services".to_owned(),
        generated: format!("generated/{}", saga.kebab),
    };
    let at = locate::of(&file);
    let ctx = saga_ctx(&saga, &at, &layout, &options.sagac, true);
    let starter = match options.template {
        Template::Minimal => "minimal",
        Template::Travel => "travel",
    };
    // Both starters' services hold real logic, under
    // `templates/<starter>/<service>/`; `sagac scaffold` writes stubs.
    let real = matches!(options.template, Template::Minimal | Template::Travel);
    let project = ProjectCtx {
        name: kebab.clone(),
        template: starter,
        real,
        toolchain: toolchain(),
        dependencies: options.sagac.dependencies(),
        sagac: options.sagac.describe(),
        sagac_is_path: matches!(options.sagac, Sagac::Path(_)),
        release_url: match Sagac::release() {
            Sagac::Git { url, .. } => url,
            Sagac::Path(_) => String::new(),
        },
        release_tag: match Sagac::release() {
            Sagac::Git { tag, .. } => tag,
            Sagac::Path(_) => String::new(),
        },
        sagac_install: match &options.sagac {
            Sagac::Git { url, tag } => {
                format!("cargo install --locked --git {url} --tag {tag} sagac")
            }
            Sagac::Path(root) => format!("cargo install --locked --path {root}/compiler"),
        },
    };
    let c = context! { project => project, saga => ctx };
    let mut files = vec![
        file_of("Cargo.toml", render(&env, "project/Cargo.toml", &c)?),
        file_of("README.md", render(&env, "project/README.md", &c)?),
        file_of(".gitignore", render(&env, "project/gitignore", &c)?),
        file_of(
            ".github/workflows/ci.yml",
            render(&env, "project/ci.yml", &c)?,
        ),
        file_of(
            "rust-toolchain.toml",
            render(&env, "project/rust-toolchain.toml", &c)?,
        ),
        file_of(&spec_path, spec_text.clone()),
        file_of("spec/saga.schema.json", schema()),
        file_of("local/Cargo.toml", render(&env, "local/Cargo.toml", &c)?),
        file_of("local/src/lib.rs", render(&env, "local/lib.rs", &c)?),
        file_of("local/src/main.rs", render(&env, "local/main.rs", &c)?),
    ];
    if real {
        files.push(file_of(
            "local/tests/saga.rs",
            render(&env, "local/saga.rs", &c)?,
        ));
    }
    for service in &ctx.services {
        let body = if real {
            format!("{starter}/{}", service.name)
        } else {
            "stub".to_owned()
        };
        files.extend(service_files(&env, &ctx, service, &body)?);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Project {
        files,
        spec_path,
        saga,
    })
}

/// What the project templates see besides the saga.
#[derive(Debug, Serialize)]
struct ProjectCtx {
    name: String,
    template: &'static str,
    /// Whether the services hold real logic (else they are stubs).
    real: bool,
    toolchain: String,
    dependencies: Vec<crate::context::Dependency>,
    sagac: String,
    sagac_install: String,
    sagac_is_path: bool,
    release_url: String,
    release_tag: String,
}

fn file_of(path: &str, contents: String) -> File {
    File {
        path: path.to_owned(),
        contents,
    }
}

/// `sagac schema`'s output.
fn schema() -> String {
    let schema = sagac_core::ast::schema();
    format!(
        "{}\n",
        serde_json::to_string_pretty(&schema).unwrap_or_default()
    )
}

fn service_files(
    env: &Environment<'_>,
    saga: &SagaCtx,
    service: &ServiceCtx,
    body: &str,
) -> Result<Vec<File>, Error> {
    let c = context! { saga => saga, service => service };
    let dir = &service.dir;
    let tests = format!("tests/{}.rs", service.lib);
    // (path in the crate, template): the shared skeleton, then the bodies
    // of `body` (the stubs, or a starter's real services).
    let files = [
        ("Cargo.toml", "service/Cargo.toml".to_owned()),
        ("src/lib.rs", "service/lib.rs".to_owned()),
        ("src/handlers.rs", "service/handlers.rs".to_owned()),
        ("src/main.rs", "service/main.rs".to_owned()),
        ("src/application.rs", format!("{body}/application.rs")),
        ("src/domain.rs", format!("{body}/domain.rs")),
        ("src/adapters.rs", format!("{body}/adapters.rs")),
        (tests.as_str(), format!("{body}/tests.rs")),
    ];
    files
        .iter()
        .map(|(path, template)| {
            Ok(file_of(
                &format!("{dir}/{path}"),
                render(env, template, &c)?,
            ))
        })
        .collect()
}

pub(crate) fn scaffold(
    saga: &Saga,
    at: &Locations,
    layout: &Layout,
    services: &[String],
    sagac: &Sagac,
    workspace_deps: bool,
) -> Result<Vec<File>, Error> {
    let known: Vec<String> = saga.services.iter().map(|s| s.name.clone()).collect();
    if let Some(unknown) = services.iter().find(|s| !known.contains(s)) {
        return Err(Error::UnknownService {
            name: unknown.clone(),
            known,
        });
    }
    let env = environment();
    let ctx = saga_ctx(saga, at, layout, sagac, workspace_deps);
    let mut files = Vec::new();
    for service in &ctx.services {
        if services.is_empty() || services.contains(&service.name) {
            files.extend(service_files(&env, &ctx, service, "stub")?);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_a_project() {
        assert_eq!(
            names("order-saga").unwrap(),
            ("order-saga".into(), "OrderSaga".into())
        );
        assert_eq!(names("shop_2").unwrap(), ("shop-2".into(), "Shop2".into()));
        for bad in ["", "Shop", "2shop", "a--b", "shop-", "sh op", "ä"] {
            assert!(names(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_template_parses() {
        let env = environment();
        for (name, _) in TEMPLATES {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn the_toolchain_is_sagacs() {
        assert!(toolchain().starts_with("1."), "{}", toolchain());
    }
}
