//! What a service's implementation must look like, as data: the input of
//! `#[sagac_macros::service]`'s check of an `impl <Service>Service for …`
//! block.
//!
//! rustc cannot point a diagnostic into the spec, so the errors a developer
//! meets when the spec changes (a method the trait gained, a field that was
//! renamed) would name only the generated code. The generated module
//! therefore carries, per service, a [`ServiceShape`]: the trait's methods
//! and the generated structs the implementation touches, each with the spec
//! position that declares it. The expansion hands it (as JSON) to the check,
//! which reads the implementation's syntax against it and reports, at the
//! offending Rust tokens, what the spec asks for and where.

use serde::{Deserialize, Serialize};

use crate::ir::{Action, Field, Saga, Service};
use crate::locate::Locations;
use crate::naming::results_field;

/// One service as its implementation sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceShape {
    /// The saga's name (`TripBooking`).
    pub saga: String,
    /// The service's name in the spec (`flight`).
    pub service: String,
    /// The generated trait (`FlightService`).
    pub trait_name: String,
    /// The generated module (`trip_booking`).
    pub module: String,
    /// Where the service is declared, `file:line:column`.
    pub declared: Option<String>,
    /// One method per action and compensation, in spec order.
    pub methods: Vec<MethodShape>,
    /// The generated structs a method reads or builds: the commands and
    /// inputs of the service's actions, the entities, the events and the
    /// start request.
    pub types: Vec<TypeShape>,
}

/// One trait method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodShape {
    /// The method (`cancel_flight`): the spec's action name.
    pub name: String,
    /// What it implements, for messages: "the compensation `CancelFlight`
    /// of the step `ReserveFlight`".
    pub what: String,
    /// Where its `action:` is written.
    pub declared: Option<String>,
    /// Its command type (`CancelFlightCommand`).
    pub command: String,
    /// Its success type, with absolute paths
    /// (`::std::option::Option<FlightReservation>`).
    pub output: String,
    /// Its error type (`CancelFlightError`).
    pub error: String,
}

impl MethodShape {
    /// The signature an implementation writes, as a developer would:
    /// `async fn cancel_flight(&self, command: CancelFlightCommand) ->
    /// Result<Option<FlightReservation>, CancelFlightError>`.
    pub fn signature(&self) -> String {
        format!(
            "async fn {}(&self, command: {}) -> Result<{}, {}>",
            self.name,
            self.command,
            self.output
                .replace("::std::option::Option", "Option")
                .replace("::std::string::String", "String"),
            self.error
        )
    }
}

/// One generated struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeShape {
    /// The struct (`ReserveFlightInput`).
    pub name: String,
    /// What it is, for messages: "the entity `FlightReservation`", "what
    /// the step `ReserveFlight` receives".
    pub what: String,
    /// Where the spec declares it (the entity, the event, the action).
    pub declared: Option<String>,
    /// Its fields, in declaration order.
    pub fields: Vec<FieldShape>,
}

impl TypeShape {
    /// The field `name`, if the struct has it.
    pub fn field(&self, name: &str) -> Option<&FieldShape> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// One field of a generated struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldShape {
    /// The field.
    pub name: String,
    /// The generated struct it holds, if it holds one directly (an input's
    /// `reserve_flight: FlightReservation`, a command's `input`).
    pub of: Option<String>,
    /// Where the spec declares it.
    pub declared: Option<String>,
}

