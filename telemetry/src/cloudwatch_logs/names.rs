//! Log group and log stream names: the defaults API Gateway and AWS WAF use, and CloudWatch Logs'
//! naming rules checked before the first call, so a bad name fails at configuration time with the
//! field it came from rather than as an `InvalidParameterException` on every batch.
//!
//! Sources:
//! - Execution logs: "When you enable execution logging on a stage, API Gateway automatically creates
//!   and manages a CloudWatch Logs log group. The log group is named
//!   `API-Gateway-Execution-Logs_{rest-api-id}/{stage_name}`"
//!   (<https://docs.aws.amazon.com/apigateway/latest/developerguide/rest-api-execution-logging.html>).
//! - Access logs: API Gateway has no default group; the stage's `accessLogSettings.destinationArn`
//!   names one, so Moat requires a group name in its configuration.
//! - WAF logs: "The name that you give the destination must start with `aws-waf-logs-`"
//!   (<https://docs.aws.amazon.com/waf/latest/APIReference/API_LoggingConfiguration.html>).
//! - Groups: 1 to 512 characters of `a-z A-Z 0-9 _ - / . #`, not starting with `aws/`
//!   (CreateLogGroup, <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html>).
//! - Streams: 1 to 512 characters, no `:` or `*` (CreateLogStream; `LogStream.logStreamName` pattern
//!   `[^:*]*`, <https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_LogStream.html>).
//! - Stream names within API Gateway's execution log groups are opaque ids AWS does not document
//!   ("logs are divided into log streams ordered by Last Event Time"); Moat names its stream per
//!   process, [`default_stream_name`] `{hostname}/{pid}`, or the configured name.

/// The prefix AWS WAF requires of every logging destination's name, log groups included.
pub const WAF_LOG_GROUP_PREFIX: &str = "aws-waf-logs-";

/// The longest log group or log stream name CloudWatch Logs accepts, in characters.
pub const MAX_NAME_CHARS: usize = 512;

/// A log group or log stream name CloudWatch Logs would refuse, with the configuration field it came from.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty, or longer than [`MAX_NAME_CHARS`].
    #[error("{field}: a CloudWatch Logs name must be 1 to 512 characters long, this one has {chars}")]
    Length {
        /// The configuration field, such as `stages.prod.access_log.group`.
        field: String,
        /// How many characters the name has.
        chars: usize,
    },
    /// A log group name with a character outside `a-z A-Z 0-9 _ - / . #`.
    #[error("{field}: log group name {name:?} contains {found:?}; only a-z A-Z 0-9 _ - / . # are allowed")]
    GroupCharacter {
        /// The configuration field.
        field: String,
        /// The name as given.
        name: String,
        /// The first character not allowed.
        found: char,
    },
    /// A log group name starting with `aws/`, which CloudWatch Logs keeps for AWS services.
    #[error("{field}: log group name {name:?} starts with `aws/`, which CloudWatch Logs reserves for AWS services")]
    ReservedPrefix {
        /// The configuration field.
        field: String,
        /// The name as given.
        name: String,
    },
    /// A log stream name containing `:` or `*`.
    #[error("{field}: log stream name {name:?} contains {found:?}; ':' and '*' are not allowed")]
    StreamCharacter {
        /// The configuration field.
        field: String,
        /// The name as given.
        name: String,
        /// The character not allowed.
        found: char,
    },
    /// A WAF log group whose name does not start with [`WAF_LOG_GROUP_PREFIX`].
    #[error(
        "{field}: WAF log group {name:?} must start with `aws-waf-logs-` (AWS WAF logs only to destinations named so)"
    )]
    WafPrefix {
        /// The configuration field.
        field: String,
        /// The name as given.
        name: String,
    },
}

fn check_length(field: &str, name: &str) -> Result<(), NameError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(NameError::Length {
            field: field.to_owned(),
            chars,
        });
    }
    Ok(())
}

/// Whether CloudWatch Logs allows `c` in a log group name: `[\.\-_/#A-Za-z0-9]`.
#[must_use]
pub fn is_group_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | '#')
}

