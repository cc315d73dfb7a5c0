//! `--network <name>[,mac=XX:XX:XX:XX:XX:XX][,mtu=N]` and `none`.

pub const DEFAULT_MTU: u32 = 1280;

#[derive(Debug, Clone, PartialEq)]
pub struct NetworkRequest {
    pub name: String,
    pub mac_address: Option<String>,
    pub mtu: u32,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NetworkError {
    #[error("unknown network property '{0}'. Available properties: mac, mtu")]
    UnknownProperty(String),
    #[error("invalid MAC address format {0}, expected format: XX:XX:XX:XX:XX:XX")]
    Mac(String),
    #[error("invalid mtu value '{0}': must be between 1280 and 65535")]
    Mtu(String),
    #[error("no other networks may be created along with network none")]
    NoneNotAlone,
    #[error("network {0} not found")]
    NotFound(String),
}

/// All `--network` values; `none` yields no attachments, nothing yields the
/// builtin `default` network. Only `default` exists in the stand-in.
pub fn parse_all(values: &[String]) -> Result<Vec<NetworkRequest>, NetworkError> {
    if values.iter().any(|value| value == "none") {
        return if values.len() == 1 {
            Ok(Vec::new())
        } else {
            Err(NetworkError::NoneNotAlone)
        };
    }
    if values.is_empty() {
        return Ok(vec![NetworkRequest {
            name: "default".into(),
            mac_address: None,
            mtu: DEFAULT_MTU,
        }]);
    }
    let requests = values
        .iter()
        .map(|value| parse(value))
        .collect::<Result<Vec<_>, _>>()?;
    match requests.iter().find(|request| request.name != "default") {
        Some(unknown) => Err(NetworkError::NotFound(unknown.name.clone())),
        None => Ok(requests),
    }
}

pub fn parse(value: &str) -> Result<NetworkRequest, NetworkError> {
    let mut parts = value.split(',');
    let name = parts.next().unwrap_or_default().to_string();
    let mut request = NetworkRequest {
        name,
        mac_address: None,
        mtu: DEFAULT_MTU,
    };
    for property in parts {
        let (key, argument) = property.split_once('=').unwrap_or((property, ""));
        match key {
            "mac" => request.mac_address = Some(parse_mac(argument)?),
            "mtu" => request.mtu = parse_mtu(argument)?,
            _ => return Err(NetworkError::UnknownProperty(key.to_string())),
        }
    }
    Ok(request)
}

fn parse_mac(text: &str) -> Result<String, NetworkError> {
    let octets: Vec<&str> = text.split([':', '-']).collect();
    let valid = octets.len() == 6
        && octets
            .iter()
            .all(|octet| octet.len() == 2 && u8::from_str_radix(octet, 16).is_ok());
    if valid {
        Ok(octets.join(":").to_lowercase())
    } else {
        Err(NetworkError::Mac(text.to_string()))
    }
}

fn parse_mtu(text: &str) -> Result<u32, NetworkError> {
    match text.parse::<u32>() {
        Ok(mtu) if (1280..=65_535).contains(&mtu) => Ok(mtu),
        _ => Err(NetworkError::Mtu(text.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_flag_means_the_default_network() {
        let requests = parse_all(&[]).unwrap();
        assert_eq!(requests[0].name, "default");
        assert_eq!(requests[0].mtu, 1280);
    }

    #[test]
    fn mac_and_mtu_properties_are_parsed() {
        let request = parse("default,mac=AA-bb-cc-00-11-22,mtu=9000").unwrap();
        assert_eq!(request.mac_address.as_deref(), Some("aa:bb:cc:00:11:22"));
        assert_eq!(request.mtu, 9000);
    }

    #[test]
    fn bad_properties_have_apple_texts() {
        assert_eq!(
            parse("default,color=red").unwrap_err().to_string(),
            "unknown network property 'color'. Available properties: mac, mtu"
        );
        assert_eq!(
            parse("default,mtu=100").unwrap_err().to_string(),
            "invalid mtu value '100': must be between 1280 and 65535"
        );
        assert!(matches!(parse("default,mac=zz"), Err(NetworkError::Mac(_))));
    }

    #[test]
    fn none_must_be_alone_and_unknown_networks_fail() {
        assert_eq!(parse_all(&["none".into()]), Ok(vec![]));
        let both = vec!["none".to_string(), "default".to_string()];
        assert_eq!(parse_all(&both), Err(NetworkError::NoneNotAlone));
        assert_eq!(
            parse_all(&["backend".into()]).unwrap_err().to_string(),
            "network backend not found"
        );
    }
}