impl ServiceShape {
    /// The shape of `service`'s implementation, with the positions `at`,
    /// for the module `module`.
    pub fn of(saga: &Saga, service: &Service, module: &str, at: &Locations) -> Self {
        let shown = |l: Option<&crate::locate::Location>| l.map(ToString::to_string);
        let methods = service
            .actions
            .iter()
            .map(|action| MethodShape {
                name: action.name.clone(),
                what: what(action),
                declared: shown(at.action(&service.name, &action.name)),
                command: format!("{}Command", action.state),
                output: super::output_type(action).to_string().replace(' ', ""),
                error: format!("{}Error", action.state),
            })
            .collect();
        let mut types = Vec::new();
        for action in &service.actions {
            let declared = shown(at.action(&service.name, &action.name));
            let input = format!("{}Input", action.state);
            types.push(TypeShape {
                name: format!("{}Command", action.state),
                what: format!("the command of {}", what(action)),
                declared: declared.clone(),
                fields: vec![
                    FieldShape {
                        name: "context".to_owned(),
                        of: None,
                        declared: None,
                    },
                    FieldShape {
                        name: "input".to_owned(),
                        of: Some(input.clone()),
                        declared: declared.clone(),
                    },
                ],
            });
            types.push(TypeShape {
                name: input,
                what: format!("what {} receives (its `input:`)", what(action)),
                declared,
                fields: input_fields(saga, service, action, at),
            });
        }
        for entity in &saga.entities {
            types.push(TypeShape {
                name: entity.name.clone(),
                what: format!("the entity `{}`", entity.name),
                declared: shown(at.type_(&entity.name)),
                fields: entity_fields(&entity.name, entity.fields.iter().map(|f| &f.name), at),
            });
        }
        for event in &saga.events {
            types.push(TypeShape {
                name: event.name.clone(),
                what: format!("the event `{}`", event.name),
                declared: shown(at.type_(&event.name)),
                fields: entity_fields(&event.entity, &event.fields, at),
            });
        }
        types.push(TypeShape {
            name: format!("{}Request", saga.name),
            what: format!("the start request of the `{}` saga", saga.name),
            declared: None,
            fields: saga.request.iter().map(|f| request_field(f, at)).collect(),
        });
        ServiceShape {
            saga: saga.name.clone(),
            service: service.name.clone(),
            trait_name: format!("{}Service", service.pascal),
            module: module.to_owned(),
            declared: shown(at.service(&service.name)),
            methods,
            types,
        }
    }

    /// The shape as the JSON the expansion carries.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a shape is plain data")
    }

    /// The shape from [`Self::to_json`]'s text.
    ///
    /// # Errors
    ///
    /// When the text is not a shape (an expansion of another sagac version).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The struct `name`, if it is one of the shape's.
    pub fn type_(&self, name: &str) -> Option<&TypeShape> {
        self.types.iter().find(|t| t.name == name)
    }
}

/// "the step `ReserveFlight`", "the compensation `CancelFlight` of the step
/// `ReserveFlight`".
fn what(action: &Action) -> String {
    if action.compensation {
        format!(
            "the compensation `{}` of the step `{}`",
            action.state, action.step
        )
    } else {
        format!("the step `{}`", action.state)
    }
}

/// The fields `names` of the entity `entity` (an entity's own, or the ones
/// an event of it carries), each declared where the entity declares it.
fn entity_fields<'a>(
    entity: &str,
    names: impl IntoIterator<Item = &'a String>,
    at: &Locations,
) -> Vec<FieldShape> {
    names
        .into_iter()
        .map(|name| FieldShape {
            name: name.clone(),
            of: None,
            declared: at.field(entity, name).map(ToString::to_string),
        })
        .collect()
}

fn request_field(field: &Field, at: &Locations) -> FieldShape {
    FieldShape {
        name: field.name.clone(),
        of: None,
        declared: at.request_field(&field.name).map(ToString::to_string),
    }
}

/// The fields of `<State>Input`, as `input_struct` declares them.
fn input_fields(
    saga: &Saga,
    service: &Service,
    action: &Action,
    at: &Locations,
) -> Vec<FieldShape> {
    let mut fields: Vec<FieldShape> = action
        .input
        .fields
        .iter()
        .filter_map(|f| saga.request.iter().find(|r| r.name == *f))
        .map(|f| request_field(f, at))
        .collect();
    let step_at = |step: &str| {
        saga.steps()
            .find(|s| s.name == step)
            .and_then(|s| at.action(&s.service, &s.action))
            .or_else(|| at.action(&service.name, &action.name))
            .map(ToString::to_string)
    };
    for step in &action.input.results {
        if let Some(entity) = saga
            .steps()
            .find(|s| s.name == *step)
            .and_then(|s| s.writes.as_ref())
        {
            fields.push(FieldShape {
                name: results_field(step),
                of: Some(entity.clone()),
                declared: step_at(step),
            });
        }
    }
    if action.compensation && action.result.is_some() {
        // `Option<Entity>`: not the entity itself.
        fields.push(FieldShape {
            name: results_field(&action.step),
            of: None,
            declared: step_at(&action.step),
        });
    }
    fields
}
