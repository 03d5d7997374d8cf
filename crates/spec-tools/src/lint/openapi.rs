//! The OpenAPI 3.0.3 object types: the fields each allows, what their values must be, which are
//! required, and which objects take `x-` extensions. Written from the 3.0.3 specification text.

/// What a field's value must be.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    /// Anything (examples, defaults).
    Any,
    /// A string.
    Str,
    /// A boolean.
    Bool,
    /// A number.
    Number,
    /// A non-negative integer.
    Count,
    /// A string, one of these.
    OneOf(&'static [&'static str]),
    /// An object of this type.
    Obj(Type),
    /// A Reference Object, or an object of this type.
    RefOr(Type),
    /// A list of values of this kind.
    List(&'static Kind),
    /// A non-empty list of values of this kind.
    NonEmptyList(&'static Kind),
    /// A mapping from names to values of this kind.
    Map(&'static Kind),
    /// `additionalProperties`: a boolean, a schema, or a reference to one.
    BoolOrSchema,
}

impl Kind {
    /// How the kind reads in a message: "a string", "a list".
    pub(super) fn describe(self) -> String {
        match self {
            Kind::Any => "any value".into(),
            Kind::Str => "a string".into(),
            Kind::Bool => "a boolean".into(),
            Kind::Number => "a number".into(),
            Kind::Count => "a non-negative integer".into(),
            Kind::OneOf(values) => format!("one of {}", values.join(", ")),
            Kind::Obj(t) | Kind::RefOr(t) => {
                format!("a mapping ({} object)", super::structure::a(t.name()))
            }
            Kind::List(_) | Kind::NonEmptyList(_) => "a list".into(),
            Kind::Map(_) => "a mapping".into(),
            Kind::BoolOrSchema => "a boolean or a schema".into(),
        }
    }
}

/// One field of an object type.
#[derive(Clone, Copy, Debug)]
pub(super) struct Field {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
}

const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: false,
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        required: true,
    }
}

/// The object types of OpenAPI 3.0.3. Security schemes and OAuth flows have one type per
/// `type` / flow, since each allows different fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Type {
    OpenApi,
    Info,
    Contact,
    License,
    Server,
    ServerVariable,
    Components,
    Paths,
    PathItem,
    Operation,
    ExternalDocs,
    Parameter,
    RequestBody,
    Media,
    Encoding,
    Responses,
    Response,
    Callback,
    Example,
    Link,
    Header,
    Tag,
    Schema,
    Discriminator,
    Xml,
    SecurityScheme,
    ApiKeyScheme,
    HttpScheme,
    OAuth2Scheme,
    OpenIdConnectScheme,
    OAuthFlows,
    ImplicitFlow,
    PasswordFlow,
    ClientCredentialsFlow,
    AuthorizationCodeFlow,
    SecurityRequirement,
}

const STR_LIST: Kind = Kind::List(&Kind::Str);
const SCHEMA: Kind = Kind::RefOr(Type::Schema);
const SCHEMAS: Kind = Kind::NonEmptyList(&SCHEMA);
const SERVERS: Kind = Kind::List(&Kind::Obj(Type::Server));
const PARAMETERS: Kind = Kind::List(&Kind::RefOr(Type::Parameter));
const SECURITY: Kind = Kind::List(&Kind::Obj(Type::SecurityRequirement));
const EXAMPLES: Kind = Kind::Map(&Kind::RefOr(Type::Example));
const HEADERS: Kind = Kind::Map(&Kind::RefOr(Type::Header));
const CONTENT: Kind = Kind::Map(&Kind::Obj(Type::Media));
const LINKS: Kind = Kind::Map(&Kind::RefOr(Type::Link));
const CALLBACKS: Kind = Kind::Map(&Kind::RefOr(Type::Callback));
const DOCS: Kind = Kind::Obj(Type::ExternalDocs);

/// The six types of OpenAPI 3.0 (no `null`: that is `nullable`).
pub(super) const SCHEMA_TYPES: &[&str] =
    &["integer", "number", "string", "boolean", "array", "object"];
/// Parameter locations.
pub(super) const LOCATIONS: &[&str] = &["query", "header", "path", "cookie"];
/// Parameter styles, all locations together (each location allows some, see `styles_for`).
const STYLES: &[&str] = &[
    "matrix",
    "label",
    "form",
    "simple",
    "spaceDelimited",
    "pipeDelimited",
    "deepObject",
];
/// The styles a parameter in `location` may have.
pub(super) fn styles_for(location: &str) -> &'static [&'static str] {
    match location {
        "path" => &["matrix", "label", "simple"],
        "query" => &["form", "spaceDelimited", "pipeDelimited", "deepObject"],
        "header" => &["simple"],
        "cookie" => &["form"],
        _ => STYLES,
    }
}
/// The HTTP methods a Path Item may hold.
pub(super) const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];
/// Security scheme types.
pub(super) const SCHEME_TYPES: &[&str] = &["apiKey", "http", "oauth2", "openIdConnect"];

