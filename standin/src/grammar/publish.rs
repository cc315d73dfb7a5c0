//! `-p, --publish [host-ip:]host-port:container-port[/proto]`, with port
//! ranges, bracketed IPv6 host addresses and Apple's limits (at most 64
//! specs, ports above 1, no overlapping host ports per protocol).

use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, Ipv6Addr};

const MAX_SPECS: usize = 64;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedPort {
    pub container_port: u16,
    pub count: u16,
    pub host_address: String,
    pub host_port: u16,
    pub proto: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PublishError {
    #[error("invalid publish value: {0}")]
    Value(String),
    #[error("invalid publish protocol: {0}")]
    Protocol(String),
    #[error("invalid publish host port: {0}")]
    HostPort(String),
    #[error("invalid publish container port: {0}")]
    ContainerPort(String),
    #[error("invalid publish host port range: {0}")]
    HostRange(String),
    #[error("invalid publish IPv4 address: {0}")]
    Ipv4(String),
    #[error("invalid publish IPv6 address: {0}")]
    Ipv6(String),
    #[error("publish host and container port counts are not equal: {0}")]
    CountMismatch(String),
    #[error("cannot exceed more than {MAX_SPECS} port publish descriptors")]
    TooMany,
    #[error("host ports for different publish port specs may not overlap")]
    Overlap,
}

/// Parses every `--publish` value and checks the limits across them.
pub fn parse_all(specs: &[String]) -> Result<Vec<PublishedPort>, PublishError> {
    if specs.len() > MAX_SPECS {
        return Err(PublishError::TooMany);
    }
    let ports = specs
        .iter()
        .map(|spec| parse(spec))
        .collect::<Result<Vec<_>, _>>()?;
    reject_overlaps(&ports)?;
    Ok(ports)
}

pub fn parse(spec: &str) -> Result<PublishedPort, PublishError> {
    let (address_and_ports, proto) = match spec.rsplit_once('/') {
        Some((rest, proto)) => (rest, proto.to_lowercase()),
        None => (spec, "tcp".to_string()),
    };
    if proto != "tcp" && proto != "udp" {
        return Err(PublishError::Protocol(proto));
    }

    let (host_address, host_ports, container_ports) = split_fields(spec, address_and_ports)?;
    let (host_port, host_count) =
        parse_range(host_ports, PublishError::HostPort, PublishError::HostRange)?;
    let (container_port, container_count) = parse_range(
        container_ports,
        PublishError::ContainerPort,
        PublishError::ContainerPort,
    )?;
    if host_count != container_count {
        return Err(PublishError::CountMismatch(spec.to_string()));
    }

    Ok(PublishedPort {
        container_port,
        count: host_count,
        host_address,
        host_port,
        proto,
    })
}

/// Splits into (host address, host ports, container ports).
fn split_fields<'a>(spec: &str, text: &'a str) -> Result<(String, &'a str, &'a str), PublishError> {
    if let Some(bracketed) = text.strip_prefix('[') {
        let (address, rest) = bracketed
            .split_once("]:")
            .ok_or_else(|| PublishError::Value(spec.to_string()))?;
        address
            .parse::<Ipv6Addr>()
            .map_err(|_| PublishError::Ipv6(address.to_string()))?;
        let (host, container) = rest
            .split_once(':')
            .ok_or_else(|| PublishError::Value(spec.to_string()))?;
        return Ok((address.to_string(), host, container));
    }

    let fields: Vec<&str> = text.split(':').collect();
    match fields.as_slice() {
        [host, container] => Ok(("0.0.0.0".to_string(), host, container)),
        [address, host, container] => {
            address
                .parse::<Ipv4Addr>()
                .map_err(|_| PublishError::Ipv4(address.to_string()))?;
            Ok((address.to_string(), host, container))
        }
        _ => Err(PublishError::Value(spec.to_string())),
    }
}

