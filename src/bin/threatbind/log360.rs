//! `threatbind log360 ...`

use crate::{enum_arg, print_json, print_lines, time_arg, Global};
use clap::Subcommand;
use threatbind::log360_cloud::*;
use threatbind::spec::Api;
use threatbind::Error;

const API: Api = Api::Log360Cloud;

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// L3C Threat Analytics lookup (POST /threat/search/advanced-threat-analytics).
    ThreatAnalytics {
        /// IP address, domain or URL (at most 2048 characters).
        #[arg(long)]
        indicator: String,
        /// INFO, HISTORY, WHOIS_INFO, STATS, CONNECTIONS or INIT_DATA.
        #[arg(long)]
        action: String,
        /// IP, DOMAIN or URL.
        #[arg(long)]
        indicator_type: Option<String>,
        /// HISTORY start, ISO 8601 (at most a year ago).
        #[arg(long)]
        start_date: Option<String>,
        /// HISTORY end, ISO 8601 (at most 180 days after the start).
        #[arg(long)]
        end_date: Option<String>,
        /// CONNECTIONS section (e.g. hosted_urls, asn, sub_domains).
        #[arg(long)]
        section: Option<String>,
        /// CONNECTIONS severity, 0 (malicious) to 4 (trustworthy).
        #[arg(long, allow_negative_numbers = true)]
        severity: Option<i64>,
        /// CONNECTIONS items, 1 to 100.
        #[arg(long, allow_negative_numbers = true)]
        limit: Option<i64>,
        /// CONNECTIONS offset, 0 to 1000.
        #[arg(long, allow_negative_numbers = true)]
        from: Option<i64>,
    },
    /// VirusTotal lookup (POST /threat/search/virustotal); the type is detected by the server.
    Virustotal {
        /// IP address, domain or URL.
        #[arg(long)]
        indicator: String,
    },
    /// Anomalies of an entity for one rule (GET /entities/anomaly-details).
    AnomalyDetails {
        #[arg(long)]
        entity_name: String,
        #[arg(long)]
        domain_name: String,
        /// Anomaly rule id (see `detection-rules --rule-type anomaly`).
        #[arg(long)]
        rule_id: String,
        /// ISO 8601 date-time.
        #[arg(long)]
        start_time: Option<String>,
        /// ISO 8601 date-time.
        #[arg(long)]
        end_time: Option<String>,
        #[arg(long, allow_negative_numbers = true)]
        from: Option<i64>,
        #[arg(long, allow_negative_numbers = true)]
        limit: Option<i64>,
        /// Walk every page, one JSON page per line.
        #[arg(long)]
        all: bool,
    },
    /// Risk profile of an entity (GET /entities/risk-profile).
    RiskProfile {
        #[arg(long)]
        entity_name: String,
        #[arg(long)]
        domain_name: String,
        /// user or device.
        #[arg(long)]
        entity_type: String,
    },
    /// Recent anomalies of an entity (GET /entities/recent-anomalies).
    RecentAnomalies {
        #[arg(long)]
        entity_name: String,
        #[arg(long)]
        domain_name: String,
        #[arg(long)]
        start_time: Option<String>,
        #[arg(long)]
        end_time: Option<String>,
        #[arg(long, allow_negative_numbers = true)]
        from: Option<i64>,
        #[arg(long, allow_negative_numbers = true)]
        limit: Option<i64>,
        /// Walk every page, one JSON page per line.
        #[arg(long)]
        all: bool,
    },
    /// Detection rules (GET /detection/rules).
    DetectionRules {
        /// standard, anomaly or advanced.
        #[arg(long)]
        rule_type: Option<String>,
        /// critical, trouble or attention.
        #[arg(long)]
        severity: Option<String>,
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        execution_type: Option<String>,
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        complexity: Option<String>,
        #[arg(long)]
        is_deprecated: Option<bool>,
        #[arg(long)]
        is_new: Option<bool>,
        #[arg(long, allow_negative_numbers = true)]
        from: Option<i64>,
        #[arg(long, allow_negative_numbers = true)]
        limit: Option<i64>,
        /// Walk every page, one rule per line.
        #[arg(long)]
        all: bool,
    },
}

