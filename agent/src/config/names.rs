//! The names the kernel and the agent accept: interface names (as the
//! kernel's `dev_valid_name` checks them) and WAN names (file stems that
//! end up in hook environments, metrics labels and log spans).

/// IFNAMSIZ (16) minus the terminating NUL.
const IFNAME_MAX: usize = 15;
/// Long enough for any sensible name, short enough for a metrics label.
const WAN_NAME_MAX: usize = 32;

/// Checks an interface name the way the kernel does; the message says why
/// it is refused.
pub fn check_interface_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".to_string());
    }
    if name.len() > IFNAME_MAX {
        return Err(format!(
            "\"{name}\" is {} bytes long; Linux interface names have at most {IFNAME_MAX}",
            name.len()
        ));
    }
    if name == "." || name == ".." {
        return Err(format!("\"{name}\" is not a valid interface name"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| *c == '/' || *c == ':' || c.is_whitespace() || c.is_control())
    {
        return Err(format!(
            "\"{}\" contains {:?}, which Linux does not allow in interface names",
            name.escape_debug(),
            c
        ));
    }
    Ok(())
}

/// Checks a WAN name (the stem of its file in `wan.d`).
pub fn check_wan_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the WAN name (the file name without .toml) is empty".to_string());
    }
    if name.len() > WAN_NAME_MAX {
        return Err(format!(
            "the WAN name \"{name}\" (the file name without .toml) is longer than {WAN_NAME_MAX} characters"
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "the WAN name \"{}\" (the file name without .toml) may hold only letters, digits, '-' and '_'",
            name.escape_debug()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_names() {
        for ok in [
            "eth1",
            "wan",
            "lte0.100",
            "pppoe-wan",
            "a23456789012345",
            "wg_0",
        ] {
            assert_eq!(check_interface_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a234567890123456",
            "eth/1",
            "eth:1",
            "eth 1",
            "eth\t1",
            "e\u{0}",
        ] {
            assert!(check_interface_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn wan_names() {
        for ok in [
            "wan1",
            "LTE-backup",
            "fibre_2",
            "a2345678901234567890123456789012",
        ] {
            assert_eq!(check_wan_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "wan 1",
            "wan.1",
            "wän",
            "a23456789012345678901234567890123",
            ".hidden",
        ] {
            assert!(check_wan_name(bad).is_err(), "{bad:?}");
        }
    }
}