/// Checks a log group name against CloudWatch Logs' rules; `field` names the configuration field in
/// the error.
///
/// # Errors
/// [`NameError::Length`], [`NameError::GroupCharacter`] or [`NameError::ReservedPrefix`].
pub fn validate_log_group(field: &str, name: &str) -> Result<(), NameError> {
    check_length(field, name)?;
    if let Some(found) = name.chars().find(|&c| !is_group_char(c)) {
        return Err(NameError::GroupCharacter {
            field: field.to_owned(),
            name: name.to_owned(),
            found,
        });
    }
    if name.starts_with("aws/") {
        return Err(NameError::ReservedPrefix {
            field: field.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// Checks a log stream name against CloudWatch Logs' rules (1 to 512 characters, no `:` or `*`).
///
/// # Errors
/// [`NameError::Length`] or [`NameError::StreamCharacter`].
pub fn validate_log_stream(field: &str, name: &str) -> Result<(), NameError> {
    check_length(field, name)?;
    if let Some(found) = name.chars().find(|&c| c == ':' || c == '*') {
        return Err(NameError::StreamCharacter {
            field: field.to_owned(),
            name: name.to_owned(),
            found,
        });
    }
    Ok(())
}

/// Checks a WAF log group name: a valid log group name that starts with `aws-waf-logs-`.
///
/// # Errors
/// [`NameError::WafPrefix`], or any error of [`validate_log_group`].
pub fn validate_waf_log_group(field: &str, name: &str) -> Result<(), NameError> {
    validate_log_group(field, name)?;
    if !name.starts_with(WAF_LOG_GROUP_PREFIX) {
        return Err(NameError::WafPrefix {
            field: field.to_owned(),
            name: name.to_owned(),
        });
    }
    Ok(())
}

/// The log group API Gateway writes a stage's execution logs to:
/// `API-Gateway-Execution-Logs_{api_id}/{stage}`, checked against the group rules (an HTTP API's
/// `$default` stage has no execution logs in API Gateway, and `$` is not allowed in a group name).
///
/// # Errors
/// When the resulting name breaks a rule of [`validate_log_group`]; `field` names the setting.
pub fn execution_log_group(field: &str, api_id: &str, stage: &str) -> Result<String, NameError> {
    let name = format!("API-Gateway-Execution-Logs_{api_id}/{stage}");
    validate_log_group(field, &name)?;
    Ok(name)
}

/// The canary's execution log group: the stage's group with `/Canary` appended, where API Gateway
/// also reports canary requests (`canary-release.html`; the same name as
/// `moat_formats::execution_log::ExecutionLogGroups::for_stage`), checked against the group rules.
///
/// # Errors
/// When the resulting name breaks a rule of [`validate_log_group`].
pub fn canary_execution_log_group(field: &str, api_id: &str, stage: &str) -> Result<String, NameError> {
    let name = format!("API-Gateway-Execution-Logs_{api_id}/{stage}/Canary");
    validate_log_group(field, &name)?;
    Ok(name)
}

/// The WAF log group Moat uses when none is configured: `aws-waf-logs-{web_acl}`. AWS WAF itself
/// has no default (the user creates a destination with the required prefix); this follows the prefix
/// rule with the web ACL's name, which WAF allows only `[A-Za-z0-9_-]` in.
///
/// # Errors
/// When the resulting name breaks a rule of [`validate_waf_log_group`].
pub fn default_waf_log_group(field: &str, web_acl: &str) -> Result<String, NameError> {
    let name = format!("{WAF_LOG_GROUP_PREFIX}{web_acl}");
    validate_waf_log_group(field, &name)?;
    Ok(name)
}

/// The log stream this process writes to when none is configured: `{hostname}/{pid}`, so replicas
/// (and restarts with another pid) never share a stream. The hostname comes from
/// `/proc/sys/kernel/hostname`, then `$HOSTNAME`, then `moat`; `:` and `*` become `_` and the name
/// is cut to 512 characters.
#[must_use]
pub fn default_stream_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "moat".to_owned());
    stream_name(&host, std::process::id())
}

/// `{host}/{pid}` made a valid stream name: `:` and `*` replaced by `_`, cut to 512 characters.
#[must_use]
pub fn stream_name(host: &str, pid: u32) -> String {
    let suffix = format!("/{pid}");
    let host: String = host
        .chars()
        .map(|c| if c == ':' || c == '*' { '_' } else { c })
        .take(MAX_NAME_CHARS - suffix.len())
        .collect();
    format!("{host}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_log_group_is_named_as_api_gateway_names_it() {
        // rest-api-execution-logging.html: `API-Gateway-Execution-Logs_{rest-api-id}/{stage_name}`.
        assert_eq!(
            execution_log_group("f", "a1b2c3d4e5", "prod").unwrap(),
            "API-Gateway-Execution-Logs_a1b2c3d4e5/prod"
        );
        assert_eq!(
            canary_execution_log_group("f", "a1b2c3d4e5", "prod").unwrap(),
            "API-Gateway-Execution-Logs_a1b2c3d4e5/prod/Canary"
        );
        // `$default` is an HTTP API stage; `$` is not allowed in a group name.
        let err = execution_log_group("stages.$default.execution_log.group", "abc", "$default").unwrap_err();
        assert_eq!(
            err,
            NameError::GroupCharacter {
                field: "stages.$default.execution_log.group".into(),
                name: "API-Gateway-Execution-Logs_abc/$default".into(),
                found: '$',
            }
        );
        assert!(
            err.to_string().starts_with("stages.$default.execution_log.group: "),
            "{err}"
        );
    }

    #[test]
    fn waf_groups_must_carry_the_prefix() {
        assert_eq!(default_waf_log_group("f", "my-acl").unwrap(), "aws-waf-logs-my-acl");
        validate_waf_log_group("f", "aws-waf-logs-prod/eu").unwrap();
        let err = validate_waf_log_group("waf.log_group", "waf-logs").unwrap_err();
        assert!(matches!(err, NameError::WafPrefix { .. }), "{err:?}");
        assert!(
            err.to_string().contains("waf.log_group") && err.to_string().contains("aws-waf-logs-"),
            "{err}"
        );
        // The prefix alone is not enough: the rest must be a valid group name.
        assert!(matches!(
            validate_waf_log_group("f", "aws-waf-logs-a b"),
            Err(NameError::GroupCharacter { found: ' ', .. })
        ));
    }

    #[test]
    fn group_rules() {
        for ok in [
            "a",
            "moat/access",
            "API-Gateway-Execution-Logs_x/y",
            "a.b-c_d/e#f",
            "aws-x",
        ] {
            validate_log_group("f", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        validate_log_group("f", &"g".repeat(512)).unwrap();
        assert_eq!(
            validate_log_group("access_log.group", ""),
            Err(NameError::Length {
                field: "access_log.group".into(),
                chars: 0
            })
        );
        assert_eq!(
            validate_log_group("f", &"g".repeat(513)),
            Err(NameError::Length {
                field: "f".into(),
                chars: 513
            })
        );
        for (bad, found) in [
            ("a b", ' '),
            ("a:b", ':'),
            ("a*b", '*'),
            ("é", 'é'),
            ("a$b", '$'),
            ("a\\b", '\\'),
        ] {
            assert_eq!(
                validate_log_group("f", bad),
                Err(NameError::GroupCharacter {
                    field: "f".into(),
                    name: bad.into(),
                    found
                }),
                "{bad}"
            );
        }
        assert!(matches!(
            validate_log_group("f", "aws/lambda/x"),
            Err(NameError::ReservedPrefix { .. })
        ));
    }

    #[test]
    fn stream_rules() {
        for ok in ["s", "host/123", "a b é $ # ?", "2026/11/25/[$LATEST]abc"] {
            validate_log_stream("f", ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        // 512 characters, more than 512 bytes: the limit counts characters.
        validate_log_stream("f", &"é".repeat(512)).unwrap();
        assert!(matches!(
            validate_log_stream("f", &"é".repeat(513)),
            Err(NameError::Length { chars: 513, .. })
        ));
        assert!(matches!(
            validate_log_stream("f", ""),
            Err(NameError::Length { chars: 0, .. })
        ));
        for (bad, found) in [("a:b", ':'), ("a*", '*')] {
            assert_eq!(
                validate_log_stream("access_log.stream", bad),
                Err(NameError::StreamCharacter {
                    field: "access_log.stream".into(),
                    name: bad.into(),
                    found
                })
            );
        }
    }

    #[test]
    fn default_stream_names_are_valid() {
        assert_eq!(
            stream_name("ip-10-0-0-1.ec2.internal", 4242),
            "ip-10-0-0-1.ec2.internal/4242"
        );
        assert_eq!(stream_name("[fe80::1]", 7), "[fe80__1]/7");
        let long = stream_name(&"h".repeat(600), 12345);
        assert_eq!(long.chars().count(), 512);
        assert!(long.ends_with("/12345"));
        let name = default_stream_name();
        validate_log_stream("f", &name).unwrap();
        assert!(name.ends_with(&format!("/{}", std::process::id())), "{name}");
    }
}
