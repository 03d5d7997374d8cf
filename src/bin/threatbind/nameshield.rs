//! `threatbind nameshield ...`

use crate::{enum_arg, print_json, print_lines, Global};
use clap::Subcommand;
use threatbind::nameshield_cti::generated::types::CriticalityFilter;
use threatbind::nameshield_cti::{criterion, EventsQuery, NameshieldClient, SearchV1Query};
use threatbind::spec::{Api, Violation};
use threatbind::Error;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Threat events, v2 (GET /cti/v2/events).
    Events {
        /// Events per page (default 100, at most 500).
        #[arg(long, allow_negative_numbers = true)]
        size: Option<i64>,
        /// Page, 0-based.
        #[arg(long, allow_negative_numbers = true)]
        page: Option<i64>,
        #[arg(long)]
        customer_id: Option<i64>,
        /// Sort key FIELD[,FIELD...][,asc|desc]; repeat for several, in order.
        #[arg(long)]
        sort: Vec<String>,
        /// NONE, LOW, MEDIUM or HIGH.
        #[arg(long)]
        criticality: Option<String>,
        /// Domain contains this.
        #[arg(long)]
        domain: Option<String>,
        /// After 'yyyy-MM-dd HH:mm:ss' (UTC).
        #[arg(long)]
        started_at: Option<String>,
        /// Before 'yyyy-MM-dd HH:mm:ss' (UTC).
        #[arg(long)]
        ended_at: Option<String>,
        /// Walk every page, one event per line.
        #[arg(long)]
        all: bool,
    },
    /// One threat event by id (GET /cti/v2/events/{id}).
    Event {
        /// The event id (UUID).
        #[arg(long)]
        id: String,
    },
    /// Deprecated v1 search (POST /cti/v1/events/search); prefer `events`.
    SearchV1 {
        #[arg(long, allow_negative_numbers = true)]
        limit: Option<i64>,
        #[arg(long, allow_negative_numbers = true)]
        offset: Option<i64>,
        #[arg(long)]
        customer_id: Option<i64>,
        /// NONE, LOW, MEDIUM or HIGH.
        #[arg(long)]
        criticality: Option<String>,
        /// Include subsidiaries' events (default true).
        #[arg(long)]
        include_customer_children_events: Option<bool>,
        #[arg(long)]
        started_at: Option<String>,
        #[arg(long)]
        ended_at: Option<String>,
        /// Criterion NAME:OPERATOR:VALUE (e.g. domain:ENDS_WITH:.com); repeatable.
        #[arg(long)]
        query: Vec<String>,
        /// Walk every page, one event per line.
        #[arg(long)]
        all: bool,
    },
}

fn client(global: &Global) -> Result<NameshieldClient, Error> {
    let mut builder = NameshieldClient::from_env()?.settings(global.settings.clone());
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url.clone());
    }
    builder.build()
}

fn criticality(text: Option<String>) -> Result<Option<CriticalityFilter>, Error> {
    text.map(|c| enum_arg(Api::NameshieldCti, "CriticalityFilter", "criticality", &c))
        .transpose()
}

pub(crate) async fn run(command: Command, global: &Global) -> Result<(), Error> {
    match command {
        Command::Events {
            size,
            page,
            customer_id,
            sort,
            criticality: c,
            domain,
            started_at,
            ended_at,
            all,
        } => {
            let query = EventsQuery {
                size,
                page,
                customer_id,
                sort,
                criticality: criticality(c)?,
                domain,
                started_at,
                ended_at,
            };
            let client = client(global)?;
            if all {
                print_lines(client.all_events(query)).await
            } else {
                print_json(&client.events(&query).await?)
            }
        }
        Command::Event { id } => print_json(&client(global)?.event(&id).await?),
        Command::SearchV1 {
            limit,
            offset,
            customer_id,
            criticality: c,
            include_customer_children_events,
            started_at,
            ended_at,
            query,
            all,
        } => {
            let query_parameters = query
                .iter()
                .map(|q| match q.splitn(3, ':').collect::<Vec<_>>()[..] {
                    [name, operator, value] if !name.is_empty() && !operator.is_empty() => {
                        Ok(criterion(name, operator, value))
                    }
                    _ => Err(Error::Validation(vec![Violation::new(
                        "query_parameters",
                        "format",
                        format!("{q:?} is not NAME:OPERATOR:VALUE"),
                    )])),
                })
                .collect::<Result<Vec<_>, _>>()?;
            let query = SearchV1Query {
                query_parameters,
                limit,
                offset,
                customer_id,
                criticality: criticality(c)?,
                include_customer_children_events,
                started_at,
                ended_at,
            };
            let client = client(global)?;
            crate::note("warning: search-v1 (POST /cti/v1/events/search) is deprecated and will be removed; use `nameshield events`");
            if all {
                print_lines(client.all_search_v1(query)).await
            } else {
                print_json(&client.search_v1(&query).await?)
            }
        }
    }
}