const fn op(name: &'static str) -> Field {
    opt(name, Kind::Obj(Type::Operation))
}

/// Parameter and Header share every field but `name` and `in`.
macro_rules! parameter_fields {
    ($($extra:expr),*) => {
        &[
            $($extra,)*
            opt("description", Kind::Str),
            opt("required", Kind::Bool),
            opt("deprecated", Kind::Bool),
            opt("allowEmptyValue", Kind::Bool),
            opt("style", Kind::OneOf(STYLES)),
            opt("explode", Kind::Bool),
            opt("allowReserved", Kind::Bool),
            opt("schema", SCHEMA),
            opt("example", Kind::Any),
            opt("examples", EXAMPLES),
            opt("content", CONTENT),
        ]
    };
}

impl Type {
    /// The type's name as the specification writes it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Type::OpenApi => "OpenAPI",
            Type::Info => "Info",
            Type::Contact => "Contact",
            Type::License => "License",
            Type::Server => "Server",
            Type::ServerVariable => "Server Variable",
            Type::Components => "Components",
            Type::Paths => "Paths",
            Type::PathItem => "Path Item",
            Type::Operation => "Operation",
            Type::ExternalDocs => "External Documentation",
            Type::Parameter => "Parameter",
            Type::RequestBody => "Request Body",
            Type::Media => "Media Type",
            Type::Encoding => "Encoding",
            Type::Responses => "Responses",
            Type::Response => "Response",
            Type::Callback => "Callback",
            Type::Example => "Example",
            Type::Link => "Link",
            Type::Header => "Header",
            Type::Tag => "Tag",
            Type::Schema => "Schema",
            Type::Discriminator => "Discriminator",
            Type::Xml => "XML",
            Type::SecurityScheme => "Security Scheme",
            Type::ApiKeyScheme => "Security Scheme (apiKey)",
            Type::HttpScheme => "Security Scheme (http)",
            Type::OAuth2Scheme => "Security Scheme (oauth2)",
            Type::OpenIdConnectScheme => "Security Scheme (openIdConnect)",
            Type::OAuthFlows => "OAuth Flows",
            Type::ImplicitFlow => "OAuth Flow (implicit)",
            Type::PasswordFlow => "OAuth Flow (password)",
            Type::ClientCredentialsFlow => "OAuth Flow (clientCredentials)",
            Type::AuthorizationCodeFlow => "OAuth Flow (authorizationCode)",
            Type::SecurityRequirement => "Security Requirement",
        }
    }

    /// Whether `x-` keys may be added.
    pub(super) fn extensible(self) -> bool {
        !matches!(
            self,
            Type::SecurityRequirement | Type::Discriminator | Type::SecurityScheme
        )
    }

    /// The components section whose entries have this type, if any.
    pub(super) fn section(self) -> Option<&'static str> {
        Some(match self {
            Type::Schema => "schemas",
            Type::Response => "responses",
            Type::Parameter => "parameters",
            Type::Example => "examples",
            Type::RequestBody => "requestBodies",
            Type::Header => "headers",
            Type::SecurityScheme => "securitySchemes",
            Type::Link => "links",
            Type::Callback => "callbacks",
            _ => return None,
        })
    }

    /// The fixed fields of the type (none for the types made of patterned keys: Paths,
    /// Responses, Callback, Security Requirement).
    pub(super) fn fields(self) -> &'static [Field] {
        match self {
            Type::OpenApi => {
                const {
                    &[
                        req("openapi", Kind::Str),
                        req("info", Kind::Obj(Type::Info)),
                        opt("servers", SERVERS),
                        req("paths", Kind::Obj(Type::Paths)),
                        opt("components", Kind::Obj(Type::Components)),
                        opt("security", SECURITY),
                        opt("tags", Kind::List(&Kind::Obj(Type::Tag))),
                        opt("externalDocs", DOCS),
                    ]
                }
            }
            Type::Info => {
                const {
                    &[
                        req("title", Kind::Str),
                        opt("description", Kind::Str),
                        opt("termsOfService", Kind::Str),
                        opt("contact", Kind::Obj(Type::Contact)),
                        opt("license", Kind::Obj(Type::License)),
                        req("version", Kind::Str),
                    ]
                }
            }
            Type::Contact => {
                const {
                    &[
                        opt("name", Kind::Str),
                        opt("url", Kind::Str),
                        opt("email", Kind::Str),
                    ]
                }
            }
            Type::License => const { &[req("name", Kind::Str), opt("url", Kind::Str)] },
            Type::Server => {
                const {
                    &[
                        req("url", Kind::Str),
                        opt("description", Kind::Str),
                        opt("variables", Kind::Map(&Kind::Obj(Type::ServerVariable))),
                    ]
                }
            }
            Type::ServerVariable => {
                const {
                    &[
                        opt("enum", Kind::NonEmptyList(&Kind::Str)),
                        req("default", Kind::Str),
                        opt("description", Kind::Str),
                    ]
                }
            }
            Type::Components => {
                const {
                    &[
                        opt("schemas", Kind::Map(&SCHEMA)),
                        opt("responses", Kind::Map(&Kind::RefOr(Type::Response))),
                        opt("parameters", Kind::Map(&Kind::RefOr(Type::Parameter))),
                        opt("examples", EXAMPLES),
                        opt("requestBodies", Kind::Map(&Kind::RefOr(Type::RequestBody))),
                        opt("headers", HEADERS),
                        opt(
                            "securitySchemes",
                            Kind::Map(&Kind::RefOr(Type::SecurityScheme)),
                        ),
                        opt("links", LINKS),
                        opt("callbacks", CALLBACKS),
                    ]
                }
            }
            Type::PathItem => {
                const {
                    &[
                        opt("$ref", Kind::Str),
                        opt("summary", Kind::Str),
                        opt("description", Kind::Str),
                        op("get"),
                        op("put"),
                        op("post"),
                        op("delete"),
                        op("options"),
                        op("head"),
                        op("patch"),
                        op("trace"),
                        opt("servers", SERVERS),
                        opt("parameters", PARAMETERS),
                    ]
                }
            }
            Type::Operation => {
                const {
                    &[
                        opt("tags", STR_LIST),
                        opt("summary", Kind::Str),
                        opt("description", Kind::Str),
                        opt("externalDocs", DOCS),
                        opt("operationId", Kind::Str),
                        opt("parameters", PARAMETERS),
                        opt("requestBody", Kind::RefOr(Type::RequestBody)),
                        req("responses", Kind::Obj(Type::Responses)),
                        opt("callbacks", CALLBACKS),
                        opt("deprecated", Kind::Bool),
                        opt("security", SECURITY),
                        opt("servers", SERVERS),
                    ]
                }
            }
            Type::ExternalDocs => const { &[opt("description", Kind::Str), req("url", Kind::Str)] },
            Type::Parameter => {
                const { parameter_fields!(req("name", Kind::Str), req("in", Kind::OneOf(LOCATIONS))) }
            }
            Type::Header => const { parameter_fields!() },
            Type::RequestBody => {
                const {
                    &[
                        opt("description", Kind::Str),
                        req("content", CONTENT),
                        opt("required", Kind::Bool),
                    ]
                }
            }
            Type::Media => {
                const {
                    &[
                        opt("schema", SCHEMA),
                        opt("example", Kind::Any),
                        opt("examples", EXAMPLES),
                        opt("encoding", Kind::Map(&Kind::Obj(Type::Encoding))),
                    ]
                }
            }
            Type::Encoding => {
                const {
                    &[
                        opt("contentType", Kind::Str),
                        opt("headers", HEADERS),
                        opt(
                            "style",
                            Kind::OneOf(&["form", "spaceDelimited", "pipeDelimited", "deepObject"]),
                        ),
                        opt("explode", Kind::Bool),
                        opt("allowReserved", Kind::Bool),
                    ]
                }
            }
            Type::Response => {
                const {
                    &[
                        req("description", Kind::Str),
                        opt("headers", HEADERS),
                        opt("content", CONTENT),
                        opt("links", LINKS),
                    ]
                }
            }
            Type::Example => {
                const {
                    &[
                        opt("summary", Kind::Str),
                        opt("description", Kind::Str),
                        opt("value", Kind::Any),
                        opt("externalValue", Kind::Str),
                    ]
                }
            }
            Type::Link => {
                const {
                    &[
                        opt("operationRef", Kind::Str),
                        opt("operationId", Kind::Str),
                        opt("parameters", Kind::Map(&Kind::Any)),
                        opt("requestBody", Kind::Any),
                        opt("description", Kind::Str),
                        opt("server", Kind::Obj(Type::Server)),
                    ]
                }
            }
            Type::Tag => {
                const {
                    &[
                        req("name", Kind::Str),
                        opt("description", Kind::Str),
                        opt("externalDocs", DOCS),
                    ]
                }
            }
            Type::Schema => {
                const {
                    &[
                        opt("title", Kind::Str),
                        opt("multipleOf", Kind::Number),
                        opt("maximum", Kind::Number),
                        opt("exclusiveMaximum", Kind::Bool),
                        opt("minimum", Kind::Number),
                        opt("exclusiveMinimum", Kind::Bool),
                        opt("maxLength", Kind::Count),
                        opt("minLength", Kind::Count),
                        opt("pattern", Kind::Str),
                        opt("maxItems", Kind::Count),
                        opt("minItems", Kind::Count),
                        opt("uniqueItems", Kind::Bool),
                        opt("maxProperties", Kind::Count),
                        opt("minProperties", Kind::Count),
                        opt("required", Kind::NonEmptyList(&Kind::Str)),
                        opt("enum", Kind::NonEmptyList(&Kind::Any)),
                        opt("type", Kind::OneOf(SCHEMA_TYPES)),
                        opt("allOf", SCHEMAS),
                        opt("oneOf", SCHEMAS),
                        opt("anyOf", SCHEMAS),
                        opt("not", SCHEMA),
                        opt("items", SCHEMA),
                        opt("properties", Kind::Map(&SCHEMA)),
                        opt("additionalProperties", Kind::BoolOrSchema),
                        opt("description", Kind::Str),
                        opt("format", Kind::Str),
                        opt("default", Kind::Any),
                        opt("nullable", Kind::Bool),
                        opt("discriminator", Kind::Obj(Type::Discriminator)),
                        opt("readOnly", Kind::Bool),
                        opt("writeOnly", Kind::Bool),
                        opt("xml", Kind::Obj(Type::Xml)),
                        opt("externalDocs", DOCS),
                        opt("example", Kind::Any),
                        opt("deprecated", Kind::Bool),
                    ]
                }
            }
            Type::Discriminator => {
                const {
                    &[
                        req("propertyName", Kind::Str),
                        opt("mapping", Kind::Map(&Kind::Str)),
                    ]
                }
            }
            Type::Xml => {
                const {
                    &[
                        opt("name", Kind::Str),
                        opt("namespace", Kind::Str),
                        opt("prefix", Kind::Str),
                        opt("attribute", Kind::Bool),
                        opt("wrapped", Kind::Bool),
                    ]
                }
            }
            // Only `type`: the fields depend on it (see `scheme_type`).
            Type::SecurityScheme => const { &[req("type", Kind::OneOf(SCHEME_TYPES))] },
            Type::ApiKeyScheme => {
                const {
                    &[
                        req("type", Kind::Str),
                        opt("description", Kind::Str),
                        req("name", Kind::Str),
                        req("in", Kind::OneOf(&["query", "header", "cookie"])),
                    ]
                }
            }
            Type::HttpScheme => {
                const {
                    &[
                        req("type", Kind::Str),
                        opt("description", Kind::Str),
                        req("scheme", Kind::Str),
                        opt("bearerFormat", Kind::Str),
                    ]
                }
            }
            Type::OAuth2Scheme => {
                const {
                    &[
                        req("type", Kind::Str),
                        opt("description", Kind::Str),
                        req("flows", Kind::Obj(Type::OAuthFlows)),
                    ]
                }
            }
            Type::OpenIdConnectScheme => {
                const {
                    &[
                        req("type", Kind::Str),
                        opt("description", Kind::Str),
                        req("openIdConnectUrl", Kind::Str),
                    ]
                }
            }
            Type::OAuthFlows => {
                const {
                    &[
                        opt("implicit", Kind::Obj(Type::ImplicitFlow)),
                        opt("password", Kind::Obj(Type::PasswordFlow)),
                        opt("clientCredentials", Kind::Obj(Type::ClientCredentialsFlow)),
                        opt("authorizationCode", Kind::Obj(Type::AuthorizationCodeFlow)),
                    ]
                }
            }
            Type::ImplicitFlow => {
                const {
                    &[
                        req("authorizationUrl", Kind::Str),
                        opt("refreshUrl", Kind::Str),
                        req("scopes", Kind::Map(&Kind::Str)),
                    ]
                }
            }
            Type::PasswordFlow | Type::ClientCredentialsFlow => {
                const {
                    &[
                        req("tokenUrl", Kind::Str),
                        opt("refreshUrl", Kind::Str),
                        req("scopes", Kind::Map(&Kind::Str)),
                    ]
                }
            }
            Type::AuthorizationCodeFlow => {
                const {
                    &[
                        req("authorizationUrl", Kind::Str),
                        req("tokenUrl", Kind::Str),
                        opt("refreshUrl", Kind::Str),
                        req("scopes", Kind::Map(&Kind::Str)),
                    ]
                }
            }
            Type::Paths | Type::Responses | Type::Callback | Type::SecurityRequirement => {
                const { &[] }
            }
        }
    }

    /// The field `name` of the type, if it has one.
    pub(super) fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// The type a Security Scheme has, read from its `type`.
pub(super) fn scheme_type(kind: &str) -> Option<Type> {
    Some(match kind {
        "apiKey" => Type::ApiKeyScheme,
        "http" => Type::HttpScheme,
        "oauth2" => Type::OAuth2Scheme,
        "openIdConnect" => Type::OpenIdConnectScheme,
        _ => return None,
    })
}
