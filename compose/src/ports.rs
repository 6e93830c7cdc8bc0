//! The short port syntax, `[[HOST_IP:]PUBLISHED:]TARGET[/PROTOCOL]` with
//! ranges, into compose's long form (what compose-go's ParsePortConfig makes).

use serde_json::{Value, json};

/// One short-syntax entry → its long-form entries (a range gives several).
pub fn parse_short(spec: &str) -> Result<Vec<Value>, String> {
    let invalid = || format!("invalid port {spec:?}");
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) if !p.is_empty() => (r, p),
        Some(_) => return Err(invalid()),
        None => (spec, "tcp"),
    };
    // An IPv6 host address is written in brackets: [::1]:80:80.
    let (host_ip, rest) = if let Some(after) = rest.strip_prefix('[') {
        let (ip, tail) = after.split_once(']').ok_or_else(invalid)?;
        (
            Some(ip.to_string()),
            tail.strip_prefix(':').ok_or_else(invalid)?,
        )
    } else {
        (None, rest)
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (host_ip, published, target) = match (host_ip, parts.as_slice()) {
        (None, [t]) => (None, None, *t),
        (None, [p, t]) => (None, Some(*p), *t),
        (None, [ip, p, t]) => (Some(ip.to_string()), Some(*p), *t),
        (Some(ip), [p, t]) => (Some(ip), Some(*p), *t),
        _ => return Err(invalid()),
    };
    if let Some(ip) = &host_ip
        && ip.parse::<std::net::IpAddr>().is_err()
    {
        return Err(invalid());
    }
    let targets = range(target).ok_or_else(invalid)?;
    let published = match published {
        None | Some("") => None,
        Some(p) => Some(range(p).ok_or_else(invalid)?),
    };
    let mut out = Vec::new();
    for (i, t) in targets.iter().enumerate() {
        let mut port = json!({"mode": "ingress", "target": t, "protocol": protocol});
        if let Some(ip) = &host_ip {
            port["host_ip"] = json!(ip);
        }
        match &published {
            Some(p) if p.len() == targets.len() => port["published"] = json!(p[i].to_string()),
            // One host range for one container port: docker picks from the range.
            Some(p) if targets.len() == 1 => {
                port["published"] = json!(format!("{}-{}", p[0], p[p.len() - 1]))
            }
            Some(_) => return Err(invalid()),
            None => {}
        }
        out.push(port);
    }
    Ok(out)
}

fn range(text: &str) -> Option<Vec<u32>> {
    let port = |t: &str| t.parse::<u32>().ok().filter(|p| *p <= 65535);
    match text.split_once('-') {
        None => Some(vec![port(text)?]),
        Some((a, b)) => {
            let (a, b) = (port(a)?, port(b)?);
            (a <= b).then(|| (a..=b).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_forms() {
        assert_eq!(
            parse_short("8080:80").unwrap(),
            vec![json!({"mode": "ingress", "target": 80, "published": "8080", "protocol": "tcp"})]
        );
        assert_eq!(
            parse_short("127.0.0.1:53:53/udp").unwrap(),
            vec![
                json!({"mode": "ingress", "host_ip": "127.0.0.1", "target": 53, "published": "53", "protocol": "udp"})
            ]
        );
        assert_eq!(
            parse_short("3000").unwrap(),
            vec![json!({"mode": "ingress", "target": 3000, "protocol": "tcp"})]
        );
        assert_eq!(parse_short("9090-9091:8080-8081").unwrap().len(), 2);
    }

    #[test]
    fn three_ports_are_no_port() {
        assert_eq!(
            parse_short("80:80:80").unwrap_err(),
            "invalid port \"80:80:80\""
        );
        assert!(parse_short("http").is_err());
        assert!(parse_short("70000").is_err());
    }
}