fn client(global: &Global) -> Result<Log360Client, Error> {
    let mut builder = Log360Client::from_env()?.settings(global.settings.clone());
    if let Some(url) = &global.base_url {
        builder = builder.base_url(url.clone());
    }
    if let Some(dir) = &global.cache_dir {
        builder = builder.token_cache(dir.join("tokens"));
    }
    builder.build()
}

fn opt_time(
    flag: &str,
    text: &Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    text.as_deref().map(|t| time_arg(flag, t)).transpose()
}

pub(crate) async fn run(command: Command, global: &Global) -> Result<(), Error> {
    use threatbind::log360_cloud::generated::types::*;
    match command {
        Command::ThreatAnalytics {
            indicator,
            action,
            indicator_type,
            start_date,
            end_date,
            section,
            severity,
            limit,
            from,
        } => {
            let action: ThreatAction = enum_arg(API, "ThreatAction", "action", &action)?;
            let mut query = ThreatQuery::new(indicator, action);
            if let Some(t) = indicator_type {
                query = query.indicator_type(enum_arg(API, "IndicatorType", "indicator_type", &t)?);
            }
            query.filter.start_date = start_date;
            query.filter.end_date = end_date;
            query.filter.section = section
                .map(|s| enum_arg(API, "ConnectionSection", "filter.section", &s))
                .transpose()?;
            query.filter.severity = severity;
            query.limit = limit;
            query.from = from;
            let client = client(global)?;
            print_json(&client.threat_analytics(&query).await?)
        }
        Command::Virustotal { indicator } => {
            print_json(&client(global)?.virustotal(&indicator).await?)
        }
        Command::AnomalyDetails {
            entity_name,
            domain_name,
            rule_id,
            start_time,
            end_time,
            from,
            limit,
            all,
        } => {
            let query = AnomalyDetailsQuery {
                start_time: opt_time("start_time", &start_time)?,
                end_time: opt_time("end_time", &end_time)?,
                from,
                limit,
                ..AnomalyDetailsQuery::new(entity_name, domain_name, rule_id)
            };
            let client = client(global)?;
            if all {
                print_lines(client.anomaly_details_pages(query)).await
            } else {
                print_json(&client.anomaly_details(&query).await?)
            }
        }
        Command::RiskProfile {
            entity_name,
            domain_name,
            entity_type,
        } => {
            let entity_type: EntityType = enum_arg(API, "EntityType", "entity_type", &entity_type)?;
            let query = RiskProfileQuery {
                entity_name,
                domain_name,
                entity_type,
            };
            print_json(&client(global)?.risk_profile(&query).await?)
        }
        Command::RecentAnomalies {
            entity_name,
            domain_name,
            start_time,
            end_time,
            from,
            limit,
            all,
        } => {
            let query = RecentAnomaliesQuery {
                start_time: opt_time("start_time", &start_time)?,
                end_time: opt_time("end_time", &end_time)?,
                from,
                limit,
                ..RecentAnomaliesQuery::new(entity_name, domain_name)
            };
            let client = client(global)?;
            if all {
                print_lines(client.recent_anomalies_pages(query)).await
            } else {
                print_json(&client.recent_anomalies(&query).await?)
            }
        }
        Command::DetectionRules {
            rule_type,
            severity,
            status,
            execution_type,
            source,
            complexity,
            is_deprecated,
            is_new,
            from,
            limit,
            all,
        } => {
            let query = DetectionRulesQuery {
                from,
                limit,
                status,
                severity: severity
                    .map(|s| enum_arg(API, "RuleSeverity", "severity", &s))
                    .transpose()?,
                execution_type,
                rule_type: rule_type
                    .map(|s| enum_arg(API, "RuleType", "rule_type", &s))
                    .transpose()?,
                source,
                complexity,
                is_deprecated,
                is_new,
            };
            let client = client(global)?;
            if all {
                print_lines(client.all_detection_rules(query)).await
            } else {
                print_json(&client.detection_rules(&query).await?)
            }
        }
    }
}
