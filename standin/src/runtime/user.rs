//! Resolving the configured user to numeric ids, the way the guest would:
//! names through `/etc/passwd` and `/etc/group` (the host's, here).

use crate::model::container::User;
use crate::runtime::process::Credentials;

/// `None` when the stand-in cannot switch users (not root) or the user is
/// the one we already are.
pub fn resolve(user: &User, supplemental: &[u32]) -> Result<Option<Credentials>, String> {
    let (uid, gid) = match user {
        User::Id { uid, gid } => (*uid, *gid),
        User::Raw { user_string } => resolve_string(user_string)?,
    };
    let me = nix::unistd::geteuid().as_raw();
    if !nix::unistd::geteuid().is_root() || (uid == me && supplemental.is_empty()) {
        return Ok(None);
    }
    Ok(Some(Credentials {
        uid,
        gid,
        groups: supplemental.to_vec(),
    }))
}

/// `name|uid[:group|gid]`.
fn resolve_string(text: &str) -> Result<(u32, u32), String> {
    let (user_part, group_part) = match text.split_once(':') {
        Some((user, group)) => (user, Some(group)),
        None => (text, None),
    };
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let entry = find_entry(&passwd, user_part);

    let (uid, default_gid) = match (user_part.parse::<u32>(), entry) {
        (_, Some(fields)) => (field(&fields, 2), field(&fields, 3)),
        (Ok(uid), None) => (uid, 0),
        (Err(_), None) => {
            return Err(format!(
                "unable to find user {user_part}: no matching entries in passwd file"
            ))
        }
    };
    let gid = match group_part {
        None => default_gid,
        Some(group) => resolve_group(group)?,
    };
    Ok((uid, gid))
}

fn resolve_group(group: &str) -> Result<u32, String> {
    if let Ok(gid) = group.parse::<u32>() {
        return Ok(gid);
    }
    let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
    find_entry(&groups, group)
        .map(|fields| field(&fields, 2))
        .ok_or_else(|| format!("unable to find group {group}: no matching entries in group file"))
}

/// The colon-separated fields of the entry whose name (or numeric id)
/// matches.
fn find_entry(file: &str, name: &str) -> Option<Vec<String>> {
    file.lines()
        .map(|line| line.split(':').map(str::to_string).collect::<Vec<_>>())
        .find(|fields| fields.len() > 3 && (fields[0] == name || fields[2] == name))
}

fn field(fields: &[String], index: usize) -> u32 {
    fields
        .get(index)
        .and_then(|value| value.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_by_name_and_number() {
        assert_eq!(resolve_string("root"), Ok((0, 0)));
        assert_eq!(resolve_string("0:0"), Ok((0, 0)));
        assert_eq!(resolve_string("4242"), Ok((4242, 0)));
    }

    #[test]
    fn unknown_names_are_errors() {
        assert!(resolve_string("no-such-user-here")
            .unwrap_err()
            .contains("unable to find user"));
        assert!(resolve_string("root:no-such-group").is_err());
    }
}