/// `80` or `8000-8010` → (first port, count).
fn parse_range(
    text: &str,
    invalid_port: fn(String) -> PublishError,
    invalid_range: fn(String) -> PublishError,
) -> Result<(u16, u16), PublishError> {
    let port = |part: &str| -> Result<u16, PublishError> {
        match part.parse::<u32>() {
            Ok(value) if value > 1 && value <= 65_535 => Ok(value as u16),
            _ => Err(invalid_port(text.to_string())),
        }
    };
    match text.split_once('-') {
        None => Ok((port(text)?, 1)),
        Some((start, end)) => {
            let (start, end) = (port(start)?, port(end)?);
            if end < start {
                return Err(invalid_range(text.to_string()));
            }
            Ok((start, end - start + 1))
        }
    }
}

fn reject_overlaps(ports: &[PublishedPort]) -> Result<(), PublishError> {
    for (index, first) in ports.iter().enumerate() {
        for second in &ports[index + 1..] {
            let first_end = u32::from(first.host_port) + u32::from(first.count);
            let second_end = u32::from(second.host_port) + u32::from(second.count);
            let overlaps =
                u32::from(first.host_port) < second_end && u32::from(second.host_port) < first_end;
            if overlaps && first.proto == second.proto {
                return Err(PublishError::Overlap);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn port(address: &str, host: u16, container: u16, count: u16, proto: &str) -> PublishedPort {
        PublishedPort {
            container_port: container,
            count,
            host_address: address.into(),
            host_port: host,
            proto: proto.into(),
        }
    }

    #[test]
    fn short_form_defaults_to_all_addresses_and_tcp() {
        assert_eq!(parse("8080:80"), Ok(port("0.0.0.0", 8080, 80, 1, "tcp")));
    }

    #[test]
    fn address_ranges_and_protocol_are_parsed() {
        assert_eq!(
            parse("127.0.0.1:9000-9002:7000-7002/UDP"),
            Ok(port("127.0.0.1", 9000, 7000, 3, "udp"))
        );
        assert_eq!(
            parse("[fe80::1]:8080:80/tcp"),
            Ok(port("fe80::1", 8080, 80, 1, "tcp"))
        );
    }

    #[test]
    fn malformed_specs_name_the_faulty_part() {
        assert_eq!(parse("8080"), Err(PublishError::Value("8080".into())));
        assert_eq!(
            parse("8080:80/sctp"),
            Err(PublishError::Protocol("sctp".into()))
        );
        assert_eq!(
            parse("localhost:8080:80"),
            Err(PublishError::Ipv4("localhost".into()))
        );
        assert_eq!(parse("[zz]:8080:80"), Err(PublishError::Ipv6("zz".into())));
        assert_eq!(parse("1:80"), Err(PublishError::HostPort("1".into())));
        assert_eq!(
            parse("8080:0"),
            Err(PublishError::ContainerPort("0".into()))
        );
        assert_eq!(
            parse("8080:65536"),
            Err(PublishError::ContainerPort("65536".into()))
        );
        assert_eq!(
            parse("9000-8000:80-81"),
            Err(PublishError::HostRange("9000-8000".into()))
        );
        assert_eq!(
            parse("9000-9001:80").unwrap_err().to_string(),
            "publish host and container port counts are not equal: 9000-9001:80"
        );
    }

    #[test]
    fn overlapping_host_ports_of_one_protocol_are_rejected() {
        let specs = vec![
            "8000-8010:80-90".to_string(),
            "127.0.0.1:8005:22".to_string(),
        ];
        assert_eq!(parse_all(&specs), Err(PublishError::Overlap));
        let mixed = vec!["8000:80".to_string(), "8000:80/udp".to_string()];
        assert!(parse_all(&mixed).is_ok());
    }

    #[test]
    fn more_than_64_specs_are_rejected() {
        let specs: Vec<String> = (0..65)
            .map(|index| format!("{}:80", 10_000 + index))
            .collect();
        assert_eq!(
            parse_all(&specs).unwrap_err().to_string(),
            "cannot exceed more than 64 port publish descriptors"
        );
    }
}
